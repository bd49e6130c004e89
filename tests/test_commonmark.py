"""A peer's test suite as input: every example of the CommonMark spec, with raw HTML off and on,
is either built or refused with located diagnostics, never a traceback; the EPUB of everything
that builds passes EPUBCheck."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_epubcheck, serious
from sopress import api
from sopress.diagnostics import SopressError

SPEC = Path(__file__).parent / "data/commonmark/spec.txt"
EXAMPLE = re.compile(r"^`{32} example\n([\s\S]*?)^\.\n[\s\S]*?^`{32}$", re.M)

pytestmark = pytest.mark.slow


def examples() -> list[str]:
    """The examples' Markdown, as the spec's own extractor reads them (→ stands for a tab)."""
    text = re.sub(r"^<!-- END TESTS -->[\s\S]*", "", SPEC.read_text(encoding="utf-8"), flags=re.M)
    return [m.group(1).replace("\u2192", "\t") for m in EXAMPLE.finditer(text)]


def write_book(root: Path, bodies: dict[int, str], raw_html: bool) -> None:
    chapters = root / "content/vol/01-examples"
    chapters.mkdir(parents=True, exist_ok=True)
    (root / "content/book.yaml").write_text(
        f"id: commonmark\ntitle: CommonMark examples\nauthor: Test\nlanguage: en\ndate: 2026-01-01\n"
        f"raw_html: {'true' if raw_html else 'false'}\nvolumes: [vol]\n", encoding="utf-8")
    (root / "content/vol/volume.yaml").write_text(
        "number: 1\ntitle: Examples\nsections:\n  - folder: 01-examples\n    title: Examples\n    chapters:\n"
        + "".join(f"      - ex-{n}.md\n" for n in bodies), encoding="utf-8")
    for path in chapters.glob("*.md"):
        path.unlink()
    for n, body in bodies.items():
        (chapters / f"ex-{n}.md").write_text(
            f"---\nid: ex-{n}\ntitle: Example {n}\nstatus: final\n---\n\n{body}", encoding="utf-8")


@pytest.mark.parametrize("raw_html", [False, True], ids=["raw-html-off", "raw-html-on"])
def test_every_spec_example_builds_or_is_refused_cleanly_and_the_epub_is_valid(tmp_path, raw_html):
    all_examples = examples()
    assert len(all_examples) == 652
    refused: dict[int, list[str]] = {}
    for n, body in enumerate(all_examples, 1):
        root = tmp_path / f"ex-{n}"
        write_book(root, {n: body}, raw_html)
        try:
            api.check(root)
        except SopressError as exc:  # a located refusal is a fine answer; anything else is a bug
            refused[n] = [d.format(root) for d in exc.diagnostics]
            assert all(re.match(r"content/[\w/.-]+:\d+:\d+: error\[[a-z-]+\]: ", line) for line in refused[n] if
                       " error[" in line), refused[n]
    accepted = {n: body for n, body in enumerate(all_examples, 1) if n not in refused}
    assert len(accepted) > 500  # the dialect is CommonMark: most examples are simply text
    book = tmp_path / "book"
    while True:  # examples are separate documents: ids in their raw HTML may clash once they share a book
        write_book(book, accepted, raw_html)
        try:
            api.build(book, formats=["epub"])
            break
        except SopressError as exc:
            assert {d.code for d in exc.diagnostics if d.severity == "error"} == {"duplicate-id"}
            for clash in (d for d in exc.diagnostics if d.code == "duplicate-id"):
                accepted.pop(int(clash.location.path.stem.removeprefix("ex-")))
    assert serious(run_epubcheck(book / "build/epub/vol.epub")) == []

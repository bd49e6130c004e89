"""sopress publish: a release is made only when every gate passes, and publish/ is never left half-changed.

A sample book is published once (module fixture); each gate is then broken on purpose in a copy of
it, over an existing release that must stay byte for byte as it was.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import OUTPUT, REPO, ROOTS, require
from sopress import api
from sopress.cli import main
from sopress.publish import edition_name
from sopress.publish.validators import ToolMissing, find_ace, run_ace

SCHEMA = REPO / "src" / "sopress" / "schemas" / "manifest.schema.json"
FINAL_BETA = ("content/vol-one/01-start/beta.md", "status: draft", "status: final")


def require_ace() -> Path:
    """DAISY Ace (`make tools`): a skip on a developer's machine without it, a failure in CI."""
    require("chromium")
    require("node")
    try:
        return find_ace(REPO)
    except ToolMissing as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def project(tmp_path: Path, files: dict[str, str] | None = None, replace: tuple[tuple[str, str, str], ...] = (),
            release: Path | None = None, with_build: bool = False) -> Path:
    """A copy of the basic book with every chapter final, `files` written, `replace` (path, old, new)
    applied, and `release` copied in as an existing publish/<edition>/ beside a file kept by hand
    (`with_build`: and the build folder of the project it came from, whose validator records are kept)."""
    root = tmp_path / "basic"
    shutil.copytree(ROOTS / "basic", root)
    for path, old, new in (FINAL_BETA, *replace):
        target = root / path
        assert old in target.read_text(encoding="utf-8")
        target.write_text(target.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    for path, text in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    if release is not None:
        shutil.copytree(release, root / "publish" / release.name)
        (root / "publish" / "NOTES.txt").write_text("kept by hand\n", encoding="utf-8")
        if with_build:
            shutil.copytree(release.parents[1] / "build", root / "build")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def publish_cli(root: Path, *args: str):
    return CliRunner().invoke(main, ["publish", "--root", str(root), "-q", *args])


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The sample book, every chapter final, published once: (project root, Release)."""
    require_ace()
    require("java")
    root = project(tmp_path_factory.mktemp("publish"))
    return root, api.publish(root, jobs=2)


def test_edition_names():
    assert edition_name("First edition", None, False) == "first-edition"
    assert edition_name("First edition", "2027 Reprint", True) == "2027-reprint-DRAFT"
    with pytest.raises(ValueError, match="--edition"):
        edition_name("", None, False)


def test_ace_missing_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SOPRESS_ACE", str(tmp_path / "nowhere" / "ace-cli"))
    with pytest.raises(ToolMissing, match="make tools"):
        find_ace(tmp_path)


def test_an_empty_header_cell_is_written_as_a_plain_cell(make_project):
    """A table's empty corner is not a header: Ace's empty-table-header rule (and screen readers) want a name."""
    root = make_project(edits={"content/vol-two/01-deep/delta.md": (
        "---\nid: delta\ntitle: Delta Procedure\nstatus: final\n---\n\n| | Mon | Tue |\n| --- | --- | --- |\n"
        "| Early | yes | no |\n")})
    edition = api.render_volume(root, 2, "epub")
    chapter = next(d.content for d in edition.documents if d.file_name == "delta.xhtml")
    assert "<td></td>\n<th>Mon</th>" in chapter and "<th></th>" not in chapter


@pytest.mark.slow
def test_a_sample_book_publishes_every_product(published):
    root, release = published
    assert release.folder == root / "publish" / "first-edition" and not release.draft
    assert [g.name for g in release.gates] == ["sources", "build", "pdf", "handouts", "epubcheck", "ace"]
    assert all(g.passed for g in release.gates)
    files = sorted(p.relative_to(release.folder).as_posix() for p in release.folder.rglob("*") if p.is_file())
    assert files == [
        "SHA256SUMS", "covers/field-guide-vol1-first-edition.png", "covers/field-guide-vol2-first-edition.png",
        "epub/field-guide-first-edition-omnibus.epub", "epub/field-guide-vol1-first-edition.epub",
        "epub/field-guide-vol2-first-edition.epub", "handouts/field-guide-first-edition-handouts.zip",
        "handouts/field-guide-first-edition-pack-first-day.pdf", "index.html", "manifest.json",
        "print/field-guide-vol1-first-edition-print.pdf", "print/field-guide-vol2-first-edition-print.pdf",
        "screen/field-guide-vol1-first-edition-screen.pdf", "screen/field-guide-vol2-first-edition-screen.pdf",
    ]
    with zipfile.ZipFile(release.folder / "handouts/field-guide-first-edition-handouts.zip") as archive:
        assert archive.namelist() == ["alpha.pdf", "beta.pdf", "gamma.pdf", "delta.pdf", "packs/first-day.pdf"]
    print_pdf = PdfReader(str(release.folder / "print/field-guide-vol1-first-edition-print.pdf"))
    assert print_pdf.pages[0].trimbox != print_pdf.pages[0].mediabox  # the print profile: bleed around the trim
    assert list(root.glob("publish/.*")) == []  # nothing of the assembly left behind


@pytest.mark.slow
def test_the_manifest_validates_and_describes_every_book(published):
    _, release = published
    manifest = json.loads((release.folder / "manifest.json").read_text(encoding="utf-8"))
    jsonschema.validate(manifest, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert manifest["edition"] == {"name": "first-edition", "statement": "First edition"} and not manifest["draft"]
    assert manifest["built"] == "2026-01-15T00:00:00Z"
    assert manifest["source"] == {"commit": None, "clean": None}  # the sample project is not a git repository
    by_path = {a["path"]: a for a in manifest["artifacts"]}
    vol1_print = by_path["print/field-guide-vol1-first-edition-print.pdf"]
    assert (vol1_print["volume"], vol1_print["format"], vol1_print["profile"]) == (1, "pdf", "print")
    assert vol1_print["isbn"] == "978-0-00-000001-1"
    assert by_path["epub/field-guide-vol1-first-edition.epub"]["isbn"] == "978-0-00-000002-8"
    assert by_path["screen/field-guide-vol1-first-edition-screen.pdf"]["isbn"] is None
    for path, entry in by_path.items():
        file = release.folder / path
        assert entry["bytes"] == file.stat().st_size
        assert entry["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
        if entry["format"] == "pdf":
            assert entry["pages"] == len(PdfReader(str(file)).pages), path
    broken = {**manifest, "artifacts": [{**vol1_print, "sha256": "not-a-digest"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, json.loads(SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_every_checksum_matches(published):
    _, release = published
    lines = (release.folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    files = {p.relative_to(release.folder).as_posix() for p in release.folder.rglob("*") if p.is_file()}
    assert set(listed) == files - {"SHA256SUMS"}
    for path, digest in listed.items():
        assert hashlib.sha256((release.folder / path).read_bytes()).hexdigest() == digest, path
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=release.folder, check=True)


@pytest.mark.slow
def test_republishing_changes_nothing_and_editions_live_side_by_side(published):
    root, release = published
    before = snapshot(release.folder)
    again = api.publish(root, jobs=2)
    assert not again.replaced and snapshot(release.folder) == before
    reprint = api.publish(root, edition="2027 Reprint", jobs=2)
    assert reprint.folder == root / "publish" / "2027-reprint"
    assert snapshot(release.folder) == before
    names = {p.name for p in (reprint.folder / "print").iterdir()}
    assert names == {"field-guide-vol1-2027-reprint-print.pdf", "field-guide-vol2-2027-reprint-print.pdf"}
    # The books are the same build: only their names and the release's own files differ.
    assert (reprint.folder / "epub/field-guide-vol1-2027-reprint.epub").read_bytes() == \
        before["epub/field-guide-vol1-first-edition.epub"]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("href", "src") and value]


@pytest.mark.slow
def test_the_release_page_works_offline_in_a_browser(published):
    _, release = published
    page = release.folder / "index.html"
    html = page.read_text(encoding="utf-8")
    links = Links()
    links.feed(html)
    assert links.urls and not [u for u in links.urls if re.match(r"[a-z]+:", u)]  # nothing from the network
    assert all((release.folder / url).is_file() for url in links.urls)
    assert {f"print/field-guide-vol{n}-first-edition-print.pdf" for n in (1, 2)} <= set(links.urls)
    assert "EPUBCheck 5.3" in html and "DAISY Ace 1.4.6" in html and "DRAFT" not in html
    screenshot = OUTPUT / "publish-release-page.png"
    screenshot.unlink(missing_ok=True)
    subprocess.run([require("chromium"), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1100,1500", f"--screenshot={screenshot}", page.as_uri()],
                   check=True, capture_output=True, timeout=60)
    assert screenshot.stat().st_size > 20_000


def refused(root: Path, *args: str) -> str:
    """Publish through the CLI, expecting a refusal; its standard error."""
    before = snapshot(root / "publish")
    result = publish_cli(root, *args)
    assert result.exit_code == 1, result.output
    assert "publish refused; publish/ was left as it was" in result.output
    assert "Traceback" not in result.output
    assert snapshot(root / "publish") == before
    return result.output


@pytest.mark.slow
def test_a_check_warning_refuses(published, tmp_path):
    root = project(tmp_path, release=published[1].folder,
                   replace=(("content/vol-one/02-more/gamma.md", "Gamma's overview.", "!!! note Remember\n\nGamma's overview."),))
    output = refused(root)
    assert re.search(r"content/vol-one/02-more/gamma\.md:14:1: warning\[foreign-syntax\]", output), output
    assert "gate 'sources'" in output


@pytest.mark.slow
def test_a_draft_chapter_refuses_unless_the_release_is_a_draft(published, tmp_path):
    root = project(tmp_path, release=published[1].folder,
                   replace=(("content/vol-one/01-start/beta.md", "status: final", "status: review"),))
    output = refused(root)
    assert "content/vol-one/01-start/beta.md:6:9: error[not-final]: chapter 'beta' is review" in output
    assert not (root / "build").exists()  # refused before anything was built
    draft = api.publish(root, draft=True, jobs=2)
    assert draft.folder.name == "first-edition-DRAFT" and draft.draft
    manifest = json.loads((draft.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["draft"] is True and manifest["edition"]["name"] == "first-edition-DRAFT"
    assert "field-guide-vol1-first-edition-DRAFT-print.pdf" in {p.name for p in (draft.folder / "print").iterdir()}
    assert ">DRAFT<" in (draft.folder / "index.html").read_text(encoding="utf-8")
    assert snapshot(root / "publish" / "first-edition") == snapshot(published[1].folder)


@pytest.mark.slow
def test_a_broken_epub_refuses(published, tmp_path):
    """A project template that links a stylesheet the EPUB does not contain: EPUBCheck's RSC-007."""
    page = (REPO / "src/sopress/themes/default/epub/page.xhtml").read_text(encoding="utf-8")
    broken = page.replace('<link rel="stylesheet" type="text/css" href="style/epub.css" />',
                          '<link rel="stylesheet" type="text/css" href="style/epub.css" />\n'
                          '<link rel="stylesheet" type="text/css" href="style/missing.css" />')
    root = project(tmp_path, release=published[1].folder, files={"templates/epub/page.xhtml": broken})
    output = refused(root)
    assert re.search(r"build/epub/vol-one\.epub/EPUB/alpha\.xhtml:\d+:\d+: error\[epubcheck\]: RSC-007", output)
    assert "gate 'epubcheck'" in output and "gate 'pdf'" not in output


@pytest.mark.slow
def test_a_font_missing_from_the_theme_refuses(published, tmp_path):
    """A project stylesheet naming a family the theme does not ship: the PDF takes it from the machine."""
    css = '{% include "!css/references-print.css" %}\n.chapter h2 { font-family: "DejaVu Sans", sans-serif; }\n'
    root = project(tmp_path, release=published[1].folder, files={"templates/css/references-print.css": css},
                   with_build=True)
    output = refused(root)
    assert re.search(r"build/pdf/vol-one-print\.pdf:1:1: error\[pdf-fonts\]: font \S+ is not one of the theme's "
                     r"fonts: .*; it first sets '.+' \(U\+[0-9A-F]{4}.*\) on page \d+", output), output
    assert "gate 'pdf'" in output and "gate 'epubcheck'" not in output


@pytest.mark.slow
def test_a_missing_validator_refuses_with_what_to_install(published, monkeypatch):
    root, _ = published
    monkeypatch.setenv("SOPRESS_ACE", str(root / "no-such-ace-cli"))
    output = refused(root)
    assert "gate 'ace' (DAISY Ace: no accessibility violation): could not run: SOPRESS_ACE names" in output
    assert "make tools" in output


@pytest.mark.slow
def test_an_interrupted_publish_leaves_the_previous_release(published, tmp_path):
    root = project(tmp_path, release=published[1].folder,
                   replace=(("content/vol-one/01-start/alpha.md", "Alpha is", "Alpha, revised, is"),))
    before = snapshot(root / "publish")
    process = subprocess.Popen([sys.executable, "-m", "sopress", "publish", "--root", str(root)],
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for line in process.stderr:
            if ": laying out " in line:
                os.killpg(process.pid, signal.SIGKILL)  # the publish and its layout workers, mid-way
                break
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(root / "publish") == before


@pytest.mark.slow
def test_ace_finds_no_violation_in_the_real_set(real_build):
    """The claim "EPUB Accessibility 1.1 - WCAG 2.1 Level AA" made by every edition, as Ace judges it.

    The four volumes hold every document of the set (the omnibus repeats them, and `sopress publish`
    checks it too): about 90 s on two cores, where adding the omnibus doubles it.
    """
    require_ace()
    build_dir, _ = real_build
    epubs = sorted((build_dir / "epub").glob("volume-*.epub"))
    assert len(epubs) == 4
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        findings = list(pool.map(lambda epub: run_ace(epub, REPO), epubs))
    problems = [d.format(build_dir) for f in findings for d in f.diagnostics]
    assert problems == []

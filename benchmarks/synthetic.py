"""A synthetic four-volume set of about 1,300 printed pages, for `make bench` (benchmarks/bench.py).

The real set's length is whatever its writers have written; this one is made to a size, so the
speed figures can be compared from one run to the next as the real set grows. Its chapters are
built like the real ones (a summary and index terms in the front matter, headed sections,
procedures, checklists, tables, callouts, references to chapters of the same and other volumes)
from sentences of the real set, shuffled by a seeded generator: the same set every time.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

VOLUMES, SECTIONS, CHAPTERS = 4, 3, 14  # chapters per section
CHARACTERS_PER_CHAPTER = 11_800  # the real set prints about 1,450 characters of source a page
TERMS = 300  # index terms, each given to several chapters, as in a real index
SEED = 1300

_SHORTCODE = re.compile(r"\{\{<[^>]*>\}\}")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def make_set(root: Path, seed: int = SEED) -> Path:
    """Write the synthetic project into `root` (content/ only) and return `root`."""
    random_ = random.Random(seed)
    sentences = _sentences(Path(__file__).resolve().parent.parent / "content")
    words = sorted({w for s in sentences for w in re.findall(r"\b[a-z]{4,}\b", s)})
    terms = sorted({_title(random_, words) for _ in range(TERMS)})
    ids = [[[f"synthetic-{v}-{s}-{c}" for c in range(1, CHAPTERS + 1)] for s in range(1, SECTIONS + 1)]
           for v in range(1, VOLUMES + 1)]
    content = root / "content"
    content.mkdir(parents=True)
    (content / "book.yaml").write_text(
        "id: synthetic-set\ntitle: A Synthetic Operations Manual\nauthor: sopress benchmarks\n"
        "publisher: Example Publishing\nlanguage: en\ndate: '2026-12-01'\ntrim:\n  width: 7in\n  height: 10in\n"
        "volumes:\n" + "".join(f"- volume-{v}\n" for v in range(1, VOLUMES + 1)), encoding="utf-8")
    every_id = [chapter for volume in ids for section in volume for chapter in section]
    for v, volume in enumerate(ids, 1):
        folder = content / f"volume-{v}"
        manifest = [f"number: {v}", f"title: {_title(random_, words)}", "sections:"]
        for s, section in enumerate(volume, 1):
            section_folder = folder / f"{s:02d}-part"
            section_folder.mkdir(parents=True)
            (section_folder / "intro.md").write_text(_paragraph(random_, sentences, 3) + "\n", encoding="utf-8")
            manifest += [f"- folder: {section_folder.name}", f"  title: {_title(random_, words)}",
                         "  intro: intro.md", "  chapters:"] + [f"  - {chapter}.md" for chapter in section]
            for chapter in section:
                cited = random_.sample([other for other in every_id if other != chapter], 4)
                text = _chapter(random_, sentences, words, chapter, cited, random_.sample(terms, 5))
                (section_folder / f"{chapter}.md").write_text(text, encoding="utf-8")
        (folder / "volume.yaml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return root


def _sentences(content: Path) -> list[str]:
    """Plain running-text sentences of the real set (no markup, no house values)."""
    found = []
    for path in sorted(content.glob("volume-*/*/*.md")):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        for block in body.split("\n\n"):
            if not block[:1].isalpha() or "|" in block or "`" in block or "\n-" in block:
                continue
            text = _LINK.sub(r"\1", _SHORTCODE.sub("the company", " ".join(block.split())))
            found += [s for s in _SENTENCE_END.split(text) if 40 <= len(s) <= 300 and not set(s) & set("*{[<_")]
    return found


def _title(random_: random.Random, words: list[str]) -> str:
    return " ".join(w.capitalize() for w in random_.sample(words, random_.randint(2, 5)))


def _paragraph(random_: random.Random, sentences: list[str], count: int) -> str:
    return " ".join(random_.choice(sentences) for _ in range(count))


def _chapter(random_: random.Random, sentences: list[str], words: list[str], chapter_id: str,
             cited: list[str], terms: list[str]) -> str:
    front = [f"---", f"id: {chapter_id}", f"title: {_title(random_, words)}",
             f"summary: {json.dumps(_paragraph(random_, sentences, 1))}", "revised: 2026-12-01", "status: final", "index:"]
    front += [f"  - {term}" for term in terms] + [f"  - {terms[0]}; {_title(random_, words)}", "---", "", ""]
    body = [_paragraph(random_, sentences, 5)]
    heading = 0
    while sum(map(len, body)) < CHARACTERS_PER_CHAPTER:
        heading += 1
        body.append(f"## {_title(random_, words)}")
        body.append(_paragraph(random_, sentences, random_.randint(3, 6)))
        if cited and heading % 2:
            body.append(f"{_paragraph(random_, sentences, 1)} See [](#{cited.pop()}).")
        kind = heading % 4
        if kind == 0:
            body.append("\n".join(f"{n}. {random_.choice(sentences)}" for n in range(1, random_.randint(4, 7))))
        elif kind == 1:
            body.append("\n".join(f"- [ ] {_title(random_, words)}: {random_.choice(sentences)}"
                                  for _ in range(random_.randint(3, 6))))
        elif kind == 2:
            rows = [f"| {_title(random_, words)} | {random_.choice(sentences)} | {random_.choice(words)} |"
                    for _ in range(random_.randint(3, 6))]
            body.append("\n".join(["| Item | What it means | Owner |", "| --- | --- | --- |", *rows]))
        else:
            body.append(f"::: note {_title(random_, words)}\n{_paragraph(random_, sentences, 2)}\n:::")
        body.append(_paragraph(random_, sentences, random_.randint(2, 5)))
    return "\n".join(front) + "\n\n".join(body) + "\n"

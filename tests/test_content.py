"""Editorial checks on the real content: every final chapter is a complete, original SOP."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from conftest import REPO
from sopress import api

# Numbers the house sheet holds; a chapter that types one will disagree with the sheet one day.
TYPED_HOUSE_NUMBERS = {
    "business hours": r"\b8(?::00)? ?a\.?m\.? ?(?:to|-|–) ?5(?::00)? ?p\.?m\.?",
    "time-entry cut-offs": r"\bFriday (?:at )?noon\b|\bFriday close of business\b|\bMonday at (?:10 a\.m\.|3 p\.m\.)",
    "collection days": r"\b(?:15|30|45|60|75) days (?:past due|overdue)\b|\bday (?:15|30|45|60|75) (?:past due|overdue)\b",
    "late fee": r"\b1\.5 ?(?:percent|%) (?:per|a) month\b",
    "payment terms": r"\bnet[- ]15\b",
    "response targets": r"\bP[1-4]\b[^.\n|]{0,40}\b(?:respon(?:se|d)|resol(?:ution|ved?))\b[^.\n|]{0,20}"
                        r"\bwithin (?:\d+|one|two|four|thirty) (?:minutes|hours?|business)",
}
PLACEHOLDERS = re.compile(r"\b(TODO|TBD|lorem ipsum|placeholder)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def resolved():
    return api.check(REPO)[0]


def prose_words(markdown: str) -> int:
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\]\([^)]*\)|\{[^}]*\}", "]", text)
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", text))


def sentences(markdown: str):
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\]\([^)]*\)|\{[^}]*\}", "]", text)
    text = re.sub(r"[*_`#>\[\]|]", " ", text)
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n\s*\n|\n\s*(?:[-*]|\d+[.)])\s", text):
        words = re.findall(r"[a-z0-9']+", sentence.lower())
        if len(words) >= 8:
            yield " ".join(words)


def final_chapters(resolved):
    return [(v, ch) for v, ch in resolved.book.chapters() if ch.is_final]


def test_final_chapters_are_complete_sops(resolved):
    problems = []
    for volume, chapter in final_chapters(resolved):
        words = prose_words(chapter.source)
        if not 450 <= words <= 5000:
            problems.append(f"{chapter.id}: {words} words")
        targets = [resolved.links[r] for r in chapter.doc.references if r in resolved.links]
        chapters = {t.chapter_id for t in targets} - {chapter.id}
        if len(chapters) < 2:
            problems.append(f"{chapter.id}: fewer than two cross-references to other chapters")
        if not any(t.volume != volume.number for t in targets):
            problems.append(f"{chapter.id}: no cross-reference to another volume")
        if len({(e.term, e.sub) for e in chapter.doc.index_entries}) < 3:
            problems.append(f"{chapter.id}: fewer than three index terms")
        if not chapter.front.summary or len(re.findall(r"[.!?](?:\s|$)", chapter.front.summary)) > 2:
            problems.append(f"{chapter.id}: summary must be one or two sentences")
        if not chapter.doc.checklists and "1. " not in chapter.source:
            problems.append(f"{chapter.id}: neither numbered steps nor a checklist")
        if PLACEHOLDERS.search(chapter.source):
            problems.append(f"{chapter.id}: placeholder text")
    assert problems == []


def test_no_chapter_types_a_number_the_house_sheet_holds(resolved):
    typed = []
    for _, chapter in resolved.book.chapters():
        prose = re.sub(r"```.*?```|`[^`]*`", " ", chapter.source, flags=re.S)
        for what, pattern in TYPED_HOUSE_NUMBERS.items():
            for match in re.finditer(pattern, prose, flags=re.I):
                typed.append(f"{chapter.path.relative_to(REPO)}: {what}: '{match.group(0)}'")
    assert typed == []


def test_sections_of_finished_volumes_have_full_intros(resolved):
    for volume in resolved.book.volumes:
        if not all(ch.is_final for ch in volume.chapters):
            continue
        for section in volume.sections:
            assert 150 <= prose_words(section.intro_source) <= 400, section.folder


def test_no_sentence_of_eight_words_or_more_appears_twice(resolved):
    seen = defaultdict(list)
    for path in sorted((REPO / "content").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        for sentence in sentences(body):
            seen[sentence].append(path.relative_to(REPO).as_posix())
    repeated = {s: paths for s, paths in seen.items() if len(paths) > 1}
    assert repeated == {}


def test_every_chapter_has_a_summary_paragraph(resolved):
    missing = [ch.id for _, ch in resolved.book.chapters() if prose_words(ch.source.split("\n\n")[0]) < 20]
    assert missing == []


def test_volume_one_is_written_in_full(resolved):
    volume = resolved.book.volumes[0]
    assert volume.title == "Front Office Mastery"
    assert [ch.id for ch in volume.chapters if not ch.is_final] == []


def test_link_texts_do_not_name_volumes_sopress_adds_them():
    typed = []
    for path in sorted((REPO / "content").rglob("*.md")):
        for match in re.finditer(r"\[([^\]]*\bVol(?:\.|ume)\s+[IVX\d]+[^\]]*)\]\(#", path.read_text(encoding="utf-8")):
            typed.append(f"{path.relative_to(REPO)}: [{match.group(1)}]")
    assert typed == []


def section_words(chapter, heading) -> int:
    """Prose words under a heading, up to the next heading of the same or a higher level."""
    lines = chapter.source.splitlines()
    start = heading.location.line - chapter.body_line
    end = next((i for i in range(start + 1, len(lines)) if re.match(rf"#{{1,{heading.level}}} ", lines[i])), len(lines))
    return len(re.findall(r"[A-Za-z]{2,}", "\n".join(lines[start + 1:end])))


def test_volume_one_prints_every_document_it_names(resolved):
    """The review found these named but not supplied: each is now printed in full, under its own heading."""
    chapters = {ch.id: ch for ch in resolved.book.volumes[0].chapters}
    headings = {h.id: (ch, h) for ch in chapters.values() for h in ch.doc.headings}
    documents = ["letter-past-due", "letter-credit-hold", "letter-final-notice", "letter-advance-billing",
                 "form-payment-enrolment", "exception-request-form"]
    short = {d: section_words(*headings[d]) for d in documents if d in headings and section_words(*headings[d]) < 80}
    assert [d for d in documents if d not in headings] == [] and short == {}
    agency = [(ch, h) for ch, h in headings.values() if h.text.startswith("Letter of agency")]
    assert agency and all(section_words(ch, h) >= 80 for ch, h in agency)
    scripts = [h for h in chapters["sales-scripts"].doc.headings if h.level == 2 and h.text.startswith("Script ")]
    assert len(scripts) == 6
    assert any("price increase" in h.text for h in scripts) and any("exit" in h.text for h in scripts)
    assert all(section_words(chapters["sales-scripts"], h) >= 200 for h in scripts)

"""Reading built PDFs back as a reader would: printed page numbers, running heads, TOC entries,
chapter openings.

Text is told apart by where it sits on the page: running heads, folios and page feet are printed in
the head and foot margins (the outer 7% of the trim height), everything else is the text block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfReader

TOC_LINE = re.compile(r"^(?:(\d+)\s+)?(.+?)[\s.]*\s(\d+|[ivxlc]+)$")
FOLIO = re.compile(r"^(\d+|[ivxlc]+)$")
MARGIN_ZONE = 0.07  # of the trim height, at the head and at the foot of the page


@dataclass(frozen=True)
class Run:
    """A piece of text as drawn, with its baseline position relative to the trim box (points)."""

    text: str
    x: float
    y: float


_extracted: dict[tuple[int, str], tuple[object, object]] = {}  # (id of the object, what) -> (object, result)


def _once(obj: object, what: str, extract):
    """Text is extracted once per page (and per reader), however many checks read it."""
    key = (id(obj), what)
    if key not in _extracted:
        _extracted[key] = (obj, extract())  # the object is kept so that its id is not reused
    return _extracted[key][1]


def text_runs(page: PageObject) -> list[Run]:
    return _once(page, "runs", lambda: _text_runs(page))


def _text_runs(page: PageObject) -> list[Run]:
    trim = page.trimbox
    runs: list[Run] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4] - float(trim.left)
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5] - float(trim.bottom)
            runs.append(Run(text.strip(), x, y))

    page.extract_text(visitor_text=visit)
    return runs


def _zone(page: PageObject, run: Run) -> str:
    height = float(page.trimbox.height)
    if run.y > height * (1 - MARGIN_ZONE):
        return "head"
    if run.y < height * MARGIN_ZONE:
        return "foot"
    return "body"


def margin_runs(page: PageObject, zone: str) -> list[Run]:
    """Runs in the head ('head') or foot ('foot') margin: running heads, folios, page feet."""
    return [run for run in text_runs(page) if _zone(page, run) == zone]


def body_runs(page: PageObject) -> list[Run]:
    """Runs in the text block: everything but running heads, folios and page feet."""
    return [run for run in text_runs(page) if _zone(page, run) == "body"]


def body_text(page: PageObject) -> str:
    """The page's text without its running head, folio or page foot."""
    return _once(page, "body", lambda: _body_text(page))


def _body_text(page: PageObject) -> str:
    height = float(page.trimbox.height)
    low, high = height * MARGIN_ZONE, height * (1 - MARGIN_ZONE)
    parts: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5] - float(page.trimbox.bottom)
        if low <= y <= high or not text.strip():
            parts.append(text)

    page.extract_text(visitor_text=visit)
    return "".join(parts).strip()


def page_texts(reader: PdfReader) -> list[str]:
    """Every page's text block (no running heads or folios), as a reader would read the page."""
    return _once(reader, "pages", lambda: [body_text(page) for page in reader.pages])


def toc_entries(reader: PdfReader) -> dict[str, str]:
    """{title: printed page number} from the Contents pages (lines ending in a leader and a number).

    A title's own final period merges into the dot leader, so titles are keyed without it.
    """
    texts = page_texts(reader)
    start = next(i for i, text in enumerate(texts) if text.startswith("Contents"))
    entries: dict[str, str] = {}
    pending = ""
    for text in texts[start:]:
        if not text or text.startswith(("SECTION", "CHAPTER")):
            break
        for line in text.splitlines()[1:] if text.startswith("Contents") else text.splitlines():
            line = (pending + " " + line).strip() if pending else line.strip()
            # A dot leader before the number (a long title leaves room for one dot only).
            match = TOC_LINE.match(line) if re.search(r"\.\s+(?:\d+|[ivxlc]+)$", line) else None
            if match:
                entries[match.group(2).strip().rstrip('.')] = match.group(3)
                pending = ""
            elif line:
                pending = line
    return entries


def chapter_openings(reader: PdfReader) -> dict[str, int]:
    """{chapter title: 0-based page index} for every page that opens with 'CHAPTER n' (keyed as in toc_entries)."""
    openings = {}
    for index, text in enumerate(page_texts(reader)):
        lines = text.splitlines()
        if lines and re.fullmatch(r"CHAPTER \d+", lines[0].strip()):
            title_lines = []
            for line in lines[1:]:
                if line.startswith("Revised"):
                    break
                title_lines.append(line.strip())
            openings[" ".join(title_lines).rstrip(".")] = index
    return openings


def printed_folio(reader: PdfReader, index: int) -> str:
    """The page number printed in the head or foot margin of a page ('' when none is printed).

    A folio shares its line with the running head when it is printed at the head of the page, so
    the number is looked for at either end of each margin run.
    """
    page = reader.pages[index]
    for run in margin_runs(page, "foot") + margin_runs(page, "head"):
        words = run.text.split()
        for word in (words[0], words[-1]):
            if FOLIO.match(word):
                return word
    return ""


def running_head(reader: PdfReader, index: int) -> str:
    """The running head printed at the top of a page, without its folio or draft mark ('' when none)."""
    runs = [run for run in margin_runs(reader.pages[index], "head") if not run.text.startswith("DRAFT")]
    words = " ".join(run.text for run in runs).split()
    if words and FOLIO.match(words[0]):
        words = words[1:]
    if words and FOLIO.match(words[-1]):
        words = words[:-1]
    return " ".join(words)


def open_pdf(path: Path) -> PdfReader:
    return PdfReader(str(path))


def flat(text: str) -> str:
    """Text as one line: hyphenation at line ends undone, line breaks as spaces."""
    return re.sub(r"\s+", " ", text.replace("-\n", ""))


def squash(text: str) -> str:
    """Text with all white space and hyphens removed: for finding a phrase whatever the line breaks."""
    return re.sub(r"[\s\u00ad-]+", "", text)

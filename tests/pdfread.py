"""Reading built PDFs back as a reader would: printed page numbers, TOC entries, chapter openings."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

TOC_LINE = re.compile(r"^(?:(\d+)\s+)?(.+?)[\s.]*\s(\d+|[ivxlc]+)$")


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def toc_entries(reader: PdfReader) -> dict[str, str]:
    """{title: printed page number} from the Contents pages (lines ending in a leader and a number).

    A title's own final period merges into the dot leader, so titles are keyed without it.
    """
    texts = page_texts(reader)
    start = next(i for i, text in enumerate(texts) if text.startswith("Contents"))
    entries: dict[str, str] = {}
    pending = ""
    for text in texts[start:]:
        if text.startswith(("SECTION", "CHAPTER")):
            break
        for line in text.splitlines()[1:] if text.startswith("Contents") else text.splitlines():
            line = (pending + " " + line).strip() if pending else line.strip()
            match = TOC_LINE.match(line) if ". ." in line or line.endswith(tuple("0123456789")) else None
            if match and ". ." in line:
                entries[match.group(2).strip().rstrip('.')] = match.group(3)
                pending = ""
            elif line and not line.isdigit() and not re.fullmatch(r"[ivxlc]+", line):
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
    """The page number printed at the foot of a page: the last line of its text."""
    lines = [line.strip() for line in (reader.pages[index].extract_text() or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def open_pdf(path: Path) -> PdfReader:
    return PdfReader(str(path))

"""Reading a volume PDF back as a printer and a reader would, before it is released.

What is checked, each against the PDF file itself (pypdf), not against what the build meant to write:
- its page count is the layout's;
- every font is embedded and is one of the theme's faces (a CSS font-family the theme does not
  ship, or a character its fonts lack, makes WeasyPrint take a font of the machine instead);
- the outline (bookmarks) has every chapter, pointing at the page where it opens;
- the page labels are roman in the front matter and start again at 1 where the body starts;
- every page number the volume prints, in the contents, references and the index, is the page
  label of the page where its target landed (in this PDF, or in the other volume's PDF).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from pypdf import PdfReader
from pypdf.generic import Destination

from sopress.diagnostics import Diagnostic, Diagnostics, Location
from sopress.numerals import roman

FOLIO = re.compile(r"^(\d+|[ivxlc]+)$")
Printed = dict[tuple[int, str], "str | None"]  # (volume, anchor) -> the folio the volume printed for it


@dataclass(frozen=True)
class PdfFacts:
    """What is read from one PDF file, once."""

    path: Path
    pages: int
    labels: tuple[str, ...]
    destinations: dict[str, int]  # anchor -> 0-based page index
    outline: tuple[tuple[str, int], ...]  # (title, 0-based page index), every level
    fonts: dict[str, bool]  # base font name (subset tag removed) -> embedded

    def label_of(self, anchor: str) -> str | None:
        page = self.destinations.get(anchor)
        return None if page is None else self.labels[page]


@functools.lru_cache(maxsize=16)
def read_facts(path: Path, size: int, mtime: float) -> PdfFacts:
    """Read once per file version (size and mtime are part of the key, so a rewritten file is read again)."""
    reader = PdfReader(str(path))
    destinations = {}
    for name, destination in reader.named_destinations.items():
        try:
            destinations[str(name)] = reader.get_destination_page_number(destination)
        except (KeyError, ValueError, AttributeError):
            continue
    return PdfFacts(path, len(reader.pages), tuple(reader.page_labels), destinations,
                    tuple(_outline(reader, reader.outline)), _fonts(reader))


def facts(path: Path) -> PdfFacts:
    stat = path.stat()
    return read_facts(path, stat.st_size, stat.st_mtime)


def _outline(reader: PdfReader, entries: Iterable) -> Iterable[tuple[str, int]]:
    for entry in entries:
        if isinstance(entry, list):
            yield from _outline(reader, entry)
        elif isinstance(entry, Destination):
            yield str(entry.title), reader.get_destination_page_number(entry)


def _base_name(font) -> str:
    return re.sub(r"^[A-Z]{6}\+", "", str(font.get("/BaseFont", "")).lstrip("/"))


def _fonts(reader: PdfReader) -> dict[str, bool]:
    found: dict[str, bool] = {}

    def visit(resources, depth: int = 0) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            found.setdefault(_base_name(font), _embedded(font))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if depth < 4 and xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                visit(xobject["/Resources"], depth + 1)

    for page in reader.pages:
        visit(page.get("/Resources"))
    return found


def _first_text_in(path: Path, fonts: set[str]) -> dict[str, tuple[str, str]]:
    """Where each of `fonts` first sets text: {font: (page label, the text)}. Read only when a font is
    wrong, to say which character it drew and where (pages share their font resources)."""
    reader, found = PdfReader(str(path)), {}
    for index, page in enumerate(reader.pages):

        def visit(text, _cm, _tm, font, _size) -> None:
            name = _base_name(font) if font is not None else ""
            if name in fonts and name not in found and text.strip():
                found[name] = (reader.page_labels[index], text.strip()[:12])

        page.extract_text(visitor_text=visit)
        if found.keys() == fonts:
            break
    return found


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # its glyphs are drawn by the PDF itself
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class VolumeLayout:
    """What the build says about one volume's PDF: its layout and what it printed."""

    path: Path
    volume: int
    pages: int
    front_pages: int
    chapters: tuple[tuple[str, str], ...]  # (id, title) in order
    printed: Printed
    volume_pdfs: Mapping[int, Path]  # every volume's PDF in the same profile, for references between volumes

    def landed(self, volume: int, anchor: str) -> str | None:
        """The label of the page where `anchor` of `volume` landed, read from that volume's PDF."""
        pdf = self.volume_pdfs.get(volume)
        return facts(pdf).label_of(anchor) if pdf is not None and pdf.is_file() else None


def check_pdf(layout: VolumeLayout, families: Iterable[str]) -> list[Diagnostic]:
    """Every problem of one volume PDF, at the PDF."""
    read = facts(layout.path)
    diags = Diagnostics()
    here = Location(layout.path)

    def problem(code: str, message: str) -> None:
        diags.error(code, message, here)

    if read.pages != layout.pages:
        problem("pdf-pages", f"the PDF has {read.pages} pages; its layout made {layout.pages}")
    allowed = {_squash(family) for family in families}
    foreign = {name for name in read.fonts if not any(_squash(name).startswith(family) for family in allowed)}
    missing = {name for name, embedded in read.fonts.items() if not embedded}
    uses = _first_text_in(layout.path, foreign | missing) if foreign | missing else {}
    for name in sorted(foreign | missing):
        label, text = uses.get(name, ("?", ""))
        where = f"; it first sets '{text}' ({', '.join(f'U+{ord(c):04X}' for c in text[:3])}) on page {label}" \
            if text else ""
        if name in missing:
            problem("pdf-fonts", f"font {name} is not embedded{where}")
        if name in foreign:
            problem("pdf-fonts", f"font {name} is not one of the theme's fonts: it came from this machine (a "
                                 f"character the theme's fonts lack, or a CSS font-family it does not ship){where}")
    outline = set(read.outline)
    for chapter_id, title in layout.chapters:
        page = read.destinations.get(chapter_id)
        if page is None or (title, page) not in outline:
            problem("pdf-outline", f"chapter '{title}' has no bookmark in the PDF outline pointing at its page")
    expected = tuple(roman(i).lower() for i in range(1, layout.front_pages + 1))
    body = read.labels[layout.front_pages:layout.front_pages + 1]
    if read.labels[:layout.front_pages] != expected or body not in ((), ("1",)):
        problem("pdf-page-labels", f"page labels do not run i-{roman(layout.front_pages).lower()} then 1, 2, ... "
                                   f"from the first page of the body (they begin {', '.join(read.labels[:8])})")
    for (volume, anchor), folio in sorted(layout.printed.items()):
        actual = layout.landed(volume, anchor)
        if folio != actual:
            problem("pdf-page-numbers", f"the page number printed for '{anchor}' (Vol. {roman(volume)}) is "
                                        f"{folio or '?'}, but it landed on page {actual or '(not in the PDF)'}")
    entries = _contents_entries(read, layout)
    if entries is None:
        problem("pdf-toc", "the PDF has no contents: no destination 'contents' before 'body-start'")
    for anchor, printed_label, actual in entries or ():
        if printed_label != actual:
            problem("pdf-toc", f"the contents give page {printed_label or '(none)'} for '{anchor}', which "
                               f"landed on page {actual}")
    return diags.sorted()


def _contents_entries(read: PdfFacts, layout: VolumeLayout) -> list[tuple[str, str, str]] | None:
    """(target, page number printed at the end of its contents line, label of the target's page) for
    every link on the contents pages; None when the PDF has no contents."""
    start, end = read.destinations.get("contents"), read.destinations.get("body-start")
    if start is None or end is None or start >= end:
        return None
    reader = PdfReader(str(layout.path))
    entries = []
    for index in range(start, end):
        page = reader.pages[index]
        runs: list[tuple[float, float, str]] = []

        def visit(text, cm, tm, _font, _size) -> None:
            if text.strip():
                runs.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text))

        page.extract_text(visitor_text=visit)
        lowest: dict[str, list[float]] = {}
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            dest = annotation.get("/Dest")
            if annotation.get("/Subtype") != "/Link" or dest is None:
                continue
            rect = [float(v) for v in annotation["/Rect"]]
            bottom, top = min(rect[1], rect[3]), max(rect[1], rect[3])
            if str(dest) not in lowest or bottom < lowest[str(dest)][1]:
                lowest[str(dest)] = [min(rect[0], rect[2]), bottom, max(rect[0], rect[2]), top]
        for anchor, (_left, bottom, right, top) in lowest.items():
            line = sorted((x, text) for x, y, text in runs if bottom - 1 <= y <= top + 1 and x <= right + 1)
            words = " ".join(text for _, text in line).split()
            printed = words[-1] if words and FOLIO.match(words[-1]) else ""
            entries.append((anchor, printed, read.label_of(anchor) or "?"))
    return entries

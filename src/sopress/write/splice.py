"""Splice the parts of a volume, each laid out on its own, into the volume's PDF.

WeasyPrint writes each part with its own fonts, links, destinations and bookmarks. Here the pages
are copied in order, without the page each part ends on (print/part.html); the named destinations
of all parts are gathered into one tree, so that a link from one part to another resolves; the
outline is rebuilt from the parts' bookmarks; page labels, metadata and the document title are set
once. Each part embeds its own subset of every font, under the one name WeasyPrint gives it: the
subsets are renamed after their content, since two different subsets under one name make some
viewers and RIPs draw the wrong glyphs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject, ByteStringObject, DictionaryObject, Fit, FloatObject, NameObject, NumberObject, TextStringObject,
)

from sopress.write.atomic import staging_path
from sopress.write.jobs import PartResult

# What is copied from the first part's catalog: the rest is made here, or belongs to one part.
CATALOG_KEYS = ("/Lang", "/MarkInfo")


def splice(parts: list[PartResult], front_pages: int, output: Path) -> Path:
    """Write the volume made of `parts` to a staged file beside `output`; the build commits it."""
    writer = PdfWriter()
    destinations: dict[str, ArrayObject] = {}
    outline: list[tuple[int, object]] = []  # (bookmark level, outline item): the open branch
    fingerprint = hashlib.md5(usedforsecurity=False)
    for number, part in enumerate(parts):
        data = Path(part.output).read_bytes()
        fingerprint.update(data)
        reader = PdfReader(part.output)
        if number == 0:
            writer.add_metadata(dict(reader.metadata or {}))
            for key in CATALOG_KEYS:
                if key in reader.trailer["/Root"]:
                    writer.root_object[NameObject(key)] = reader.trailer["/Root"][key].clone(writer)
        offset = len(writer.pages)
        added = [writer.add_page(page) for page in reader.pages[:part.pages]]
        _rename_font_subsets(added)
        index = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
        for name, place in _destinations(reader):
            page = index.get(place[0].idnum)
            if page is not None and page < part.pages:  # not a stand-in on the dropped page
                destinations.setdefault(name, ArrayObject([added[page].indirect_reference, *place[1:]]))
        for mark in part.bookmarks:
            while outline and outline[-1][0] >= mark.level:
                outline.pop()
            item = writer.add_outline_item(title=mark.label, page_number=offset + mark.page - 1,
                                           parent=outline[-1][1] if outline else None, is_open=mark.open,
                                           fit=Fit.xyz(FloatObject(mark.left), FloatObject(mark.top), NumberObject(0)))
            outline.append((mark.level, item))
    names = ArrayObject()
    for name in sorted(destinations):
        names += [TextStringObject(name), destinations[name]]
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/Dests"): writer._add_object(DictionaryObject({NameObject("/Names"): names}))})
    if front_pages:
        writer.set_page_label(0, front_pages - 1, "/r", start=1)
    writer.set_page_label(front_pages, len(writer.pages) - 1, "/D", start=1)
    writer.create_viewer_preferences().display_doctitle = True
    # pypdf would write no file identifier; this one depends only on the parts, like WeasyPrint's.
    identifier = ByteStringObject(fingerprint.digest())
    writer._ID = ArrayObject([identifier, identifier])
    staged = staging_path(output)
    try:
        writer.write(staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def _destinations(reader: PdfReader) -> list[tuple[str, ArrayObject]]:
    """The named destinations WeasyPrint wrote: one flat /Names array of name, [page /XYZ x y 0]."""
    try:
        flat = reader.trailer["/Root"]["/Names"]["/Dests"]["/Names"]
    except KeyError:
        return []
    return [(str(flat[i]), flat[i + 1].get_object()) for i in range(0, len(flat), 2)]


def _rename_font_subsets(pages) -> None:
    """Name each embedded subset after its content (its tag is otherwise the same in every part)."""
    seen: set[int] = set()
    for page in pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for reference in fonts.values():
            font = reference.get_object()
            if id(font) in seen or "/DescendantFonts" not in font:
                continue
            seen.add(id(font))
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            stream = next((descriptor[k].get_object() for k in ("/FontFile2", "/FontFile3", "/FontFile")
                           if k in descriptor), None)
            if stream is None:
                continue
            digest = hashlib.sha256(stream.get_data()).digest()
            tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
            base = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            name = NameObject(f"/{tag}+{base}")
            font[NameObject("/BaseFont")] = name
            descendant[NameObject("/BaseFont")] = name
            descriptor[NameObject("/FontName")] = name

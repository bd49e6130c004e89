"""Splice the parts of a volume, each laid out on its own, into the volume's PDF (with qpdf, by pikepdf).

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
import warnings
from contextlib import ExitStack
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, PageLocation, String

from sopress.write.atomic import staging_path
from sopress.write.jobs import PartResult, page_labels

# What is copied from the first part's catalog: the rest is made here, or belongs to one part.
CATALOG_KEYS = ("/Lang", "/MarkInfo")


def splice(parts: list[PartResult], front_pages: int, output: Path) -> Path:
    """Write the volume made of `parts` to a staged file beside `output`; the build commits it."""
    with ExitStack() as sources, pikepdf.new() as volume:
        destinations: dict[str, Array] = {}
        items: list[tuple[int, OutlineItem]] = []
        for number, part in enumerate(parts):
            source = sources.enter_context(pikepdf.open(part.output))
            if number == 0:
                for key, value in source.docinfo.items():
                    volume.docinfo[key] = value
                for key in CATALOG_KEYS:
                    if key in source.Root:
                        volume.Root[key] = source.Root[key]  # direct objects: copied
            offset = len(volume.pages)
            with warnings.catch_warnings():
                # pikepdf warns that extend() leaves named destinations behind: they are gathered
                # below (its add_pages_from would rename the stand-ins rather than drop them).
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                volume.pages.extend(source.pages[:part.pages])
            added = [volume.pages[offset + i].obj for i in range(part.pages)]
            index = {page.obj.objgen: i for i, page in enumerate(source.pages)}
            for name, place in _destinations(source):
                page = index.get(place[0].objgen)
                if page is not None and page < part.pages:  # not a stand-in on the dropped page
                    destinations.setdefault(name, Array([added[page], *place[1:]]))
            for mark in part.bookmarks:
                item = OutlineItem(mark.label, offset + mark.page - 1, PageLocation.XYZ, left=mark.left,
                                   top=mark.top, zoom=0)
                item.is_closed = not mark.open
                items.append((mark.level, item))
        _rename_font_subsets(volume)
        names = [item for name in sorted(destinations) for item in (String(name), destinations[name])]
        volume.Root.Names = Dictionary(Dests=volume.make_indirect(Dictionary(Names=Array(names))))
        with volume.open_outline() as outline:
            outline.root.extend(_nest(items))
        labels = [item for first, style in page_labels(front_pages)
                  for item in (first, Dictionary(S=Name(style), **({"St": 1} if style == "/D" else {})))]
        volume.Root.PageLabels = Dictionary(Nums=Array(labels))
        volume.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        staged = staging_path(output)
        try:
            # The file identifier is a hash of the content, as WeasyPrint's is: same parts, same bytes.
            volume.save(staged, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
    return staged


def _nest(items: list[tuple[int, OutlineItem]]) -> list[OutlineItem]:
    """Bookmarks in reading order with their levels, as a tree: each under the last one of a lower level."""
    roots: list[OutlineItem] = []
    branch: list[tuple[int, OutlineItem]] = []
    for level, item in items:
        while branch and branch[-1][0] >= level:
            branch.pop()
        (branch[-1][1].children if branch else roots).append(item)
        branch.append((level, item))
    return roots


def _destinations(source: pikepdf.Pdf) -> list[tuple[str, pikepdf.Array]]:
    """The named destinations WeasyPrint wrote: one flat /Names array of name, [page /XYZ x y 0]."""
    try:
        flat = source.Root.Names.Dests.Names
    except AttributeError:
        return []
    return [(str(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]


def _rename_font_subsets(volume: pikepdf.Pdf) -> None:
    """Name each embedded subset after its content (its tag is otherwise the same in every part)."""
    seen: set[tuple[int, int]] = set()
    for page in volume.pages:
        fonts = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
        for _, font in fonts.items():
            if font.objgen in seen or "/DescendantFonts" not in font:
                continue
            seen.add(font.objgen)
            descendant = font.DescendantFonts[0]
            descriptor = descendant.FontDescriptor
            stream = next((descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor), None)
            if stream is None:
                continue
            digest = hashlib.sha256(stream.read_raw_bytes()).digest()
            tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
            name = Name(f"/{tag}+{str(font.BaseFont).lstrip('/').split('+', 1)[-1]}")
            font.BaseFont = descendant.BaseFont = descriptor.FontName = name

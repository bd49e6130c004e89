"""EPUB writer: EbookLib assembles the container around XHTML that sopress rendered itself.

Overrides of EbookLib's defaults, each for a reason found with EPUBCheck (../shared/notes/epub.md):
- documents go in as raw `EpubItem`s, because `EpubHtml` discards our <head> and re-parses the body;
- `epub3_pages` is off, because its automatic page-list lists every element with an id;
- the zip is rewritten with fixed entry times and order, because EbookLib stamps the current time.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import uuid
import zipfile
from pathlib import Path

from ebooklib import epub

from sopress.config import BookConfig
from sopress.render import EpubEdition, NavEntry, roman
from sopress.write.atomic import atomic_path


def edition_identifier(config: BookConfig, edition: EpubEdition) -> str:
    """The ebook ISBN when there is one, else a UUID that stays the same from build to build."""
    isbn = edition.volume.isbn.ebook
    if isbn:
        return f"urn:isbn:{isbn.replace('-', '')}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'sopress:{config.id}:volume-{edition.volume.number}')}"


def write_epub(config: BookConfig, edition: EpubEdition, timestamp: dt.datetime, output: Path) -> None:
    volume = edition.volume
    book = epub.EpubBook()
    book.set_identifier(edition_identifier(config, edition))
    book.set_title(f"{config.title}, Volume {roman(volume.number)}: {volume.title}")
    book.set_language(config.language)
    book.add_author(config.author, uid="creator")
    if config.publisher:
        book.add_metadata("DC", "publisher", config.publisher)
    if config.copyright:
        book.add_metadata("DC", "rights", config.copyright)
    book.add_metadata("DC", "date", config.date.isoformat())
    book.add_metadata("DC", "description", volume.subtitle or config.subtitle or volume.title)

    book.add_item(epub.EpubItem(uid="style", file_name="style/epub.css", media_type="text/css",
                                content=edition.stylesheet.encode("utf-8")))
    for source, name in edition.images.items():
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        book.add_item(epub.EpubItem(uid=f"img-{Path(name).stem}", file_name=name, media_type=media_type,
                                    content=source.read_bytes()))
    book.set_cover("images/cover.svg", edition.cover_svg.encode("utf-8"), create_page=False)
    book.get_item_with_id("cover-img").media_type = "image/svg+xml"
    items = []
    for document in edition.documents:
        item = epub.EpubItem(uid=f"doc-{Path(document.file_name).stem}", file_name=document.file_name,
                             media_type="application/xhtml+xml", content=document.content.encode("utf-8"))
        book.add_item(item)
        items.append(item)
    book.toc = [_toc_entry(entry) for entry in edition.nav]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    cover_page, title_page, *body = items
    book.spine = [cover_page, title_page, "nav", *body]

    buffer = io.BytesIO()
    epub.write_epub(buffer, book, {"epub3_pages": False, "mtime": timestamp})
    with atomic_path(output) as temp:
        temp.write_bytes(_reproducible_zip(buffer.getvalue(), timestamp))


def _toc_entry(entry: NavEntry) -> object:
    uid = "nav-" + entry.href.replace(".xhtml", "").replace("#", "-")
    if not entry.children:
        return epub.Link(entry.href, entry.title, uid)
    return (epub.Section(entry.title, entry.href), [_toc_entry(child) for child in entry.children])


def _reproducible_zip(data: bytes, timestamp: dt.datetime) -> bytes:
    """Same input, same bytes: fixed entry dates and order, `mimetype` first and stored."""
    date_time = max(timestamp, dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        ordered = ["mimetype"] + sorted(n for n in names if n != "mimetype")
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, source.read(name))
    return out.getvalue()

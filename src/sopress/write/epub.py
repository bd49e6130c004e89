"""EPUB writer: EbookLib assembles the container around XHTML that sopress rendered itself.

Overrides of EbookLib's defaults, each for a reason found with EPUBCheck (../shared/notes/epub.md):
- every document, the navigation document included, goes in as a raw `EpubItem`, because
  `EpubHtml` discards our <head> and EbookLib's own nav has no page-list; EbookLib still writes
  the EPUB 2 NCX from `book.toc`;
- `epub3_pages` is off, because its automatic page-list lists every element with an id;
- item ids are prefixed (`doc-`, `img-`), because file names may start with a digit;
- the zip is rewritten with fixed entry times and order, because EbookLib stamps the current time;
- in that rewrite the OPF's <package> gets `xml:lang`, which EbookLib 0.20 does not write and DAISY
  Ace requires (rule `epub-lang`: <dc:language> alone does not satisfy it).
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub
from lxml import etree

from sopress.config import BookConfig
from sopress.model import Volume
from sopress.numerals import roman
from sopress.write.atomic import atomic_path

# What the EPUB builder hands the writer: documents already rendered, and the parts around them.
@dataclass(frozen=True)
class NavEntry:
    title: str
    href: str
    children: tuple[NavEntry, ...] = ()


@dataclass(frozen=True)
class Landmark:
    kind: str  # epub:type: cover, titlepage, toc, bodymatter, index
    title: str
    href: str


@dataclass(frozen=True)
class PageTarget:
    label: str
    href: str


@dataclass(frozen=True)
class EpubDocument:
    file_name: str
    title: str
    content: str


@dataclass(frozen=True)
class EpubEdition:
    """One EPUB's documents in reading order (cover, title pages, nav, body, index) and its parts."""

    volumes: tuple[Volume, ...]  # one volume, or all of them for the omnibus
    documents: tuple[EpubDocument, ...]
    nav_file: str
    toc: tuple[NavEntry, ...]
    page_list: tuple[PageTarget, ...]
    cover_svg: str
    images: dict[Path, str]  # source file -> name inside the EPUB
    stylesheet: str

    @property
    def omnibus(self) -> bool:
        return len(self.volumes) > 1


CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def edition_identifier(config: BookConfig, edition: EpubEdition) -> str:
    """The ebook ISBN when there is one, else a UUID that stays the same from build to build."""
    isbn = None if edition.omnibus else edition.volumes[0].isbn.ebook
    if isbn:
        return f"urn:isbn:{isbn.replace('-', '')}"
    part = "omnibus" if edition.omnibus else f"volume-{edition.volumes[0].number}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'sopress:{config.id}:{part}')}"


def write_epub(config: BookConfig, edition: EpubEdition, timestamp: dt.datetime, output: Path) -> None:
    book = epub.EpubBook()
    book.set_identifier(edition_identifier(config, edition))
    _metadata(book, config, edition)
    book.add_item(epub.EpubItem(uid="style", file_name="style/epub.css", media_type="text/css",
                                content=edition.stylesheet.encode("utf-8")))
    book.set_cover("images/cover.svg", edition.cover_svg.encode("utf-8"), create_page=False)
    book.get_item_with_id("cover-img").media_type = "image/svg+xml"
    for source, name in edition.images.items():
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        book.add_item(epub.EpubItem(uid=f"img-{Path(name).stem}", file_name=name, media_type=media_type,
                                    content=source.read_bytes()))
    spine = []
    for document in edition.documents:
        item = epub.EpubItem(uid=f"doc-{Path(document.file_name).stem}", file_name=document.file_name,
                             media_type="application/xhtml+xml", content=document.content.encode("utf-8"))
        if document.file_name == edition.nav_file:
            item.properties = ["nav"]
        book.add_item(item)
        spine.append(item)
    book.toc = [_toc_entry(entry) for entry in edition.toc]
    book.add_item(epub.EpubNcx())
    book.spine = spine

    buffer = io.BytesIO()
    epub.write_epub(buffer, book, {"epub3_pages": False, "mtime": timestamp})
    with atomic_path(output) as temp:
        temp.write_bytes(_reproducible_zip(buffer.getvalue(), timestamp, config.language))


def _metadata(book: epub.EpubBook, config: BookConfig, edition: EpubEdition) -> None:
    volume = edition.volumes[0]
    if edition.omnibus:
        title, subtitle = config.title, f"The complete set, Volumes I\u2013{roman(len(edition.volumes))}"
    else:
        title, subtitle = f"{config.title}, Volume {roman(volume.number)}: {volume.title}", volume.subtitle
    book.set_title(title)
    if subtitle:
        book.add_metadata("DC", "title", subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.set_language(config.language)
    book.add_author(config.author, uid="creator")
    if config.publisher:
        book.add_metadata("DC", "publisher", config.publisher)
    if config.copyright:
        book.add_metadata("DC", "rights", config.copyright)
    book.add_metadata("DC", "date", config.date.isoformat())
    book.add_metadata("DC", "description", (config.subtitle if edition.omnibus else volume.subtitle)
                      or config.subtitle or title)
    book.add_metadata(None, "meta", config.title, {"property": "belongs-to-collection", "id": "series"})
    book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
    if not edition.omnibus:
        book.add_metadata(None, "meta", str(volume.number), {"refines": "#series", "property": "group-position"})
        book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": config.title})
        book.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": str(volume.number)})
    _accessibility(book, edition)


def _accessibility(book: epub.EpubBook, edition: EpubEdition) -> None:
    """schema.org accessibility metadata, claiming only what the edition has."""
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if edition.images:
        features.append("alternativeText")  # `check` refuses images without alt text
    if any(d.file_name == "index.xhtml" for d in edition.documents):
        features.append("index")
    if edition.page_list:
        features += ["printPageNumbers", "pageBreakMarkers", "pageNavigation"]
    modes = ["textual"] + (["visual"] if edition.images else [])
    for mode in modes:
        book.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
    book.add_metadata(None, "meta", "textual", {"property": "schema:accessModeSufficient"})
    for feature in features:
        book.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    book.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
    summary = ("Reflowable text with headings, a navigable table of contents and an index; every image "
               "has a text alternative; footnotes are linked both ways.")
    if edition.page_list:
        summary += " Page markers give the page numbers of the print edition."
        isbn = edition.volumes[0].isbn.print if not edition.omnibus else None
        book.add_metadata(None, "meta", f"urn:isbn:{isbn.replace('-', '')}" if isbn else "the print edition",
                          {"property": "pageBreakSource"})
    book.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
    book.add_metadata(None, "meta", CONFORMANCE, {"property": "dcterms:conformsTo"})


def _toc_entry(entry: NavEntry) -> object:
    uid = "nav-" + entry.href.replace(".xhtml", "").replace("#", "-")
    if not entry.children:
        return epub.Link(entry.href, entry.title, uid)
    return (epub.Section(entry.title, entry.href), [_toc_entry(child) for child in entry.children])


def _reproducible_zip(data: bytes, timestamp: dt.datetime, language: str) -> bytes:
    """Same input, same bytes: fixed entry dates and order, `mimetype` first and stored."""
    date_time = max(timestamp, dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        ordered = ["mimetype"] + sorted(n for n in names if n != "mimetype")
        package = _package_path(source.read("META-INF/container.xml"))
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            content = source.read(name)
            target.writestr(info, _package_language(content, language) if name == package else content)
    return out.getvalue()


def _package_path(container: bytes) -> str:
    """The package document's path inside the zip, as META-INF/container.xml names it."""
    rootfile = etree.fromstring(container).find(f"{{{CONTAINER_NS}}}rootfiles/{{{CONTAINER_NS}}}rootfile")
    return rootfile.get("full-path")


def _package_language(opf: bytes, language: str) -> bytes:
    root = etree.fromstring(opf)
    root.set(XML_LANG, language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")

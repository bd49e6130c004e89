"""Typed configuration: book.yaml, volume.yaml, chapter front matter and a theme's theme.yaml.

Each key is declared once, as a dataclass field made by `key()`: its kind, its default and what it
means. One generic reader (`read`) turns a located YAML mapping into the dataclass, reporting
unknown keys, missing keys and wrong values with their places; the YAML itself is read by
sopress.yamlread. A new key is one field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from sopress.diagnostics import Diagnostics, Location
from sopress.sources import read_source
from sopress.yamlread import Located, compose_mapping

STATUSES = ("outline", "draft", "review", "final")


@dataclass(frozen=True)
class Key:
    """What a configuration key is: how to read it, its default, and what it means (for docs)."""

    kind: str
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    schema: type | None = None  # the dataclass of a nested mapping or of each entry of a list
    minimum: int | None = None


def key(kind: str, default: Any = None, doc: str = "", **options: Any) -> Any:
    spec = Key(kind, doc, **options)
    if kind == "section":
        return field(default_factory=spec.schema, metadata={"key": spec})  # type: ignore[arg-type]
    if isinstance(default, dict):
        return field(default_factory=dict, metadata={"key": spec})
    return field(default=default, metadata={"key": spec})


def places() -> Any:
    """Where each key's value stood in the file ('volumes[2]' for list entries): for diagnostics."""
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Trim:
    width: str = key("length", "7in", "trim width")
    height: str = key("length", "10in", "trim height")


@dataclass(frozen=True)
class Margins:
    """Page margins of the printed book; None: derived from the trim size (see sopress.pagesetup)."""

    top: str | None = key("length", None, "the top margin")
    bottom: str | None = key("length", None, "the bottom margin")
    inner: str | None = key("length", None, "the inner margin")
    outer: str | None = key("length", None, "the outer margin")


@dataclass(frozen=True)
class PageConfig:
    """How the PDF's pages are laid out, beyond their trim size."""

    margins: Margins = key("section", doc="top, bottom, inner, outer: each derived from the trim unless given",
                           schema=Margins)
    folio: str = key("choice", "bottom", "page numbers at the outside bottom corner, or top",
                     choices=("bottom", "top"))
    bleed: str = key("length", "0.125in", "the bleed added on every side by --profile print")
    crop_marks: bool = key("flag", True, "drawn by --profile print; false for print-on-demand services")


@dataclass(frozen=True)
class IndexConfig:
    scope: str = key("choice", "set", "set: every volume ends with the master index of the set; volume: its own",
                     choices=("set", "volume"))
    ranges: str = key("choice", "abbreviated", "abbreviated page ranges (212-14) or full (212-214)",
                      choices=("abbreviated", "full"))


@dataclass(frozen=True)
class HandoutConfig:
    paper: str = key("choice", "letter", "page size of training handouts: letter or a4 (--paper overrides it)",
                     choices=("letter", "a4"))


@dataclass(frozen=True)
class BookConfig:
    id: str = key("slug", "", "stable id of the set (EPUB identifiers derive from it)", required=True)
    title: str = key("text", "", "title of the set", required=True)
    subtitle: str = key("text", "", "subtitle of the set")
    author: str = key("text", "", "author or editor", required=True)
    publisher: str = key("text", "", "publisher's name")
    edition: str = key("text", "", "edition statement, e.g. First edition")
    language: str = key("text", "", "BCP 47 tag; drives hyphenation and EPUB metadata", required=True)
    copyright: str = key("text", "", "the copyright line")
    date: dt.date = key("date", dt.date(1980, 1, 1), "publication date; also the timestamp written into outputs",
                        required=True)
    trim: Trim = key("section", doc="page size of the printed book (in, mm, cm or pt)", schema=Trim)
    theme: str = key("text", "default", "a theme shipped with sopress")
    raw_html: bool = key("flag", False, "true passes raw HTML through, sanitised")
    links: str = key("choice", "strict", "strict: a link to an unknown target is an error; warn: only a warning",
                     choices=("strict", "warn"))
    index: IndexConfig = key("section", doc="the index at the end of every volume", schema=IndexConfig)
    page: PageConfig = key("section", doc="the printed page (PDF only; see docs/pdf.md)", schema=PageConfig)
    handouts: HandoutConfig = key("section", doc="training handouts (see docs/handouts.md)", schema=HandoutConfig)
    printing: int = key("integer", 1, "this printing's number, for the printing line on the copyright page",
                        minimum=1)
    volumes: tuple[str, ...] = key("texts", (), "volume folders, in order", required=True)
    places: Mapping[str, Location] = places()

    @property
    def volume_locations(self) -> tuple[Location, ...]:
        return tuple(self.places[f"volumes[{i}]"] for i in range(len(self.volumes)))


@dataclass(frozen=True)
class Isbn:
    print: str | None = key("text", None, "ISBN of the printed volume")
    ebook: str | None = key("text", None, "ISBN of the EPUB")


@dataclass(frozen=True)
class SectionManifest:
    folder: str = key("text", "", "folder inside the volume folder", required=True)
    title: str = key("text", "", "the section's title", required=True)
    intro: str | None = key("text", None, "Markdown file without front matter, printed on the section's opener")
    chapters: tuple[str, ...] = key("texts", (), "chapter files inside the folder, in reading order", required=True)
    places: Mapping[str, Location] = places()

    @property
    def location(self) -> Location:
        return self.places["."]

    @property
    def chapter_locations(self) -> tuple[Location, ...]:
        return tuple(self.places[f"chapters[{i}]"] for i in range(len(self.chapters)))


@dataclass(frozen=True)
class VolumeManifest:
    number: int = key("integer", 0, "the volume's number in the set", required=True)
    title: str = key("text", "", "the volume's title", required=True)
    subtitle: str = key("text", "", "the volume's subtitle")
    isbn: Isbn = key("section", doc="print and ebook ISBNs", schema=Isbn)
    sections: tuple[SectionManifest, ...] = key("entries", (), "the sections, in order", required=True,
                                                schema=SectionManifest)
    places: Mapping[str, Location] = places()


@dataclass(frozen=True)
class Video:
    title: str = key("text", "", "the video's title", required=True)
    url: str = key("url", "", "a web address (https://...)", required=True)


@dataclass(frozen=True)
class IndexTermSpec:
    """An index term as written: `Main; sub`, optionally pointing elsewhere with see / see also."""

    term: str = key("text", "", "the term; 'Main; sub' for a sub-entry", required=True)
    see: str | None = key("text", None, "the term to look under instead")
    see_also: str | None = key("text", None, "a related term")
    places: Mapping[str, Location] = places()

    @property
    def location(self) -> Location:
        return self.places["."]


@dataclass(frozen=True)
class FrontMatter:
    id: str = key("slug", "", "how everything else refers to the chapter; unique in the set", required=True)
    title: str = key("text", "", "the chapter's title", required=True)
    subtitle: str = key("text", "", "the chapter's subtitle")
    summary: str = key("text", "", "one or two sentences for the contents, the EPUB and handouts")
    revised: dt.date | None = key("date", None, "ISO date of the last revision")
    status: str = key("choice", "draft", "anything but final prints a DRAFT mark", choices=STATUSES)
    videos: tuple[Video, ...] = key("entries", (), "related videos, printed with a QR code", schema=Video)
    index: tuple[IndexTermSpec, ...] = key("terms", (), "index terms: text, or a mapping with see / see_also")
    places: Mapping[str, Location] = places()

    @property
    def id_location(self) -> Location:
        return self.places.get("id", self.places["."])


@dataclass(frozen=True)
class PackManifest:
    """A training pack (content/packs/<id>.yaml): several chapters' handouts for one session."""

    title: str = key("text", "", "the session's title, on the pack's cover", required=True)
    date: dt.date | None = key("date", None, "the session's date; default: the book's date")
    description: str = key("text", "", "a sentence or two on the cover, under the title")
    chapters: tuple[str, ...] = key("texts", (), "chapter ids, in the order they are taught", required=True)
    places: Mapping[str, Location] = places()


@dataclass(frozen=True)
class FontFace:
    family: str = key("text", "", "the CSS font-family name", required=True)
    package: str = key("text", "", "the installed Python package that ships the font file", required=True)
    file: str = key("text", "", "the font file, relative to the package's folder", required=True)
    weight: int = key("integer", 400, "CSS font-weight", minimum=100)
    style: str = key("choice", "normal", "CSS font-style", choices=("normal", "italic"))


@dataclass(frozen=True)
class ThemeManifest:
    parent: str = key("text", "", "the theme this one extends; empty for none")
    fonts: tuple[FontFace, ...] = key("entries", (), "the faces the PDFs are set in", schema=FontFace)
    required_ids: Mapping[str, tuple[str, ...]] = key("ids", {}, "ids the code relies on, per template")
    labels: Mapping[str, str] = key("labels", {}, "words sopress writes outside the templates")
    places: Mapping[str, Location] = places()


# How each kind of key is read from its mapping: (doc, name, spec) -> value (the default when absent or wrong).
def _text(doc: Located, name: str, spec: Key, default: Any) -> Any:
    return doc.text(name, default, required=spec.required) if name in doc.values or spec.required else default


def _choice(doc: Located, name: str, spec: Key, default: Any) -> Any:
    return doc.choice(name, spec.choices, default)


def _length(doc: Located, name: str, spec: Key, default: Any) -> Any:
    if name not in doc.values:
        return default
    return doc.length(name, default or "", spec.doc) or default


def _integer(doc: Located, name: str, spec: Key, default: Any) -> Any:
    if name not in doc.values and not spec.required:
        return default
    value = doc.integer(name, required=spec.required)
    if spec.minimum is not None and name in doc.values and value < spec.minimum:
        doc.diags.error("bad-value", f"'{name}' must be {spec.minimum} or more", doc.loc(doc.values[name]))
        return default
    return value


def _date(doc: Located, name: str, spec: Key, default: Any) -> Any:
    return doc.date(name, required=spec.required) or default


def _url(doc: Located, name: str, spec: Key, default: Any) -> Any:
    url = doc.text(name, required=spec.required)
    if url and not url.startswith(("https://", "http://")):
        doc.diags.error("bad-value", f"{name} must be a web address (https://...), not '{url}'", doc.loc(doc.values[name]))
    return url


def _section(doc: Located, name: str, spec: Key, default: Any) -> Any:
    sub = doc.mapping(name)
    return read(spec.schema, sub, name) if sub is not None else spec.schema()  # type: ignore[misc]


def _texts(doc: Located, name: str, spec: Key, default: Any, found: dict[str, Location]) -> Any:
    texts = []
    for node in doc.items(name, required=spec.required):
        text = doc.item_text(node, name)
        if text:
            found[f"{name}[{len(texts)}]"] = doc.loc(node)
            texts.append(text)
    return tuple(texts)


def _entries(doc: Located, name: str, spec: Key, default: Any) -> Any:
    entries = []
    for node in doc.items(name, required=spec.required):
        entry = doc.item_mapping(node, name)
        if entry is not None:
            entries.append(read(spec.schema, entry, f"an entry of {name}"))  # type: ignore[arg-type]
    return tuple(entries)


def _terms(doc: Located, name: str, spec: Key, default: Any) -> Any:
    terms = []
    for node in doc.items(name):
        if isinstance(node, yaml.MappingNode):
            terms.append(read(IndexTermSpec, Located(node, doc.path, doc.line_offset, doc.diags), "an index entry"))
        else:
            term = doc.item_text(node, name)
            if term:
                terms.append(IndexTermSpec(term, places={".": doc.loc(node)}))
    return tuple(terms)


def _ids(doc: Located, name: str, spec: Key, default: Any) -> Any:
    sub = doc.mapping(name)
    if sub is None:
        return {}
    ids = {}
    for template in sub.values:
        found: dict[str, Location] = {}
        ids[template] = _texts(sub, template, Key("texts", ""), (), found)
    return ids


def _labels(doc: Located, name: str, spec: Key, default: Any) -> Any:
    sub = doc.mapping(name)
    return {label: sub.text(label) for label in sub.values} if sub is not None else {}


READERS: dict[str, Callable[..., Any]] = {
    "text": _text, "slug": lambda doc, name, spec, default: doc.slug(name, required=spec.required) or default,
    "choice": _choice, "length": _length, "integer": _integer, "date": _date, "url": _url,
    "flag": lambda doc, name, spec, default: doc.flag(name, default),
    "section": _section, "entries": _entries, "terms": _terms, "ids": _ids, "labels": _labels,
}


def read(schema: type, doc: Located, what: str) -> Any:
    """The dataclass `schema` from a located mapping: every key declared by `key()`, every problem reported."""
    declared = [f for f in dataclasses.fields(schema) if "key" in f.metadata]
    doc.check_keys(tuple(f.name for f in declared), what)
    found: dict[str, Location] = {".": doc.loc(doc.node)}
    values: dict[str, Any] = {}
    for item in declared:
        spec: Key = item.metadata["key"]
        default = item.default if item.default is not dataclasses.MISSING else {}
        if item.name in doc.keys:
            found[item.name] = doc.loc(doc.values[item.name])
        if spec.kind == "texts":
            values[item.name] = _texts(doc, item.name, spec, default, found)
        else:
            values[item.name] = READERS[spec.kind](doc, item.name, spec, default)
    if any(f.name == "places" for f in dataclasses.fields(schema)):
        values["places"] = found
    return schema(**values)


def read_file(schema: type, path: Path, what: str, diags: Diagnostics, text: str | None = None,
              line_offset: int = 0) -> Any | None:
    """A whole YAML file (or front matter `text` at `line_offset`) read as `schema`; None when unusable."""
    source = read_source(path, diags) if text is None else text
    if source is None:
        return None
    doc = compose_mapping(source, path, line_offset, diags)
    return read(schema, doc, what) if doc is not None else None


def read_book_config(path: Path, diags: Diagnostics) -> BookConfig | None:
    return read_file(BookConfig, path, "book.yaml", diags)


def read_volume_manifest(path: Path, diags: Diagnostics) -> VolumeManifest | None:
    return read_file(VolumeManifest, path, "volume.yaml", diags)


def read_front_matter(text: str, path: Path, diags: Diagnostics) -> FrontMatter | None:
    """Front matter starts on line 2 of the chapter file (after the opening `---`)."""
    return read_file(FrontMatter, path, "front matter", diags, text=text, line_offset=1)


def read_pack_manifest(path: Path, diags: Diagnostics) -> PackManifest | None:
    return read_file(PackManifest, path, "a pack", diags)


def read_theme_manifest(path: Path, diags: Diagnostics) -> ThemeManifest | None:
    return read_file(ThemeManifest, path, "theme.yaml", diags)

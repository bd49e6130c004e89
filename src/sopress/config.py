"""Typed configuration: book.yaml, volume.yaml and chapter front matter.

YAML is composed into nodes first so that every problem can name its line and column; each
reader reports every problem it finds (unknown keys included) before the run stops.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sopress.diagnostics import Diagnostics, Location, suggest

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LENGTH = re.compile(r"^\d+(?:\.\d+)?(?:in|mm|cm|pt)$")
STATUSES = ("outline", "draft", "review", "final")


@dataclass(frozen=True)
class Trim:
    width: str = "7in"
    height: str = "10in"


@dataclass(frozen=True)
class Margins:
    """Page margins of the printed book; None: derived from the trim size (see sopress.pagesetup)."""

    top: str | None = None
    bottom: str | None = None
    inner: str | None = None
    outer: str | None = None


@dataclass(frozen=True)
class PageConfig:
    """How the PDF's pages are laid out, beyond their trim size."""

    margins: Margins = Margins()
    folio: str = "bottom"  # page numbers outside-bottom or outside-top
    bleed: str = "0.125in"  # added around the trim by `--profile print`
    crop_marks: bool = True  # drawn by `--profile print`; some print-on-demand services refuse them


@dataclass(frozen=True)
class IndexConfig:
    scope: str = "set"  # "set": every volume ends with the master index of the set; "volume": its own terms only
    ranges: str = "abbreviated"  # "abbreviated" page ranges (212-14) or "full" (212-214)


@dataclass(frozen=True)
class BookConfig:
    id: str
    title: str
    subtitle: str
    author: str
    publisher: str
    edition: str
    language: str
    copyright: str
    date: dt.date
    trim: Trim
    theme: str
    raw_html: bool
    index: IndexConfig
    page: PageConfig
    printing: int  # this printing's number, for the printing line on the copyright page
    volumes: tuple[str, ...]
    volume_locations: tuple[Location, ...]


@dataclass(frozen=True)
class Isbn:
    print: str | None = None
    ebook: str | None = None


@dataclass(frozen=True)
class SectionManifest:
    folder: str
    title: str
    intro: str | None
    chapters: tuple[str, ...]
    chapter_locations: tuple[Location, ...]
    location: Location


@dataclass(frozen=True)
class VolumeManifest:
    number: int
    title: str
    subtitle: str
    isbn: Isbn
    sections: tuple[SectionManifest, ...]
    location: Location


@dataclass(frozen=True)
class Video:
    title: str
    url: str


@dataclass(frozen=True)
class IndexTermSpec:
    """An index term as written: `Main; sub`, optionally pointing elsewhere with see / see also."""

    term: str
    see: str | None
    see_also: str | None
    location: Location


@dataclass(frozen=True)
class FrontMatter:
    id: str
    title: str
    subtitle: str
    summary: str
    revised: dt.date | None
    status: str
    videos: tuple[Video, ...]
    index: tuple[IndexTermSpec, ...]
    id_location: Location


class _Located:
    """A YAML mapping with the location of every key and value, read field by field."""

    def __init__(self, node: yaml.MappingNode, path: Path, line_offset: int, diags: Diagnostics):
        self.path, self.line_offset, self.diags = path, line_offset, diags
        self.node = node
        self.values: dict[str, yaml.Node] = {}
        self.keys: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            self.keys[str(key_node.value)] = key_node
            self.values[str(key_node.value)] = value_node

    def loc(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.path, mark.line + 1 + self.line_offset, mark.column + 1)

    def check_keys(self, known: tuple[str, ...], what: str) -> None:
        for key, key_node in self.keys.items():
            if key not in known:
                self.diags.error(
                    "unknown-key",
                    f"unknown key '{key}' in {what}{suggest(key, known)}",
                    self.loc(key_node),
                )

    def _scalar(self, name: str, required: bool) -> tuple[Any, yaml.Node | None]:
        node = self.values.get(name)
        if node is None:
            if required:
                self.diags.error("missing-key", f"missing required key '{name}'", self.loc(self.node))
            return None, None
        if not isinstance(node, yaml.ScalarNode):
            self.diags.error("bad-value", f"'{name}' must be a single value", self.loc(node))
            return None, None
        return yaml.SafeLoader("").construct_object(node, deep=True), node  # type: ignore[no-untyped-call]

    def text(self, name: str, default: str = "", required: bool = False) -> str:
        value, node = self._scalar(name, required)
        if node is None or value is None:
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.diags.error("bad-value", f"'{name}' must be text", self.loc(node))
            return default
        return str(value)

    def length(self, name: str, default: str, what: str) -> str:
        value = self.text(name, default)
        if not LENGTH.match(value):
            self.diags.error(
                "bad-value", f"{what} must be a length such as 7in, 178mm or 504pt, not '{value}'",
                self.loc(self.values[name]),
            )
            return default
        return value

    def slug(self, name: str, required: bool = False) -> str:
        value = self.text(name, required=required)
        if value and not SLUG.match(value):
            self.diags.error(
                "bad-id",
                f"'{name}' must be a slug of lower-case letters, digits and single hyphens, not '{value}'",
                self.loc(self.values[name]),
            )
        return value

    def integer(self, name: str, required: bool = False) -> int:
        value, node = self._scalar(name, required)
        if node is not None and (not isinstance(value, int) or isinstance(value, bool)):
            self.diags.error("bad-value", f"'{name}' must be a whole number", self.loc(node))
            return 0
        return value or 0

    def flag(self, name: str, default: bool) -> bool:
        value, node = self._scalar(name, False)
        if node is None:
            return default
        if not isinstance(value, bool):
            self.diags.error("bad-value", f"'{name}' must be true or false", self.loc(node))
            return default
        return value

    def date(self, name: str, required: bool = False) -> dt.date | None:
        value, node = self._scalar(name, required)
        if node is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.diags.error("bad-value", f"'{name}' must be an ISO date (YYYY-MM-DD), not '{value}'", self.loc(node))
            return None

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(name, default)
        if value not in choices:
            self.diags.error(
                "bad-value",
                f"'{name}' must be one of {', '.join(choices)}, not '{value}'{suggest(value, choices)}",
                self.loc(self.values[name]),
            )
            return default
        return value

    def mapping(self, name: str) -> _Located | None:
        node = self.values.get(name)
        if node is None:
            return None
        if not isinstance(node, yaml.MappingNode):
            self.diags.error("bad-value", f"'{name}' must be a mapping of keys to values", self.loc(node))
            return None
        return _Located(node, self.path, self.line_offset, self.diags)

    def items(self, name: str, required: bool = False) -> list[yaml.Node]:
        node = self.values.get(name)
        if node is None:
            if required:
                self.diags.error("missing-key", f"missing required key '{name}'", self.loc(self.node))
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.diags.error("bad-value", f"'{name}' must be a list", self.loc(node))
            return []
        return list(node.value)

    def item_mapping(self, node: yaml.Node, what: str) -> _Located | None:
        if not isinstance(node, yaml.MappingNode):
            self.diags.error("bad-value", f"each entry of {what} must be a mapping", self.loc(node))
            return None
        return _Located(node, self.path, self.line_offset, self.diags)

    def item_text(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.diags.error("bad-value", f"each entry of {what} must be non-empty text", self.loc(node))
            return None
        return str(node.value)


def compose_mapping(text: str, path: Path, line_offset: int, diags: Diagnostics) -> _Located | None:
    """Parse YAML text that must be a mapping; syntax errors become diagnostics."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else 1 + line_offset
        col = mark.column + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        diags.error("yaml", f"invalid YAML: {problem}", Location(path, line, col))
        return None
    if not isinstance(node, yaml.MappingNode):
        diags.error("yaml", "expected a mapping of keys to values", Location(path, 1 + line_offset, 1))
        return None
    return _Located(node, path, line_offset, diags)


BOOK_KEYS = (
    "id", "title", "subtitle", "author", "publisher", "edition", "language", "copyright",
    "date", "trim", "theme", "raw_html", "index", "page", "printing", "volumes",
)


def read_book_config(path: Path, diags: Diagnostics) -> BookConfig | None:
    doc = compose_mapping(path.read_text(encoding="utf-8"), path, 0, diags)
    if doc is None:
        return None
    doc.check_keys(BOOK_KEYS, "book.yaml")
    trim = Trim()
    trim_doc = doc.mapping("trim")
    if trim_doc is not None:
        trim_doc.check_keys(("width", "height"), "trim")
        trim = Trim(trim_doc.length("width", trim.width, "trim width"), trim_doc.length("height", trim.height, "trim height"))
    volume_nodes = doc.items("volumes", required=True)
    volumes = [doc.item_text(node, "volumes") for node in volume_nodes]
    date = doc.date("date", required=True)
    config = BookConfig(
        id=doc.slug("id", required=True),
        title=doc.text("title", required=True),
        subtitle=doc.text("subtitle"),
        author=doc.text("author", required=True),
        publisher=doc.text("publisher"),
        edition=doc.text("edition"),
        language=doc.text("language", required=True),
        copyright=doc.text("copyright"),
        date=date or dt.date(1980, 1, 1),
        trim=trim,
        theme=doc.text("theme", "default"),
        raw_html=doc.flag("raw_html", False),
        index=_read_index_config(doc.mapping("index")),
        page=_read_page_config(doc.mapping("page")),
        printing=_read_printing(doc),
        volumes=tuple(v for v in volumes if v),
        volume_locations=tuple(doc.loc(n) for n, v in zip(volume_nodes, volumes) if v),
    )
    return config


def _read_index_config(doc: _Located | None) -> IndexConfig:
    if doc is None:
        return IndexConfig()
    doc.check_keys(("scope", "ranges"), "index")
    return IndexConfig(
        scope=doc.choice("scope", ("set", "volume"), IndexConfig.scope),
        ranges=doc.choice("ranges", ("abbreviated", "full"), IndexConfig.ranges),
    )


def _read_page_config(doc: _Located | None) -> PageConfig:
    if doc is None:
        return PageConfig()
    doc.check_keys(("margins", "folio", "bleed", "crop_marks"), "page")
    margins = Margins()
    margins_doc = doc.mapping("margins")
    if margins_doc is not None:
        sides = ("top", "bottom", "inner", "outer")
        margins_doc.check_keys(sides, "page margins")
        margins = Margins(**{side: margins_doc.length(side, "", f"the {side} margin") or None
                             for side in sides if side in margins_doc.values})
    return PageConfig(
        margins=margins,
        folio=doc.choice("folio", ("bottom", "top"), PageConfig.folio),
        bleed=doc.length("bleed", PageConfig.bleed, "bleed"),
        crop_marks=doc.flag("crop_marks", PageConfig.crop_marks),
    )


def _read_printing(doc: _Located) -> int:
    printing = doc.integer("printing") if "printing" in doc.values else 1
    if printing < 1:
        doc.diags.error("bad-value", "'printing' must be 1 or more: the number of this printing",
                        doc.loc(doc.values["printing"]))
        return 1
    return printing


def read_volume_manifest(path: Path, diags: Diagnostics) -> VolumeManifest | None:
    doc = compose_mapping(path.read_text(encoding="utf-8"), path, 0, diags)
    if doc is None:
        return None
    doc.check_keys(("number", "title", "subtitle", "isbn", "sections"), "volume.yaml")
    isbn = Isbn()
    isbn_doc = doc.mapping("isbn")
    if isbn_doc is not None:
        isbn_doc.check_keys(("print", "ebook"), "isbn")
        isbn = Isbn(isbn_doc.text("print") or None, isbn_doc.text("ebook") or None)
    sections = []
    for node in doc.items("sections", required=True):
        section = doc.item_mapping(node, "sections")
        if section is None:
            continue
        section.check_keys(("folder", "title", "intro", "chapters"), "a section")
        chapter_nodes = section.items("chapters", required=True)
        chapters = [section.item_text(n, "chapters") for n in chapter_nodes]
        sections.append(
            SectionManifest(
                folder=section.text("folder", required=True),
                title=section.text("title", required=True),
                intro=section.text("intro") or None,
                chapters=tuple(c for c in chapters if c),
                chapter_locations=tuple(section.loc(n) for n, c in zip(chapter_nodes, chapters) if c),
                location=doc.loc(node),
            )
        )
    return VolumeManifest(
        number=doc.integer("number", required=True),
        title=doc.text("title", required=True),
        subtitle=doc.text("subtitle"),
        isbn=isbn,
        sections=tuple(sections),
        location=Location(path, 1, 1),
    )


FRONT_MATTER_KEYS = ("id", "title", "subtitle", "summary", "revised", "status", "videos", "index")


def read_front_matter(text: str, path: Path, diags: Diagnostics) -> FrontMatter | None:
    """Front matter starts on line 2 of the chapter file (after the opening `---`)."""
    doc = compose_mapping(text, path, 1, diags)
    if doc is None:
        return None
    doc.check_keys(FRONT_MATTER_KEYS, "front matter")
    videos = []
    for node in doc.items("videos"):
        video = doc.item_mapping(node, "videos")
        if video is None:
            continue
        video.check_keys(("title", "url"), "a video")
        title, url = video.text("title", required=True), video.text("url", required=True)
        if url and not url.startswith(("https://", "http://")):
            diags.error("bad-value", f"video url must be a web address (https://...), not '{url}'", video.loc(video.values["url"]))
        videos.append(Video(title, url))
    index = []
    for node in doc.items("index"):
        if isinstance(node, yaml.MappingNode):
            entry = _Located(node, path, 1, diags)
            entry.check_keys(("term", "see", "see_also"), "an index entry")
            term = entry.text("term", required=True)
            index.append(IndexTermSpec(term, entry.text("see") or None, entry.text("see_also") or None, doc.loc(node)))
        else:
            term = doc.item_text(node, "index")
            if term:
                index.append(IndexTermSpec(term, None, None, doc.loc(node)))
    id_node = doc.values.get("id")
    return FrontMatter(
        id=doc.slug("id", required=True),
        title=doc.text("title", required=True),
        subtitle=doc.text("subtitle"),
        summary=doc.text("summary"),
        revised=doc.date("revised"),
        status=doc.choice("status", STATUSES, "draft"),
        videos=tuple(videos),
        index=tuple(index),
        id_location=doc.loc(id_node) if id_node is not None else Location(path, 1, 1),
    )

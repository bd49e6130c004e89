"""The book model passed between stages: plain data, built by load and parse, read by the rest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from markdown_it.token import Token

from sopress.config import BookConfig, FrontMatter, Isbn
from sopress.diagnostics import Location
from sopress.house import HouseSheet


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str  # unique across the set
    slug: str  # GitHub-style slug of the text, unique within its chapter
    location: Location


@dataclass(frozen=True)
class Reference:
    """A link to a place in the set, by id (`#id`) or by file (`../x/chapter.md#frag`)."""

    href: str
    file: Path | None  # the linked chapter file, when written as a file link
    fragment: str  # id or heading slug; '' for a whole file
    has_text: bool  # False for `[](#id)`, which takes the target's title
    location: Location


@dataclass(frozen=True)
class IndexEntry:
    term: str  # main entry
    sub: str | None
    see: str | None
    see_also: str | None
    anchor: str  # id of the place the entry points to
    location: Location
    from_text: bool = False  # `[words]{.index}`: the running text's own words, in whatever case


@dataclass(frozen=True)
class Checklist:
    items: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class Image:
    src: str
    path: Path | None  # resolved file inside the project; None when refused
    alt: str
    location: Location


@dataclass(frozen=True)
class Caption:
    """A figure or table with an id: numbered per chapter and referable by that number."""

    kind: Literal["figure", "table"]
    id: str
    text: str
    location: Location


@dataclass(frozen=True)
class Document:
    """Parsed Markdown: the token stream plus what later stages need to know about it."""

    tokens: list[Token]
    env: dict[str, Any]
    headings: tuple[Heading, ...] = ()
    references: tuple[Reference, ...] = ()
    index_entries: tuple[IndexEntry, ...] = ()
    checklists: tuple[Checklist, ...] = ()
    images: tuple[Image, ...] = ()
    captions: tuple[Caption, ...] = ()
    anchors: tuple[tuple[str, Location], ...] = ()  # ids written in raw HTML, as link targets
    # Set when the tokens were not read (sopress.parse kept what the walk found): reads them on first use.
    loader: Callable[[], Document] | None = field(default=None, compare=False, repr=False)

    def stream(self) -> tuple[list[Token], dict[str, Any]]:
        """The token stream and its env, for rendering."""
        if self.loader is None:
            return self.tokens, self.env
        loaded = self.loader()
        return loaded.tokens, loaded.env


@dataclass(frozen=True)
class Chapter:
    front: FrontMatter
    path: Path
    source: str  # Markdown body without front matter
    body_line: int  # line of the body's first line in the file
    title_line: int | None = None  # without front matter: the body line (from 0) of the '#' heading that is the title
    doc: Document = field(default_factory=lambda: Document([], {}))  # empty until the parse stage fills it in

    @property
    def id(self) -> str:
        return self.front.id

    @property
    def title(self) -> str:
        return self.front.title

    @property
    def is_final(self) -> bool:
        return self.front.status == "final"


@dataclass(frozen=True)
class Section:
    title: str
    folder: Path
    intro_path: Path | None
    intro_source: str
    chapters: tuple[Chapter, ...]
    intro: Document | None = None

    @property
    def id(self) -> str:
        """Sections are addressed by folder; folder names are unique within a volume."""
        return f"section-{self.folder.parent.name}-{self.folder.name}"


@dataclass(frozen=True)
class Volume:
    number: int
    title: str
    subtitle: str
    isbn: Isbn
    folder: Path
    sections: tuple[Section, ...]

    @property
    def slug(self) -> str:
        return self.folder.name

    @property
    def chapters(self) -> tuple[Chapter, ...]:
        return tuple(ch for s in self.sections for ch in s.chapters)


@dataclass(frozen=True)
class Book:
    config: BookConfig
    root: Path  # the project folder (holds content/ and optionally templates/)
    volumes: tuple[Volume, ...]
    unlisted: dict[str, Path] = field(default_factory=dict)  # ids of chapter files no volume includes
    failed: dict[Path, str] = field(default_factory=dict)  # listed chapter files that did not load -> their id
    house: HouseSheet = field(default_factory=HouseSheet)  # content/house.yaml: the company's names and numbers

    @property
    def content(self) -> Path:
        return self.root / "content"

    def chapters(self) -> list[tuple[Volume, Chapter]]:
        return [(v, ch) for v in self.volumes for ch in v.chapters]


TargetKind = Literal["chapter", "heading", "figure", "table"]


@dataclass(frozen=True)
class Target:
    """Something a reference can point to, with what a reader needs to find it."""

    id: str
    kind: TargetKind
    title: str
    volume: int
    chapter_id: str  # the chapter holding it ('' for a section)
    number: str = ""  # "12" for chapter 12, "12.3" for a figure


@dataclass(frozen=True)
class Locator:
    """A place in the set an index term points to; its page comes from the page map."""

    volume: int
    anchor: str
    chapter_id: str


@dataclass(frozen=True)
class Subentry:
    term: str
    locators: tuple[Locator, ...]


@dataclass(frozen=True)
class Headword:
    term: str
    locators: tuple[Locator, ...]
    subentries: tuple[Subentry, ...]
    see: tuple[str, ...]
    see_also: tuple[str, ...]


@dataclass(frozen=True)
class Pack:
    """A training pack: chapters taught in one session, handed out as one PDF with a training record."""

    id: str  # the file's name: content/packs/<id>.yaml
    title: str
    date: dt.date
    description: str
    chapters: tuple[str, ...]  # chapter ids, in teaching order
    path: Path


@dataclass(frozen=True)
class ResolvedBook:
    """The whole set after resolve: every id known, every reference bound to its target."""

    book: Book
    targets: dict[str, Target]
    links: dict[Reference, Target]
    index: tuple[Headword, ...] = ()
    packs: tuple[Pack, ...] = ()

    def volume(self, number: int) -> Volume:
        return next(v for v in self.book.volumes if v.number == number)

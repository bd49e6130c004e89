"""What a layout worker is given and returns: plain, picklable values, with no WeasyPrint import,
so that a build with nothing to do never pays for importing it."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

from sopress.numerals import roman
from sopress.pagesetup import Profile
from sopress.write.cache import input_key

WEASYPRINT_VERSION = version("weasyprint")
BODY_START_ID = "body-start"  # where page 1 of a volume's body is (the theme contract asks for it)


def page_labels(front_pages: int) -> list[tuple[int, str]]:
    """What WeasyPrint leaves out, for a whole volume or a spliced one: page labels, lower-case roman
    for the front matter, arabic from 1 for the body (first page index, PDF label style)."""
    return [(0, "/r")] * bool(front_pages) + [(front_pages, "/D")]


@dataclass(frozen=True, kw_only=True)
class LayoutJob:
    """Everything a worker needs to lay out one document (picklable, no model objects)."""

    html: str
    base_url: str
    allowed_roots: tuple[str, ...]
    output: str
    source_date_epoch: int
    profile: Profile = "screen"
    linked_files: str = ""  # a digest of the local files the HTML loads (sopress.write.cache.linked_files_key)

    def cache_key(self) -> str:
        return input_key(self.html, self.base_url, str(self.source_date_epoch), self.profile, self.linked_files,
                         WEASYPRINT_VERSION)


@dataclass(frozen=True, kw_only=True)
class PartJob(LayoutJob):
    """A part of a volume (front matter, a section opener, a chapter, the index), or a whole volume.

    `css` is the volume's stylesheet, parsed once per worker process for all the parts it lays out.
    A part laid out alone ends on a page that is dropped when the parts are put together
    (`spliced`); a whole volume is written as the volume's PDF, page labels and all. A `draft` is
    laid out only to learn its length and where its anchors land (it prints page numbers not yet
    known, so it will be laid out again): nothing is drawn or written. A `held` part prints
    stand-ins for such numbers (sopress.standins): its worker keeps the layout and draws it when
    they are known (sopress.write.pool.draw_part).
    """

    volume: int
    part: str
    css: str
    spliced: bool
    draft: bool = False
    held: bool = False

    def cache_key(self) -> str:
        return input_key(super().cache_key(), self.css, str(self.spliced))


@dataclass(frozen=True)
class Bookmark:
    level: int  # 1 for a section or the index, 2 for a chapter, as bookmark-level says
    label: str
    page: int  # 1-based, in the part
    left: float  # PDF coordinates of the destination
    top: float
    open: bool


@dataclass(frozen=True)
class PartResult:
    volume: int
    part: str
    output: str  # the part's PDF, in the layout cache ('' for a draft)
    pages: int  # the part's own pages, without the dropped one
    anchors: dict[str, int]  # id -> page of the part (1-based) where it first appears
    bookmarks: tuple[Bookmark, ...]
    seconds: float
    staged: str = ""  # where the worker wrote the PDF; the parent commits it to `output`

    def __post_init__(self):  # read back from a cache record, bookmarks are lists of values
        object.__setattr__(self, "bookmarks", tuple(b if isinstance(b, Bookmark) else Bookmark(**b)
                                                    for b in self.bookmarks))


@dataclass(frozen=True)
class PdfResult:
    volume: int
    output: str
    pages: int
    front_pages: int  # pages before the body, numbered in roman
    anchors: dict[str, int]  # id -> physical page (1-based) where it first appears
    seconds: float
    laid_out: bool  # False when the PDF was still valid and no part of it was laid out
    staged: str = ""  # where the new PDF was written; the parent commits it to `output`

    def folio(self, anchor: str) -> str:
        """The page number printed on the page where `anchor` lands."""
        page = self.anchors[anchor]
        return str(page - self.front_pages) if page > self.front_pages else roman(page).lower()


@dataclass(frozen=True, kw_only=True)
class HandoutJob(LayoutJob):
    name: str  # the chapter id, or "pack ID"


@dataclass(frozen=True)
class HandoutResult:
    name: str
    output: str
    pages: int
    seconds: float
    staged: str = ""  # where the worker wrote it; the parent commits it to `output`

"""What a layout worker is given and returns: plain, picklable values, with no WeasyPrint import,
so that a build with nothing to do never pays for importing it."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

from sopress.numerals import roman
from sopress.pagesetup import Profile
from sopress.write.cache import input_key

WEASYPRINT_VERSION = version("weasyprint")


@dataclass(frozen=True, kw_only=True)
class LayoutJob:
    """Everything a worker needs to lay out one document (picklable, no model objects)."""

    html: str
    base_url: str
    allowed_roots: tuple[str, ...]
    output: str
    source_date_epoch: int
    profile: Profile = "screen"

    def cache_key(self) -> str:
        return input_key(self.html, self.base_url, str(self.source_date_epoch), self.profile, WEASYPRINT_VERSION)


@dataclass(frozen=True, kw_only=True)
class PdfJob(LayoutJob):
    volume: int


@dataclass(frozen=True)
class PdfResult:
    volume: int
    output: str
    pages: int
    front_pages: int  # pages before the body, numbered in roman
    anchors: dict[str, int]  # id -> physical page (1-based) where it first appears
    seconds: float
    laid_out: bool  # False when the cached PDF was still valid
    staged: str = ""  # where the worker wrote the new PDF; the parent commits it to `output`

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

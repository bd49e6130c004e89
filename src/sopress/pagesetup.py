"""Page geometry and output profile of the printed book, worked out before the templates run.

The print stylesheet is a template: it reads these numbers instead of hard-coding one trim size,
so that a 6x9 paperback, a 7x10 manual and a letter-size binder each get a type size and a
measure that suit the page, with the inner margin wide enough for the binding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sopress.config import BookConfig

Profile = Literal["screen", "print", "archival"]
PROFILES: tuple[Profile, ...] = ("screen", "print", "archival")

POINTS_PER_UNIT = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54}
MIN_OUTER_MARGIN = 0.6 * 72  # pt: room for the thumb and the running head's outside edge
BINDING_ALLOWANCE = 0.25 * 72  # pt: what a perfect binding swallows of the inner margin
MEASURE_EMS = 36  # widest text column, in ems of the body size: about 75 characters a line


def points(length: str) -> float:
    """A book.yaml length (validated by config: 7in, 178mm, 17.8cm, 504pt) in PostScript points."""
    unit = length[-2:]
    return float(length[:-2]) * POINTS_PER_UNIT[unit]


@dataclass(frozen=True)
class PageSetup:
    """What print.css needs: lengths in points (CSS strings through `pt`), every choice already made."""

    profile: Profile
    width: float
    height: float
    top: float
    bottom: float
    inner: float
    outer: float
    bleed: float  # 0 unless the profile prints to the edge
    body_size: float
    folio: str  # "bottom" or "top": the outside corner the page number sits in
    crop_marks: bool

    @staticmethod
    def pt(value: float) -> str:
        return f"{value:.2f}pt"

    @property
    def text_height(self) -> float:
        return self.height - self.top - self.bottom


def body_size(trim_width: float) -> float:
    """Type size in points: a 6x9 page reads best at 10pt, 7x10 at 10.5pt, letter at 11pt."""
    if trim_width < 6.5 * 72:
        return 10.0
    if trim_width < 8 * 72:
        return 10.5
    return 11.0


def page_setup(config: BookConfig, profile: Profile) -> PageSetup:
    """Margins from book.yaml where given; the rest derived from the trim so the measure stays readable."""
    width, height = points(config.trim.width), points(config.trim.height)
    size = body_size(width)
    page = config.page
    narrowest = 2 * MIN_OUTER_MARGIN + BINDING_ALLOWANCE
    text_width = min(width - narrowest, MEASURE_EMS * size)
    spare = max(width - text_width - narrowest, 0.0) / 2
    derived = {
        "top": 0.075 * height,
        "bottom": 0.085 * height,
        "inner": MIN_OUTER_MARGIN + BINDING_ALLOWANCE + spare,
        "outer": MIN_OUTER_MARGIN + spare,
    }
    given = {side: getattr(page.margins, side) for side in derived}
    margins = {side: points(given[side]) if given[side] else value for side, value in derived.items()}
    return PageSetup(
        profile=profile,
        width=width,
        height=height,
        bleed=points(page.bleed) if profile == "print" else 0.0,
        body_size=size,
        folio=page.folio,
        crop_marks=profile == "print" and page.crop_marks,
        **margins,
    )

"""The index as one volume prints it: letter groups, headwords, and locators as volume and page.

A master index (scope "set") gives every volume's locators, this volume's first and set apart; a
volume index (scope "volume") gives only this volume's. Consecutive pages collapse into ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Protocol

from sopress.config import IndexConfig
from sopress.index import letter_of
from sopress.model import Headword, Locator
from sopress.numerals import roman


class LocatorPages(Protocol):
    """What an output knows about the places it prints: their pages, links and chapter numbers."""

    def folio(self, volume: int, anchor: str) -> str | None: ...

    def locator_href(self, locator: Locator) -> str | None: ...

    def chapter_number(self, chapter_id: str) -> str: ...


@dataclass(frozen=True)
class PageRef:
    label: str  # "212", "212–14", or the chapter number where no page is known yet
    href: str | None  # a link to the place, in this volume's own output


@dataclass(frozen=True)
class VolumeLocators:
    volume: int
    roman: str
    own: bool  # this volume's, printed first and set apart
    pages: tuple[PageRef, ...]


@dataclass(frozen=True)
class EntryView:
    term: str
    locators: tuple[VolumeLocators, ...]
    subentries: tuple[EntryView, ...]
    see: tuple[str, ...]
    see_also: tuple[str, ...]


@dataclass(frozen=True)
class LetterGroup:
    letter: str
    entries: tuple[EntryView, ...]


def index_view(headwords: tuple[Headword, ...], pages: LocatorPages, own: int | None,
               config: IndexConfig) -> tuple[LetterGroup, ...]:
    """The index for an output of volume `own` (None for an omnibus, which has no volume of its own)."""
    entries = []
    for headword in headwords:
        entry = EntryView(
            term=headword.term,
            locators=_volume_locators(headword.locators, pages, own, config),
            subentries=tuple(
                EntryView(sub.term, _volume_locators(sub.locators, pages, own, config), (), (), ())
                for sub in headword.subentries
            ),
            see=headword.see,
            see_also=headword.see_also,
        )
        in_scope = config.scope == "set" or own is None or any(
            loc.volume == own for loc in (*headword.locators, *(l for s in headword.subentries for l in s.locators))
        )
        if in_scope and (entry.locators or entry.subentries or entry.see or entry.see_also):
            entries.append(entry)
    return tuple(
        LetterGroup(letter, tuple(group)) for letter, group in groupby(entries, key=lambda e: letter_of(e.term))
    )


def _volume_locators(locators: tuple[Locator, ...], pages: LocatorPages, own: int | None,
                     config: IndexConfig) -> tuple[VolumeLocators, ...]:
    chosen = [loc for loc in locators if config.scope == "set" or own is None or loc.volume == own]
    volumes = sorted({loc.volume for loc in chosen}, key=lambda v: (v != own, v))
    return tuple(
        VolumeLocators(
            volume=volume,
            roman=roman(volume),
            own=volume == own,
            pages=_pages([loc for loc in chosen if loc.volume == volume], pages, config.ranges),
        )
        for volume in volumes
    )


def _pages(locators: list[Locator], pages: LocatorPages, ranges: str) -> tuple[PageRef, ...]:
    """Page labels in reading order, duplicates dropped and consecutive pages collapsed."""
    refs: list[tuple[int | None, str, str | None]] = []  # (page number, label, href)
    for loc in locators:
        folio = pages.folio(loc.volume, loc.anchor)
        href = pages.locator_href(loc)
        number = int(folio) if folio and folio.isdigit() else None
        label = folio or f"ch. {pages.chapter_number(loc.chapter_id)}"
        if refs and refs[-1][1] == label:
            continue
        refs.append((number, label, href))
    pages: list[PageRef] = []
    start = 0
    while start < len(refs):
        end = start
        while (end + 1 < len(refs) and refs[end][0] is not None and refs[end + 1][0] == refs[end][0] + 1):
            end += 1
        first, label, href = refs[start]
        if end > start:
            label = page_range(first, refs[end][0], ranges)
        pages.append(PageRef(label, href))
        start = end + 1
    return tuple(pages)


def page_range(first: int, last: int, style: str) -> str:
    """'212–14' in the Chicago Manual's abbreviated style, or '212–214' in full."""
    if style == "full" or first < 100 or first % 100 == 0:
        return f"{first}\u2013{last}"
    first_text, last_text = str(first), str(last)
    if len(first_text) != len(last_text):
        return f"{first}\u2013{last}"
    keep = 1 if first % 100 < 10 else 2
    common = 0
    while common < len(first_text) and first_text[common] == last_text[common]:
        common += 1
    shown = last_text[min(common, len(last_text) - keep):]
    return f"{first}\u2013{shown}"

"""The set-wide index: terms gathered from every chapter, merged, checked and sorted.

Page numbers are not known here; locators name the anchor of each place, and the render stage
turns them into volume and page with the page map of the last layout.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from sopress.diagnostics import Diagnostics, Location
from sopress.model import Book, Headword, IndexEntry, Locator, Subentry


def sort_key(term: str) -> str:
    """Case- and accent-insensitive, ignoring leading punctuation, as readers look terms up."""
    plain = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"^[^a-z0-9]+", "", plain).strip()


def _spelling_key(term: str) -> str:
    """Terms that differ only in case, accents, spaces or hyphens ("Back-up", "backup")."""
    return re.sub(r"[^a-z0-9]", "", sort_key(term))


def letter_of(term: str) -> str:
    key = sort_key(term)
    return key[0].upper() if key and key[0].isalpha() else "#"


def build_index(book: Book, diags: Diagnostics) -> tuple[Headword, ...]:
    places: list[tuple[IndexEntry, Locator]] = []
    for volume in book.volumes:
        for chapter in volume.chapters:
            for entry in chapter.doc.index_entries:
                places.append((entry, Locator(volume.number, entry.anchor, chapter.id)))
    _warn_spelling_variants([entry for entry, _ in places], diags)

    spelling: dict[str, str] = {}  # merge key -> the spelling printed: the first one written as a term
    spelling_from_text: dict[str, bool] = {}
    locators: dict[str, list[Locator]] = defaultdict(list)
    subs: dict[str, dict[str, list[Locator]]] = defaultdict(lambda: defaultdict(list))
    see: dict[str, list[str]] = defaultdict(list)
    see_also: dict[str, list[str]] = defaultdict(list)
    for entry, locator in places:
        key = sort_key(entry.term)
        if key not in spelling or (not entry.from_text and spelling_from_text.get(key)):
            spelling[key] = entry.term
            spelling_from_text[key] = entry.from_text
        if entry.see:
            _add_once(see[key], entry.see)
        elif entry.sub:
            subs[key].setdefault(entry.sub, [])
            _add_once(subs[key][entry.sub], locator)
        else:
            _add_once(locators[key], locator)
        if entry.see_also:
            _add_once(see_also[key], entry.see_also)
    _warn_dangling_see(places, set(spelling), diags)
    headwords = [
        Headword(
            term=spelling[key],
            locators=tuple(locators[key]),
            subentries=tuple(Subentry(sub, tuple(locs)) for sub, locs in sorted(subs[key].items(), key=lambda i: sort_key(i[0]))),
            see=tuple(see[key]),
            see_also=tuple(see_also[key]),
        )
        for key in spelling
    ]
    return tuple(sorted(headwords, key=lambda h: (sort_key(h.term), h.term)))


def _add_once(items: list, item: object) -> None:
    if item not in items:
        items.append(item)


def _warn_spelling_variants(entries: list[IndexEntry], diags: Diagnostics) -> None:
    first: dict[str, tuple[str, Location, bool]] = {}
    warned: set[str] = set()
    for entry in entries:
        for term in filter(None, (entry.term, entry.see, entry.see_also)):
            key = _spelling_key(term)
            if key not in first:
                first[key] = (term, entry.location, entry.from_text)
                continue
            original, where, original_from_text = first[key]
            running_text = entry.from_text or original_from_text
            if original != term and term not in warned and not (original.casefold() == term.casefold() and running_text):
                warned.add(term)
                diags.warning(
                    "index-variant",
                    f"index term '{term}' differs only in spelling from '{original}' "
                    f"({where.path.name}:{where.line}); use one spelling",
                    entry.location,
                )


def _warn_dangling_see(places: list[tuple[IndexEntry, Locator]], keys: set[str], diags: Diagnostics) -> None:
    for entry, _ in places:
        for target in filter(None, (entry.see, entry.see_also)):
            if sort_key(target) not in keys:
                diags.warning(
                    "index-see",
                    f"'{entry.term}' points to '{target}', which is not an index term",
                    entry.location,
                )

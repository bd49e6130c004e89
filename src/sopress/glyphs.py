"""Characters no font of the theme can draw: they would print as empty boxes, so say where they are."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from fontTools.ttLib import TTFont

from sopress.diagnostics import Diagnostics, Location
from sopress.model import Book
from sopress.theme import Theme


@functools.cache
def _coverage(path: Path) -> frozenset[int]:
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def uncovered(chars: set[str], theme: Theme) -> set[str]:
    """The characters no font of the theme draws; fonts are opened only while some remain."""
    left = {c for c in chars if not c.isspace() and unicodedata.category(c)[0] not in "CZ"}
    for font in theme.fonts:
        if not left:
            break
        covered = _coverage(font.path)
        left = {c for c in left if ord(c) not in covered}
    return left


def check_glyphs(book: Book, theme: Theme, diags: Diagnostics) -> None:
    """A warning per character and place that no font covers (spaces and controls aside)."""
    for _, chapter in book.chapters():
        missing = uncovered(set(chapter.source), theme)
        if not missing:
            continue
        for number, line in enumerate(chapter.source.splitlines(), chapter.body_line):
            for column, char in enumerate(line, 1):
                if char in missing:
                    name = unicodedata.name(char, "an unnamed character")
                    diags.warning("missing-glyph", f"'{char}' (U+{ord(char):04X} {name}) is in none of the theme's "
                                                   "fonts and would print as an empty box",
                                  Location(chapter.path, number, column))

"""Characters no font of the theme can draw: they would print as empty boxes, so say where they are."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
import unicodedata
from pathlib import Path

from fontTools.ttLib import TTFont

from sopress.diagnostics import Diagnostics, Location
from sopress.model import Book
from sopress.theme import Theme
from sopress.write.atomic import atomic_path


@functools.cache
def _coverage(path: Path, cache: Path | None) -> frozenset[int]:
    """The code points a font draws. Reading a font's cmap costs some 5 ms and a set's check opens
    all 14 of the theme's, so with a cache folder it is kept there: one record per font file, with
    the size and time it was read at, so that a changed font is read again and replaces its record."""
    if cache is None:
        return _read_coverage(path)
    stat = path.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    kept = cache / f"{hashlib.sha256(str(path).encode()).hexdigest()}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, ValueError):
        kept_stamp, coverage = pickle.loads(kept.read_bytes())
        if kept_stamp == stamp:
            return coverage
    coverage = _read_coverage(path)
    with atomic_path(kept) as temp:
        temp.write_bytes(pickle.dumps((stamp, coverage)))
    return coverage


def _read_coverage(path: Path) -> frozenset[int]:
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def uncovered(chars: set[str], theme: Theme, cache: Path | None = None) -> set[str]:
    """The characters no font of the theme draws; fonts are opened only while some remain."""
    left = {c for c in chars if not c.isspace() and unicodedata.category(c)[0] not in "CZ"}
    for font in theme.fonts:
        if not left:
            break
        covered = _coverage(font.path, cache)
        left = {c for c in left if ord(c) not in covered}
    return left


def check_glyphs(book: Book, theme: Theme, diags: Diagnostics, cache: Path | None = None) -> None:
    """A warning per character and place that no font covers (spaces and controls aside); `cache` is
    a folder for what the fonts cover."""
    for _, chapter in book.chapters():
        missing = uncovered(set(chapter.source), theme, cache)
        if not missing:
            continue
        for number, line in enumerate(chapter.source.splitlines(), chapter.body_line):
            for column, char in enumerate(line, 1):
                if char in missing:
                    name = unicodedata.name(char, "an unnamed character")
                    diags.warning("missing-glyph", f"'{char}' (U+{ord(char):04X} {name}) is in none of the theme's "
                                                   "fonts and would print as an empty box",
                                  Location(chapter.path, number, column))

"""Builders: one per product sopress makes from a resolved book, as Sphinx's builders and mdBook's renderers.

The driver (sopress.api) resolves the book once, prepares a `BuildContext` (the resolved book,
its theme and templates, where outputs go, the build's date) and hands it to each builder it
runs. A builder owns everything particular to its product: its rendering context and link policy
(where a reference points: inside the document, another volume with its page, a print reference),
its layout, its cache and its outputs. docs/design.md says how to add one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from sopress.diagnostics import Diagnostic
from sopress.model import ResolvedBook
from sopress.pagesetup import Profile
from sopress.paths import BuildPaths
from sopress.progress import Progress
from sopress.theme import Theme


@dataclass(frozen=True)
class BuildContext:
    """What every builder is given; nothing in it changes while builders run."""

    resolved: ResolvedBook
    theme: Theme
    env: jinja2.Environment
    globals: dict[str, Any]  # what every template sees about the set (sopress.render.book_context)
    paths: BuildPaths
    timestamp: dt.datetime  # written into outputs: book.yaml's date or SOURCE_DATE_EPOCH
    progress: Progress
    profile: Profile = "screen"
    jobs: int = 1

    @property
    def allowed_roots(self) -> tuple[str, ...]:
        """The only folders a layout may load files from: the project, the theme and its fonts."""
        return tuple(str(p) for p in (self.resolved.book.root, *(f.resolve() for f in self.theme.folders),
                                      *self.theme.font_dirs))


@dataclass
class BuilderOutput:
    """What a builder made: its files, and warnings it found on the way."""

    files: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

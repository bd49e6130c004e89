"""Diagnostics: every problem a user can fix, with its place, collected across a whole run."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    path: Path
    line: int = 1
    col: int = 1


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    location: Location

    def format(self, root: Path | None = None) -> str:
        """The `path:line:col: error[code]: message` form editors jump to."""
        path = self.location.path
        if root is not None:
            # The path as the author sees it: a symbolic link is named, not the file it leads to.
            for candidate, base in ((path.absolute(), root.absolute()), (path.resolve(), root.resolve())):
                if candidate.is_relative_to(base):
                    path = candidate.relative_to(base)
                    break
        loc = self.location
        return f"{path}:{loc.line}:{loc.col}: {self.severity}[{self.code}]: {self.message}"


@dataclass
class Diagnostics:
    """Collects diagnostics so that one run reports all of them, in source order."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, location: Location) -> None:
        self.items.append(Diagnostic("error", code, message, location))

    def warning(self, code: str, message: str, location: Location) -> None:
        self.items.append(Diagnostic("warning", code, message, location))

    def about(self, location: Location) -> bool:
        """Whether something was already reported at this place (to avoid a second, vaguer message)."""
        return any(d.location == location for d in self.items)

    def failed(self, strict: bool = False) -> bool:
        return any(d.severity == "error" or strict for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.location, d.code, d.message))


class SopressError(Exception):
    """Raised when a run stops on user errors; carries every diagnostic collected so far."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(f"{len(diagnostics)} problem(s)")
        self.diagnostics = diagnostics


def suggest(word: str, candidates: Iterable[str], count: int = 3) -> str:
    """' (did you mean: a, b?)' for the closest candidates, or '' when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=count, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""

"""Progress reporting: what a long build is doing, per volume and stage."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO


@dataclass
class Progress:
    """`step` is shown unless quiet; `explain` only when verbose. Goes to stderr, not stdout."""

    level: int = 0  # -1 quiet, 0 normal, 1 verbose; the API default is silent
    stream: TextIO | None = None  # None: whatever sys.stderr is at the time

    def step(self, message: str) -> None:
        if self.level >= 0:
            print(message, file=self.stream or sys.stderr, flush=True)

    def explain(self, message: str) -> None:
        if self.level >= 1:
            print(f"  {message}", file=self.stream or sys.stderr, flush=True)


SILENT = Progress(level=-1)

"""Atomic output: a failed or interrupted build never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it over `final` only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, 0o644)
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)



def staging_path(final: Path) -> Path:
    """A new, empty temporary file beside `final`, for a worker to write; the parent commits it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    return Path(name)


def commit(staged: Path, final: Path) -> None:
    """Put a staged file in place in one step (what a reader opens is always a whole file)."""
    os.chmod(staged, 0o644)
    os.replace(staged, final)


def discard(staged: Path | str) -> None:
    Path(staged).unlink(missing_ok=True)

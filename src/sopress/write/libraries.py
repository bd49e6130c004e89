"""How a layout worker finds the C libraries WeasyPrint loads, without running a compiler.

WeasyPrint's import loads GObject, Pango, HarfBuzz and Fontconfig through cffi, trying several
names for each: Windows', macOS' and Linux's. For a name that is not a file name, cffi asks
`ctypes.util.find_library`, which on Linux reads the dynamic linker's cache (`ldconfig -p`) and,
for a name not there, runs gcc and then ld to look for it: 16 of the 22 names WeasyPrint 70 asks
for are not there, at about 14 ms each, some 0.25 s of a 0.65 s import (WeasyPrint issue #1125).
While WeasyPrint is imported, `find_library` here answers from one reading of that cache and stops
there. A library outside the cache (LD_LIBRARY_PATH) is still found: each of WeasyPrint's lists also
holds the library's soname ('libpango-1.0.so.0'), which cffi hands to dlopen as it is.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def libraries_from_ld_cache() -> Iterator[None]:
    """Within: `ctypes.util.find_library` looks in the linker's cache only (Linux; elsewhere unchanged)."""
    if not sys.platform.startswith("linux"):
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = find_in_ld_cache
    try:
        yield
    finally:
        ctypes.util.find_library = original


def find_in_ld_cache(name: str) -> str | None:
    """The soname of library `name` ('pango-1.0' -> 'libpango-1.0.so.0'), as find_library gives it."""
    prefix = f"lib{name}.so"
    return next((soname for soname in _ld_cache() if soname == prefix or soname.startswith(prefix + ".")), None)


@functools.cache
def _ld_cache() -> tuple[str, ...]:
    """The sonames the dynamic linker knows, in the cache's order (none if ldconfig cannot be run)."""
    ldconfig = next((str(path) for path in (Path("/sbin/ldconfig"), Path("/usr/sbin/ldconfig")) if path.exists()),
                    shutil.which("ldconfig"))
    if ldconfig is None:
        return ()
    try:
        listing = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, env={"LC_ALL": "C"},
                                 timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    # "\tlibpango-1.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpango-1.0.so.0"
    return tuple(line.split()[0] for line in listing.splitlines() if " => " in line)

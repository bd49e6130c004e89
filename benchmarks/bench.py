"""Build-speed benchmark of the real set: `make bench` runs it and rewrites docs/benchmarks.md.

Timing lives here, never in the test suite. Each scenario builds into a fresh temporary folder
(cold) or into the one the previous scenario left (warm).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from sopress import __version__, api

REPO = Path(__file__).resolve().parent.parent


def timed(label: str, **options) -> tuple[str, float, api.BuildResult]:
    started = time.perf_counter()
    result = api.build(REPO, **options)
    return label, time.perf_counter() - started, result


def pages_laid_out(result: api.BuildResult) -> int:
    return sum(result.pdf[n].pages * count for n, count in result.layouts.items())


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        rows.append(timed("cold build, PDF of all volumes, --jobs 1", formats=["pdf"], jobs=1, build_dir=Path(one)))
        rows.append(timed("cold build, PDF of all volumes, --jobs 2", formats=["pdf"], jobs=2, build_dir=Path(two)))
        rows.append(timed("warm build, nothing changed, PDF + EPUB", jobs=2, build_dir=Path(two)))
        rows.append(timed("EPUB of all volumes + omnibus", formats=["epub"], omnibus=True, build_dir=Path(two)))
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (benchmarks/bench.py) on the real four-volume set in `content/`.",
        f"sopress {__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}.",
        "",
        "| scenario | seconds | pages laid out | layouts per volume |",
        "| --- | ---: | ---: | --- |",
    ]
    for label, seconds, result in rows:
        pages = pages_laid_out(result)
        layouts = ", ".join(f"{n}: {c}" for n, c in sorted(result.layouts.items())) or "none"
        lines.append(f"| {label} | {seconds:.1f} | {pages} | {layouts} |")
    _, seconds, result = rows[0]
    lines += ["", f"Pages laid out per second (cold, --jobs 1): {pages_laid_out(result) / seconds:.1f}.", ""]
    (REPO / "docs" / "benchmarks.md").write_text("\n".join(lines), encoding="utf-8")
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()

"""Build-speed benchmark of the real set: `make bench` runs it and rewrites docs/benchmarks.md.

Timing lives here, never in the test suite. Each scenario builds into a fresh temporary folder
(cold) or into the one the previous scenario left (warm). The preview scenarios edit a copy of the
set under a running `sopress serve`; `python benchmarks/bench.py preview` runs only those and
prints their table without rewriting the file.
"""

from __future__ import annotations

import http.client
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sopress import __version__, api, serve

REPO = Path(__file__).resolve().parent.parent


def timed(label: str, **options) -> tuple[str, float, api.BuildResult]:
    started = time.perf_counter()
    result = api.build(REPO, **options)
    return label, time.perf_counter() - started, result


def pages_laid_out(result: api.BuildResult) -> int:
    return sum(result.pdf[n].pages * count for n, count in result.layouts.items())


PREVIEW_EDITS = 3  # saves per preview scenario; the table gives the median


def preview_lines(build_dir: Path | None) -> list[str]:
    """Seconds from saving a chapter of a copy of the set to the reload event, to the reloaded page
    and to its refreshed print preview, under `sopress serve` (page numbers from `build_dir`)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(REPO / "content", root / "content")
        if (REPO / "templates").is_dir():
            shutil.copytree(REPO / "templates", root / "templates")
        server = serve.start(root, 0, build_dir, report=lambda _line: None)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        try:
            builder = server.preview.state.builder
            assert builder is not None, "the real set has errors"
            ctx = builder.ctx
            volume = ctx.resolved.book.volumes[0]
            chapter = volume.chapters[0]
            page, pdf = f"/{volume.slug}/{chapter.id}.html", f"/{volume.slug}/{chapter.id}.pdf"
            started = time.perf_counter()
            _fetch(port, pdf)
            first_print = time.perf_counter() - started
            events = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            events.request("GET", serve.EVENTS)
            stream = events.getresponse()
            generation = _next_generation(stream, None)
            timings: dict[str, list[float]] = {"event": [], "page": [], "print": []}
            for edit in range(1, PREVIEW_EDITS + 1):
                words = f"Benchmark sentence {edit}."
                started = time.perf_counter()
                with chapter.path.open("a", encoding="utf-8") as source:
                    source.write(f"\n{words}\n")
                generation = _next_generation(stream, generation)
                timings["event"].append(time.perf_counter() - started)
                assert words in _fetch(port, page).decode()
                timings["page"].append(time.perf_counter() - started)
                _fetch(port, pdf)
                timings["print"].append(time.perf_counter() - started)
            events.close()
        finally:
            server.shutdown()
            server.stop()
    median = {name: statistics.median(values) for name, values in timings.items()}
    numbers = "real page numbers from the build above" if build_dir else "no page map: numbered from 1"
    return [
        f"Preview (`sopress serve`) of a copy of the set: a sentence appended to Volume I's first chapter, "
        f"median of {PREVIEW_EDITS} saves ({numbers}).",
        "",
        "| from a save to | seconds |",
        "| --- | ---: |",
        f"| the reload event (the sources checked again) | {median['event']:.2f} |",
        f"| the reloaded chapter page | {median['page']:.2f} |",
        f"| the refreshed print preview (the chapter's PDF) | {median['print']:.2f} |",
        f"| (first print preview after the start, WeasyPrint imported) | {first_print:.2f} |",
        "",
    ]


def _fetch(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def _next_generation(stream: http.client.HTTPResponse, seen: str | None) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = stream.readline().decode().strip()
        if line.startswith("data: ") and line[6:] != seen:
            return line[6:]
    raise TimeoutError("no reload event within two minutes")


def main() -> None:
    if sys.argv[1:] == ["preview"]:
        sys.stdout.write("\n".join(preview_lines(None)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        rows.append(timed("cold build, PDF of all volumes, --jobs 1", formats=["pdf"], jobs=1, build_dir=Path(one)))
        rows.append(timed("cold build, PDF of all volumes, --jobs 2", formats=["pdf"], jobs=2, build_dir=Path(two)))
        rows.append(timed("warm build, nothing changed, PDF + EPUB", jobs=2, build_dir=Path(two)))
        rows.append(timed("EPUB of all volumes + omnibus", formats=["epub"], omnibus=True, build_dir=Path(two)))
        preview = preview_lines(Path(two))
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
    lines += preview
    (REPO / "docs" / "benchmarks.md").write_text("\n".join(lines), encoding="utf-8")
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()

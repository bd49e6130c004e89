"""Build-speed benchmark of the real set: `make bench` runs it and rewrites docs/benchmarks.md.

Timing lives here, never in the test suite. Each scenario builds into a fresh temporary folder
(cold) or into the one the previous scenario left (warm). The preview scenarios edit a copy of the
set under a running `sopress serve`; `python benchmarks/bench.py preview` runs only those and
prints their table without rewriting the file. The main table is measured again on a synthetic set
of about 1,300 pages (benchmarks/synthetic.py), whose size does not change as the real set grows;
`python benchmarks/bench.py synthetic` runs only that part.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sopress import __version__, api, serve
from synthetic import make_set

REPO = Path(__file__).resolve().parent.parent


# Where the time goes, from cProfile runs and timed runs of layout workers (December 2026). Kept here
# so that `make bench` writes it with the figures.
PROFILE = """
Where the time goes (cProfile and timed runs of a layout worker, December 2026):

- Layout is nearly all of a build: the parent's own work for an edited chapter is about 1 s (reading
  the set from the parse cache 0.3 s, rendering one volume's parts 0.5 s, splicing 0.2 s).
- Twelve chapters of Volume I (108 pages) in one worker: 16 s under the profiler. Line breaking
  (`split_first_line`, Pango's `get_first_line`) about a quarter, computed styles (`__missing__`,
  cssselect2 matching) about a sixth, drawing (`draw_first_line`) 1.1 s, zlib 0.2 s.
- Worker time of a cold serial build, by kind of part (CPU, each part laid out and written in
  turn; the page each part ends on, dropped when the parts are spliced, included): real set 93 s,
  of which chapters 81 s (1,451 pages), the four indexes 8.9 s (56 pages), front matter 1.1 s,
  section openers 1.3 s; synthetic set 67 s, of which chapters 59 s (1,458 pages), indexes 5.5 s
  (36 pages). In the builds themselves, which keep parts until their numbers are known, the worker
  took 103 s and 68 s.
- Tables are the largest single cost of the real set, and the peer pays it too (Pandoc makes the
  same tables): fourteen chapters of Volume I lay out in 5.6 s (126 pages), in 3.6 s (96 pages)
  with their tables left out, so their 30 pages of tables take 36% of the time (about 15 pages/s,
  text about 26). The tables alone, 1,769 cells: layout 2.4 s (min- and max-content widths of every
  cell a third of it), drawing 0.4 s; collapsed or separate borders, no borders, no hyphenation in
  cells, fixed table layout: each within 10%.
- The index: two columns cost about twice one (Volume I's: 2.2 s for 14 pages; the same entries in
  one column 1.2 s for 25 pages). WeasyPrint lays each full page of a multi-column box out twice
  (once to learn that it overflows, once for good) and the last page again at each balancing step
  (`column-fill: auto` saves 0.4 s of the 2.2). Dropping 2,500 unstyled spans per index (around
  locators and terms) had already halved it.
- Nearly every chapter cites a later page or another volume, whose number is known only once that
  part is laid out. Until December 2026 such a part was laid out twice (a draft for its length,
  then with the numbers: 2,661 pages laid out for 1,382 printed, 163.5 s serial against the peer's
  103.9 s). Now it is laid out once with stand-ins of as many digits, kept in its worker, and drawn
  when the numbers are known (drawing is about a sixth of a part's time).
- What the design costs a page: fourteen chapters, CPU, best of five runs in turns (this machine
  drifts by 10% even so). Ragged-right and not hyphenated: 12% less on the real chapters, 10% on
  synthetic ones; either alone, nothing measurable. No running heads or folios, not keeping headings
  with what follows, no symbol and emoji fallbacks in the font stacks: each within the noise (0-14%,
  from one run to the next; the figures of an earlier, five-chapter measurement, 5-8% each, were
  within it too). Declaring
  `font-kerning: normal` cost 5% for the same bytes (HarfBuzz kerns anyway): the declaration is gone.
- What laying out by parts costs: fourteen chapters laid out as fourteen documents, or as one: 6% more
  on real chapters, 3% on synthetic ones (a document's fixed cost and the page each part ends on).
- WeasyPrint's own stylesheet gives every element six pseudo-element styles (`::marker`, and five for
  CSS footnotes and notes that sopress does not use): 363,000 computed styles for 57,000 elements on
  the real set. Without the five footnote and note rules, 3% less for the same bytes; not done, as it
  means replacing a private method of WeasyPrint's HTML class.
- A cold build reads the sources before it can lay anything out: Markdown to tokens for the 151
  chapters of the real set takes the parent about 3.5 s (the first part goes to the worker 4 s into
  a 107 s build).
- Python's garbage collector: a layout allocates millions of objects that live as long as their
  document, and a worker keeps the documents of parts waiting for page numbers. At Python's default
  (a young collection every 700 allocations) collection was about a sixth of a worker's time;
  workers now collect every 10,000 (Volumes I and II serially: 63-68 s of worker time to 54-58 s).
- The peer writes its PDFs, as `pandoc --pdf-engine=weasyprint` does (until December 2026 the
  bench only laid them out, which flattered it by a fifth: on the synthetic set its layout takes
  39 s of CPU and writing 10.5 s). Half of its time on the real set is Pandoc's own: a volume's
  Markdown, converted as one document, takes it about 16 s (the same chapters one at a time, 8 s in
  all; a volume of the synthetic set, 1.4 s). So the tables also compare with the peer's WeasyPrint
  alone. The peer runs just before and just after sopress's cold build, since this machine's speed
  drifts by up to a third within minutes.
- One handout from a cold process (8 pages): the parent imports the CLI (0.25 s) and reads the set
  from its caches (0.2 s) while the first layout worker, started before the CLI is imported,
  imports WeasyPrint (0.35 s; 0.65 s before its library lookup stopped running gcc and ld) and lays
  out a line to warm up (0.05 s); the handout's own layout and drawing (0.6-0.7 s) is the rest.
"""


def timed(label: str, **options) -> tuple[str, float, api.BuildResult]:
    started = time.perf_counter()
    result = api.build(REPO, **options)
    return label, time.perf_counter() - started, result


def pages_laid_out(result: api.BuildResult) -> int:
    return result.pages_laid_out


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


@dataclass(frozen=True)
class Peer:
    seconds: float  # the whole run
    pandoc: float  # of which Pandoc's conversions
    writing: float  # of which WeasyPrint's writing of the PDFs (the rest is its layout)
    pages: int


def pandoc_weasyprint(root: Path) -> Peer:
    """The peer: the same chapter bodies through Pandoc (Markdown to standalone HTML, one document per
    volume) and WeasyPrint with Pandoc's own default stylesheet, to a PDF per volume, serially, as
    `pandoc --pdf-engine=weasyprint` does (without the start of a WeasyPrint process per volume)."""
    import weasyprint

    resolved, _ = api.check(root)
    started, pages, converting, writing = time.perf_counter(), 0, 0.0, 0.0
    with tempfile.TemporaryDirectory() as folder:
        for volume in resolved.book.volumes:
            markdown = "\n\n".join(f"# {ch.title}\n\n{ch.source}" for ch in volume.chapters)
            source = Path(folder) / f"{volume.slug}.md"
            source.write_text(markdown, encoding="utf-8")
            converted = time.perf_counter()
            html = subprocess.run(["pandoc", "--from", "markdown", "--to", "html5", "--standalone",
                                   "--metadata", f"title={volume.title}", str(source)],
                                  capture_output=True, text=True, check=True).stdout
            converting += time.perf_counter() - converted
            document = weasyprint.HTML(string=html).render()
            pages += len(document.pages)
            written = time.perf_counter()
            document.write_pdf(source.with_suffix(".pdf"))
            writing += time.perf_counter() - written
    return Peer(time.perf_counter() - started, converting, writing, pages)


def timed_build(label: str, root: Path, **options) -> tuple[str, float, api.BuildResult]:
    started = time.perf_counter()
    result = api.build(root, **options)
    return label, time.perf_counter() - started, result


def timed_call(function, *args, **options) -> float:
    started = time.perf_counter()
    function(*args, **options)
    return time.perf_counter() - started


def edited_chapter(root: Path, chapter_glob: str) -> list[tuple[str, float, api.BuildResult]]:
    """In a built copy of the set, a sentence added to a chapter: the PDF rebuilt, then rebuilt again."""
    with tempfile.TemporaryDirectory() as copy:
        shutil.copytree(root / "content", Path(copy) / "content")
        api.build(Path(copy), formats=["pdf"], jobs=2)
        chapter = next((Path(copy) / "content").glob(chapter_glob))
        text = chapter.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1]
        first = next(line for line in body.splitlines() if line.endswith(".") and line[:1].isalpha())
        chapter.write_text(text.replace(first, first + " One more sentence for the benchmark.", 1), encoding="utf-8")
        return [timed_build("one chapter edited (a sentence added), PDF rebuilt", Path(copy), formats=["pdf"], jobs=2),
                timed_build("the same, nothing changed", Path(copy), formats=["pdf"], jobs=2)]


def synthetic_lines() -> list[str]:
    """The speed table again on the synthetic set of benchmarks/synthetic.py (about 1,300 pages)."""
    with tempfile.TemporaryDirectory() as folder:
        root = make_set(Path(folder) / "synthetic")
        peer_before = pandoc_weasyprint(root)
        code = ("import json, resource, sys, time; from pathlib import Path; from sopress import api; "
                "started = time.perf_counter(); "
                f"result = api.build(Path({str(root)!r}), formats=['pdf'], jobs=1); "
                "print(json.dumps([time.perf_counter() - started, result.pages_laid_out, result.layouts, "
                "sum(r.pages for r in result.pdf.values()), "
                "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        seconds, laid_out, layouts, printed, peak = json.loads(done.stdout)
        peer_after = pandoc_weasyprint(root)
        check_seconds = timed_call(api.check, root, build_dir=root / "build")
        edited = edited_chapter(root, "volume-1/01-part/synthetic-1-1-2.md")
    lines = [
        f"The same measures on a synthetic set made by the benchmark (benchmarks/synthetic.py: {printed} printed "
        "pages, four volumes of 42 chapters built like the real ones, from the real set's sentences shuffled).",
        "",
        "| scenario | seconds | pages laid out | parts laid out per volume |",
        "| --- | ---: | ---: | --- |",
        f"| cold build, PDF of all volumes, --jobs 1 | {seconds:.1f} | {laid_out} | "
        f"{', '.join(f'{n}: {c}' for n, c in sorted(layouts.items()))} |",
    ]
    lines += [table_row(*row) for row in edited]
    lines += [
        "",
        "| measure | value |",
        "| --- | ---: |",
        *against_the_peer(seconds, laid_out, (peer_before, peer_after)),
        f"| `sopress check` of the set (parse cache warm) | {check_seconds:.2f} s |",
        f"| peak memory of one layout worker (cold build of the set, --jobs 1) | {peak:.0f} MB |",
        "",
    ]
    return lines


def against_the_peer(seconds: float, laid_out: int, runs: tuple[Peer, Peer]) -> list[str]:
    """The cold serial build against the peer, run just before and just after it (this machine's speed
    drifts by a third within minutes), and against the peer's WeasyPrint alone."""
    peer = sum(run.seconds for run in runs) / len(runs)
    weasyprint_alone = sum(run.seconds - run.pandoc for run in runs) / len(runs)
    return [
        f"| the peer: Pandoc → WeasyPrint, same chapter bodies, serial, before and after sopress's cold build | "
        f"{runs[0].seconds:.1f} s and {runs[1].seconds:.1f} s, {runs[0].pages} pages |",
        f"| of which Pandoc's conversions (one document per volume) | {runs[0].pandoc:.1f} s and {runs[1].pandoc:.1f} s |",
        f"| of which WeasyPrint's writing of the PDFs | {runs[0].writing:.1f} s and {runs[1].writing:.1f} s |",
        f"| sopress cold PDF build, serial, against the peer (the mean of its two runs) | {seconds / peer:.2f}× |",
        f"| the same against the peer's WeasyPrint alone | {seconds / weasyprint_alone:.2f}× |",
        f"| pages laid out per second per core (sopress, cold, --jobs 1) | {laid_out / seconds:.1f} |",
        f"| pages per second of the peer (its WeasyPrint alone) | {runs[0].pages / peer:.1f} "
        f"({runs[0].pages / weasyprint_alone:.1f}) |",
    ]


def table_row(label: str, seconds: float, result: api.BuildResult) -> str:
    layouts = ", ".join(f"{n}: {c}" for n, c in sorted(result.layouts.items())) or "none"
    return f"| {label} | {seconds:.1f} | {pages_laid_out(result)} | {layouts} |"


def cold_handout(build_dir: str, out: Path) -> float:
    """One handout from a new process, as a trainer runs it (the set checked before, a parse cache warm)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sopress", "handout", "new-pc-checklists", "--root", str(REPO),
                    "--build-dir", build_dir, "--out", str(out), "-q"], check=True)
    return time.perf_counter() - started


def volume_worker_peak_mb(number: int) -> float:
    """The peak memory of the layout worker of a cold build of one volume alone, --jobs 1."""
    with tempfile.TemporaryDirectory() as folder:
        code = ("import resource, sys; from pathlib import Path; from sopress import api; "
                f"api.build(Path({str(REPO)!r}), formats=['pdf'], volumes=[{number}], jobs=1, build_dir=Path({folder!r})); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
        return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def worker_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    if sys.argv[1:] == ["preview"]:
        sys.stdout.write("\n".join(preview_lines(None)))
        return
    if sys.argv[1:] == ["synthetic"]:
        sys.stdout.write("\n".join(synthetic_lines()))
        return
    rows = []
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        peer_before = pandoc_weasyprint(REPO)
        rows.append(timed("cold build, PDF of all volumes, --jobs 1", formats=["pdf"], jobs=1, build_dir=Path(one)))
        peak = worker_peak_mb()
        peer_after = pandoc_weasyprint(REPO)
        rows.append(timed("cold build, PDF of all volumes, --jobs 2", formats=["pdf"], jobs=2, build_dir=Path(two)))
        rows.append(timed("warm build, PDF + EPUB: the PDFs unchanged, the EPUBs made for the first time", jobs=2, build_dir=Path(two)))
        rows.append(timed("EPUB of all volumes + omnibus", formats=["epub"], omnibus=True, build_dir=Path(two)))
        rows.append(timed("warm build, nothing changed, PDF + EPUB", jobs=2, build_dir=Path(two)))
        rows += edited_chapter(REPO, "volume-1/01-*/setting-up-an-msp-office.md")
        check_seconds = timed_call(api.check, REPO, build_dir=Path(two))
        with tempfile.TemporaryDirectory() as out:
            one_handout = statistics.median(cold_handout(two, Path(out) / f"run-{n}") for n in range(3))
            started = time.perf_counter()
            handouts = api.handouts(REPO, everything=True, build_dir=Path(two), out=Path(out) / "all", jobs=2)
            all_handouts = time.perf_counter() - started
        preview = preview_lines(Path(two))
    volume_one_peak = volume_worker_peak_mb(1)
    synthetic = synthetic_lines()
    _, cold_serial, cold_result = rows[0]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (benchmarks/bench.py) on the real four-volume set in `content/`, then on a",
        "synthetic set of about 1,300 pages that the benchmark makes (benchmarks/synthetic.py).",
        f"sopress {__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}.",
        "",
        "A volume is laid out a part at a time (front matter, section openers, chapters, index); the last",
        "column counts the parts laid out in each volume (a first build lays each out about once, with",
        "stand-ins for the page numbers not known yet, drawn when they are; a few twice, where a guessed",
        "number had a digit too many or too few).",
        "",
        "| scenario | seconds | pages laid out | parts laid out per volume |",
        "| --- | ---: | ---: | --- |",
    ]
    lines += [table_row(*row) for row in rows]
    printed = sum(r.pages for r in cold_result.pdf.values())
    lines += [
        "",
        "| measure | value |",
        "| --- | ---: |",
        *against_the_peer(cold_serial, pages_laid_out(cold_result), (peer_before, peer_after)),
        f"| printed pages of the set | {printed} |",
        f"| `sopress check` of the set (parse cache warm) | {check_seconds:.2f} s |",
        f"| peak memory of one layout worker (cold build of the set, --jobs 1) | {peak:.0f} MB |",
        f"| peak memory of the layout worker of Volume I alone ({cold_result.pdf[1].pages} pages, --jobs 1) | "
        f"{volume_one_peak:.0f} MB |",
        f"| one handout from a cold process (`sopress handout new-pc-checklists`), median of 3 | {one_handout:.2f} s |",
        f"| handouts of the whole set, --jobs 2 | {all_handouts:.1f} s for {len(handouts.files)}, "
        f"{all_handouts / len(handouts.files):.2f} s each |",
        "",
    ]
    lines += synthetic
    lines += preview
    lines += PROFILE.splitlines()
    (REPO / "docs" / "benchmarks.md").write_text("\n".join(lines), encoding="utf-8")
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()

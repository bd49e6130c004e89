"""The Python API of sopress: what the CLI and the tests call.

Each call runs the stages load -> parse -> resolve -> render -> write, collects every diagnostic
of a stage before stopping, and raises `SopressError` with all of them when there are errors.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal

from sopress.diagnostics import Diagnostic, Diagnostics, Location, SopressError
from sopress.fonts import bundled_fonts, font_dirs
from sopress.load import load_book
from sopress.model import Book, ResolvedBook, Volume
from sopress.parse import parse_book
from sopress.progress import SILENT, Progress
from sopress.render import (
    EpubEdition,
    available_themes,
    book_context,
    epub_edition,
    make_environment,
    theme_dir,
    volume_html,
)
from sopress.resolve import resolve_book
from sopress.write.atomic import atomic_path
from sopress.write.epub import write_epub
from sopress.write.pdf import LayoutCache, PdfJob, PdfResult, RefusedResource, lay_out

Format = Literal["pdf", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "epub")


@dataclass
class BuildResult:
    outputs: list[Path] = field(default_factory=list)
    pdf: dict[int, PdfResult] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def load(root: Path, strict: bool = False) -> tuple[Book, list[Diagnostic]]:
    """Read the project's content tree without parsing Markdown (for `sopress list`)."""
    diags = Diagnostics()
    book = load_book(Path(root), diags)
    _stop_on_errors(diags, strict, book is None)
    assert book is not None
    return book, diags.sorted()


def check(root: Path, strict: bool = False) -> tuple[ResolvedBook, list[Diagnostic]]:
    """Validate the whole source (config, front matter, Markdown, references) without rendering."""
    diags = Diagnostics()
    resolved = _resolve(Path(root), diags)
    _stop_on_errors(diags, strict, resolved is None)
    assert resolved is not None
    return resolved, diags.sorted()


def build(
    root: Path,
    formats: Iterable[Format] = FORMATS,
    volumes: Iterable[int] = (),
    jobs: int = 1,
    strict: bool = False,
    build_dir: Path | None = None,
    progress: Progress = SILENT,
) -> BuildResult:
    """Build the chosen formats of the chosen volumes (default: everything) into build/."""
    root = Path(root).resolve()
    build_dir = Path(build_dir) if build_dir else root / "build"
    progress.step(f"Checking {root / 'content'}")
    resolved, warnings = check(root, strict)
    book = resolved.book
    selected = select_volumes(book, volumes)
    timestamp = build_timestamp(book)
    env = make_environment(root, book.config.theme)
    context = book_context(resolved, timestamp.isoformat())
    result = BuildResult(diagnostics=warnings)
    formats = tuple(dict.fromkeys(formats))
    progress.explain(f"{len(book.volumes)} volumes, {sum(len(v.chapters) for v in book.volumes)} chapters; "
                     f"timestamp {timestamp.isoformat()}")

    jobs_to_run: list[PdfJob] = []
    cache = LayoutCache(build_dir / ".cache")
    if "pdf" in formats:
        fonts = bundled_fonts()
        allowed = tuple(str(p) for p in (root, theme_dir(book.config.theme).resolve(), *font_dirs()))
        for volume in selected:
            progress.step(f"Volume {volume.number}: rendering HTML for the PDF")
            job = PdfJob(
                volume=volume.number,
                html=volume_html(resolved, volume, env, context, fonts),
                base_url=str(root) + "/",
                allowed_roots=allowed,
                output=str(build_dir / "pdf" / f"{volume.slug}.pdf"),
                source_date_epoch=int(timestamp.timestamp()),
            )
            cached = cache.lookup(job)
            if cached is not None:
                progress.step(f"Volume {volume.number}: PDF unchanged, not laid out again ({job.output})")
                result.pdf[volume.number] = cached
            else:
                jobs_to_run.append(job)

    errors = Diagnostics()
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {}
        for job in jobs_to_run:
            progress.step(f"Volume {job.volume}: laying out the PDF")
            futures[pool.submit(lay_out, job)] = job
        if "epub" in formats:
            for volume in selected:
                progress.step(f"Volume {volume.number}: writing the EPUB")
                output = build_dir / "epub" / f"{volume.slug}.epub"
                write_epub(book.config, epub_edition(resolved, volume, env, context), timestamp, output)
                result.outputs.append(output)
                progress.explain(f"wrote {output}")
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            try:
                pdf = future.result()
            except RefusedResource as exc:
                volume = resolved.volume(job.volume)
                errors.error("refused-resource", str(exc), Location(volume.folder / "volume.yaml"))
                continue
            cache.store(job, pdf)
            result.pdf[job.volume] = pdf
            progress.step(f"Volume {job.volume}: {pdf.pages} pages laid out in {pdf.seconds:.1f} s -> {pdf.output}")
    if errors.failed():
        raise SopressError(errors.sorted())
    for number, pdf in sorted(result.pdf.items()):
        result.outputs.append(Path(pdf.output))
        _write_page_map(build_dir, resolved.volume(number), pdf)
    return result


def render_volume(root: Path, number: int, format: Format = "pdf") -> str | EpubEdition:
    """One volume rendered but not written: the PDF's HTML, or the EPUB's documents (for inspection)."""
    resolved, _ = check(root)
    volume = select_volumes(resolved.book, [number])[0]
    env = make_environment(resolved.book.root, resolved.book.config.theme)
    context = book_context(resolved, build_timestamp(resolved.book).isoformat())
    if format == "pdf":
        return volume_html(resolved, volume, env, context, bundled_fonts())
    return epub_edition(resolved, volume, env, context)


def select_volumes(book: Book, numbers: Iterable[int]) -> list[Volume]:
    wanted = list(dict.fromkeys(numbers))
    known = {v.number: v for v in book.volumes}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"no volume {unknown[0]} in this set; it has {', '.join(map(str, known))}")
    return [known[n] for n in wanted] if wanted else list(book.volumes)


def build_timestamp(book: Book) -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible-builds.org), else the book's date at midnight UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.combine(book.config.date, dt.time(), dt.timezone.utc)


def _resolve(root: Path, diags: Diagnostics) -> ResolvedBook | None:
    book = load_book(root, diags)
    if book is None:
        return None
    if book.config.theme not in available_themes():
        diags.error(
            "unknown-theme",
            f"no theme '{book.config.theme}'; available: {', '.join(available_themes())}",
            Location(book.content / "book.yaml"),
        )
        return None
    return resolve_book(parse_book(book, diags), diags)


def _stop_on_errors(diags: Diagnostics, strict: bool, fatal: bool) -> None:
    if fatal or diags.failed(strict):
        raise SopressError(diags.sorted())


def _write_page_map(build_dir: Path, volume: Volume, pdf: PdfResult) -> None:
    """Where every anchor landed, as LaTeX keeps its .aux: for page references and EPUB page-lists."""
    record = {
        "volume": volume.number,
        "pages": pdf.pages,
        "front_pages": pdf.front_pages,
        "anchors": {anchor: {"page": page, "folio": pdf.folio(anchor)} for anchor, page in sorted(pdf.anchors.items())},
    }
    with atomic_path(build_dir / "pagemap" / f"{volume.slug}.json") as temp:
        temp.write_text(json.dumps(record, indent=1), encoding="utf-8")

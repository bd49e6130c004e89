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
from sopress.pagesetup import Profile
from sopress.parse import parse_book
from sopress.progress import SILENT, Progress
from sopress.epub_edition import EpubEdition, epub_edition
from sopress.render import PageMap, available_themes, book_context, make_environment, theme_dir, volume_html
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
    layouts: dict[int, int] = field(default_factory=dict)  # how many times each volume was laid out
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
    profile: Profile = "screen",
    omnibus: bool = False,
) -> BuildResult:
    """Build the chosen formats of the chosen volumes (default: everything) into build/.

    `omnibus` adds one EPUB of the whole set, build/epub/<book id>.epub.

    `profile` is what the PDFs are for: screen (the default), print or archival (docs/pdf.md).
    """
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
    page_map = read_page_maps(build_dir, book, profile)
    if "pdf" in formats:
        layout = _PdfLayout(resolved, env, context, build_dir, int(timestamp.timestamp()), progress, profile)
        result.pdf = layout.run(selected, page_map, jobs)
        result.layouts = layout.layouts
        result.diagnostics += layout.warnings
        for number, pdf in sorted(result.pdf.items()):
            result.outputs.append(Path(pdf.output))
            _write_page_map(build_dir, resolved.volume(number), pdf, profile)
    if "epub" in formats:
        editions = [(f"Volume {v.number}", [v], build_dir / "epub" / f"{v.slug}.epub") for v in selected]
        if omnibus:
            editions.append(("The whole set", list(book.volumes), build_dir / "epub" / f"{book.config.id}.epub"))
        for name, volumes_in_file, output in editions:
            progress.step(f"{name}: writing the EPUB")
            edition = epub_edition(resolved, volumes_in_file, env, context, page_map)
            write_epub(book.config, edition, timestamp, output)
            result.outputs.append(output)
            progress.explain(f"wrote {output} ({len(edition.documents)} documents, "
                             f"{len(edition.page_list)} print page markers)")
    return result


class _PdfLayout:
    """Lays out volumes until every page number they print agrees with the layout it names.

    Page numbers in references and in the index come from the page map of the last layout (the
    contents alone use CSS target-counter()), so a volume is laid out again while the numbers it
    printed move, as LaTeX reruns until its .aux file settles. An unchanged volume hits the layout
    cache and is not laid out at all.
    """

    MAX_PASSES = 4

    def __init__(self, resolved: ResolvedBook, env, context: dict, build_dir: Path, epoch: int, progress: Progress,
                 profile: Profile):
        self.resolved, self.env, self.context, self.profile = resolved, env, context, profile
        self.build_dir, self.epoch, self.progress = build_dir, epoch, progress
        self.cache = LayoutCache(build_dir / ".cache")
        self.fonts = bundled_fonts()
        book = resolved.book
        self.allowed = tuple(str(p) for p in (book.root, theme_dir(book.config.theme).resolve(), *font_dirs()))
        self.warnings: list[Diagnostic] = []
        self.layouts: dict[int, int] = {}

    def run(self, selected: list[Volume], page_map: PageMap, jobs: int) -> dict[int, PdfResult]:
        results: dict[int, PdfResult] = {}
        printed: dict[int, dict[tuple[int, str], str | None]] = {}
        pending = selected
        with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            for attempt in range(1, self.MAX_PASSES + 1):
                for number, pdf in self._pass(pending, page_map, printed, pool, attempt).items():
                    results[number] = pdf
                    page_map[number] = {anchor: pdf.folio(anchor) for anchor in pdf.anchors}
                pending = [v for v in selected if self._moved(printed[v.number], page_map)]
                if not pending:
                    break
            else:
                self._warn(selected[0], f"page numbers were still moving after {self.MAX_PASSES} layouts of "
                                        f"{', '.join(str(v.number) for v in pending)}")
        unknown = sorted({volume for p in printed.values() for (volume, _), folio in p.items() if folio is None})
        for volume in unknown:
            self._warn(self.resolved.volume(volume), f"page numbers in Vol. {volume} are not known yet and print as "
                                                     f"'?': build volume {volume} too")
        return results

    def _pass(self, volumes: list[Volume], page_map: PageMap, printed: dict, pool, attempt: int) -> dict[int, PdfResult]:
        results, futures = {}, {}
        for volume in volumes:
            rendered = volume_html(self.resolved, volume, self.env, self.context, self.fonts, page_map, self.profile)
            printed[volume.number] = rendered.printed
            job = PdfJob(
                volume=volume.number,
                html=rendered.html,
                base_url=str(self.resolved.book.root) + "/",
                allowed_roots=self.allowed,
                output=str(self.build_dir / "pdf" / f"{volume.slug}{profile_suffix(self.profile)}.pdf"),
                source_date_epoch=self.epoch,
                profile=self.profile,
            )
            cached = self.cache.lookup(job)
            if cached is not None:
                self.progress.step(f"Volume {volume.number}: PDF unchanged, not laid out again")
                results[volume.number] = cached
                continue
            why = "" if attempt == 1 else f" again (pass {attempt}: page numbers in other volumes moved)"
            self.progress.step(f"Volume {volume.number}: laying out the PDF{why}")
            futures[pool.submit(lay_out, job)] = job
        errors = Diagnostics()
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            try:
                pdf = future.result()
            except RefusedResource as exc:
                errors.error("refused-resource", str(exc), Location(self.resolved.volume(job.volume).folder / "volume.yaml"))
                continue
            self.cache.store(job, pdf)
            results[job.volume] = pdf
            self.layouts[job.volume] = self.layouts.get(job.volume, 0) + 1
            self.progress.step(f"Volume {job.volume}: {pdf.pages} pages laid out in {pdf.seconds:.1f} s -> {pdf.output}")
        if errors.failed():
            raise SopressError(errors.sorted())
        return results

    @staticmethod
    def _moved(printed: dict[tuple[int, str], str | None], page_map: PageMap) -> bool:
        return any(page_map.get(volume, {}).get(anchor) != folio for (volume, anchor), folio in printed.items())

    def _warn(self, volume: Volume, message: str) -> None:
        diags = Diagnostics()
        diags.warning("page-numbers", message, Location(volume.folder / "volume.yaml"))
        self.warnings += diags.items


def profile_suffix(profile: Profile) -> str:
    """Each profile paginates on its own (print spells out link addresses): its own files."""
    return "" if profile == "screen" else f"-{profile}"


def read_page_maps(build_dir: Path, book: Book, profile: Profile = "screen") -> PageMap:
    """The printed folio of every anchor, per volume, as the last layouts in this profile left them."""
    page_map: PageMap = {}
    for volume in book.volumes:
        try:
            path = build_dir / "pagemap" / f"{volume.slug}{profile_suffix(profile)}.json"
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        page_map[volume.number] = {anchor: place["folio"] for anchor, place in record["anchors"].items()}
    return page_map


def render_volume(root: Path, number: int, format: Format = "pdf") -> str | EpubEdition:
    """One volume rendered but not written: the PDF's HTML, or the EPUB's documents (for inspection)."""
    resolved, _ = check(root)
    volume = select_volumes(resolved.book, [number])[0]
    env = make_environment(resolved.book.root, resolved.book.config.theme)
    context = book_context(resolved, build_timestamp(resolved.book).isoformat())
    page_map = read_page_maps(resolved.book.root / "build", resolved.book)
    if format == "pdf":
        return volume_html(resolved, volume, env, context, bundled_fonts(), page_map).html
    return epub_edition(resolved, [volume], env, context, page_map)


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


def _write_page_map(build_dir: Path, volume: Volume, pdf: PdfResult, profile: Profile) -> None:
    """Where every anchor landed, as LaTeX keeps its .aux: for page references and EPUB page-lists."""
    record = {
        "volume": volume.number,
        "pages": pdf.pages,
        "front_pages": pdf.front_pages,
        "anchors": {anchor: {"page": page, "folio": pdf.folio(anchor)} for anchor, page in sorted(pdf.anchors.items())},
    }
    with atomic_path(build_dir / "pagemap" / f"{volume.slug}{profile_suffix(profile)}.json") as temp:
        temp.write_text(json.dumps(record, indent=1), encoding="utf-8")

"""The Python API of sopress: what the CLI and the tests call.

Each call runs the stages load -> parse -> resolve, collects every diagnostic of a stage before
stopping, and raises `SopressError` with all of them when there are errors. `build` then hands the
resolved book to the builder of each product asked for (sopress.builders).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Literal

from sopress.builders import BuildContext
from sopress.diagnostics import Diagnostic, Diagnostics, Location, SopressError, suggest
from sopress.glyphs import check_glyphs
from sopress.load import load_book
from sopress.model import Book, ResolvedBook, Volume
from sopress.packs import read_packs
from sopress.pagemap import read_page_maps
from sopress.pagesetup import Profile
from sopress.parse import parse_book
from sopress.paths import BuildPaths, shared_cache
from sopress.progress import SILENT, Progress
from sopress.render import book_context
from sopress.resolve import resolve_book
from sopress.write.pool import layout_pool
from sopress import uptodate
from sopress.theme import Theme, load_theme, make_environment

if TYPE_CHECKING:  # the PDF writer imports WeasyPrint, which check and list never need
    from sopress.write.jobs import PdfResult

Format = Literal["pdf", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "epub")


@dataclass
class BuildResult:
    outputs: list[Path] = field(default_factory=list)
    pdf: dict[int, PdfResult] = field(default_factory=dict)
    laid_out: list[tuple[int, str]] = field(default_factory=list)  # every (volume, part) laid out, in order
    pages_laid_out: int = 0  # the pages of those layouts
    layouts: dict[int, int] = field(default_factory=dict)  # how many part layouts each volume took
    diagnostics: list[Diagnostic] = field(default_factory=list)


def load(root: Path, strict: bool = False) -> tuple[Book, list[Diagnostic]]:
    """Read the project's content tree without parsing Markdown (for `sopress list`)."""
    diags = Diagnostics()
    book = load_book(Path(root), diags)
    _stop_on_errors(diags, strict, book is None)
    assert book is not None
    return book, diags.sorted()


def check(root: Path, strict: bool = False, links: str | None = None,
          build_dir: Path | None = None) -> tuple[ResolvedBook, list[Diagnostic]]:
    """Validate the whole source (config, front matter, Markdown, references) without rendering.

    `links` ('strict' or 'warn') overrides book.yaml's `links` for links to unknown targets. With
    `build_dir`, parsed documents are kept in its cache, so the next check is faster.
    """
    resolved, _, diagnostics = _check(Path(root), strict, links, build_dir)
    return resolved, diagnostics


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
    links: str | None = None,
) -> BuildResult:
    """Build the chosen formats of the chosen volumes (default: everything) into build/.

    `omnibus` adds one EPUB of the whole set, build/epub/<book id>.epub.

    `profile` is what the PDFs are for: screen (the default), print or archival (docs/pdf.md).
    """
    from sopress.write.jobs import PdfResult

    root = Path(root).resolve()
    build_folder = Path(build_dir).resolve() if build_dir else root / "build"
    options = {"formats": sorted(set(formats)), "volumes": sorted(set(volumes)), "strict": strict,
               "profile": profile, "omnibus": omnibus, "links": links}
    inputs = uptodate.fingerprint(root, build_folder, options)
    recorded = uptodate.recall(build_folder, options, inputs)
    if recorded is not None:
        progress.step("Nothing changed since the last build: every output is up to date")
        return BuildResult(outputs=[Path(p) for p in recorded["outputs"]],
                           pdf={int(n): PdfResult(**{**r, "laid_out": False, "seconds": 0.0, "staged": ""})
                                for n, r in recorded["pdf"].items()},
                           diagnostics=[uptodate.diagnostic_from(d) for d in recorded["diagnostics"]])
    from sopress.builders.epub import EpubBuilder
    from sopress.builders.pdf import VolumePdfBuilder

    # The layout workers start now and import WeasyPrint while the sources are read.
    with layout_pool(jobs) if "pdf" in formats else contextlib.nullcontext() as pool:
        progress.step(f"Checking {root / 'content'}")
        ctx, warnings = prepare(root, strict, build_dir, progress, profile, jobs, links)
        book = ctx.resolved.book
        selected = select_volumes(book, volumes)
        result = BuildResult(diagnostics=warnings)
        formats = tuple(dict.fromkeys(formats))
        progress.explain(f"{len(book.volumes)} volumes, {sum(len(v.chapters) for v in book.volumes)} chapters; "
                         f"timestamp {ctx.timestamp.isoformat()}")
        page_map = read_page_maps(ctx.paths, book.volumes, profile)
        if "pdf" in formats:
            pdf = VolumePdfBuilder(ctx).build(selected, page_map, pool)
            result.pdf, result.laid_out, result.layouts, page_map = pdf.pdf, pdf.laid_out, pdf.layouts, pdf.page_map
            result.pages_laid_out = pdf.pages_laid_out
            result.outputs += pdf.files
            result.diagnostics += pdf.diagnostics
        if "epub" in formats:
            result.outputs += EpubBuilder(ctx).build(selected, page_map, omnibus).files
    uptodate.remember(build_folder, options, uptodate.fingerprint(root, build_folder, options) if "pdf" in formats
                      else inputs, result.outputs,
                      {"pdf": {n: dataclasses.asdict(r) for n, r in result.pdf.items()},
                       "diagnostics": [uptodate.diagnostic_record(d) for d in result.diagnostics]})
    return result


def handouts(
    root: Path,
    chapters: Iterable[str] = (),
    sections: Iterable[str] = (),
    volumes: Iterable[int] = (),
    everything: bool = False,
    packs: Iterable[str] = (),
    paper: str | None = None,
    out: Path | None = None,
    jobs: int = 1,
    strict: bool = False,
    build_dir: Path | None = None,
    progress: Progress = SILENT,
    profile: Profile = "screen",
):
    """Training handouts of the chosen chapters (ids, section folders, volumes, or everything) and packs.

    Each chapter becomes <out>/<chapter id>.pdf and each pack <out>/packs/<pack id>.pdf; `out` defaults
    to build/handouts. `paper` (letter or a4) defaults to book.yaml's `handouts.paper`. Raises
    ValueError for a selection that names nothing in the set.
    """
    from sopress.builders.handout import HandoutBuilder

    chapters, packs, sections, volumes = list(chapters), list(packs), list(sections), list(volumes)
    named_only = not (sections or volumes or everything)  # then the count of handouts is known already
    workers = min(jobs, max(1, len(chapters) + len(packs))) if named_only else jobs
    # The layout workers start now and import WeasyPrint while the sources are read.
    with layout_pool(workers) as pool:
        ctx, warnings = prepare(Path(root).resolve(), strict, build_dir, progress, profile, jobs)
        book = ctx.resolved.book
        chosen = select_chapters(ctx.resolved, chapters, sections, volumes, everything)
        known_packs = {p.id: p for p in ctx.resolved.packs}
        missing = [name for name in packs if name not in known_packs]
        if missing:
            raise ValueError(f"no pack '{missing[0]}' in content/packs/{suggest(missing[0], known_packs)}")
        if not chosen and not packs:
            raise ValueError("name what to make: chapter ids, --section, --volume, --all or --pack")
        builder = HandoutBuilder(ctx, paper or book.config.handouts.paper, Path(out) if out else ctx.paths.handouts())
        made = builder.build(chosen, [known_packs[name] for name in dict.fromkeys(packs)], pool)
    made.diagnostics = warnings + made.diagnostics
    return made


def publish(root: Path, edition: str | None = None, draft: bool = False, jobs: int = 2,
            build_dir: Path | None = None, progress: Progress = SILENT):
    """A validated release in ROOT/publish/<edition>/ (sopress.publish); raises PublishRefused when a gate fails."""
    from sopress.publish import publish as publish_release

    return publish_release(root, edition=edition, draft=draft, jobs=jobs, build_dir=build_dir, progress=progress)


def select_chapters(resolved: ResolvedBook, ids: Iterable[str] = (), sections: Iterable[str] = (),
                    volumes: Iterable[int] = (), everything: bool = False) -> list[str]:
    """Chapter ids in reading order for a selection; a section is its folder, or volume/folder."""
    book = resolved.book
    wanted: set[str] = set()
    known = {ch.id for _, ch in book.chapters()}
    for chapter_id in ids:
        if chapter_id not in known:
            raise ValueError(f"no chapter has the id '{chapter_id}'{suggest(chapter_id, known)}")
        wanted.add(chapter_id)
    folders = {f"{v.slug}/{s.folder.name}": s for v in book.volumes for s in v.sections}
    for name in sections:
        matches = [s for key, s in folders.items() if key == name or key.split("/")[1] == name]
        if len(matches) != 1:
            problem = "names sections in several volumes: write volume/folder" if matches else "is not a section folder"
            raise ValueError(f"'{name}' {problem}{suggest(name, folders) if not matches else ''}")
        wanted |= {ch.id for ch in matches[0].chapters}
    for volume in select_volumes(book, volumes) if volumes else ():
        wanted |= {ch.id for ch in volume.chapters}
    return [ch.id for _, ch in book.chapters() if everything or ch.id in wanted]


def prepare(root: Path, strict: bool = False, build_dir: Path | None = None, progress: Progress = SILENT,
            profile: Profile = "screen", jobs: int = 1, links: str | None = None,
            keep_parsed: bool = True) -> tuple[BuildContext, list[Diagnostic]]:
    """The checked book and everything a builder needs; raises SopressError on errors in the sources.

    With `keep_parsed`, parsed documents are kept in the build folder's cache for the next run.
    """
    root = Path(root).resolve()
    cache = (Path(build_dir) if build_dir else root / "build") if keep_parsed else None
    resolved, theme, warnings = _check(root, strict, links, cache)
    book = resolved.book
    timestamp = build_timestamp(book)
    ctx = BuildContext(
        resolved=resolved,
        theme=theme,
        env=make_environment(book.root, theme, shared_cache(cache, "templates")),
        globals=book_context(resolved, timestamp.isoformat()),
        paths=BuildPaths(Path(build_dir) if build_dir else book.root / "build", book.config.id),
        timestamp=timestamp,
        progress=progress,
        profile=profile,
        jobs=jobs,
    )
    return ctx, warnings


def render_volume(root: Path, number: int, format: Format = "pdf", build_dir: Path | None = None):
    """One volume rendered but not written: the PDF's HTML, or the EPUB's documents (for inspection)."""
    from sopress.builders.epub import epub_edition
    from sopress.builders.pdf import volume_html

    ctx, _ = prepare(root, build_dir=build_dir, keep_parsed=False)  # inspecting writes nothing
    volume = select_volumes(ctx.resolved.book, [number])[0]
    page_map = read_page_maps(ctx.paths, ctx.resolved.book.volumes)
    if format == "pdf":
        return volume_html(ctx, volume, page_map).html
    return epub_edition(ctx, [volume], page_map)


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


def _check(root: Path, strict: bool, links: str | None,
           build_dir: Path | None) -> tuple[ResolvedBook, Theme, list[Diagnostic]]:
    diags = Diagnostics()
    book = load_book(root, diags)
    theme = load_theme(book.config.theme, book.config.places.get("theme", Location(book.content / "book.yaml")),
                       diags) if book is not None else None
    parsed = parse_book(book, diags, build_dir) if book and theme else None
    resolved = resolve_book(parsed, diags, links) if parsed is not None else None
    if resolved is not None:
        resolved = dataclasses.replace(resolved, packs=read_packs(resolved, diags))
        check_glyphs(resolved.book, theme, diags, shared_cache(build_dir, "glyphs"))
    _stop_on_errors(diags, strict, resolved is None)
    assert resolved is not None and theme is not None
    return resolved, theme, diags.sorted()


def _stop_on_errors(diags: Diagnostics, strict: bool, fatal: bool) -> None:
    if fatal or diags.failed(strict):
        raise SopressError(diags.sorted())

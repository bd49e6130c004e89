"""The volume PDF builder: each volume as one print-ready PDF, with page numbers that are true.

Page numbers in references and in the index come from the page map of the last layout (the
contents alone use CSS target-counter()), so a volume is laid out again while the numbers it
printed move, as LaTeX reruns until its .aux file settles. An unchanged volume hits the layout
cache and is not laid out at all. Layout runs in worker processes (WeasyPrint keeps its memory
after a render, and layout is nearly all the cost of a build).
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field
from pathlib import Path

from sopress.builders import BuildContext, BuilderOutput
from sopress.diagnostics import Diagnostics, Location, SopressError
from sopress.index_view import index_view
from sopress.model import Volume
from sopress.pagemap import PageMap, write_page_map
from sopress.pagesetup import page_setup
from sopress.qr import qr_code, short_url
from sopress.render import Output, VolumeRenderer
from sopress.theme import check_contract
from sopress.write.atomic import commit, discard
from sopress.write.pdf import (
    BODY_START_ID, LayoutCache, PdfJob, PdfResult, RefusedResource, die_with_parent, lay_out,
)

VOLUME_TEMPLATE = "print/volume.html"
CHAPTER_TEMPLATE = "print/chapter.html"  # one chapter alone: the print preview
Printed = dict[tuple[int, str], "str | None"]  # (volume, anchor) -> the folio a rendering printed for it


@dataclass(frozen=True)
class PrintVolume:
    """A volume's HTML for the PDF, and the page numbers it printed (from the last layout)."""

    html: str
    printed: Printed


def volume_html(ctx: BuildContext, volume: Volume, page_map: PageMap) -> PrintVolume:
    """The whole volume as one HTML document, for the PDF, laid out for the build's profile.

    The link policy of print: references are live links within the volume and name the page;
    references to other volumes name volume and page; images load from the project by file URL.
    """
    resolved = ctx.resolved
    renderer = _print_renderer(ctx, volume, page_map)
    index = index_view(resolved.index, renderer, renderer.output.own_volume, resolved.book.config.index)
    html = renderer.page(VOLUME_TEMPLATE, index=index, **_print_values(ctx, volume))
    return PrintVolume(html, renderer.printed)


def chapter_html(ctx: BuildContext, volume: Volume, chapter_id: str, page_map: PageMap) -> PrintVolume:
    """One chapter alone with its volume's print CSS, for the print preview of `sopress serve`.

    Its pages are numbered from the folio its first page had in the last layout of the volume (1
    when the volume was never laid out), so they print as they will in the book.
    """
    chapter = next(ch for ch in volume.chapters if ch.id == chapter_id)
    renderer = _print_renderer(ctx, volume, page_map)
    first_page = chapter_first_page(page_map, volume, chapter_id) or 1
    html = renderer.page(CHAPTER_TEMPLATE, chapter=chapter, first_page=first_page, **_print_values(ctx, volume))
    return PrintVolume(html, renderer.printed)


def chapter_first_page(page_map: PageMap, volume: Volume, chapter_id: str) -> int | None:
    """The folio of the chapter's first page in the last layout; None when it is not known."""
    folio = page_map.get(volume.number, {}).get(chapter_id, "")
    return int(folio) if folio.isdigit() else None


def _print_renderer(ctx: BuildContext, volume: Volume, page_map: PageMap) -> VolumeRenderer:
    output = Output("pdf", volume, ctx.resolved, document_of=lambda _id: "", image_href=lambda p: p.as_uri(),
                    page_map=page_map)
    return VolumeRenderer(ctx.env, output, ctx.globals)


def _print_values(ctx: BuildContext, volume: Volume) -> dict:
    """What the print templates are given besides the renderer's own values."""
    return dict(fonts=ctx.theme.fonts, keywords=[s.title for s in volume.sections], href=lambda i: f"#{i}",
                omnibus=False, page_setup=page_setup(ctx.resolved.book.config, ctx.profile), qr_code=qr_code,
                short_url=short_url)


@dataclass
class PdfBuild(BuilderOutput):
    pdf: dict[int, PdfResult] = field(default_factory=dict)  # per volume: pages, anchors, whether laid out
    layouts: dict[int, int] = field(default_factory=dict)  # how many times each volume was laid out
    page_map: PageMap = field(default_factory=dict)  # as the final layouts left it


class VolumePdfBuilder:
    name = "pdf"
    MAX_PASSES = 4

    def __init__(self, ctx: BuildContext):
        self.ctx = ctx
        self.cache = LayoutCache(ctx.paths.cache_entry)

    def build(self, volumes: list[Volume], page_map: PageMap) -> PdfBuild:
        """Lay out until the numbers agree, then put every new PDF in place; until then none is.

        Workers write staged files and never replace an output themselves, and they die with the
        build: a build that fails or is killed half-way leaves the previous PDFs as they were.
        """
        result = PdfBuild(page_map={n: dict(m) for n, m in page_map.items()})
        printed: dict[int, Printed] = {}
        self.staged: dict[int, tuple[PdfJob, PdfResult]] = {}  # the latest layout of each volume, not yet in place
        pending = volumes
        try:
            with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, self.ctx.jobs),
                                                        initializer=die_with_parent) as pool:
                for attempt in range(1, self.MAX_PASSES + 1):
                    for number, pdf in self._pass(pending, result, printed, pool, attempt).items():
                        result.pdf[number] = pdf
                        result.page_map[number] = {anchor: pdf.folio(anchor) for anchor in pdf.anchors}
                    pending = [v for v in volumes if self._moved(printed[v.number], result.page_map)]
                    if not pending:
                        break
                else:
                    self._warn(result, volumes[0], f"page numbers were still moving after {self.MAX_PASSES} "
                                                   f"layouts of {', '.join(str(v.number) for v in pending)}")
            for job, pdf in self.staged.values():
                commit(Path(pdf.staged), Path(pdf.output))
                self.cache.store(job, pdf)
            self.staged = {}
        finally:
            for _, pdf in self.staged.values():
                discard(pdf.staged)
        unknown = sorted({volume for p in printed.values() for (volume, _), folio in p.items() if folio is None})
        for volume in unknown:
            self._warn(result, self.ctx.resolved.volume(volume),
                       f"page numbers in Vol. {volume} are not known yet and print as '?': build volume {volume} too")
        for number, pdf in sorted(result.pdf.items()):
            result.files.append(self.ctx.paths.pdf(self.ctx.resolved.volume(number).slug, self.ctx.profile))
            write_page_map(self.ctx.paths, self.ctx.resolved.volume(number), pdf, self.ctx.profile)
        return result

    def _pass(self, volumes: list[Volume], result: PdfBuild, printed: dict[int, Printed], pool,
              attempt: int) -> dict[int, PdfResult]:
        ctx, laid_out, futures = self.ctx, {}, {}
        problems = Diagnostics()
        for volume in volumes:
            rendered = volume_html(ctx, volume, result.page_map)
            check_contract(ctx.theme, ctx.env, VOLUME_TEMPLATE, rendered.html, problems, needed=(BODY_START_ID,))
            if problems.failed():
                raise SopressError(problems.sorted())
            printed[volume.number] = rendered.printed
            job = PdfJob(
                volume=volume.number,
                html=rendered.html,
                base_url=str(ctx.resolved.book.root) + "/",
                allowed_roots=ctx.allowed_roots,
                output=str(ctx.paths.pdf(volume.slug, ctx.profile)),
                source_date_epoch=int(ctx.timestamp.timestamp()),
                profile=ctx.profile,
            )
            cached = self.cache.lookup(job)
            if cached is not None:
                ctx.progress.step(f"Volume {volume.number}: PDF unchanged, not laid out again")
                laid_out[volume.number] = cached
                continue
            why = "" if attempt == 1 else f" again (pass {attempt}: page numbers in other volumes moved)"
            ctx.progress.step(f"Volume {volume.number}: laying out the PDF{why}")
            futures[pool.submit(lay_out, job)] = job
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            try:
                pdf = future.result()
            except RefusedResource as exc:
                problems.error("refused-resource", str(exc),
                               Location(ctx.resolved.volume(job.volume).folder / "volume.yaml"))
                continue
            if job.volume in self.staged:  # an earlier pass's layout, superseded
                discard(self.staged[job.volume][1].staged)
            self.staged[job.volume] = (job, pdf)
            laid_out[job.volume] = pdf
            result.layouts[job.volume] = result.layouts.get(job.volume, 0) + 1
            ctx.progress.step(f"Volume {job.volume}: {pdf.pages} pages laid out in {pdf.seconds:.1f} s -> {pdf.output}")
        if problems.failed():
            raise SopressError(problems.sorted())
        return laid_out

    @staticmethod
    def _moved(printed: Printed, page_map: PageMap) -> bool:
        return any(page_map.get(volume, {}).get(anchor) != folio for (volume, anchor), folio in printed.items())

    @staticmethod
    def _warn(result: PdfBuild, volume: Volume, message: str) -> None:
        diags = Diagnostics()
        diags.warning("page-numbers", message, Location(volume.folder / "volume.yaml"))
        result.diagnostics += diags.items

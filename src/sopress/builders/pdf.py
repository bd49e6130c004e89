"""The volume PDF builder: each volume as one print-ready PDF, with page numbers that are true.

A volume is laid out a part at a time: the front matter, each section opener, each chapter and the
index. Every part opens on a right-hand page, so its line and page breaks do not depend on what
comes before it; only its folios do, and those are given to it (print/part.html). Parts are laid
out in parallel worker processes, longest first, and kept in the layout cache: a part whose HTML
did not change is not laid out again, and an edit re-lays only its own chapter while the chapter
keeps its length. The parts are spliced into the volume's PDF (sopress.write.splice).

Page numbers in references, the contents and the index come from the page map of the last layout,
so a part is laid out again while the numbers it printed, or its own first folio, still move, as
LaTeX reruns until its .aux file settles. A number not known yet prints as a stand-in that the
part's worker fills in before drawing it (sopress.standins), so a first build lays each part out
about once. The archival profile is tagged (PDF/A-2a), and a tagged PDF cannot be spliced: it lays
each volume out whole, with the same passes (and no stand-ins).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import re
import shutil
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from markupsafe import Markup

from sopress.builders import BuildContext, BuilderOutput
from sopress.diagnostics import Diagnostics, Location, SopressError
from sopress.index_view import index_view
from sopress.model import Chapter, Section, Volume
from sopress.numerals import roman
from sopress.pagemap import PageMap, write_page_map
from sopress.pagesetup import page_setup
from sopress.qr import qr_code, short_url
from sopress.render import Output, VolumeRenderer
from sopress.standins import fill_in
from sopress.theme import check_contract
from sopress.uptodate import volume_inputs
from sopress.write.atomic import commit, discard, staging_path
from sopress.write.cache import OutputCache, input_key, linked_files_key
from sopress.write.jobs import BODY_START_ID, PartJob, PartResult, PdfResult
from sopress.write.pool import LayoutPool, RefusedResource, draw_part, lay_out_part, layout_pool
from sopress.write.splice import splice

VOLUME_TEMPLATE = "print/volume.html"
PARTS_TEMPLATE = "print/parts.html"  # the parts of a volume, in order: its body-start is contract
PART_TEMPLATE = "print/part.html"
CHAPTER_TEMPLATE = "print/chapter.html"  # one chapter alone: the print preview
LAST_KINDS = ("front", "index")  # parts laid out once every other part of the pass is (their numbers known)
WHOLE_VOLUME = "volume"  # the one part of a volume laid out whole (archival)
DEFAULT_CHARACTERS_PER_PAGE = 1500  # of Markdown, in the default theme, before any part of a volume is laid out
Printed = dict[tuple[int, str], "str | None"]  # (volume, anchor) -> the folio a rendering printed for it
_HREF = re.compile(r'\shref="#([^"]+)"')
_ID = re.compile(r'\sid="([^"]+)"')
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@dataclass(frozen=True)
class Part:
    """A piece of a volume laid out on its own: front matter, a section opener, a chapter, the index."""

    name: str
    kind: str  # front, section, chapter or index
    section: Section | None = None
    section_number: int = 0
    chapter: Chapter | None = None
    body_start: bool = False  # the first part of the body, where arabic page 1 is


def volume_parts(ctx: BuildContext, volume: Volume) -> list[Part]:
    parts = [Part("front", "front")]
    for number, section in enumerate(volume.sections, 1):
        parts.append(Part(f"s-{section.id}", "section", section=section, section_number=number))
        parts += [Part(f"c-{chapter.id}", "chapter", chapter=chapter) for chapter in section.chapters]
    if _index(ctx, _print_renderer(ctx, volume, {})):
        parts.append(Part("index", "index"))
    if len(parts) > 1:
        parts[1] = replace(parts[1], body_start=True)
    return parts


def _text_size(part: Part) -> int:
    if part.chapter is not None:
        return len(part.chapter.source)
    return len(part.section.intro_source) if part.section is not None else 0


@dataclass(frozen=True)
class PrintVolume:
    """HTML for the PDF, and the page numbers it printed (from the last layout), some as stand-ins."""

    html: str
    printed: Printed
    stand_ins: dict[str, tuple[int, str]] = field(default_factory=dict)  # stand-in -> (volume, anchor)


def volume_html(ctx: BuildContext, volume: Volume, page_map: PageMap) -> PrintVolume:
    """The whole volume as one HTML document, for the PDF, laid out for the build's profile.

    The link policy of print: references are live links within the volume and name the page;
    references to other volumes name volume and page; images load from the project by file URL.
    """
    renderer = _print_renderer(ctx, volume, page_map)
    html = renderer.page(VOLUME_TEMPLATE, parts=volume_parts(ctx, volume), index=_index(ctx, renderer),
                         **_print_values(ctx, volume, renderer))
    return PrintVolume(html, renderer.printed)


def part_html(ctx: BuildContext, volume: Volume, part: Part, page_map: PageMap, first_folio: int,
              last: bool, digits: Callable[[int, str], int | None] | None = None) -> PrintVolume:
    """One part of the volume alone, its pages numbered from `first_folio`, without its stylesheet.

    It carries a stand-in for each place it links to in other parts (print/part.html). With
    `digits`, a page number not known yet prints as a stand-in of that many digits (sopress.standins),
    except in the index, whose ranges depend on the numbers themselves.
    """
    renderer = _print_renderer(ctx, volume, page_map, digits if part.kind != "index" else None)
    values = _print_values(ctx, volume, renderer)
    body = renderer.page(PARTS_TEMPLATE, parts=[part], index=_index(ctx, renderer) if part.kind == "index" else (),
                         **values)
    elsewhere = sorted(set(_HREF.findall(body)) - set(_ID.findall(body)))
    html = renderer.page(PART_TEMPLATE, body=Markup(body), elsewhere=elsewhere, first_folio=first_folio, last=last,
                         **values)
    return PrintVolume(html, renderer.printed, dict(renderer.pages.stand_ins))


def volume_stylesheet(ctx: BuildContext, volume: Volume) -> str:
    """The stylesheet of the volume's HTML (what a project's print/volume.html makes of it included)."""
    renderer = _print_renderer(ctx, volume, {})
    html = renderer.page(VOLUME_TEMPLATE, parts=[], index=(), **_print_values(ctx, volume, renderer))
    return _STYLE.search(html).group(1)


def _index(ctx: BuildContext, renderer: VolumeRenderer):
    return index_view(ctx.resolved.index, renderer, renderer.output.own_volume, ctx.resolved.book.config.index)


def chapter_html(ctx: BuildContext, volume: Volume, chapter_id: str, page_map: PageMap) -> PrintVolume:
    """One chapter alone with its volume's print CSS, for the print preview of `sopress serve`.

    Its pages are numbered from the folio its first page had in the last layout of the volume (1
    when the volume was never laid out), so they print as they will in the book.
    """
    chapter = next(ch for ch in volume.chapters if ch.id == chapter_id)
    renderer = _print_renderer(ctx, volume, page_map)
    first_page = chapter_first_page(page_map, volume, chapter_id) or 1
    html = renderer.page(CHAPTER_TEMPLATE, chapter=chapter, first_page=first_page,
                         **_print_values(ctx, volume, renderer))
    return PrintVolume(html, renderer.printed)


def chapter_first_page(page_map: PageMap, volume: Volume, chapter_id: str) -> int | None:
    """The folio of the chapter's first page in the last layout; None when it is not known."""
    folio = page_map.get(volume.number, {}).get(chapter_id, "")
    return int(folio) if folio.isdigit() else None


def _print_renderer(ctx: BuildContext, volume: Volume, page_map: PageMap,
                    digits: Callable[[int, str], int | None] | None = None) -> VolumeRenderer:
    output = Output("pdf", volume, ctx.resolved, document_of=lambda _id: "", image_href=lambda p: p.as_uri(),
                    page_map=page_map)
    return VolumeRenderer(ctx.env, output, ctx.globals, digits)


def _print_values(ctx: BuildContext, volume: Volume, renderer: VolumeRenderer) -> dict:
    """What the print templates are given besides the renderer's own values."""
    return dict(fonts=ctx.theme.fonts, keywords=[s.title for s in volume.sections], href=lambda i: f"#{i}",
                page_of=lambda anchor: renderer.folio(volume.number, anchor) or "?",
                omnibus=False, page_setup=page_setup(ctx.resolved.book.config, ctx.profile), qr_code=qr_code,
                short_url=short_url)



@dataclass
class PdfBuild(BuilderOutput):
    pdf: dict[int, PdfResult] = field(default_factory=dict)  # per volume: pages, anchors, whether laid out
    laid_out: list[tuple[int, str]] = field(default_factory=list)  # every (volume, part) laid out, in order
    pages_laid_out: int = 0  # the pages of those layouts, drafts included
    page_map: PageMap = field(default_factory=dict)  # as the final layouts left it

    @property
    def layouts(self) -> dict[int, int]:
        """How many part layouts each volume took."""
        counts: dict[int, int] = {}
        for volume, _ in self.laid_out:
            counts[volume] = counts.get(volume, 0) + 1
        return counts


@dataclass
class VolumeLayout:
    """A volume's parts and where the latest layout of each left them, while passes run."""

    volume: Volume
    parts: list[Part]
    whole: bool  # laid out as one part (a tagged profile)
    pages: dict[str, int] = field(default_factory=dict)  # part -> pages, from the latest layout or the last build
    results: dict[str, PartResult] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # part -> cache key of the HTML it was laid out from
    laid_with: dict[str, int] = field(default_factory=dict)  # part -> the first folio it was laid out with
    printed: dict[str, Printed] = field(default_factory=dict)  # part -> the page numbers it printed
    drafts: set[str] = field(default_factory=set)  # parts laid out only to learn their length

    def first_folio(self, name: str) -> int | None:
        """Where a part starts: page 1 of the front matter, or 1 + the body pages before it (None
        while the length of a part before it is not known, from this build or the last)."""
        folio = 1
        for part in self.parts:
            if part.name == name:
                return folio
            if part.kind != "front":
                if part.name not in self.pages:
                    return None
                folio += self.pages[part.name]
        raise KeyError(name)

    def likely_first_folio(self, name: str) -> int | None:
        """Where a part will likely start: the lengths of the parts before it, laid out or guessed from
        their text at the rate of the parts laid out so far (None for a part the volume does not have)."""
        known = [part for part in self.parts if part.kind == "chapter" and part.name in self.pages]
        per_page = (sum(_text_size(part) for part in known) / max(1, sum(self.pages[p.name] for p in known))
                    or DEFAULT_CHARACTERS_PER_PAGE)
        folio = 1.0
        for part in self.parts:
            if part.name == name:
                return round(folio)
            if part.kind != "front":  # the rate counts the blank pages before rectos: no rounding up here
                folio += self.pages.get(part.name) or max(2.0, _text_size(part) / per_page)
        return None

    @property
    def front_pages(self) -> int:
        if self.whole:
            return self.results[WHOLE_VOLUME].anchors.get(BODY_START_ID, 1) - 1
        return self.results["front"].pages if self.parts[0].kind == "front" else 0

    def folios(self) -> dict[str, str]:
        """The folio of every anchor in the parts laid out so far, first place first."""
        folios: dict[str, str] = {}
        front = self.front_pages if self.whole else 0
        for part in self.parts:
            result = self.results.get(part.name)
            if result is None:
                continue
            first = 1 - front if part.kind in ("front", "volume") else self.laid_with[part.name]
            for anchor, page in result.anchors.items():
                roman_page = part.kind == "front" or page <= front
                folios.setdefault(anchor, roman(page).lower() if roman_page else str(first + page - 1))
        return folios

    def anchors(self) -> dict[str, int]:
        """Every anchor of the volume and its physical page (1-based), once every part is laid out."""
        pages: dict[str, int] = {}
        for part in self.parts:
            offset = 0 if part.kind in ("front", "volume") else self.front_pages + self.laid_with[part.name] - 1
            for anchor, page in self.results[part.name].anchors.items():
                pages.setdefault(anchor, offset + page)
        return pages


@dataclass
class Sent:
    """A job sent to a layout worker: a part to lay out (with the stand-ins it prints), or the
    drawing of a part held in `worker` (no stand-ins: its numbers are filled in)."""

    layout: VolumeLayout
    part: Part
    job: PartJob
    stand_ins: dict[str, tuple[int, str]] | None
    worker: int = 0


class VolumePdfBuilder:
    name = "pdf"
    MAX_PASSES = 4
    TAGGED_PROFILES = ("archival",)  # tagged PDFs: their structure tree cannot be spliced

    def __init__(self, ctx: BuildContext):
        self.ctx = ctx
        self.cache = OutputCache(ctx.paths.cache_entry)

    def build(self, volumes: list[Volume], page_map: PageMap, pool: Executor | None = None) -> PdfBuild:
        """Lay out until the numbers agree, then put every new PDF in place; until then none is.

        Workers write staged files and never replace an output themselves, and they die with the
        build: a build that fails or is killed half-way leaves the previous PDFs as they were.
        `pool` is the build's layout pool (sopress.write.pool), if it started one already.
        """
        ctx = self.ctx
        result = PdfBuild(page_map={n: dict(m) for n, m in page_map.items()})
        layouts = {v.number: self._plan(v, page_map) for v in volumes}
        stylesheets: dict[int, str] = {}  # rendered when a part of the volume is first laid out
        pending = [(layout, part) for layout in layouts.values() for part in layout.parts
                   if part.name not in layout.results]  # all but the parts of settled volumes
        staged: list[tuple[Path, Path]] = []
        try:
            with contextlib.nullcontext(pool) if pool else layout_pool(ctx.jobs) as pool:
                for attempt in range(1, self.MAX_PASSES + 1):
                    self._pass(layouts, pending, stylesheets, result, pool, attempt)
                    for number, layout in layouts.items():
                        result.page_map[number] = layout.folios()
                    pending = [(layout, part) for layout in layouts.values() for part in layout.parts
                               if self._moved(layout, part, result.page_map)]
                    if not pending:
                        break
                else:
                    self._warn(result, volumes[0], "page numbers were still moving after "
                               f"{self.MAX_PASSES} layouts of {', '.join(sorted({p.name for _, p in pending}))}")
            for number, layout in layouts.items():
                result.pdf[number] = self._assemble(layout, result)
                if result.pdf[number].staged:
                    staged.append((Path(result.pdf[number].staged), Path(result.pdf[number].output)))
            for source, output in staged:
                commit(source, output)
            for number, layout in layouts.items():
                output = Path(result.pdf[number].output)
                if result.pdf[number].laid_out:
                    self.cache.store(self._volume_entry(layout), self._volume_key(layout), output,
                                     {**dataclasses.asdict(result.pdf[number]), "staged": ""})
                if not pending:  # numbers that still moved are not a state to start the next build from
                    self.cache.store(self._settled_entry(layout), volume_inputs(ctx, layout.volume, result.page_map),
                                     output, {"parts": [self._settled_part(layout, part) for part in layout.parts]})
                self._forget_old_parts(layout)
            staged = []
        finally:
            for source, _ in staged:
                discard(source)
        unknown = sorted({volume for layout in layouts.values() for printed in layout.printed.values()
                          for (volume, _), folio in printed.items() if folio is None})
        for volume in unknown:
            self._warn(result, ctx.resolved.volume(volume),
                       f"page numbers in Vol. {volume} are not known yet and print as '?': build volume {volume} too")
        for number, pdf in sorted(result.pdf.items()):
            result.files.append(ctx.paths.pdf(ctx.resolved.volume(number).slug, ctx.profile))
            write_page_map(ctx.paths, ctx.resolved.volume(number), pdf, ctx.profile)
        return result

    def _plan(self, volume: Volume, page_map: PageMap) -> VolumeLayout:
        """The volume's parts; as the last build left them when nothing they are made of changed."""
        ctx = self.ctx
        whole = ctx.profile in self.TAGGED_PROFILES
        parts = [Part(WHOLE_VOLUME, "volume")] if whole else volume_parts(ctx, volume)
        layout = VolumeLayout(volume, parts, whole)
        settled = self.cache.lookup(self._settled_entry(layout), volume_inputs(ctx, volume, page_map),
                                    ctx.paths.pdf(volume.slug, ctx.profile))
        if settled is not None and [p["name"] for p in settled["parts"]] == [part.name for part in parts]:
            for record in settled["parts"]:
                name = record["name"]
                layout.results[name] = PartResult(**record["result"])
                layout.pages[name] = layout.results[name].pages
                layout.keys[name], layout.laid_with[name] = record["key"], record["first_folio"]
                layout.printed[name] = {(v, anchor): folio for v, anchor, folio in record["printed"]}
            ctx.progress.explain(f"Volume {volume.number}: nothing its parts are made of changed")
            return layout
        for part in parts:  # each part's length in the last build gives this build's first guess of the folios
            recorded = self.cache.recorded(self._part_entry(volume, part.name))
            if recorded is not None:
                layout.pages[part.name] = recorded["pages"]
        return layout

    def _forget_old_parts(self, layout: VolumeLayout) -> None:
        """Remove the kept layouts of parts the volume no longer has (a chapter deleted or renamed)."""
        folder = self.ctx.paths.parts(layout.volume.slug, self.ctx.profile)
        names = {part.name for part in layout.parts}
        for path in folder.iterdir() if folder.is_dir() else ():
            if path.suffix in (".pdf", ".json") and path.stem not in names and not path.name.startswith("."):
                path.unlink(missing_ok=True)

    @staticmethod
    def _settled_part(layout: VolumeLayout, part: Part) -> dict:
        """What the next build needs of a part it does not render again (see sopress.uptodate.volume_inputs)."""
        return {"name": part.name, "key": layout.keys[part.name], "first_folio": layout.laid_with[part.name],
                "printed": sorted([v, anchor, folio] for (v, anchor), folio in layout.printed[part.name].items()),
                "result": dataclasses.asdict(layout.results[part.name])}

    def _pass(self, layouts: dict[int, VolumeLayout], pending: list[tuple[VolumeLayout, Part]],
              stylesheets: dict[int, str], result: PdfBuild, pool: LayoutPool, attempt: int) -> None:
        """Lay out the pending parts, each as soon as its first folio is known.

        A part's first folio is known when the length of every part before it is, from this build
        or the last; in a first build, the parts of a volume go one after the other (volumes side
        by side), so each is laid out with its true folios. A page number not known yet prints as
        a stand-in: the part's worker keeps its layout and draws it once the number is known. The
        front matter and the index, which print the number of nearly every part, wait for them all
        (the index's page ranges depend on the numbers themselves).
        """
        ctx, problems = self.ctx, Diagnostics()
        building = {layout.volume.number for layout, _ in pending}
        digits = self._digits(layouts) if attempt == 1 else None  # later, a number still unknown prints as '?'
        waiting = list(pending)
        futures: dict[concurrent.futures.Future, Sent] = {}
        held: list[Sent] = []  # laid out with stand-ins, kept in their workers until drawn
        counts: dict[int, int] = {}

        def start(layout: VolumeLayout, part: Part) -> None:
            """Lay the part out, or take it from the layout cache."""
            if layout.volume.number not in stylesheets:
                stylesheets[layout.volume.number] = "" if layout.whole else volume_stylesheet(ctx, layout.volume)
            job, stand_ins = self._job(layout, part, stylesheets[layout.volume.number], result.page_map, problems,
                                       draft_for=building if attempt == 1 else set(), digits=digits)
            cached = None if job.held else self.cache.lookup(self._part_entry(layout.volume, part.name),
                                                             job.cache_key(), Path(job.output))
            if cached is not None:
                self._laid_out(layout, part, PartResult(**cached), result)
                return
            if not counts.get(layout.volume.number):
                why = "" if attempt == 1 else f" again (pass {attempt}: page numbers moved)"
                ctx.progress.step(f"Volume {layout.volume.number}: laying out parts{why}")
            counts[layout.volume.number] = counts.get(layout.volume.number, 0) + 1
            futures[pool.submit(lay_out_part, job)] = Sent(layout, part, job, stand_ins)

        while waiting or futures or held:
            while ready := self._ready(waiting, futures):
                for item in ready:  # a part taken from the cache can make others ready
                    waiting.remove(item)
                    start(*item)
            drawable = [sent for sent in held if all(self._number(result.page_map, p) for p in sent.stand_ins.values())]
            for sent in drawable:  # every number it stands in for is known: draw it, in the worker that holds it
                held.remove(sent)
                layout, part = sent.layout, sent.part
                numbers = {text: self._number(result.page_map, place) for text, place in sent.stand_ins.items()}
                # the job as if it had printed its numbers from the start
                filled = replace(sent.job, html=fill_in(sent.job.html, numbers), held=False)
                layout.printed[part.name] = {**layout.printed[part.name],
                                             **{place: numbers[text] for text, place in sent.stand_ins.items()}}
                layout.keys[part.name] = filled.cache_key()
                futures[pool.submit_to(sent.worker, draw_part, filled, numbers)] = Sent(layout, part, filled, None)
            if problems.failed():
                break
            if not futures:
                break  # parts whose predecessors failed, or whose numbers no part has: laid out again
            done, _ = concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                sent = futures.pop(future)
                layout, part, job = sent.layout, sent.part, sent.job
                try:
                    laid_out = future.result()
                except RefusedResource as exc:  # from the theme or the project's templates: said once a volume
                    if str(exc) not in {d.message for d in problems.items}:
                        problems.error("refused-resource", str(exc), Location(layout.volume.folder / "volume.yaml"))
                    continue
                if laid_out is None:  # a number did not fit its stand-in: laid out again with the number
                    layout.drafts.add(part.name)
                    continue
                if job.held:
                    held.append(replace(sent, worker=future.worker))
                elif job.draft:
                    layout.drafts.add(part.name)
                else:
                    layout.drafts.discard(part.name)
                    commit(Path(laid_out.staged), Path(laid_out.output))
                    laid_out = replace(laid_out, staged="")
                    self.cache.store(self._part_entry(layout.volume, part.name), job.cache_key(), Path(job.output),
                                     dataclasses.asdict(laid_out))
                if sent.stand_ins is not None:  # a layout, not the drawing of a held one
                    result.laid_out.append((layout.volume.number, part.name))
                    result.pages_laid_out += laid_out.pages
                self._laid_out(layout, part, laid_out, result)
                what = ("drawn with its page numbers" if sent.stand_ins is None else
                        f"{laid_out.pages} pages" + (", kept until its page numbers are known" if job.held else ""))
                ctx.progress.explain(f"Volume {layout.volume.number}: {part.name}, {what} in {laid_out.seconds:.1f} s")
        for future in futures:
            future.cancel()
        for sent in held:  # numbers nobody printed: the part is laid out again
            pool.submit_to(sent.worker, draw_part, sent.job, None)
            sent.layout.drafts.add(sent.part.name)
        if problems.failed():
            raise SopressError(problems.sorted())
        for number, count in counts.items():
            ctx.progress.step(f"Volume {number}: {count} of {len(layouts[number].parts)} parts laid out")

    @staticmethod
    def _ready(waiting: list[tuple[VolumeLayout, Part]], futures: dict) -> list[tuple[VolumeLayout, Part]]:
        """The waiting parts that can be laid out now: their first folio is known, and for the contents
        and the index, every other part of the pass is laid out (its numbers known, if not all drawn)."""
        being_laid_out = [sent.part for sent in futures.values() if sent.stand_ins is not None]
        others_done = all(part.kind in LAST_KINDS for part in [p for _, p in waiting] + being_laid_out)
        return [(layout, part) for layout, part in waiting if (part.kind not in LAST_KINDS or others_done)
                and layout.first_folio(part.name) is not None]

    @staticmethod
    def _number(page_map: PageMap, place: tuple[int, str]) -> str | None:
        volume, anchor = place
        return page_map.get(volume, {}).get(anchor)

    def _digits(self, layouts: dict[int, VolumeLayout]) -> Callable[[int, str], int | None]:
        """How many digits a page number not known yet will likely have, in a volume this build lays out."""
        targets = self.ctx.resolved.targets

        def digits(volume: int, anchor: str) -> int | None:
            layout = layouts.get(volume)
            if layout is None or layout.whole:
                return None
            target = targets.get(anchor)
            folio = layout.likely_first_folio(f"c-{target.chapter_id}" if target else f"s-{anchor}")
            return len(str(folio)) if folio else None

        return digits

    def _job(self, layout: VolumeLayout, part: Part, stylesheet: str, page_map: PageMap, problems: Diagnostics,
             draft_for: set[int], digits: Callable[[int, str], int | None] | None
             ) -> tuple[PartJob, dict[str, tuple[int, str]]]:
        """The part rendered with the page numbers known now, as a job for a layout worker, and the
        stand-ins it prints for the others.

        A part that prints a number not known yet in a volume of `draft_for` (volumes this build
        lays out), and has no stand-in for it, is a draft: laid out to learn its length, and laid
        out again once that is known.
        """
        ctx, volume = self.ctx, layout.volume
        if layout.whole:
            rendered, first_folio = volume_html(ctx, volume, page_map), 1
        else:
            first_folio = layout.first_folio(part.name)
            rendered = part_html(ctx, volume, part, page_map, first_folio, part is layout.parts[-1], digits)
        if part.body_start or layout.whole:
            check_contract(ctx.theme, ctx.env, PARTS_TEMPLATE, rendered.html, problems, needed=(BODY_START_ID,))
        layout.printed[part.name] = rendered.printed
        layout.laid_with[part.name] = first_folio
        standing_in = set(rendered.stand_ins.values())
        draft = any(folio is None and volume in draft_for and (volume, anchor) not in standing_in
                    for (volume, anchor), folio in rendered.printed.items())
        job = PartJob(
            volume=volume.number,
            part=part.name,
            html=rendered.html,
            css=stylesheet,
            spliced=not layout.whole,
            draft=draft,
            held=bool(rendered.stand_ins) and not draft,
            base_url=str(ctx.resolved.book.root) + "/",
            allowed_roots=ctx.allowed_roots,
            output=str(ctx.paths.part_pdf(volume.slug, ctx.profile, part.name)),
            source_date_epoch=int(ctx.timestamp.timestamp()),
            profile=ctx.profile,
            linked_files=linked_files_key(rendered.html, stylesheet),
        )
        layout.keys[part.name] = job.cache_key()
        return job, rendered.stand_ins

    @staticmethod
    def _laid_out(layout: VolumeLayout, part: Part, laid_out: PartResult, result: PdfBuild) -> None:
        """Take a part's layout: its length places the parts after it, its anchors go in the page map."""
        layout.results[part.name] = laid_out
        layout.pages[part.name] = laid_out.pages
        result.page_map[layout.volume.number] = {**result.page_map.get(layout.volume.number, {}), **layout.folios()}

    @staticmethod
    def _layout(number: int, pending: list[tuple[VolumeLayout, Part]]) -> VolumeLayout:
        return next(layout for layout, _ in pending if layout.volume.number == number)

    def _assemble(self, layout: VolumeLayout, result: PdfBuild) -> PdfResult:
        """The volume's PDF from its parts: the recorded one when no part changed, else a staged new one."""
        ctx, volume = self.ctx, layout.volume
        output = ctx.paths.pdf(volume.slug, ctx.profile)
        recorded = self.cache.lookup(self._volume_entry(layout), self._volume_key(layout), output)
        if recorded is not None:
            ctx.progress.step(f"Volume {volume.number}: PDF unchanged, {recorded['pages']} pages")
            return PdfResult(**{**recorded, "laid_out": False, "seconds": 0.0, "staged": ""})
        parts = [layout.results[part.name] for part in layout.parts]
        if layout.whole:
            staged = staging_path(output)
            shutil.copyfile(parts[0].output, staged)
        else:
            staged = splice(parts, layout.front_pages, output)
        pdf = PdfResult(volume=volume.number, output=str(output), pages=sum(p.pages for p in parts),
                        front_pages=layout.front_pages, anchors=layout.anchors(),
                        seconds=sum(p.seconds for p in parts), laid_out=True, staged=str(staged))
        ctx.progress.step(f"Volume {volume.number}: {pdf.pages} pages -> {output}")
        return pdf

    def _part_entry(self, volume: Volume, part: str) -> str:  # beside the part's PDF
        return f"pdf-part/{volume.slug}{self.ctx.paths.suffix(self.ctx.profile)}/{part}"

    def _volume_entry(self, layout: VolumeLayout) -> str:
        return f"pdf-volume-{layout.volume.number}-{self.ctx.profile}"

    def _settled_entry(self, layout: VolumeLayout) -> str:
        return f"pdf-parts-{layout.volume.number}-{self.ctx.profile}"

    @staticmethod
    def _volume_key(layout: VolumeLayout) -> str:
        return input_key(*(layout.keys[part.name] for part in layout.parts))

    @staticmethod
    def _moved(layout: VolumeLayout, part: Part, page_map: PageMap) -> bool:
        """Whether a part must be laid out again: a draft, or its first folio or a number it printed moved."""
        if part.name in layout.drafts:
            return True
        if not layout.whole and layout.first_folio(part.name) != layout.laid_with[part.name]:
            return True
        return any(page_map.get(volume, {}).get(anchor) != folio
                   for (volume, anchor), folio in layout.printed[part.name].items())

    @staticmethod
    def _warn(result: PdfBuild, volume: Volume, message: str) -> None:
        diags = Diagnostics()
        diags.warning("page-numbers", message, Location(volume.folder / "volume.yaml"))
        result.diagnostics += diags.items


"""The handout builder: one SOP as a short PDF a trainer hands out, and training packs.

A handout is a working document, not a book page: letter or A4, no recto starts or running heads,
the company's name and logo at the head, "Page X of Y" and the revision in the footer. Its
checklists are fillable checkboxes and it ends with a sign-off block of fillable fields, so it can
be completed on screen or on paper. A handout has no other pages to link to, so a reference names
its place in the printed book: "see Title (Vol. IV, p. 212)", from the print edition's page map.

A pack (content/packs/<id>.yaml) puts several chapters in one PDF: a cover with the agenda, the
handouts in order, and a training record with a row per SOP and fields for both signatures.
"""

from __future__ import annotations

import contextlib
import hashlib
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sopress.builders import BuildContext, BuilderOutput
from sopress.diagnostics import Diagnostics, Location
from sopress.model import Chapter, Pack, Volume
from sopress.pagemap import PageMap, read_page_maps
from sopress.qr import qr_code, short_url
from sopress.render import Output, VolumeRenderer
from sopress.write.atomic import commit, discard
from sopress.write.cache import OutputCache, linked_files_key
from sopress.write.jobs import HandoutJob, HandoutResult
from sopress.write.pool import layout_pool, write_handout

TEMPLATE = "handout/handout.html"
PAGE_MAP_PROFILE = "print"  # page numbers in references are those of the printed book


@dataclass(frozen=True)
class HandoutItem:
    """One SOP in a handout or pack, with what its header and footer say about it."""

    chapter: Chapter
    volume: Volume
    number: str  # the chapter's number in its volume


@dataclass
class HandoutBuild(BuilderOutput):
    results: list[HandoutResult] = field(default_factory=list)
    laid_out: int = 0  # how many were laid out (the rest were unchanged)


class HandoutBuilder:
    name = "handout"

    def __init__(self, ctx: BuildContext, paper: str, out: Path):
        self.ctx, self.paper, self.out = ctx, paper, out
        self.page_map: PageMap = read_page_maps(ctx.paths, ctx.resolved.book.volumes, PAGE_MAP_PROFILE)
        self.cache = OutputCache(ctx.paths.cache_entry)

    def _cache_name(self, job: HandoutJob) -> str:
        """One record per output file (a handout's name is its chapter id; a pack's, 'pack ID')."""
        return f"handout-{hashlib.sha256(job.output.encode()).hexdigest()[:16]}-{job.profile}"

    def build(self, chapter_ids: list[str], packs: list[Pack], pool: Executor | None = None) -> HandoutBuild:
        """Lay out the handouts and packs that changed; `pool` is the layout pool, if one was started."""
        result = HandoutBuild()
        jobs = [self._chapter_job(chapter_id) for chapter_id in chapter_ids] + [self._pack_job(p) for p in packs]
        result.diagnostics += self._missing_page_maps(chapter_ids, packs)
        pending = []
        for job in jobs:
            cached = self.cache.lookup(self._cache_name(job), job.cache_key(), Path(job.output))
            if cached is not None:
                result.results.append(HandoutResult(**{**cached, "seconds": 0.0}))
            else:
                pending.append(job)
        self.ctx.progress.step(f"Handouts: {len(jobs)} to make, {len(pending)} to lay out "
                               f"({len(jobs) - len(pending)} unchanged) -> {self.out}")
        staged: list[HandoutResult] = []  # put in place together once all are laid out, as the volumes are
        try:
            workers = max(1, min(self.ctx.jobs, len(pending) or 1))
            with contextlib.nullcontext(pool) if pool else layout_pool(workers) as pool:
                for done, made in enumerate(pool.map(write_handout, pending), 1):
                    staged.append(made)
                    self.ctx.progress.explain(f"[{done}/{len(pending)}] {made.name}: {made.pages} page(s) in "
                                              f"{made.seconds:.2f} s -> {made.output}")
            for job, made in zip(pending, staged):
                commit(Path(made.staged), Path(made.output))
                self.cache.store(self._cache_name(job), job.cache_key(), Path(made.output),
                                 {**asdict(made), "staged": ""})
                result.results.append(made)
            staged = []
        finally:
            for made in staged:
                discard(made.staged)
        result.laid_out = len(pending)
        result.results.sort(key=lambda r: [j.name for j in jobs].index(r.name))
        result.files = [Path(r.output) for r in result.results]
        return result

    # -- rendering ------------------------------------------------------------------------------

    def _item(self, chapter_id: str) -> HandoutItem:
        resolved = self.ctx.resolved
        target = resolved.targets[chapter_id]
        volume = resolved.volume(target.volume)
        chapter = next(ch for ch in volume.chapters if ch.id == chapter_id)
        return HandoutItem(chapter, volume, target.number)

    def _html(self, items: list[HandoutItem], pack: Pack | None) -> str:
        ctx = self.ctx
        first = items[0].volume
        output = Output("handout", first, ctx.resolved, document_of=lambda _id: "", image_href=lambda p: p.as_uri(),
                        page_map=self.page_map, linked_chapters=frozenset(i.chapter.id for i in items))
        renderer = VolumeRenderer(ctx.env, output, ctx.globals)
        return renderer.page(TEMPLATE, items=items, pack=pack, paper=self.paper, fonts=ctx.theme.fonts,
                             qr_code=qr_code, short_url=short_url)

    def _job(self, name: str, html: str, output: Path) -> HandoutJob:
        ctx = self.ctx
        return HandoutJob(name=name, html=html, base_url=str(ctx.resolved.book.root) + "/",
                          allowed_roots=ctx.allowed_roots, output=str(output),
                          source_date_epoch=int(ctx.timestamp.timestamp()), profile=ctx.profile,
                          linked_files=linked_files_key(html))

    def _chapter_job(self, chapter_id: str) -> HandoutJob:
        item = self._item(chapter_id)
        return self._job(chapter_id, self._html([item], None), self.out / f"{chapter_id}.pdf")

    def _pack_job(self, pack: Pack) -> HandoutJob:
        items = [self._item(chapter_id) for chapter_id in pack.chapters]
        return self._job(f"pack {pack.id}", self._html(items, pack), self.out / "packs" / f"{pack.id}.pdf")

    def _missing_page_maps(self, chapter_ids: list[str], packs: list[Pack]) -> list:
        """A reference into a volume whose print edition was never laid out prints '?': say so once."""
        resolved, diags = self.ctx.resolved, Diagnostics()
        wanted = set(chapter_ids) | {c for p in packs for c in p.chapters}
        volumes = {resolved.links[ref].volume for v in resolved.book.volumes for ch in v.chapters
                   if ch.id in wanted for ref in ch.doc.references if ref in resolved.links
                   and resolved.links[ref].chapter_id != ch.id}
        for number in sorted(volumes - set(self.page_map)):
            volume = resolved.volume(number)
            diags.warning("page-numbers", f"handouts refer to Vol. {number} but its print edition has not been laid "
                                          f"out, so its page numbers print as '?': run `sopress build --format pdf "
                                          f"--profile print` first", Location(volume.folder / "volume.yaml"))
        return diags.items

"""sopress publish: a validated release in publish/<edition>/, ready for the printer, the stores and trainers.

The driver builds what is out of date through the API (print PDFs and the EPUBs, whose page-list
gives the print edition's pages; screen PDFs; every handout and pack), runs every gate
(sopress.publish.gates) and refuses, leaving publish/ exactly as it was, unless all pass. Only then
is the release assembled, in a folder beside the final one, and moved into place in one step
(sopress.publish.release). docs/publish.md describes the release and how to install the validators.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sopress import api
from sopress.builders import BuildContext
from sopress.builders.pdf import volume_html
from sopress.diagnostics import Diagnostic, SopressError
from sopress.load import slug
from sopress.model import ResolvedBook
from sopress.numerals import roman
from sopress.pagemap import read_page_maps
from sopress.pagesetup import Profile
from sopress.paths import ReleasePaths
from sopress.progress import SILENT, Progress
from sopress.publish import release
from sopress.publish.gates import (GateResult, build_gate, handouts_gate, pdf_gate, source_gate,
                                   validator_gate)
from sopress.publish.pdfcheck import VolumeLayout
from sopress.publish.release import Artifact, Source
from sopress.publish.validators import (CleanRecords, ace_fingerprint, epubcheck_fingerprint, run_ace,
                                        run_epubcheck)

PROFILES: tuple[Profile, ...] = ("print", "screen")


class PublishRefused(SopressError):
    """A gate did not pass; nothing under publish/ was touched."""

    def __init__(self, gates: list[GateResult]):
        super().__init__([d for gate in gates for d in gate.problems])
        self.gates = gates

    @property
    def failed(self) -> list[GateResult]:
        return [gate for gate in self.gates if not gate.passed]


@dataclass(frozen=True)
class Release:
    folder: Path
    edition: str
    draft: bool
    artifacts: tuple[Artifact, ...]
    gates: tuple[GateResult, ...]
    replaced: bool  # False when the folder already held exactly this release


@dataclass(frozen=True)
class Builds:
    """What the builders made for a release."""

    books: dict[Profile, api.BuildResult]  # per PDF profile; the print build also made the EPUBs
    handouts: dict[str, Path]  # chapter id or 'pack ID' -> its handout
    handout_pages: dict[str, int]
    warnings: list[Diagnostic]


def edition_name(statement: str, edition: str | None, draft: bool) -> str:
    """The edition's slug (book.yaml's `edition`, or --edition), with -DRAFT for a draft release."""
    name = slug(edition if edition is not None else statement)
    if not name:
        raise ValueError("no edition to publish: set `edition` in content/book.yaml or give --edition NAME")
    return f"{name}-DRAFT" if draft else name


def publish(root: Path, edition: str | None = None, draft: bool = False, jobs: int = 2,
            build_dir: Path | None = None, progress: Progress = SILENT) -> Release:
    """Build, validate and release the set into ROOT/publish/<edition>/; raises PublishRefused.

    `draft` allows chapters that are not final and marks the release DRAFT. Raises ValueError when
    there is no edition name.
    """
    root = Path(root).resolve()
    progress.step("Gate sources: check --strict" + ("" if draft else ", every chapter final"))
    try:
        resolved, diagnostics = api.check(root, strict=True)
    except SopressError as exc:
        raise PublishRefused([source_gate(None, exc.diagnostics, draft)]) from None
    sources = source_gate(resolved, diagnostics, draft)
    if not sources.passed:
        raise PublishRefused([sources])
    name = edition_name(resolved.book.config.edition, edition, draft)
    try:
        builds = _build(root, resolved, jobs, build_dir, progress)
    except SopressError as exc:
        raise PublishRefused([sources, build_gate(exc.diagnostics, 0)]) from None
    contexts = {profile: api.prepare(root, strict=True, build_dir=build_dir, profile=profile)[0]
                for profile in PROFILES}
    gates = [sources, *_artifact_gates(root, resolved, builds, contexts, jobs, progress)]
    if not all(gate.passed for gate in gates):
        raise PublishRefused(gates)
    return _release(root, resolved, name, draft, builds, gates, contexts["screen"], progress)


def _build(root: Path, resolved: ResolvedBook, jobs: int, build_dir: Path | None, progress: Progress) -> Builds:
    """Print first: the EPUBs' page-list and the handouts' references give the print edition's pages."""
    build = partial(api.build, root, jobs=jobs, strict=True, build_dir=build_dir, progress=progress)
    progress.step("Building the print PDFs and the EPUBs")
    printed = build(("pdf", "epub"), profile="print", omnibus=True)
    progress.step("Building the screen PDFs")
    screen = build(("pdf",), profile="screen")
    progress.step("Making the handouts of every chapter and every pack")
    made = api.handouts(root, everything=True, packs=[p.id for p in resolved.packs], jobs=jobs, strict=True,
                        build_dir=build_dir, progress=progress)
    return Builds({"print": printed, "screen": screen}, {r.name: Path(r.output) for r in made.results},
                  {r.name: r.pages for r in made.results},
                  printed.diagnostics + screen.diagnostics + made.diagnostics)


def _artifact_gates(root: Path, resolved: ResolvedBook, builds: Builds, contexts: dict[Profile, BuildContext],
                    jobs: int, progress: Progress) -> list[GateResult]:
    epubs = [p for p in builds.books["print"].outputs if p.suffix == ".epub"]
    made = sum(len(result.outputs) for result in builds.books.values()) + len(builds.handouts)
    gates = [build_gate(builds.warnings, made)]
    progress.step("Gate pdf: reading every PDF back")
    layouts = [layout for profile, ctx in contexts.items() for layout in _layouts(ctx, builds.books[profile])]
    gates.append(pdf_gate(layouts, {f.family for f in contexts["screen"].theme.fonts}))
    gates.append(handouts_gate(resolved, builds.handouts))
    records = CleanRecords(contexts["print"].paths.cache_entry)
    progress.step(f"Gate epubcheck: {len(epubs)} EPUBs")
    gates.append(validator_gate("epubcheck", "EPUBCheck: no error and no warning",
                                partial(records.run, "epubcheck", epubcheck_fingerprint, run_epubcheck), epubs, jobs))
    progress.step(f"Gate ace: {len(epubs)} EPUBs (DAISY Ace)")
    gates.append(validator_gate("ace", "DAISY Ace: no accessibility violation",
                                partial(records.run, "ace", partial(ace_fingerprint, root), partial(run_ace, root=root)),
                                epubs, jobs))
    for gate in gates:
        progress.explain(f"{gate.name}: {gate.summary()}")
    return gates


def _layouts(ctx: BuildContext, result: api.BuildResult) -> list[VolumeLayout]:
    """Each volume's layout and the page numbers its final rendering printed (rendered again to know them)."""
    volumes = ctx.resolved.book.volumes
    page_map = read_page_maps(ctx.paths, volumes, ctx.profile)
    pdfs = {v.number: ctx.paths.pdf(v.slug, ctx.profile) for v in volumes}
    return [VolumeLayout(Path(result.pdf[v.number].output), v.number, result.pdf[v.number].pages,
                         result.pdf[v.number].front_pages, tuple((c.id, c.title) for c in v.chapters),
                         volume_html(ctx, v, page_map).printed, pdfs)
            for v in volumes]


def source_state(root: Path) -> Source:
    """The project's commit and whether its tree is clean (build/ and publish/ aside); None outside git."""
    git = shutil.which("git")
    if git is None:
        return Source(None, None)
    head = subprocess.run([git, "-C", str(root), "rev-parse", "--verify", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return Source(None, None)
    status = subprocess.run([git, "-C", str(root), "status", "--porcelain", "--", ".", ":(exclude)build",
                             ":(exclude)publish"], capture_output=True, text=True)
    return Source(head.stdout.strip(), status.returncode == 0 and not status.stdout.strip())


def _release(root: Path, resolved: ResolvedBook, name: str, draft: bool, builds: Builds, gates: list[GateResult],
             ctx: BuildContext, progress: Progress) -> Release:
    publish_dir = root / "publish"
    created = not publish_dir.exists()
    final = publish_dir / name
    assembled = release.assembly_folder(publish_dir, name)
    try:
        progress.step(f"Assembling the release {final}")
        artifacts = _assemble(root, ctx, resolved, ReleasePaths(assembled, resolved.book.config.id, name), draft,
                              builds, gates)
        replaced = release.move_into_place(assembled, final)
    except BaseException:
        shutil.rmtree(assembled, ignore_errors=True)
        if created:
            shutil.rmtree(publish_dir, ignore_errors=True)
        raise
    release.remove_leftovers(publish_dir, name)
    progress.step(f"Published {len(artifacts)} files in {final}" + ("" if replaced else " (unchanged)"))
    return Release(final, name, draft, tuple(artifacts), tuple(gates), replaced)


def _assemble(root: Path, ctx: BuildContext, resolved: ResolvedBook, paths: ReleasePaths, draft: bool,
              builds: Builds, gates: list[GateResult]) -> list[Artifact]:
    book, folder = resolved.book, paths.folder
    source = source_state(root)
    built = ctx.timestamp.isoformat().replace("+00:00", "Z")
    add = partial(release.artifact, folder, source=source, built=built)
    artifacts: list[Artifact] = []
    shelf = []
    for volume in book.volumes:
        files = []
        for profile in PROFILES:
            pdf = builds.books[profile].pdf[volume.number]
            target = release.copy_into(Path(pdf.output), paths.pdf(volume.number, profile))
            files.append(add(target, f"Volume {roman(volume.number)}, {profile} PDF", "pdf", volume=volume.number,
                             profile=profile, pages=pdf.pages,
                             isbn=volume.isbn.print if profile == "print" else None))
        target = release.copy_into(ctx.paths.epub(volume.slug), paths.epub(volume.number))
        files.append(add(target, f"Volume {roman(volume.number)}, EPUB", "epub", volume=volume.number,
                         isbn=volume.isbn.ebook))
        cover = release.render_cover(paths.pdf(volume.number, "screen"), paths.cover(volume.number))
        shelf.append({"volume": volume, "cover": cover.relative_to(folder).as_posix(), "files": files})
        artifacts += files
    whole = [add(release.copy_into(ctx.paths.omnibus(), paths.omnibus()), "The whole set, EPUB", "epub")]
    members = [(f"{chapter.id}.pdf", builds.handouts[chapter.id]) for _, chapter in book.chapters()]
    members += [(f"packs/{pack.id}.pdf", builds.handouts[f"pack {pack.id}"]) for pack in resolved.packs]
    handouts = release.write_zip(paths.handouts(), members, ctx.timestamp)
    whole.append(add(handouts, f"Handouts of every chapter ({len(book.chapters())}) and pack", "zip"))
    for pack in resolved.packs:
        target = release.copy_into(builds.handouts[f"pack {pack.id}"], paths.pack(pack.id))
        whole.append(add(target, f"Training pack: {pack.title}", "pdf", pages=builds.handout_pages[f"pack {pack.id}"]))
    artifacts += whole
    header = {"set": {"id": book.config.id, "title": book.config.title, "volumes": len(book.volumes)},
              "edition": {"name": paths.edition, "statement": book.config.edition}, "draft": draft,
              "built": built, "source": {"commit": source.commit, "clean": source.clean},
              "sopress": ctx.globals["sopress_version"]}
    record = release.manifest_record(header, gates, artifacts)
    release.write_manifest(paths.manifest(), record)
    release.write_page(paths.page(), ctx.env, **ctx.globals, release=record, draft=draft, gates=gates,
                       shelf=shelf, whole=whole, size=release.human_size)
    release.write_checksums(folder, paths.checksums())
    return artifacts

"""Click commands only: parse options, call sopress.api, turn problems into messages and exit codes.

Exit status: 0 success, 1 errors in the sources (reported as path:line:col: error[code]: message),
2 wrong command-line usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

import sopress
from sopress import api
from sopress.diagnostics import Diagnostic, SopressError
from sopress.pagesetup import PROFILES, Profile
from sopress.progress import Progress

ROOT_OPTION = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="The project folder: it holds content/ and, optionally, templates/.",
)
STRICT_OPTION = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def _report(diagnostics: list[Diagnostic], root: Path) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(root), err=True)


def _fail(exc: SopressError, root: Path) -> None:
    _report(exc.diagnostics, root)
    errors = sum(d.severity == "error" for d in exc.diagnostics)
    warnings = len(exc.diagnostics) - errors
    click.echo(f"sopress: stopped with {errors} error(s) and {warnings} warning(s)", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(sopress.__version__, prog_name="sopress")
def main() -> None:
    """Publish a tree of Markdown SOPs as print-ready PDF volumes and EPUB editions.

    \b
    Examples:
      sopress check                 validate content/ without rendering
      sopress build                 build every volume as PDF and EPUB into build/
      sopress handout --all         a training handout of every SOP into build/handouts/
      sopress list                  show the volumes, sections and chapters with their ids
    """


@main.command()
@ROOT_OPTION
@click.option("--format", "formats", type=click.Choice(["pdf", "epub", "all"]), multiple=True, default=["all"],
              show_default=True, help="What to build; repeat for several.")
@click.option("--volume", "volumes", type=int, multiple=True, metavar="N",
              help="Build only volume N; repeat for several. Default: every volume.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=2, show_default=True,
              help="Volumes laid out in parallel, one process each.")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where outputs go. Default: ROOT/build.")
@click.option("--profile", type=click.Choice(PROFILES), default="screen", show_default=True,
              help="What the PDFs are for: screen (live links, colour), print (bleed and crop marks, "
                   "greyscale for the press) or archival (PDF/A-2a, tagged). Print and archival PDFs are "
                   "written as <volume>-print.pdf and <volume>-archival.pdf. See docs/pdf.md.")
@click.option("--omnibus", is_flag=True, help="Also build one EPUB of the whole set: build/epub/<book id>.epub.")
@STRICT_OPTION
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
@click.option("-v", "--verbose", is_flag=True, help="Explain each stage as it runs.")
def build(root: Path, formats: tuple[str, ...], volumes: tuple[int, ...], jobs: int, build_dir: Path | None,
          profile: Profile, omnibus: bool, strict: bool, quiet: bool, verbose: bool) -> None:
    """Build the set: build/pdf/<volume>.pdf and build/epub/<volume>.epub.

    The sources are checked first; any error stops the build before anything is written, and
    outputs are replaced atomically, so a failed build leaves the last good files in place. A
    volume whose PDF input has not changed is not laid out again.

    \b
    Examples:
      sopress build                          every volume, PDF and EPUB
      sopress build --format pdf --volume 4  only the PDF of volume 4
      sopress build --jobs 4 -v              four volumes at once, explaining each stage
      sopress build --profile print          PDFs for the press: bleed, crop marks
      sopress build --format epub --omnibus  every volume's EPUB and one of the whole set
      sopress build --root ~/books/manual -q a project elsewhere, quietly
    """
    wanted = ("pdf", "epub") if "all" in formats else formats
    progress = Progress(level=-1 if quiet else (1 if verbose else 0))
    try:
        result = api.build(root, wanted, volumes, jobs=jobs, strict=strict, build_dir=build_dir, progress=progress,
                           profile=profile, omnibus=omnibus)
    except SopressError as exc:
        _fail(exc, root)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    _report(result.diagnostics, root)
    progress.step(f"Built {len(result.outputs)} file(s).")


@main.command()
@ROOT_OPTION
@STRICT_OPTION
def check(root: Path, strict: bool) -> None:
    """Validate the whole source without rendering anything.

    Reads book.yaml, every volume manifest, every chapter's front matter and Markdown, and
    resolves every cross-reference. Reports all problems at once as
    path:line:col: severity[code]: message, and exits 1 if there are errors.

    \b
    Examples:
      sopress check
      sopress check --strict        fail on warnings too (for CI)
      sopress check --root ../manual
    """
    try:
        resolved, diagnostics = api.check(root, strict)
    except SopressError as exc:
        _fail(exc, root)
    _report(diagnostics, root)
    chapters = sum(len(v.chapters) for v in resolved.book.volumes)
    click.echo(f"{len(resolved.book.volumes)} volumes, {chapters} chapters: "
               f"no errors, {len(diagnostics)} warning(s)", err=True)


@main.command()
@ROOT_OPTION
@click.argument("chapters", nargs=-1, metavar="[CHAPTER-ID]...")
@click.option("--section", "sections", multiple=True, metavar="FOLDER",
              help="Every chapter of a section: its folder (01-finance), or volume/folder where two volumes "
                   "have one of that name. Repeat for several.")
@click.option("--volume", "volumes", type=int, multiple=True, metavar="N", help="Every chapter of volume N; repeat for several.")
@click.option("--all", "everything", is_flag=True, help="A handout of every chapter of the set.")
@click.option("--pack", "packs", multiple=True, metavar="ID",
              help="A training pack described in content/packs/ID.yaml: cover, handouts, training record.")
@click.option("--paper", type=click.Choice(["letter", "a4"]), default=None,
              help="Page size. Default: book.yaml's handouts.paper (letter unless it says a4).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the PDFs go. Default: BUILD_DIR/handouts.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=2, show_default=True,
              help="Handouts laid out in parallel, one process each.")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The build folder whose print page maps give page numbers. Default: ROOT/build.")
@click.option("--profile", type=click.Choice(["screen", "archival"]), default="screen", show_default=True,
              help="archival writes tagged PDFs (PDF/UA-1), for records that must be accessible.")
@STRICT_OPTION
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
@click.option("-v", "--verbose", is_flag=True, help="Name each handout as it is laid out.")
def handout(root: Path, chapters: tuple[str, ...], sections: tuple[str, ...], volumes: tuple[int, ...],
            everything: bool, packs: tuple[str, ...], paper: str | None, out: Path | None, jobs: int,
            build_dir: Path | None, profile: Profile, strict: bool, quiet: bool, verbose: bool) -> None:
    """Training handouts: one SOP per PDF, with fillable checklists and a sign-off block.

    Each chapter becomes OUT/<chapter-id>.pdf; each pack OUT/packs/<pack-id>.pdf. References to
    other chapters print as "see Title (Vol. IV, p. 212)", with the page numbers of the print
    edition: build it first (sopress build --format pdf --profile print), or they print as "?".
    A handout whose source has not changed is not laid out again.

    \b
    Examples:
      sopress handout patch-management                one SOP: build/handouts/patch-management.pdf
      sopress handout --section 01-finance --paper a4 every SOP of a section, on A4
      sopress handout --volume 3 -j 4                 a whole volume, four at a time
      sopress handout --all --out ~/training          every SOP of the set
      sopress handout --pack new-technician-week-1    a training pack from content/packs/
    """
    progress = Progress(level=-1 if quiet else (1 if verbose else 0))
    try:
        made = api.handouts(root, chapters, sections, volumes, everything, packs, paper=paper, out=out, jobs=jobs,
                            strict=strict, build_dir=build_dir, progress=progress, profile=profile)
    except SopressError as exc:
        _fail(exc, root)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    _report(made.diagnostics, root)
    progress.step(f"Made {len(made.files)} handout(s), {made.laid_out} laid out.")


@main.command(name="list")
@ROOT_OPTION
def list_command(root: Path) -> None:
    """List the set's volumes, sections and chapters, with chapter ids and status.

    \b
    Examples:
      sopress list
      sopress list | grep outline      chapters still to be written
    """
    try:
        book, diagnostics = api.load(root)
    except SopressError as exc:
        _fail(exc, root)
    _report(diagnostics, root)
    for volume in book.volumes:
        click.echo(f"Volume {volume.number}: {volume.title}  [{volume.slug}]")
        number = 0
        for section in volume.sections:
            click.echo(f"  {section.title}  [{section.folder.name}]")
            for chapter in section.chapters:
                number += 1
                click.echo(f"    {number:3d}. {chapter.title}  [{chapter.id}] ({chapter.front.status})")

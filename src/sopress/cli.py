"""Click commands only: parse options, call sopress.api, turn problems into messages and exit codes.

Exit status: 0 success, 1 errors in the sources (reported as path:line:col: error[code]: message),
2 wrong command-line usage.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Iterator

import click

import sopress
from sopress import api
from sopress.diagnostics import Diagnostic, SopressError
from sopress.importer import TOOLS
from sopress.pagesetup import PROFILES, Profile
from sopress.progress import Progress

ROOT_OPTION = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="The project folder: it holds content/ and, optionally, templates/.",
)
STRICT_OPTION = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
LINKS_OPTION = click.option(
    "--links", type=click.Choice(["strict", "warn"]), default=None,
    help="warn: a link to an unknown target is a warning, not an error (for a freshly imported tree). "
         "Default: book.yaml's links (strict unless it says warn).",
)


def _report(diagnostics: list[Diagnostic], root: Path) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(root), err=True)


@contextlib.contextmanager
def _problems(root: Path) -> Iterator[None]:
    """Errors in the sources: reported in editor form, exit 1; a selection that names nothing: usage, exit 2."""
    try:
        yield
    except SopressError as exc:
        _fail(exc, root)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _fail(exc: SopressError, root: Path) -> None:
    _report(exc.diagnostics, root)
    errors = sum(d.severity == "error" for d in exc.diagnostics)
    warnings = len(exc.diagnostics) - errors
    click.echo(f"sopress: stopped with {errors} error(s) and {warnings} warning(s)", err=True)
    sys.exit(1)


class _Commands(click.Group):
    """Ctrl-C stops any command with one line and the conventional status, 130; no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("sopress: interrupted; outputs of earlier builds are as they were", err=True)
            sys.exit(130)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(sopress.__version__, prog_name="sopress")
def main() -> None:
    """Publish a tree of Markdown SOPs as print-ready PDF volumes and EPUB editions.

    \b
    Examples:
      sopress check                 validate content/ without rendering
      sopress build                 build every volume as PDF and EPUB into build/
      sopress handout --all         a training handout of every SOP into build/handouts/
      sopress list                  show the volumes, sections and chapters with their ids
      sopress serve --open          a live preview in the browser, reloaded on every save
      sopress new my-manual         start a project that builds as it is
      sopress import mkdocs ~/site  turn a MkDocs (or mdBook, GitBook) tree into a project
      sopress publish               a validated release in publish/<edition>/
    """


@main.command()
@ROOT_OPTION
@click.option("--format", "formats", type=click.Choice(["pdf", "epub", "all"]), multiple=True, default=["all"],
              show_default=True, help="What to build; repeat for several.")
@click.option("--volume", "volumes", type=int, multiple=True, metavar="N",
              help="Build only volume N; repeat for several. Default: every volume.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=2, show_default=True,
              help="Layout processes: chapters, section openers, front matter and indexes are laid out in parallel.")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where outputs go. Default: ROOT/build.")
@click.option("--profile", type=click.Choice(PROFILES), default="screen", show_default=True,
              help="What the PDFs are for: screen (live links, colour), print (bleed and crop marks, "
                   "greyscale for the press) or archival (PDF/A-2a, tagged). Print and archival PDFs are "
                   "written as <volume>-print.pdf and <volume>-archival.pdf. See docs/pdf.md.")
@click.option("--omnibus", is_flag=True, help="Also build one EPUB of the whole set: build/epub/<book id>.epub.")
@STRICT_OPTION
@LINKS_OPTION
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
@click.option("-v", "--verbose", is_flag=True, help="Explain each stage as it runs.")
def build(root: Path, formats: tuple[str, ...], volumes: tuple[int, ...], jobs: int, build_dir: Path | None,
          profile: Profile, omnibus: bool, strict: bool, links: str | None, quiet: bool, verbose: bool) -> None:
    """Build the set: build/pdf/<volume>.pdf and build/epub/<volume>.epub.

    The sources are checked first; any error stops the build before anything is written, and
    outputs are replaced atomically, so a failed build leaves the last good files in place. A
    volume is laid out a chapter at a time; a chapter whose input has not changed is not laid out
    again, and a build with nothing changed returns at once.

    \b
    Examples:
      sopress build                          every volume, PDF and EPUB
      sopress build --format pdf --volume 4  only the PDF of volume 4
      sopress build --jobs 4 -v              four layout processes, explaining each stage
      sopress build --profile print          PDFs for the press: bleed, crop marks
      sopress build --format epub --omnibus  every volume's EPUB and one of the whole set
      sopress build --root ~/books/manual -q a project elsewhere, quietly
      sopress build --links warn             report unknown link targets as warnings
    """
    wanted = ("pdf", "epub") if "all" in formats else formats
    progress = Progress(level=-1 if quiet else (1 if verbose else 0))
    with _problems(root):
        result = api.build(root, wanted, volumes, jobs=jobs, strict=strict, build_dir=build_dir,
                           progress=progress, profile=profile, omnibus=omnibus, links=links)
    _report(result.diagnostics, root)
    progress.step(f"Built {len(result.outputs)} file(s).")


@main.command()
@ROOT_OPTION
@STRICT_OPTION
@LINKS_OPTION
def check(root: Path, strict: bool, links: str | None) -> None:
    """Validate the whole source without rendering anything.

    Reads book.yaml, every volume manifest, every chapter's front matter and Markdown, and
    resolves every cross-reference. Reports all problems at once as
    path:line:col: severity[code]: message, and exits 1 if there are errors.

    \b
    Examples:
      sopress check
      sopress check --strict        fail on warnings too (for CI)
      sopress check --root ../manual
      sopress check --links warn    an imported tree: broken links are warnings
    """
    with _problems(root):
        resolved, diagnostics = api.check(root, strict, links, build_dir=root / "build")
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
              help="Layout processes: handouts are laid out this many at a time.")
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
    with _problems(root):
        made = api.handouts(root, chapters, sections, volumes, everything, packs, paper=paper, out=out, jobs=jobs,
                            strict=strict, build_dir=build_dir, progress=progress, profile=profile)
    _report(made.diagnostics, root)
    progress.step(f"Made {len(made.files)} handout(s), {made.laid_out} laid out.")


@main.command()
@ROOT_OPTION
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port on 127.0.0.1 to serve on; 0 picks a free one.")
@click.option("--open", "open_browser", is_flag=True, help="Open the contents page in the default browser.")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The build folder whose page maps number the print preview. Default: ROOT/build.")
@LINKS_OPTION
def serve(root: Path, port: int, open_browser: bool, build_dir: Path | None, links: str | None) -> None:
    """A live preview of the set at http://127.0.0.1:PORT/, reloaded on every save.

    The contents page lists every volume, section and chapter with its status; each chapter is a
    page rendered as in the EPUB, with live links between chapters and volumes. Saving a chapter,
    a manifest, house.yaml, a pack or a template reloads the open page where it was; while the
    sources have errors, the page (and this terminal) shows them with their places. A chapter's
    print preview (/VOLUME/CHAPTER.print.html, .pdf, .png?page=N) lays out that chapter alone,
    numbered from where the last `sopress build --format pdf` put it. Only 127.0.0.1 is served,
    and only generated pages and files inside content/. Ctrl-C stops it. See docs/preview.md.

    \b
    Examples:
      sopress serve                       http://127.0.0.1:8000/
      sopress serve --open                and open it in the browser
      sopress serve --port 0              any free port (the address is printed)
      sopress serve --root ~/books/manual --port 8100
    """
    from sopress.write.libraries import libraries_from_ld_cache

    with libraries_from_ld_cache():  # the preview lays out print pages itself: WeasyPrint loads with it
        from sopress.serve import PortInUse, serve as run_server

    try:
        run_server(root, port, build_dir, links, open_browser, report=lambda line: click.echo(line, err=True))
    except PortInUse as exc:
        raise click.BadParameter(f"{exc.strerror}; choose another, or --port 0 for any free port",
                                 param_hint="'--port'") from exc
    except OSError as exc:
        raise click.BadParameter(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
                                 param_hint="'--port'") from exc


@main.command()
@ROOT_OPTION
@click.option("--edition", default=None, metavar="NAME",
              help="The release's name, slugified: publish/NAME/. Default: book.yaml's edition (First edition -> "
                   "first-edition).")
@click.option("--draft", is_flag=True, help="Allow chapters that are not final; the release is marked DRAFT "
                                            "(publish/NAME-DRAFT/, its manifest and its page).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=2, show_default=True,
              help="Volumes laid out, and validators run, in parallel.")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The build folder the books are built in first. Default: ROOT/build.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
@click.option("-v", "--verbose", is_flag=True, help="Explain each stage and each gate's result.")
def publish(root: Path, edition: str | None, draft: bool, jobs: int, build_dir: Path | None, quiet: bool,
            verbose: bool) -> None:
    """A validated release in publish/<edition>/, for the printer, the stores and the trainers.

    Builds what is out of date (print and screen PDFs, the EPUBs and the omnibus, every handout and
    pack), then runs every gate: check --strict and every chapter final, the PDFs read back,
    handouts for every chapter, EPUBCheck and DAISY Ace on every EPUB. If one fails, it says which
    and where, exits 1 and leaves publish/ as it was. See docs/publish.md.

    \b
    Examples:
      sopress publish                          publish/first-edition/ (from book.yaml's edition)
      sopress publish --edition 2027-reprint   publish/2027-reprint/, beside the others
      sopress publish --draft                  a review copy: publish/first-edition-DRAFT/
    """
    from sopress.publish import PublishRefused

    progress = Progress(level=-1 if quiet else (1 if verbose else 0))
    try:
        made = api.publish(root, edition=edition, draft=draft, jobs=jobs, build_dir=build_dir, progress=progress)
    except PublishRefused as exc:
        _report(exc.diagnostics, root)
        for gate in exc.failed:
            click.echo(f"sopress: gate '{gate.name}' ({gate.title}): {gate.summary()}", err=True)
        click.echo("sopress: publish refused; publish/ was left as it was", err=True)
        sys.exit(1)
    except SopressError as exc:
        _fail(exc, root)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    progress.step(f"{made.folder}: {len(made.artifacts)} files, {len(made.gates)} gates passed"
                  + ("" if made.replaced else "; it already held this release, left as it was"))


@main.command(name="list")
@ROOT_OPTION
def list_command(root: Path) -> None:
    """List the set's volumes, sections and chapters, with chapter ids and status.

    \b
    Examples:
      sopress list
      sopress list | grep outline      chapters still to be written
    """
    with _problems(root):
        book, diagnostics = api.load(root)
    _report(diagnostics, root)
    for volume in book.volumes:
        click.echo(f"Volume {volume.number}: {volume.title}  [{volume.slug}]")
        number = 0
        for section in volume.sections:
            click.echo(f"  {section.title}  [{section.folder.name}]")
            for chapter in section.chapters:
                number += 1
                click.echo(f"    {number:3d}. {chapter.title}  [{chapter.id}] ({chapter.front.status})")


@main.command(name="import")
@click.argument("tool", type=click.Choice(TOOLS))
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--into", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder the sopress project is written to. Default: SOURCE's name with -sopress, here.")
@click.option("--volumes", type=click.Choice(["one", "parts"]), default="one", show_default=True,
              help="One volume for the whole book, or one per top-level part (a MkDocs nav section, an mdBook "
                   "part, a GitBook group).")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty, replacing its content/ folder.")
def import_command(tool: str, source: Path, into: Path | None, volumes: str, force: bool) -> None:
    """Turn a MkDocs, mdBook or GitBook tree into a sopress project.

    Reads the tool's own table of contents (mkdocs.yml's nav, SUMMARY.md) and writes
    content/book.yaml, a volume manifest, section folders and chapters with front matter,
    converting admonitions, alerts, includes, links and images on the way. SOURCE is only read.
    Whatever could not be carried over is printed as path:line:col: warning[code]: message.
    See docs/import.md.

    \b
    Examples:
      sopress import mkdocs ~/src/handbook --into handbook-book
      sopress import mdbook ./guide --into guide-book --volumes parts
      sopress import gitbook ./space --into space-book --force   replace an earlier import
    """
    from sopress.importer import import_book

    target = into or Path(f"{source.resolve().name}-sopress")
    with _problems(source):
        result = import_book(tool, source, target, force=force, volumes=volumes)
    _report(result.diagnostics, source)
    click.echo(f"Imported {result.chapters} chapter(s) in {result.volumes} volume(s) into {target}, "
               f"{len(result.diagnostics)} warning(s). Next:\n  sopress check --root {target}\n"
               f"  sopress build --root {target}", err=True)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def new(folder: Path) -> None:
    """Start a project: a small book that builds as it is, to write your own SOPs into.

    FOLDER must be new or empty. It gets content/book.yaml, content/house.yaml (your company's
    names and numbers), one volume with two chapters (cross-references, a checklist, a callout,
    house values) and a Makefile.

    \b
    Examples:
      sopress new my-manual
      sopress new . && sopress build        in an empty folder
    """
    from sopress.new import new_project

    with _problems(folder):
        made = new_project(folder)
    click.echo(f"Created {len(made)} files in {folder}. Build the book:\n  cd {folder}\n  sopress check\n"
               "  sopress build           build/pdf/volume-1.pdf and build/epub/volume-1.epub\n"
               "(or `make books`). Then edit content/house.yaml and write your SOPs under content/volume-1/.",
               err=True)

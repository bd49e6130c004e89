"""The preview builder: the set as a small web site for `sopress serve`, and a chapter's print pages.

The link policy of the preview: every chapter is a page of its own, /<volume slug>/<chapter id>.html,
every section opener one at /<volume slug>/<section folder>/, and every reference, to the same
chapter, another chapter or another volume, is a live link: the whole set is one site. Pages are
rendered by the EPUB's fragment templates (an `Output` of format "epub": running text names no
page numbers) inside the theme's preview/ shell, which adds a bar of links and the live-reload
script. Images and other files are linked where they are in content/, which the server serves.

The print preview lays out one chapter alone with its volume's print CSS, numbered from the page
where the last build put it (sopress.builders.pdf.chapter_html), so an edit is seen as it will
print without laying out the whole volume.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from sopress.builders import BuildContext
from sopress.builders.pdf import chapter_first_page, chapter_html
from sopress.diagnostics import Diagnostic, Location
from sopress.model import Chapter, Section, Volume
from sopress.pagemap import PageMap
from sopress.render import Output, VolumeRenderer
from sopress.theme import THEMES
from sopress.write.pdf import ProjectFetcher

CONTENT_PREFIX = "content"  # /content/<path> is a file of content/
PNG_RESOLUTION = 96  # dots per inch of the print preview's page images: a page at its size on screen


@dataclass(frozen=True)
class Link:
    title: str
    href: str


def chapter_href(volume: Volume, chapter_id: str, suffix: str = "html") -> str:
    return f"/{quote(volume.slug)}/{quote(chapter_id)}.{suffix}"


def section_href(volume: Volume, section: Section) -> str:
    return f"/{quote(volume.slug)}/{quote(section.folder.name)}/"


class PreviewBuilder:
    """Renders the preview's pages from one checked state of the sources, on request."""

    name = "preview"

    def __init__(self, ctx: BuildContext, page_map: PageMap, generation: str):
        self.ctx, self.page_map, self.generation = ctx, page_map, generation
        book = ctx.resolved.book
        self.reading_order = book.chapters()
        self.linked = frozenset(v.number for v in book.volumes)

    # -- what is in the set ---------------------------------------------------------------------

    def find_chapter(self, volume_slug: str, chapter_id: str) -> tuple[Volume, Chapter] | None:
        return next(((v, ch) for v, ch in self.reading_order if v.slug == volume_slug and ch.id == chapter_id), None)

    def find_section(self, volume_slug: str, folder: str) -> tuple[Volume, int, Section] | None:
        for volume in self.ctx.resolved.book.volumes:
            for number, section in enumerate(volume.sections, 1):
                if volume.slug == volume_slug and section.folder.name == folder:
                    return volume, number, section
        return None

    # -- pages ----------------------------------------------------------------------------------

    def contents(self, warnings: list[str]) -> str:
        first = self.ctx.resolved.book.volumes[0]
        return self._renderer(first).page(
            "preview/contents.html", warnings=warnings, section_href=section_href,
            chapter_href=lambda chapter_id: chapter_href(self._volume_of(chapter_id), chapter_id),
            print_href=lambda chapter_id, suffix: chapter_href(self._volume_of(chapter_id), chapter_id, suffix),
            **self._shell())

    def chapter(self, volume: Volume, chapter: Chapter) -> str:
        place = [ch.id for _, ch in self.reading_order].index(chapter.id)
        previous = self.reading_order[place - 1] if place > 0 else None
        following = self.reading_order[place + 1] if place + 1 < len(self.reading_order) else None
        return self._renderer(volume).page(
            "preview/page.html", title=chapter.title, fragment="chapter.html", chapter=chapter,
            previous=self._link(*previous) if previous else None, next=self._link(*following) if following else None,
            print_links={"pages": chapter_href(volume, chapter.id, "print.html"),
                         "pdf": chapter_href(volume, chapter.id, "pdf")},
            **self._shell())

    def section(self, volume: Volume, number: int, section: Section) -> str:
        following = next(((v, ch) for v, ch in self.reading_order if section.chapters and ch is section.chapters[0]),
                         None)
        return self._renderer(volume).page(
            "preview/page.html", title=section.title, fragment="section.html", section=section,
            section_number=number, previous=None, next=self._link(*following) if following else None,
            print_links=None, **self._shell())

    def print_pages(self, volume: Volume, chapter: Chapter, laid_out: ChapterPrint) -> str:
        images = [f"{chapter_href(volume, chapter.id, 'png')}?page={n}&g={quote(self.generation)}"
                  for n in range(1, laid_out.pages + 1)]
        return self._renderer(volume).page(
            "preview/print.html", chapter=chapter, pages=laid_out.pages, first_page=laid_out.first_page,
            seconds=laid_out.seconds, images=images, chapter_page=chapter_href(volume, chapter.id),
            pdf=chapter_href(volume, chapter.id, "pdf"), **self._shell())

    def print_html(self, volume: Volume, chapter: Chapter) -> str:
        return chapter_html(self.ctx, volume, chapter.id, self.page_map).html

    # -- the link policy ------------------------------------------------------------------------

    def _volume_of(self, chapter_id: str) -> Volume:
        return self.ctx.resolved.volume(self.ctx.resolved.targets[chapter_id].volume)

    def _document_of(self, chapter_id: str) -> str:
        return chapter_href(self._volume_of(chapter_id), chapter_id)

    def _file_href(self, path: Path) -> str:
        """A file of content/ where the server serves it; nothing for a file elsewhere (it is not served)."""
        content = self.ctx.resolved.book.content.resolve()
        try:
            relative = path.resolve().relative_to(content)
        except ValueError:
            return ""
        return f"/{CONTENT_PREFIX}/{quote(relative.as_posix())}"

    def _renderer(self, volume: Volume) -> VolumeRenderer:
        output = Output("epub", volume, self.ctx.resolved, document_of=self._document_of, image_href=self._file_href,
                        page_map=self.page_map, linked_volumes=self.linked)
        return VolumeRenderer(self.ctx.env, output, self.ctx.globals)

    def _link(self, volume: Volume, chapter: Chapter) -> Link:
        return Link(chapter.title, chapter_href(volume, chapter.id))

    def _shell(self) -> dict:
        return {"generation": self.generation, "lang": self.ctx.resolved.book.config.language}


# -- pages without a checked book ---------------------------------------------------------------

_BUILT_IN = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(THEMES / "default")), undefined=jinja2.StrictUndefined,
    autoescape=jinja2.select_autoescape(disabled_extensions=("css", "js"), default=True),
    trim_blocks=True, lstrip_blocks=True,
)


def error_page(errors: list[str], warnings: list[str], generation: str) -> str:
    """The page shown for every page while the sources have errors, from the built-in theme alone:
    a broken template of the project's cannot hide its own error."""
    return _BUILT_IN.get_template("preview/errors.html").render(errors=errors, warnings=warnings,
                                                                generation=generation, lang="en")


def template_error(exc: jinja2.TemplateError, fallback: Path) -> Diagnostic:
    """A template that fails to render, at its line: Jinja puts the template's own lines in the traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Diagnostic("error", "template", exc.message or str(exc), Location(Path(exc.filename), exc.lineno))
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith(".py")]
    where = Location(Path(frames[-1].filename), frames[-1].lineno or 1) if frames else Location(fallback)
    return Diagnostic("error", "template", str(exc), where)


# -- the print preview --------------------------------------------------------------------------

@dataclass(frozen=True)
class ChapterPrint:
    """One chapter laid out alone: its PDF, how many pages, and the folio it starts at (None: unknown)."""

    pdf: bytes
    pages: int
    first_page: int | None
    seconds: float


class PrintPreview:
    """Lays out one chapter at a time in this process and keeps the last layout of each chapter.

    One FontConfiguration serves every layout (a new one per layout costs ten times the fixed cost
    of a document) and layouts take turns; an unchanged chapter HTML is not laid out again. Page
    images come from poppler's pdftoppm (WeasyPrint writes no images).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._fonts: FontConfiguration | None = None
        self._laid_out: dict[str, tuple[str, ChapterPrint]] = {}  # chapter id -> (key of its HTML, layout)
        self._images: dict[tuple[str, int], bytes] = {}  # (key of the HTML, page) -> PNG

    def lay_out(self, builder: PreviewBuilder, volume: Volume, chapter: Chapter) -> tuple[str, ChapterPrint]:
        """The chapter's layout and its key; refused resources raise sopress.write.pool.RefusedResource."""
        ctx = builder.ctx
        html = builder.print_html(volume, chapter)
        key = hashlib.sha256(html.encode()).hexdigest()
        with self._lock:
            known = self._laid_out.get(chapter.id)
            if known is not None and known[0] == key:
                return known
            started = time.perf_counter()
            self._fonts = self._fonts or FontConfiguration()
            document = weasyprint.HTML(string=html, base_url=str(ctx.resolved.book.root) + "/",
                                       url_fetcher=ProjectFetcher(ctx.allowed_roots)).render(
                font_config=self._fonts, presentational_hints=True)
            laid_out = ChapterPrint(document.write_pdf(), len(document.pages),
                                    chapter_first_page(builder.page_map, volume, chapter.id),
                                    time.perf_counter() - started)
            if known is not None:
                self._images = {k: v for k, v in self._images.items() if k[0] != known[0]}
            self._laid_out[chapter.id] = (key, laid_out)
            return key, laid_out

    def image(self, key: str, laid_out: ChapterPrint, page: int) -> bytes | None:
        """Page `page` as a PNG; None when pdftoppm is not installed."""
        tool = shutil.which("pdftoppm")
        if tool is None:
            return None
        with self._lock:
            if (key, page) not in self._images:
                with tempfile.TemporaryDirectory(prefix="sopress-preview-") as folder:
                    subprocess.run([tool, "-png", "-r", str(PNG_RESOLUTION), "-f", str(page), "-l", str(page),
                                    "-singlefile", "-", str(Path(folder) / "page")],
                                   input=laid_out.pdf, capture_output=True, timeout=60, check=True)
                    self._images[(key, page)] = (Path(folder) / "page.png").read_bytes()
            return self._images[(key, page)]

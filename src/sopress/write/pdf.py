"""PDF writer: lay out a part of a volume (or a handout) with WeasyPrint, in a worker process.

Layout is nearly all the cost of a build and WeasyPrint keeps its memory after a render, so each
part is one job in a process pool; a worker keeps one FontConfiguration and parses a volume's
stylesheet once for all the parts it lays out. The parts become one volume in sopress.write.splice.
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pydyf
import weasyprint
from weasyprint.formatting_structure.boxes import TextBox
from weasyprint.text.fonts import FontConfiguration
from weasyprint.text.line_break import line_size
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from sopress.standins import MARK, fill_in
from sopress.write.atomic import staging_path
from sopress.write.pool import RefusedResource
from sopress.write.cache import input_key
from sopress.write.jobs import (BODY_START_ID, Bookmark, HandoutJob, HandoutResult, LayoutJob, PartJob, PartResult,
                                page_labels)


PDF_UA_IDENTIFIER = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">'
    b"<pdfuaid:part>1</pdfuaid:part></rdf:Description></rdf:RDF>"
)

# What each profile asks of WeasyPrint's PDF writer (the page itself is set by print.css).
# Archival: PDF/A-2 level A, which makes WeasyPrint tag the structure (headings, lists, tables,
# figures with their alt text), and the PDF/UA-1 identifier next to it in the XMP metadata
# (WeasyPrint reads extra XMP from URLs: a data: URL keeps it in the code, nothing fetched).
PDF_OPTIONS: dict[str, dict[str, object]] = {
    "screen": {},
    "print": {},
    "archival": {
        "pdf_variant": "pdf/a-2a",
        "xmp_metadata": ["data:application/rdf+xml;base64," + base64.b64encode(PDF_UA_IDENTIFIER).decode()],
    },
}


class RefusedURL(RefusedResource, FatalURLFetchingError):
    """Raised inside WeasyPrint's fetching, so that it stops the layout rather than leave a hole."""


class ProjectFetcher(URLFetcher):
    """Loads only local files under the allowed folders (and data: URLs); refuses everything else."""

    def __init__(self, allowed_roots: tuple[str, ...]):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.allowed_roots = tuple(Path(root).resolve() for root in allowed_roots)

    def fetch(self, url: str, headers: dict | None = None):  # type: ignore[override]
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return super().fetch(url, headers)
        if parsed.scheme != "file":
            raise RefusedURL(f"refused to fetch '{url}': nothing is loaded from the network")
        path = Path(unquote(parsed.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed_roots):
            raise RefusedURL(f"refused to load '{path}': it is outside the project and the theme")
        return super().fetch(url, headers)


_fonts: FontConfiguration | None = None  # one per worker process, shared by every layout it does
_stylesheets: dict[str, weasyprint.CSS] = {}  # the volume stylesheets this process has parsed, by key


def _shared_fonts() -> FontConfiguration:
    """The process's FontConfiguration: a new one per document costs ten times a document's fixed cost."""
    global _fonts
    _fonts = _fonts or FontConfiguration()
    return _fonts


def warm_up() -> None:
    """Lay out and write a line with a form field, in a new worker before its first job.

    A process's first layout pays for what WeasyPrint sets up once (Pango's font map, the C types
    cffi parses on first use): about 0.1 s of a one-page handout's wait, paid here while the parent
    is still reading the sources.
    """
    document = weasyprint.HTML(string="<p>Warm <b>up</b> <input type=checkbox name=warm></p>").render(
        font_config=_shared_fonts(), pdf_forms=True)
    document.write_pdf()


def _stylesheet(css: str, base_url: str, allowed_roots: tuple[str, ...]) -> weasyprint.CSS:
    """The volume's stylesheet, parsed once per process for all the parts it lays out."""
    key = input_key(css, base_url, *allowed_roots)
    if key not in _stylesheets:
        _stylesheets[key] = weasyprint.CSS(string=css, base_url=base_url, url_fetcher=ProjectFetcher(allowed_roots),
                                           font_config=_shared_fonts())
    return _stylesheets[key]


def _render(job: LayoutJob, **options: object) -> weasyprint.Document:
    # The font subsetter stamps fonts with the current time unless this is set.
    os.environ["SOURCE_DATE_EPOCH"] = str(job.source_date_epoch)
    fetcher = ProjectFetcher(job.allowed_roots)
    css = getattr(job, "css", "")
    stylesheets = [_stylesheet(css, job.base_url, job.allowed_roots)] if css else []
    # Presentational hints give `<ol start=...>` its first number (a procedure continued after a note).
    return weasyprint.HTML(string=job.html, base_url=job.base_url, url_fetcher=fetcher).render(
        font_config=_shared_fonts(), stylesheets=stylesheets, presentational_hints=True, **options
    )


def _write(document: weasyprint.Document, output: Path, finisher, options: dict[str, object]) -> Path:
    """Write the PDF to a staged file beside `output` (the build puts it in place); none is left on failure."""
    staged = staging_path(output)
    try:
        document.write_pdf(staged, finisher=finisher, **options)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def title_in_viewer(catalog: dict) -> None:
    """The document title in the viewer's title bar rather than the file name (PDF/UA asks for it)."""
    catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})


_held: dict[str, weasyprint.Document] = {}  # parts laid out with stand-ins, by output, until drawn


def lay_out_part(job: PartJob) -> PartResult:
    """Runs in a worker process: lay out a part (or a whole volume), note where its anchors and
    bookmarks land, and write its PDF atomically; a part that holds stand-ins is kept, not written."""
    started = time.perf_counter()
    document = _render(job, **PDF_OPTIONS[job.profile])
    if job.draft:
        return _part_result(job, document, "", time.perf_counter() - started)
    if job.held:
        _held[job.output] = document
        return _part_result(job, document, "", time.perf_counter() - started)
    return _draw(job, document, started)


def draw_part(job: PartJob, numbers: dict[str, str] | None) -> PartResult | None:
    """Runs in the worker that laid out `job`: its page numbers in place of their stand-ins, then
    written; None (and the layout dropped) when a number would not fit where its stand-in was."""
    started = time.perf_counter()
    document = _held.pop(job.output, None)
    if document is None or numbers is None or not _fill_in(document, numbers):
        return None
    return _draw(job, document, started)


def _fill_in(document: weasyprint.Document, numbers: dict[str, str]) -> bool:
    """Put each number in its stand-in's text box, if it is as wide (tabular figures of as many digits)."""
    boxes = [box for page in document.pages for box in page._page_box.descendants()
             if isinstance(box, TextBox) and MARK in box.text]
    filled = [fill_in(box.text, numbers) for box in boxes]
    if any(MARK in text or abs(_width(box, text) - _width(box, box.text)) > 1e-3 for box, text in zip(boxes, filled)):
        return False
    for box, text in zip(boxes, filled):
        box.text = box.pango_layout.text = text
    return True


def _width(box: TextBox, text: str) -> float:
    """The width `text` takes in `box`'s style, measured as WeasyPrint draws it."""
    layout = box.pango_layout
    layout.setup(box.style)
    layout.set_text(text, justify=True)
    width = line_size(layout.get_first_line()[0], box.style)[0]
    layout.deactivate()
    return width


def _part_result(job: PartJob, document: weasyprint.Document, staged: str, seconds: float) -> PartResult:
    """Where the part's anchors and bookmarks land, without the page a spliced part ends with."""
    pages = document.pages[:-1] if job.spliced else document.pages
    anchors: dict[str, int] = {}
    bookmarks: list[Bookmark] = []
    for number, page in enumerate(pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
        for level, label, (x, y), state in page.bookmarks:
            bookmarks.append(Bookmark(level, label, number, round(x * 0.75, 3), round((page.height - y) * 0.75, 3),
                                      state != "closed"))
    return PartResult(job.volume, job.part, job.output if staged else "", len(pages), anchors, tuple(bookmarks),
                      seconds, staged)


def _draw(job: PartJob, document: weasyprint.Document, started: float) -> PartResult:
    front_pages = next((number for number, page in enumerate(document.pages) if BODY_START_ID in page.anchors), 0)

    def finish(_document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        nums = pydyf.Array()
        for first, style in page_labels(front_pages):
            nums.extend([first, pydyf.Dictionary({"S": style, **({"St": 1} if style == "/D" else {})})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})
        title_in_viewer(pdf.catalog)

    staged = _write(document, Path(job.output), None if job.spliced else finish, PDF_OPTIONS[job.profile])
    return _part_result(job, document, str(staged), time.perf_counter() - started)


# Handouts are working documents with fillable fields: tagged (PDF/UA-1) in the archival profile,
# never PDF/A (a form that asks viewers to draw its fields cannot be PDF/A).
HANDOUT_OPTIONS: dict[str, dict[str, object]] = {"screen": {}, "print": {}, "archival": {"pdf_variant": "pdf/ua-1"}}


def _finish_form(_document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """Make the fields show as drawn in every viewer.

    WeasyPrint asks viewers to draw the fields themselves (NeedAppearances), and viewers that do
    (poppler, browsers' viewers) then draw a ticked checkbox empty: the appearances it writes are
    complete, so viewers are told to use them, and each checkbox gets an 'Off' appearance and a
    check character for viewers that redraw anyway.
    """
    title_in_viewer(pdf.catalog)
    form = pdf.catalog.get("AcroForm")
    if form is None:
        return
    form["NeedAppearances"] = "false"
    for reference in form["Fields"]:
        field = pdf.objects[int(reference.split()[0])]
        if field.get("FT") == "/Btn" and "AP" in field:
            x1, y1, x2, y2 = (float(v) for v in field["Rect"])
            off = pydyf.Stream(extra={"Type": "/XObject", "Subtype": "/Form",
                                      "BBox": pydyf.Array((0, 0, abs(x2 - x1), abs(y2 - y1)))})
            pdf.add_object(off)
            field["AP"]["N"]["Off"] = off.reference
            field["MK"]["CA"] = pydyf.String("4")  # ZapfDingbats' check mark


def write_handout(job: HandoutJob) -> HandoutResult:
    """Runs in a worker process: lay out a handout with its form fields and write it atomically."""
    started = time.perf_counter()
    options = {"pdf_forms": True, **HANDOUT_OPTIONS[job.profile]}
    document = _render(job, **options)
    staged = _write(document, Path(job.output), _finish_form, options)
    return HandoutResult(job.name, job.output, len(document.pages), time.perf_counter() - started, str(staged))

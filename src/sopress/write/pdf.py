"""PDF writer: lay out one volume's HTML with WeasyPrint, in a worker process of its own.

Layout is nearly all the cost of a build and WeasyPrint keeps its memory after a render, so each
volume is one job in a process pool, and a volume whose HTML has not changed is not laid out again.
"""

from __future__ import annotations

import base64
import os
import signal
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

import pydyf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from sopress.write.atomic import staging_path
from sopress.write.cache import OutputCache
from sopress.write.jobs import HandoutJob, HandoutResult, PdfJob, PdfResult

BODY_START_ID = "body-start"

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


class RefusedResource(FatalURLFetchingError):
    """A resource outside the project, the theme and the bundled fonts: never fetched."""


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
            raise RefusedResource(f"refused to fetch '{url}': nothing is loaded from the network")
        path = Path(unquote(parsed.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed_roots):
            raise RefusedResource(f"refused to load '{path}': it is outside the project and the theme")
        return super().fetch(url, headers)


def _render(html: str, base_url: str, allowed_roots: tuple[str, ...], epoch: int, font_config: FontConfiguration,
            **options: object) -> weasyprint.Document:
    # The font subsetter stamps fonts with the current time unless this is set.
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    fetcher = ProjectFetcher(allowed_roots)
    # Presentational hints give `<ol start=...>` its first number (a procedure continued after a note).
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        font_config=font_config, presentational_hints=True, **options
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


def _title_in_viewer(pdf: pydyf.PDF) -> None:
    """The document title in the viewer's title bar rather than the file name (PDF/UA asks for it)."""
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})


def lay_out(job: PdfJob) -> PdfResult:
    """Runs in a worker process: render, record where every anchor lands, write atomically."""
    started = time.perf_counter()
    document = _render(job.html, job.base_url, job.allowed_roots, job.source_date_epoch, FontConfiguration(),
                       **PDF_OPTIONS[job.profile])
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    front_pages = anchors.get(BODY_START_ID, 1) - 1

    def finish(_document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        """What WeasyPrint leaves out: page labels (roman front matter, arabic body from 1)."""
        nums = pydyf.Array()
        if front_pages:
            nums.extend([0, pydyf.Dictionary({"S": "/r"})])
        nums.extend([front_pages, pydyf.Dictionary({"S": "/D", "St": 1})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})
        _title_in_viewer(pdf)

    staged = _write(document, Path(job.output), finish, PDF_OPTIONS[job.profile])
    return PdfResult(
        volume=job.volume,
        output=job.output,
        pages=len(document.pages),
        front_pages=front_pages,
        anchors=anchors,
        seconds=time.perf_counter() - started,
        laid_out=True,
        staged=str(staged),
    )


class LayoutCache:
    """Remembers, per volume and profile, the input key and the result of the last layout (build/.cache)."""

    def __init__(self, entry: Callable[[str], Path]):
        self.cache = OutputCache(entry)

    @staticmethod
    def name(job: PdfJob) -> str:
        return f"pdf-volume-{job.volume}-{job.profile}"

    def lookup(self, job: PdfJob) -> PdfResult | None:
        result = self.cache.lookup(self.name(job), job.cache_key(), Path(job.output))
        return None if result is None else PdfResult(**{**result, "laid_out": False, "seconds": 0.0, "staged": ""})

    def store(self, job: PdfJob, result: PdfResult) -> None:
        self.cache.store(self.name(job), job.cache_key(), Path(result.output), {**asdict(result), "staged": ""})


# Handouts are working documents with fillable fields: tagged (PDF/UA-1) in the archival profile,
# never PDF/A (a form that asks viewers to draw its fields cannot be PDF/A).
HANDOUT_OPTIONS: dict[str, dict[str, object]] = {"screen": {}, "print": {}, "archival": {"pdf_variant": "pdf/ua-1"}}
_handout_fonts: FontConfiguration | None = None  # one per worker process, shared by its handouts


def _finish_form(_document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """Make the fields show as drawn in every viewer.

    WeasyPrint asks viewers to draw the fields themselves (NeedAppearances), and viewers that do
    (poppler, browsers' viewers) then draw a ticked checkbox empty: the appearances it writes are
    complete, so viewers are told to use them, and each checkbox gets an 'Off' appearance and a
    check character for viewers that redraw anyway.
    """
    _title_in_viewer(pdf)
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
    global _handout_fonts
    started = time.perf_counter()
    _handout_fonts = _handout_fonts or FontConfiguration()
    options = {"pdf_forms": True, **HANDOUT_OPTIONS[job.profile]}
    document = _render(job.html, job.base_url, job.allowed_roots, job.source_date_epoch, _handout_fonts, **options)
    staged = _write(document, Path(job.output), _finish_form, options)
    return HandoutResult(job.name, job.output, len(document.pages), time.perf_counter() - started, str(staged))


def die_with_parent() -> None:
    """A layout worker's initializer: it ends when the build that started it ends, however it ends.

    Killed with SIGKILL (a CI timeout, the out-of-memory killer), a parent cannot stop its workers,
    so each asks the kernel for SIGKILL when its parent goes (Linux), and watches its parent too.
    """
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

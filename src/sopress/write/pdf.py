"""PDF writer: lay out one volume's HTML with WeasyPrint, in a worker process of its own.

Layout is nearly all the cost of a build and WeasyPrint keeps its memory after a render, so each
volume is one job in a process pool, and a volume whose HTML has not changed is not laid out again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pydyf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

import sopress
from sopress.numerals import roman
from sopress.pagesetup import Profile
from sopress.write.atomic import atomic_path

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


@dataclass(frozen=True)
class PdfJob:
    """Everything a worker needs to lay out one volume (picklable, no model objects)."""

    volume: int
    html: str
    base_url: str
    allowed_roots: tuple[str, ...]
    output: str
    source_date_epoch: int
    profile: Profile = "screen"

    def cache_key(self) -> str:
        digest = hashlib.sha256()
        for part in (self.html, self.base_url, str(self.source_date_epoch), self.profile,
                     weasyprint.__version__, sopress.__version__):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()


@dataclass(frozen=True)
class PdfResult:
    volume: int
    output: str
    pages: int
    front_pages: int  # pages before the body, numbered in roman
    anchors: dict[str, int]  # id -> physical page (1-based) where it first appears
    seconds: float
    laid_out: bool  # False when the cached PDF was still valid

    def folio(self, anchor: str) -> str:
        """The page number printed on the page where `anchor` lands."""
        page = self.anchors[anchor]
        return str(page - self.front_pages) if page > self.front_pages else roman(page).lower()


def lay_out(job: PdfJob) -> PdfResult:
    """Runs in a worker process: render, record where every anchor lands, write atomically."""
    started = time.perf_counter()
    # The font subsetter stamps fonts with the current time unless this is set.
    os.environ["SOURCE_DATE_EPOCH"] = str(job.source_date_epoch)
    fetcher = ProjectFetcher(job.allowed_roots)
    # Presentational hints give `<ol start=...>` its first number (a procedure continued after a note).
    document = weasyprint.HTML(string=job.html, base_url=job.base_url, url_fetcher=fetcher).render(
        font_config=FontConfiguration(), presentational_hints=True, **PDF_OPTIONS[job.profile]
    )
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    front_pages = anchors.get(BODY_START_ID, 1) - 1

    def finish(_document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        """What WeasyPrint leaves out: page labels (roman front matter, arabic body from 1), and the
        document title in the viewer's title bar rather than the file name (PDF/UA asks for it)."""
        nums = pydyf.Array()
        if front_pages:
            nums.extend([0, pydyf.Dictionary({"S": "/r"})])
        nums.extend([front_pages, pydyf.Dictionary({"S": "/D", "St": 1})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})
        pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})

    output = Path(job.output)
    with atomic_path(output) as temp:
        document.write_pdf(temp, finisher=finish, **PDF_OPTIONS[job.profile])
    return PdfResult(
        volume=job.volume,
        output=job.output,
        pages=len(document.pages),
        front_pages=front_pages,
        anchors=anchors,
        seconds=time.perf_counter() - started,
        laid_out=True,
    )


class LayoutCache:
    """Remembers, per volume, the input key and the result of the last layout (build/.cache)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _file(self, job: PdfJob) -> Path:
        return self.folder / f"pdf-volume-{job.volume}-{job.profile}.json"

    def lookup(self, job: PdfJob) -> PdfResult | None:
        try:
            record = json.loads(self._file(job).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        output = Path(job.output)
        if record.get("key") != job.cache_key() or not output.is_file():
            return None
        if record.get("output_sha256") != _sha256(output):
            return None
        result = PdfResult(**{**record["result"], "laid_out": False, "seconds": 0.0})
        return result

    def store(self, job: PdfJob, result: PdfResult) -> None:
        record = {"key": job.cache_key(), "output_sha256": _sha256(Path(result.output)), "result": asdict(result)}
        with atomic_path(self._file(job)) as temp:
            temp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

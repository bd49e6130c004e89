"""Page maps: where every anchor of a volume landed in its last layout, as LaTeX keeps its .aux.

The PDF builder writes them; page references, the index, the EPUB's page-list and handouts read
them. One file per volume and profile, in the build folder (sopress.paths names it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable

from sopress.model import Volume
from sopress.pagesetup import Profile
from sopress.paths import BuildPaths
from sopress.write.atomic import atomic_path

if TYPE_CHECKING:
    from sopress.write.jobs import PdfResult

PageMap = dict[int, dict[str, str]]  # volume -> anchor -> printed folio


def read_page_maps(paths: BuildPaths, volumes: Iterable[Volume], profile: Profile = "screen") -> PageMap:
    """The printed folio of every anchor, per volume, as the last layouts in this profile left them."""
    page_map: PageMap = {}
    for volume in volumes:
        try:
            record = json.loads(paths.page_map(volume.slug, profile).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        page_map[volume.number] = {anchor: place["folio"] for anchor, place in record["anchors"].items()}
    return page_map


def write_page_map(paths: BuildPaths, volume: Volume, pdf: PdfResult, profile: Profile) -> None:
    record = {
        "volume": volume.number,
        "pages": pdf.pages,
        "front_pages": pdf.front_pages,
        "anchors": {anchor: {"page": page, "folio": pdf.folio(anchor)} for anchor, page in sorted(pdf.anchors.items())},
    }
    with atomic_path(paths.page_map(volume.slug, profile)) as temp:
        temp.write_text(json.dumps(record, indent=1), encoding="utf-8")

"""The fonts every PDF is set in, installed from the package registry with sopress itself.

Taking fonts from the project's own dependencies, never from the machine, is what makes the same
source give the same PDF everywhere.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Font:
    family: str
    weight: int
    style: str
    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()


# (family, package, file stem, weight, style)
_FACES = (
    ("Source Serif Pro", "font_source_serif_pro", "SourceSerifPro-Regular", 400, "normal"),
    ("Source Serif Pro", "font_source_serif_pro", "SourceSerifPro-It", 400, "italic"),
    ("Source Serif Pro", "font_source_serif_pro", "SourceSerifPro-Semibold", 600, "normal"),
    ("Source Serif Pro", "font_source_serif_pro", "SourceSerifPro-SemiboldIt", 600, "italic"),
    ("Source Serif Pro", "font_source_serif_pro", "SourceSerifPro-Bold", 700, "normal"),
    ("Source Serif Pro", "font_source_serif_pro", "SourceSerifPro-BoldIt", 700, "italic"),
    ("Source Sans Pro", "font_source_sans_pro", "SourceSansPro-Regular", 400, "normal"),
    ("Source Sans Pro", "font_source_sans_pro", "SourceSansPro-It", 400, "italic"),
    ("Source Sans Pro", "font_source_sans_pro", "SourceSansPro-Semibold", 600, "normal"),
    ("Source Sans Pro", "font_source_sans_pro", "SourceSansPro-Bold", 700, "normal"),
    ("IBM Plex Mono", "fontpkg_ibm_plex_mono", "IBMPlexMono-Regular", 400, "normal"),
    ("IBM Plex Mono", "fontpkg_ibm_plex_mono", "IBMPlexMono-Bold", 700, "normal"),
)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"font package '{package}' is not installed; reinstall sopress")
    return Path(spec.origin).parent / "files"


def bundled_fonts() -> list[Font]:
    return [
        Font(family, weight, style, _package_dir(package) / f"{stem}.ttf")
        for family, package, stem, weight, style in _FACES
    ]


def font_dirs() -> list[Path]:
    return sorted({font.path.parent for font in bundled_fonts()})

"""Where every output, page map and cache of a build lives: the one owner of those names.

Each PDF profile paginates on its own (print spells out link addresses), so it has its own PDFs,
page maps and cache entries; EPUBs and handouts do not depend on the profile. A release
(`sopress publish`) copies them into publish/<edition>/ under versioned names (`ReleasePaths`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sopress.pagesetup import Profile

SharedCache = Literal["parse", "templates", "glyphs"]


def shared_cache(build_dir: Path | None, kind: SharedCache) -> Path | None:
    """A cache folder of the build that depends on neither the book's outputs nor the profile: token
    streams ('parse', sopress.parse), compiled templates ('templates', sopress.theme) and the code
    points each font covers ('glyphs', sopress.glyphs). None without a build folder: no cache."""
    return build_dir / ".cache" / kind if build_dir else None


@dataclass(frozen=True)
class BuildPaths:
    root: Path  # the build folder (ROOT/build unless --build-dir says otherwise)
    book_id: str

    @staticmethod
    def suffix(profile: Profile) -> str:
        return "" if profile == "screen" else f"-{profile}"

    def pdf(self, volume_slug: str, profile: Profile) -> Path:
        return self.root / "pdf" / f"{volume_slug}{self.suffix(profile)}.pdf"

    def page_map(self, volume_slug: str, profile: Profile) -> Path:
        return self.root / "pagemap" / f"{volume_slug}{self.suffix(profile)}.json"

    def parts(self, volume_slug: str, profile: Profile) -> Path:
        """Where the parts of a volume, laid out alone, are kept for the next build (sopress.builders.pdf)."""
        return self.root / ".cache" / "pdf-part" / f"{volume_slug}{self.suffix(profile)}"

    def part_pdf(self, volume_slug: str, profile: Profile, part: str) -> Path:
        return self.parts(volume_slug, profile) / f"{part}.pdf"

    def cache_entry(self, name: str) -> Path:
        """The record of what made an output (sopress.write.cache), by the output's cache name."""
        return self.root / ".cache" / f"{name}.json"

    def epub(self, volume_slug: str) -> Path:
        return self.root / "epub" / f"{volume_slug}.epub"

    def omnibus(self) -> Path:
        return self.root / "epub" / f"{self.book_id}.epub"

    def handouts(self) -> Path:
        return self.root / "handouts"


@dataclass(frozen=True)
class ReleasePaths:
    """Where a release's files live inside publish/<edition>/, with versioned names a publisher can pass on."""

    folder: Path  # publish/<edition> (the temporary folder while it is assembled)
    book_id: str
    edition: str  # the edition's slug, with -DRAFT for a draft release

    def pdf(self, volume: int, profile: Profile) -> Path:
        return self.folder / profile / f"{self.book_id}-vol{volume}-{self.edition}-{profile}.pdf"

    def epub(self, volume: int) -> Path:
        return self.folder / "epub" / f"{self.book_id}-vol{volume}-{self.edition}.epub"

    def omnibus(self) -> Path:
        return self.folder / "epub" / f"{self.book_id}-{self.edition}-omnibus.epub"

    def handouts(self) -> Path:
        return self.folder / "handouts" / f"{self.book_id}-{self.edition}-handouts.zip"

    def pack(self, pack_id: str) -> Path:
        return self.folder / "handouts" / f"{self.book_id}-{self.edition}-pack-{pack_id}.pdf"

    def cover(self, volume: int) -> Path:
        return self.folder / "covers" / f"{self.book_id}-vol{volume}-{self.edition}.png"

    def manifest(self) -> Path:
        return self.folder / "manifest.json"

    def checksums(self) -> Path:
        return self.folder / "SHA256SUMS"

    def page(self) -> Path:
        return self.folder / "index.html"

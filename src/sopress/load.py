"""Load: content/ (book.yaml, volume manifests, chapter front matter) -> Book skeleton."""

from __future__ import annotations

from pathlib import Path

from sopress.config import (
    SectionManifest,
    read_book_config,
    read_front_matter,
    read_volume_manifest,
)
from sopress.diagnostics import Diagnostics, Location
from sopress.house import read_house_sheet
from sopress.model import Book, Chapter, Section, Volume


def load_book(root: Path, diags: Diagnostics) -> Book | None:
    """Read the project at `root`; None when book.yaml itself is unusable."""
    root = root.resolve()
    book_file = root / "content" / "book.yaml"
    if not book_file.is_file():
        diags.error("missing-file", "no content/book.yaml here: is --root the project folder?", Location(book_file))
        return None
    config = read_book_config(book_file, diags)
    if config is None:
        return None
    volumes = []
    for folder_name, location in zip(config.volumes, config.volume_locations):
        volume = _load_volume(root, folder_name, location, diags)
        if volume is not None:
            volumes.append(volume)
    _check_volume_numbers(volumes, diags)
    unlisted = _unlisted_chapters(volumes, diags)
    house = read_house_sheet(root / "content", diags)
    return Book(config=config, root=root, volumes=tuple(volumes), unlisted=unlisted, house=house)


def _load_volume(root: Path, folder_name: str, location: Location, diags: Diagnostics) -> Volume | None:
    folder = root / "content" / folder_name
    manifest_file = folder / "volume.yaml"
    if not _inside(folder, root / "content"):
        diags.error("outside-project", f"volume folder '{folder_name}' is outside content/", location)
        return None
    if not manifest_file.is_file():
        diags.error("missing-file", f"volume '{folder_name}' has no volume.yaml", location)
        return None
    manifest = read_volume_manifest(manifest_file, diags)
    if manifest is None:
        return None
    sections = tuple(_load_section(folder, s, diags) for s in manifest.sections)
    return Volume(
        number=manifest.number,
        title=manifest.title,
        subtitle=manifest.subtitle,
        isbn=manifest.isbn,
        folder=folder,
        sections=sections,
    )


def _load_section(volume_folder: Path, manifest: SectionManifest, diags: Diagnostics) -> Section:
    folder = volume_folder / manifest.folder
    if not folder.is_dir():
        diags.error("missing-file", f"section folder '{manifest.folder}' does not exist", manifest.location)
    chapters = []
    for name, location in zip(manifest.chapters, manifest.chapter_locations):
        path = folder / name
        if not path.is_file():
            diags.error("missing-file", f"chapter file '{manifest.folder}/{name}' does not exist", location)
            continue
        chapter = load_chapter(path, diags)
        if chapter is not None:
            chapters.append(chapter)
    intro_path, intro_source = None, ""
    if manifest.intro:
        intro_path = folder / manifest.intro
        if intro_path.is_file():
            intro_source = intro_path.read_text(encoding="utf-8")
        else:
            diags.error("missing-file", f"section intro '{manifest.folder}/{manifest.intro}' does not exist", manifest.location)
            intro_path = None
    return Section(
        title=manifest.title,
        folder=folder,
        intro_path=intro_path,
        intro_source=intro_source,
        chapters=tuple(chapters),
    )


def load_chapter(path: Path, diags: Diagnostics) -> Chapter | None:
    """Split off the front matter, keeping the line where the body starts for diagnostics."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        diags.error("front-matter", "a chapter must start with YAML front matter between '---' lines", Location(path))
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        diags.error("front-matter", "front matter is not closed by a '---' line", Location(path))
        return None
    front = read_front_matter("".join(lines[1:end]), path, diags)
    if front is None:
        return None
    return Chapter(front=front, path=path, source="".join(lines[end + 1 :]), body_line=end + 2)


def _check_volume_numbers(volumes: list[Volume], diags: Diagnostics) -> None:
    seen: dict[int, Volume] = {}
    for volume in volumes:
        if volume.number in seen:
            diags.error(
                "duplicate-volume",
                f"volume number {volume.number} is also used by '{seen[volume.number].slug}'",
                Location(volume.folder / "volume.yaml"),
            )
        seen[volume.number] = volume


def _unlisted_chapters(volumes: list[Volume], diags: Diagnostics) -> dict[str, Path]:
    """A Markdown file in a section folder that no manifest lists is probably forgotten.

    Returns the ids such files declare, so that references to them can say why they fail.
    """
    listed = {ch.path for v in volumes for ch in v.chapters}
    listed |= {s.intro_path for v in volumes for s in v.sections if s.intro_path}
    unlisted: dict[str, Path] = {}
    for volume in volumes:
        for section in volume.sections:
            if not section.folder.is_dir():
                continue
            for path in sorted(section.folder.glob("*.md")):
                if path not in listed:
                    diags.warning(
                        "unlisted-file",
                        f"'{path.name}' is not listed in {volume.slug}/volume.yaml and will not be published",
                        Location(path),
                    )
                    chapter = load_chapter(path, Diagnostics())
                    if chapter is not None:
                        unlisted[chapter.id] = path
    return unlisted


def _inside(path: Path, parent: Path) -> bool:
    return path.resolve().is_relative_to(parent.resolve())

"""Load: content/ (book.yaml, volume manifests, chapter front matter) -> Book skeleton."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from markdown_it import MarkdownIt

from sopress.config import (
    FrontMatter,
    SectionManifest,
    read_book_config,
    read_front_matter,
    read_volume_manifest,
)
from sopress.diagnostics import Diagnostics, Location
from sopress.dialect import TRAILING_ATTRS
from sopress.house import read_house_sheet
from sopress.sources import read_source
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
    failed: dict[Path, str] = {}  # listed chapter files that could not be loaded -> the id they declare
    for folder_name, location in zip(config.volumes, config.volume_locations):
        volume = _load_volume(root, folder_name, location, diags, failed)
        if volume is not None:
            volumes.append(volume)
    _check_volume_numbers(volumes, diags)
    unlisted = _unlisted_chapters(volumes, failed, diags)
    house = read_house_sheet(root / "content", diags)
    return Book(config=config, root=root, volumes=tuple(volumes), unlisted=unlisted, house=house, failed=failed)


def _load_volume(root: Path, folder_name: str, location: Location, diags: Diagnostics,
                 failed: dict[Path, str]) -> Volume | None:
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
    _check_section_folders(manifest.sections, diags)
    sections = tuple(_load_section(folder, s, diags, failed) for s in manifest.sections)
    return Volume(
        number=manifest.number,
        title=manifest.title,
        subtitle=manifest.subtitle,
        isbn=manifest.isbn,
        folder=folder,
        sections=sections,
    )


def _load_section(volume_folder: Path, manifest: SectionManifest, diags: Diagnostics,
                  failed: dict[Path, str]) -> Section:
    folder = volume_folder / manifest.folder
    if not folder.is_dir():
        diags.error("missing-file", f"section folder '{manifest.folder}' does not exist", manifest.location)
    chapters = []
    for name, location in zip(manifest.chapters, manifest.chapter_locations):
        path = folder / name
        if not path.is_file():
            diags.error("missing-file", f"chapter file '{manifest.folder}/{name}' does not exist", location)
            continue
        chapter = load_chapter(path, volume_folder.parent, diags)
        if chapter is not None:
            chapters.append(chapter)
        else:
            failed[path.resolve()] = _declared_id(path)
    intro_path, intro_source = None, ""
    if manifest.intro:
        intro_path = folder / manifest.intro
        if intro_path.is_file():
            intro_source = read_source(intro_path, diags, volume_folder.parent.parent) or ""
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


def load_chapter(path: Path, content: Path, diags: Diagnostics) -> Chapter | None:
    """Split off the front matter, keeping the line where the body starts for diagnostics.

    Front matter is optional: plain Markdown (a folder of pages from a documentation site) takes its
    title from its first '#' heading and its id from its path under `content`.
    """
    text = read_source(path, diags, content.parent)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return _plain_chapter(path, content, text, diags)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        diags.error("front-matter", "front matter is not closed by a '---' line", Location(path))
        return None
    front = read_front_matter("".join(lines[1:end]), path, diags)
    if front is None:
        return None
    return Chapter(front=front, path=path, source="".join(lines[end + 1 :]), body_line=end + 2)


def _plain_chapter(path: Path, content: Path, text: str, diags: Diagnostics) -> Chapter | None:
    tokens = MarkdownIt("commonmark").parse(text)
    title = next((i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1"), None)
    if title is None:
        diags.error("front-matter", "a chapter needs YAML front matter between '---' lines, or a '#' heading "
                    "to take its title from", Location(path))
        return None
    inline = tokens[title + 1]
    words = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
    line = tokens[title].map[0] if tokens[title].map else 0
    front = FrontMatter(id=path_id(path, content), title=TRAILING_ATTRS.sub("", words).strip(),
                        places={".": Location(path, line + 1, 1)})
    return Chapter(front=front, path=path, source=text, body_line=1, title_line=line)


def path_id(path: Path, content: Path) -> str:
    """The id of a chapter without front matter: its path under content/ as a slug, so it is stable and unique."""
    return slug(path.resolve().relative_to(content.resolve()).with_suffix("").as_posix())


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by single hyphens: what ids and folder names are made of."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _check_section_folders(sections, diags: Diagnostics) -> None:
    """Two sections in one folder would share their chapters' files and their EPUB documents."""
    seen: dict[str, SectionManifest] = {}
    for section in sections:
        first = seen.setdefault(section.folder, section)
        if first is not section:
            diags.error("duplicate-folder", f"section folder '{section.folder}' is also the folder of "
                                            f"'{first.title}' (line {first.location.line}): each section needs a "
                                            "folder of its own", section.location)


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


def _declared_id(path: Path) -> str:
    """The id a chapter that failed to load meant to have, so that links to it are not reported too."""
    match = re.search(rb"^id:\s*([a-z0-9-]+)\s*$", path.read_bytes(), re.M) if path.is_file() else None
    return match.group(1).decode() if match else ""


def _unlisted_chapters(volumes: list[Volume], failed: dict[Path, str], diags: Diagnostics) -> dict[str, Path]:
    """A Markdown file in a section folder that no manifest lists is probably forgotten.

    Returns the ids such files declare, so that references to them can say why they fail.
    """
    listed = {ch.path for v in volumes for ch in v.chapters} | {p for p in failed}
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
                    chapter = load_chapter(path, volume.folder.parent, Diagnostics())
                    if chapter is not None:
                        unlisted[chapter.id] = path
    return unlisted


def _inside(path: Path, parent: Path) -> bool:
    return path.resolve().is_relative_to(parent.resolve())

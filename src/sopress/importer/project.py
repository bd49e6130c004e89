"""The one writer of an imported project: book.yaml, volume manifests, section folders, chapters, images.

The whole project is composed in memory first (relative path -> bytes), so that nothing is written
when the import stops, and the same source always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

import yaml

from sopress.diagnostics import Diagnostic, Diagnostics, Location, SopressError
from sopress.importer.convert import BookLinks, Page, Placement, map_page, page_markdown, read_page
from sopress.importer.gitbook import read_gitbook
from sopress.importer.mdbook import read_mdbook
from sopress.importer.mkdocs import read_mkdocs
from sopress.importer.toc import NavItem, SourceBook, Tool
from sopress.load import slug

VolumeMode = Literal["one", "parts"]
READERS: dict[str, Callable[[Path, Diagnostics], SourceBook | None]] = {
    "mkdocs": read_mkdocs, "mdbook": read_mdbook, "gitbook": read_gitbook,
}
INDEX_PAGES = ("index.md", "README.md")


@dataclass(frozen=True)
class ImportResult:
    project: Path
    volumes: int
    chapters: int
    diagnostics: list[Diagnostic]  # warnings: what could not be carried over, with its place


@dataclass
class _Section:
    title: str
    pages: list[NavItem]


@dataclass
class _Volume:
    title: str
    sections: list[_Section] = field(default_factory=list)


def import_book(tool: Tool, source: Path, into: Path, force: bool = False,
                volumes: VolumeMode = "one") -> ImportResult:
    """Write a sopress project at `into` from a MkDocs, mdBook or GitBook tree at `source`, which is only read.

    `volumes`: one volume for the whole book, or one per top-level part of its table of contents.
    Raises SopressError (and writes nothing) when the source cannot be read or `into` is not free.
    """
    diags = Diagnostics()
    source, into = Path(source).resolve(), Path(into).resolve()
    _check_target(source, into, force, diags)
    if not source.is_dir():
        diags.error("missing-file", f"source folder '{source}' does not exist", Location(source))
    book = READERS[tool](source, diags) if not diags.failed() else None
    if book is None or diags.failed():
        raise SopressError(diags.sorted())
    entries = _pages(book, diags)
    placed = _place(book, entries)
    pages = {item.page: read_page(item.page, placed[item.page].chapter_id, item.title, book, diags)
             for item in entries}
    layout = _layout(book, volumes, entries, pages, diags)
    placed = _file_chapters(layout, placed)
    links = BookLinks(book, pages, placed)
    for page in pages.values():
        map_page(page, links, diags)
    files = _project_files(book, layout, pages, placed, links)
    if not book.author:
        diags.warning("import-metadata", f"{book.config.name} names no author: book.yaml says 'Unknown author'",
                      Location(book.config))
    _write(into, files)
    return ImportResult(into, len(layout), len(pages), diags.sorted())


def _check_target(source: Path, into: Path, force: bool, diags: Diagnostics) -> None:
    where = Location(into)
    if into.is_relative_to(source):
        diags.error("import-target", "the project would be written inside the source tree, which import never "
                    "edits: choose --into outside it", where)
    elif source.is_relative_to(into / "content"):
        diags.error("import-target", "the source tree is inside the project's content/ folder: choose another --into",
                    where)
    elif into.exists() and not into.is_dir():
        diags.error("import-target", f"'{into.name}' is a file, not a folder", where)
    elif into.is_dir() and any(into.iterdir()) and not force:
        diags.error("import-target", f"'{into}' is not empty: choose an empty --into, or pass --force to replace "
                    "its content/ folder", where)


def _pages(book: SourceBook, diags: Diagnostics) -> list[NavItem]:
    """Every page of the table of contents once, in reading order."""
    seen: set[Path] = set()
    pages = []

    def visit(items: tuple[NavItem, ...]) -> None:
        for item in items:
            if item.page is not None:
                page = Path(os.path.normpath(item.page))
                if page in seen:
                    diags.warning("import-skipped", f"'{_shown(book, page)}' is listed a second time: printed once, "
                                  "where it is first listed", item.location)
                elif not page.is_relative_to(book.root):
                    diags.warning("import-skipped", f"'{_shown(book, page)}' is outside the source tree: left out",
                                  item.location)
                elif not page.is_file():
                    diags.warning("import-skipped", f"page '{_shown(book, page)}' does not exist: left out",
                                  item.location)
                else:
                    seen.add(page)
                    pages.append(NavItem(item.title, page, (), item.location))
            visit(item.children)

    visit(book.nav)
    if not pages:
        diags.error("import-empty", "the table of contents lists no page that exists", Location(book.config))
        raise SopressError(diags.sorted())
    return pages


def _shown(book: SourceBook, path: Path) -> str:
    return os.path.relpath(path, book.docs)


def _place(book: SourceBook, entries: list[NavItem]) -> dict[Path, Placement]:
    """Chapter ids: the file's name (an index page's folder name), or its whole path where names repeat."""
    def short(page: Path) -> str:
        if page.name in INDEX_PAGES:
            return "introduction" if page.parent == book.docs else page.parent.name
        return page.stem

    def long(page: Path) -> str:
        relative = page.relative_to(book.docs) if page.is_relative_to(book.docs) else page.relative_to(book.root)
        return relative.with_suffix("").as_posix()

    shorts = [_slug(short(item.page)) for item in entries]
    ids: list[str] = []
    for item, candidate in zip(entries, shorts):
        chosen = candidate if shorts.count(candidate) == 1 else _slug(long(item.page))
        base, count = chosen, 2
        while chosen in ids:
            chosen, count = f"{base}-{count}", count + 1
        ids.append(chosen)
    return {item.page: Placement(chapter_id, Path()) for item, chapter_id in zip(entries, ids)}


def _slug(text: str) -> str:
    """A chapter id: a slug that starts with a letter (so heading ids made from it are valid too)."""
    made = slug(text) or "page"
    return made if made[0].isalpha() else f"page-{made}"


def _layout(book: SourceBook, mode: VolumeMode, entries: list[NavItem], pages: dict[Path, Page],
            diags: Diagnostics) -> list[_Volume]:
    """Volumes and sections from the top level of the table of contents; chapters in its order."""
    wanted = {item.page for item in entries}
    placed: set[Path] = set()

    def pages_of(items: tuple[NavItem, ...], section: str) -> list[NavItem]:
        found = []
        for item in items:
            page = Path(os.path.normpath(item.page)) if item.page is not None else None
            if page in wanted and page not in placed:
                placed.add(page)
                found.append(NavItem(item.title, page, (), item.location))
            if item.children and item.page is None:
                diags.warning("import-flattened", f"'{item.title}' is a group inside '{section}': its pages are "
                              f"chapters of '{section}'", item.location)
            found += pages_of(item.children, section)
        return found

    def sections_of(items: tuple[NavItem, ...], container: str | None) -> list[_Section]:
        sections: list[_Section] = []
        loose: list[NavItem] = []

        def close_loose() -> None:
            if loose:
                title = container or _page_title(loose[0], pages)
                sections.append(_Section(title, list(loose)))
                loose.clear()

        for item in items:
            if item.children:
                close_loose()
                title = item.title or (_page_title(item, pages) if item.page else "Section")
                found = pages_of((NavItem(item.title, item.page, (), item.location),), title) if item.page else []
                found += pages_of(item.children, title)
                if found:
                    sections.append(_Section(title, found))
            else:
                loose.extend(pages_of((item,), container or ""))
        close_loose()
        return sections

    if mode == "one":
        return [_Volume(book.title, sections_of(book.nav, None))]
    volumes: list[_Volume] = []
    waiting: list[_Section] = []  # pages before the first part open the first volume
    for item in book.nav:
        if item.children:
            title = item.title or _page_title(item, pages)
            opening = (NavItem(item.title, item.page, (), item.location),) if item.page else ()
            volume = _Volume(title, waiting + sections_of(opening + item.children, title))
            waiting = []
            if volume.sections:
                volumes.append(volume)
        else:
            (volumes[-1].sections if volumes else waiting).extend(sections_of((item,), None))
    if waiting:
        volumes.append(_Volume(book.title, waiting))
    return volumes


def _page_title(item: NavItem, pages: dict[Path, Page]) -> str:
    page = pages.get(Path(os.path.normpath(item.page))) if item.page is not None else None
    return page.title if page is not None else item.title


def _file_chapters(layout: list[_Volume], placed: dict[Path, Placement]) -> dict[Path, Placement]:
    files = {}
    for number, volume in enumerate(layout, 1):
        for index, section in enumerate(volume.sections, 1):
            folder = Path(f"volume-{number}") / _section_folder(index, section.title)
            for item in section.pages:
                chapter_id = placed[item.page].chapter_id
                files[item.page] = Placement(chapter_id, folder / f"{chapter_id}.md")
    return files


def _section_folder(index: int, title: str) -> str:
    return f"{index:02d}-{slug(title)[:48].strip('-') or 'section'}"


def _project_files(book: SourceBook, layout: list[_Volume], pages: dict[Path, Page],
                   placed: dict[Path, Placement], links: BookLinks) -> dict[Path, bytes]:
    files: dict[Path, bytes] = {}
    volume_folders = []
    for number, volume in enumerate(layout, 1):
        folder = f"volume-{number}"
        volume_folders.append(folder)
        sections = []
        for index, section in enumerate(volume.sections, 1):
            sections.append({
                "folder": _section_folder(index, section.title),
                "title": section.title,
                "chapters": [placed[item.page].file.name for item in section.pages],
            })
        manifest = {"number": number, "title": volume.title, "sections": sections}
        files[Path(folder) / "volume.yaml"] = _yaml(manifest, f"Volume {number} of the book imported from {book.tool}.")
    for source, page in pages.items():
        front = {"id": placed[source].chapter_id, "title": page.title}
        if page.summary:
            front["summary"] = page.summary
        front["status"] = "final"
        if page.index_terms:
            front["index"] = list(page.index_terms)
        text = "---\n" + _dump(front) + "---\n\n" + page_markdown(page, links)
        files[placed[source].file] = text.encode("utf-8")
    for image, copy in links.images.items():
        files[copy] = image.read_bytes()
    files[Path("book.yaml")] = _yaml(_book_config(book, volume_folders, links.kept_broken),
                                     f"Imported from {book.config.name} by 'sopress import {book.tool}'. "
                                     "Every key: docs/authoring.md.")
    return {Path("content") / path: data for path, data in files.items()}


def _book_config(book: SourceBook, volume_folders: list[str], kept_broken: int) -> dict:
    config: dict = {
        "id": _slug(book.title),
        "title": book.title,
        "author": book.author or "Unknown author",
        "language": book.language,
        "date": today(),
    }
    if book.copyright:
        config["copyright"] = book.copyright
    if kept_broken:
        config["links"] = "warn"  # the links the import could not map stay reported, as warnings
    config["volumes"] = volume_folders
    return config


def today() -> dt.date:
    """SOURCE_DATE_EPOCH when set (reproducible-builds.org), else today: the book's publication date to edit."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


def _dump(values: dict) -> str:
    return yaml.safe_dump(values, sort_keys=False, allow_unicode=True, width=100)


def _yaml(values: dict, comment: str) -> bytes:
    return (f"# {comment}\n" + _dump(values)).encode("utf-8")


def _write(into: Path, files: dict[Path, bytes]) -> None:
    if (into / "content").exists():
        shutil.rmtree(into / "content")
    for relative in sorted(files):
        path = into / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[relative])

"""Render stage for EPUB: one or more volumes as XHTML documents, nav, cover and page-list.

Every document, the navigation document included, is rendered here from the theme's templates;
the EPUB writer only packages them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from sopress.index_view import index_view
from sopress.model import Image, ResolvedBook, Volume
from sopress.numerals import roman
from sopress.render import Output, PageBreaks, PageMap, VolumeRenderer


@dataclass(frozen=True)
class NavEntry:
    title: str
    href: str
    children: tuple[NavEntry, ...] = ()


@dataclass(frozen=True)
class Landmark:
    kind: str  # epub:type: cover, titlepage, toc, bodymatter, index
    title: str
    href: str


@dataclass(frozen=True)
class PageTarget:
    label: str
    href: str


@dataclass(frozen=True)
class EpubDocument:
    file_name: str
    title: str
    content: str


@dataclass(frozen=True)
class EpubEdition:
    """One EPUB's documents in reading order (cover, title pages, nav, body, index) and its parts."""

    volumes: tuple[Volume, ...]  # one volume, or all of them for the omnibus
    documents: tuple[EpubDocument, ...]
    nav_file: str
    toc: tuple[NavEntry, ...]
    page_list: tuple[PageTarget, ...]
    cover_svg: str
    images: dict[Path, str]  # source file -> name inside the EPUB
    stylesheet: str

    @property
    def omnibus(self) -> bool:
        return len(self.volumes) > 1


def epub_edition(resolved: ResolvedBook, volumes: list[Volume], env: jinja2.Environment,
                 context: dict[str, Any], page_map: PageMap) -> EpubEdition:
    """One XHTML document per title page, section opener and chapter, as reading systems expect."""
    omnibus = len(volumes) > 1
    files = _file_names(volumes)
    images = {image.path: f"images/{index}{image.path.suffix.lower()}"
              for index, image in enumerate(_images(volumes), 1) if image.path is not None}
    logo = resolved.book.house.company.logo
    if logo is not None:
        images.setdefault(logo, f"images/logo{logo.suffix.lower()}")
    linked = frozenset(v.number for v in volumes)
    first = volumes[0]

    def output_for(volume: Volume, breaks: PageBreaks | None = None) -> Output:
        return Output("epub", volume, resolved, document_of=lambda i: files.get(i, ""), image_href=images.__getitem__,
                      page_map=page_map, linked_volumes=linked, page_breaks=breaks)

    cover = EpubDocument("cover.xhtml", "Cover", VolumeRenderer(env, output_for(first), context).page(
        "epub/cover.xhtml", omnibus=omnibus))
    documents, toc, marks = [cover], [], []
    for volume in volumes:
        breaks = PageBreaks(page_map.get(volume.number, {}), prefix=f"{roman(volume.number)}:" if omnibus else "")
        renderer = VolumeRenderer(env, output_for(volume, breaks), context)

        def page(file_id: str, title: str, fragment: str, **values: Any) -> EpubDocument:
            breaks.document = files[file_id]
            content = renderer.page("epub/page.xhtml", title=title, fragment=fragment, **values)
            return EpubDocument(files[file_id], title, content)

        documents.append(page(f"title-page-{volume.number}", volume.title, "frontmatter.html"))
        sections = []
        for number, section in enumerate(volume.sections, 1):
            documents.append(page(section.id, section.title, "section.html", section=section, section_number=number))
            chapters = []
            for chapter in section.chapters:
                documents.append(page(chapter.id, chapter.title, "chapter.html", chapter=chapter))
                headings = tuple(
                    NavEntry(h.text, f"{files[chapter.id]}#{h.id}")
                    for h in (chapter.doc.headings if chapter.doc else ()) if h.level == 2
                )
                chapters.append(NavEntry(f"{resolved.targets[chapter.id].number}. {chapter.title}",
                                         files[chapter.id], headings))
            sections.append(NavEntry(section.title, files[section.id], tuple(chapters)))
        if omnibus:
            toc.append(NavEntry(f"Volume {roman(volume.number)}: {volume.title}",
                                files[f"title-page-{volume.number}"], tuple(sections)))
        else:
            toc += sections
        marks += breaks.marks

    index_output = output_for(first)
    index = index_view(resolved.index, index_output, resolved.book.config.index)
    if index:
        renderer = VolumeRenderer(env, index_output, context)
        documents.append(EpubDocument(files["index"], "Index", renderer.page(
            "epub/page.xhtml", title="Index", fragment="index.html", index=index)))
        toc.append(NavEntry("Index", files["index"]))

    page_list = tuple(PageTarget(label, f"{file}#{mark}") for label, mark, file in marks)
    landmarks = [Landmark("cover", "Cover", "cover.xhtml"),
                 Landmark("titlepage", "Title page", files[f"title-page-{first.number}"]),
                 Landmark("toc", "Contents", "nav.xhtml"),
                 Landmark("bodymatter", "Start of content", files[first.sections[0].id])]
    if index:
        landmarks.append(Landmark("index", "Index", files["index"]))
    nav_renderer = VolumeRenderer(env, output_for(first), context)
    nav = EpubDocument("nav.xhtml", "Contents", nav_renderer.page(
        "epub/nav.xhtml", toc=toc, landmarks=landmarks, page_list=page_list, omnibus=omnibus))
    documents.insert(2, nav)  # after the cover and the first title page
    return EpubEdition(
        volumes=tuple(volumes),
        documents=tuple(documents),
        nav_file=nav.file_name,
        toc=tuple(toc),
        page_list=page_list,
        cover_svg=env.get_template("epub/cover.svg").render(**context, volume=first, omnibus=omnibus),
        images=images,
        stylesheet=env.get_template("epub/epub.css").render(**context, volume=first),
    )


def _file_names(volumes: list[Volume]) -> dict[str, str]:
    """Document file per id: chapters by their set-wide id, the rest by volume and folder."""
    files = {"index": "index.xhtml"}
    for volume in volumes:
        files[f"title-page-{volume.number}"] = f"title-{volume.slug}.xhtml"
        for section in volume.sections:
            files[section.id] = f"{volume.slug}-{section.folder.name}.xhtml"
            files.update({chapter.id: f"{chapter.id}.xhtml" for chapter in section.chapters})
    return files


def _images(volumes: list[Volume]) -> list[Image]:
    seen: dict[Path, Image] = {}
    for volume in volumes:
        for section in volume.sections:
            for doc in (section.intro, *(chapter.doc for chapter in section.chapters)):
                for image in doc.images if doc else ():
                    if image.path is not None:
                        seen.setdefault(image.path, image)
    return list(seen.values())

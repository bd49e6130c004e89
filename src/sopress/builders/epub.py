"""The EPUB builder: each volume (and, on request, the whole set) as an EPUB 3.

Every document, the navigation document included, is rendered here from the theme's templates;
the EPUB writer (sopress.write.epub) only packages them. The link policy of an EPUB: references
within the file are live links; references to another volume name it and the chapter number; the
print edition's page numbers come in as the page-list, from the last layout's page map.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from sopress.builders import BuildContext, BuilderOutput
from sopress.diagnostics import Diagnostics, Location, SopressError
from sopress.index_view import index_view
from sopress.model import Image, Volume
from sopress.numerals import roman
from sopress.pagemap import PageMap
from sopress.render import Output, PageBreaks, VolumeRenderer
from sopress.write.epub import EpubDocument, EpubEdition, Landmark, NavEntry, PageTarget, write_epub


class EpubBuilder:
    name = "epub"

    def __init__(self, ctx: BuildContext):
        self.ctx = ctx

    def build(self, volumes: list[Volume], page_map: PageMap, omnibus: bool = False) -> BuilderOutput:
        """An EPUB per volume, and with `omnibus` one of the whole set."""
        ctx, book = self.ctx, self.ctx.resolved.book
        editions = [(f"Volume {v.number}", [v], ctx.paths.epub(v.slug)) for v in volumes]
        if omnibus:
            editions.append(("The whole set", list(book.volumes), ctx.paths.omnibus()))
        result = BuilderOutput()
        for name, volumes_in_file, output in editions:
            ctx.progress.step(f"{name}: writing the EPUB")
            edition = epub_edition(ctx, volumes_in_file, page_map)
            check_documents(edition, volumes_in_file)
            write_epub(book.config, edition, ctx.timestamp, output)
            result.files.append(output)
            ctx.progress.explain(f"wrote {output} ({len(edition.documents)} documents, "
                                 f"{len(edition.page_list)} print page markers)")
        return result


def check_documents(edition: EpubEdition, volumes: list[Volume]) -> None:
    """Every document must be well-formed XHTML before the EPUB is written: a reading system (and
    EPUBCheck) refuses one that is not, so a build that wrote it would have failed in silence."""
    files = _file_names(volumes)
    sources = {files[ch.id]: ch.path for v in volumes for ch in v.chapters}
    sources |= {files[s.id]: s.intro_path for v in volumes for s in v.sections if s.intro_path}
    problems = Diagnostics()
    for document in edition.documents:
        try:
            etree.fromstring(document.content.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            source = sources.get(document.file_name) or volumes[0].folder / "volume.yaml"
            problems.error("invalid-xhtml", f"the EPUB document {document.file_name} made from this file is not "
                                            f"well-formed XHTML ({exc.msg}, at its line {exc.lineno}); nothing was "
                                            "written", Location(source))
    if problems.failed():
        raise SopressError(problems.sorted())


def epub_edition(ctx: BuildContext, volumes: list[Volume], page_map: PageMap) -> EpubEdition:
    """One XHTML document per title page, section opener and chapter, as reading systems expect."""
    resolved, env, context, label = ctx.resolved, ctx.env, ctx.globals, ctx.theme.label
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

    cover = EpubDocument("cover.xhtml", label("cover"), VolumeRenderer(env, output_for(first), context).page(
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
                    for h in chapter.doc.headings if h.level == 2
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
    renderer = VolumeRenderer(env, index_output, context)
    index = index_view(resolved.index, renderer, index_output.own_volume, resolved.book.config.index)
    if index:
        documents.append(EpubDocument(files["index"], label("index"), renderer.page(
            "epub/page.xhtml", title=label("index"), fragment="index.html", index=index, omnibus=omnibus)))
        toc.append(NavEntry(label("index"), files["index"]))

    page_list = tuple(PageTarget(label, f"{file}#{mark}") for label, mark, file in marks)
    landmarks = [Landmark("cover", label("cover"), "cover.xhtml"),
                 Landmark("titlepage", label("title_page"), files[f"title-page-{first.number}"]),
                 Landmark("toc", label("contents"), "nav.xhtml"),
                 Landmark("bodymatter", label("bodymatter"), files[first.sections[0].id])]
    if index:
        landmarks.append(Landmark("index", label("index"), files["index"]))
    nav_renderer = VolumeRenderer(env, output_for(first), context)
    nav = EpubDocument("nav.xhtml", label("contents"), nav_renderer.page(
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

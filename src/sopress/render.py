"""Render: the resolved book -> HTML documents for each output, through Jinja templates.

Jinja runs over templates only (StrictUndefined, autoescape); Markdown is rendered from its token
stream by `MarkdownRenderer`, whose few pieces of markup of its own come from the theme's
`markdown.html` macros so that a project can restyle them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import jinja2
import nh3
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

import sopress
from sopress.model import Document, ResolvedBook, Target, Volume
from sopress.parse import CALLOUT_KINDS

OutputFormat = Literal["pdf", "epub"]
ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
         (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def theme_dir(name: str) -> Path:
    return Path(sopress.__file__).parent / "themes" / name


def available_themes() -> list[str]:
    root = Path(sopress.__file__).parent / "themes"
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def roman(number: int) -> str:
    out = []
    for value, letters in ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def make_environment(root: Path, theme: str) -> jinja2.Environment:
    """Templates in the project's templates/ override the theme's, name by name."""
    theme_loader = jinja2.FileSystemLoader(theme_dir(theme))
    loaders: list[jinja2.BaseLoader] = []
    if (root / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(root / "templates"))
    # "!name" always means the theme's own template, so an override can extend what it replaces (as in Sphinx).
    loaders += [theme_loader, jinja2.PrefixLoader({"": theme_loader}, delimiter="!")]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["roman"] = roman
    return env


@functools.cache
def highlight_css() -> str:
    return HtmlFormatter(style="friendly").get_style_defs(".highlight")


def highlight_code(code: str, language: str, _attrs: Any) -> str:
    """Pygments spans inside markdown-it's own <pre><code>; unknown languages stay plain."""
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    return highlight(code, lexer, HtmlFormatter(nowrap=True))


def sanitize(html: str) -> str:
    """Raw HTML allowed by the book config, without scripts, event handlers or foreign URL schemes."""
    return nh3.clean(
        html,
        tags=nh3.ALLOWED_TAGS | {"span", "sup", "sub", "img", "figure", "figcaption", "aside", "section"},
        attributes={"*": {"class", "id", "role", "aria-label", "epub:type", "title", "lang"},
                    "a": {"href"}, "img": {"src", "alt"}},
        url_schemes={"http", "https", "mailto", "tel", "file"},
        link_rel=None,
    )


@dataclass(frozen=True)
class Output:
    """Where rendered documents will live, so links and images can be written for that place."""

    format: OutputFormat
    volume: Volume
    resolved: ResolvedBook
    document_of: Callable[[str], str]  # chapter id -> file that holds it ('' when one document)
    image_href: Callable[[Path], str]

    def href(self, target: Target) -> str | None:
        """A live link within this volume; None for another volume (a print reader turns pages)."""
        if target.volume != self.volume.number:
            return None
        document = self.document_of(target.chapter_id) if target.chapter_id else ""
        return f"{document}#{target.id}"


class MarkdownRenderer(RendererHTML):
    """markdown-it's HTML renderer with cross-references, figures, callouts and EPUB-ready notes."""

    def __init__(self, output: Output, macros: Any, raw_html: bool):
        super().__init__()
        self.output, self.macros, self.raw_html = output, macros, raw_html
        for kind in CALLOUT_KINDS:
            self.rules[f"container_{kind}_open"] = self._callout_open
            self.rules[f"container_{kind}_close"] = self._callout_close

    def render_document(self, doc: Document) -> Markup:
        options = OptionsDict({"xhtmlOut": True, "breaks": False, "langPrefix": "language-",
                               "highlight": highlight_code, "html": True, "typographer": True,
                               "linkify": False, "quotes": "\u201c\u201d\u2018\u2019", "maxNesting": 100})
        return Markup(self.render(doc.tokens, options, dict(doc.env)))

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: dict) -> str:
        out, i = [], 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "link_open" and "ref" in token.meta:
                end = next(j for j in range(i + 1, len(tokens)) if tokens[j].type == "link_close")
                out.append(self._xref(token, tokens[i + 1 : end], options, env))
                i = end + 1
                continue
            rule = self.rules.get(token.type)
            out.append(rule(tokens, i, options, env) if rule else self.renderToken(tokens, i, options, env))
            i += 1
        html = "".join(out)
        if self.raw_html and any(t.type == "html_inline" for t in tokens):
            # Inline tags come one token at a time: sanitise the run as a whole, with our own markup allowed.
            html = sanitize(html)
        return html

    def _xref(self, token: Token, inner: Sequence[Token], options: OptionsDict, env: dict) -> str:
        target = self.output.resolved.links.get(token.meta["ref"])
        text = Markup(self.renderInline(inner, options, env)) if token.meta["ref"].has_text else None
        if target is None:
            return text or ""
        volume = self.output.resolved.volume(target.volume)
        return str(self.macros.xref(
            text=text, target=target, href=self.output.href(target), volume=volume,
            same_volume=target.volume == self.output.volume.number, format=self.output.format,
        ))

    def paragraph_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        if self._is_figure(tokens, idx):
            return ""
        return self.renderToken(tokens, idx, options, env)

    def paragraph_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        if self._is_figure(tokens, idx - 2):
            return ""
        return self.renderToken(tokens, idx, options, env)

    @staticmethod
    def _is_figure(tokens: Sequence[Token], idx: int) -> bool:
        """An image alone in its paragraph is a figure, as in Pandoc."""
        if idx < 0 or tokens[idx].type != "paragraph_open" or tokens[idx].hidden:
            return False
        children = tokens[idx + 1].children or []
        return len(children) == 1 and children[0].type == "image"

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        token = tokens[idx]
        image = token.meta.get("image")
        if image is None or image.path is None:
            return ""
        src = self.output.image_href(image.path)
        title = str(token.attrGet("title") or "")
        alone = idx == 0 and len(tokens) == 1
        return str(self.macros.image(src=src, alt=image.alt, caption=title, id=token.attrGet("id"), figure=alone))

    def task_checkbox(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return str(self.macros.checkbox(checked=tokens[idx].meta["checked"], format=self.output.format))

    def _callout_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        kind, _, title = tokens[idx].info.strip().partition(" ")
        return str(self.macros.callout_open(kind=kind, title=title.strip()))

    def _callout_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return str(self.macros.callout_close())

    def html_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return sanitize(tokens[idx].content) if self.raw_html else ""

    def html_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return tokens[idx].content if self.raw_html else ""

    def _note_id(self, token: Token, env: dict) -> str:
        return f"{env['docId']}-fn{token.meta['id'] + 1}"

    def footnote_ref(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        token = tokens[idx]
        sub = token.meta.get("subId", 0)
        return str(self.macros.footnote_ref(
            note_id=self._note_id(token, env), ref_id=f"{self._note_id(token, env)}-ref{sub}",
            label=token.meta["id"] + 1,
        ))

    def footnote_block_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return str(self.macros.footnotes_open())

    def footnote_block_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return str(self.macros.footnotes_close())

    def footnote_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        token = tokens[idx]
        return str(self.macros.footnote_open(note_id=self._note_id(token, env), label=token.meta["id"] + 1))

    def footnote_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return str(self.macros.footnote_close())

    def footnote_anchor(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        token = tokens[idx]
        sub = token.meta.get("subId", 0)
        return str(self.macros.footnote_backref(ref_id=f"{self._note_id(token, env)}-ref{sub}", format=self.output.format))


def book_context(resolved: ResolvedBook, build_date: str) -> dict[str, Any]:
    """What every template sees about the set as a whole."""
    book = resolved.book
    return {
        "book": book.config,
        "volumes": book.volumes,
        "targets": resolved.targets,
        "build_date": build_date,
        "highlight_css": Markup(highlight_css()),
        "sopress_version": sopress.__version__,
    }


class VolumeRenderer:
    """Renders one volume's Markdown for one output format and hands it to the templates."""

    def __init__(self, env: jinja2.Environment, output: Output, context: dict[str, Any]):
        self.env, self.output, self.context = env, output, context
        macros = env.get_template("markdown.html").module
        self.markdown = MarkdownRenderer(output, macros, output.resolved.book.config.raw_html)

    def html(self, doc: Document | None) -> Markup:
        return self.markdown.render_document(doc) if doc is not None else Markup("")

    def page(self, template: str, **values: Any) -> str:
        return self.env.get_template(template).render(
            **self.context, volume=self.output.volume, format=self.output.format, md=self.html, **values
        )


@dataclass(frozen=True)
class NavEntry:
    title: str
    href: str
    children: tuple[NavEntry, ...] = ()


@dataclass(frozen=True)
class EpubDocument:
    file_name: str
    title: str
    content: str


@dataclass(frozen=True)
class EpubEdition:
    """One volume's XHTML documents in reading order, its table of contents and its images."""

    volume: Volume
    documents: tuple[EpubDocument, ...]  # cover page first
    cover_svg: str
    nav: tuple[NavEntry, ...]
    images: dict[Path, str]  # source file -> name inside the EPUB
    stylesheet: str


def volume_html(resolved: ResolvedBook, volume: Volume, env: jinja2.Environment,
                context: dict[str, Any], fonts: list[Any]) -> str:
    """The whole volume as one HTML document, for the PDF."""
    output = Output("pdf", volume, resolved, document_of=lambda _id: "", image_href=lambda p: p.as_uri())
    renderer = VolumeRenderer(env, output, context)
    keywords = [section.title for section in volume.sections]
    return renderer.page("print/volume.html", fonts=fonts, keywords=keywords, href=lambda i: f"#{i}")


def epub_edition(resolved: ResolvedBook, volume: Volume, env: jinja2.Environment,
                 context: dict[str, Any]) -> EpubEdition:
    """One XHTML document per section opener and per chapter, as EPUB reading systems expect."""
    files = {"title-page": "title.xhtml"}
    for section in volume.sections:
        files[section.id] = f"{section.folder.name}.xhtml"
        files.update({ch.id: f"{ch.id}.xhtml" for ch in section.chapters})
    images = {img.path: f"images/{volume.slug}-{index}{img.path.suffix.lower()}"
              for index, img in enumerate(_images(volume), 1)}
    output = Output("epub", volume, resolved, document_of=lambda i: files.get(i, ""), image_href=images.__getitem__)
    renderer = VolumeRenderer(env, output, context)

    def page(file_id: str, title: str, fragment: str, **values: Any) -> EpubDocument:
        content = renderer.page("epub/page.xhtml", title=title, fragment=fragment, **values)
        return EpubDocument(files[file_id], title, content)

    cover = EpubDocument("cover.xhtml", "Cover", renderer.page("epub/cover.xhtml"))
    documents = [cover, page("title-page", volume.title, "frontmatter.html")]
    nav = []
    for number, section in enumerate(volume.sections, 1):
        documents.append(page(section.id, section.title, "section.html", section=section, section_number=number))
        chapters = []
        for chapter in section.chapters:
            documents.append(page(chapter.id, chapter.title, "chapter.html", chapter=chapter))
            headings = tuple(
                NavEntry(h.text, f"{files[chapter.id]}#{h.id}")
                for h in (chapter.doc.headings if chapter.doc else ()) if h.level == 2
            )
            chapters.append(NavEntry(f"{resolved.targets[chapter.id].number}. {chapter.title}", files[chapter.id], headings))
        nav.append(NavEntry(section.title, files[section.id], tuple(chapters)))
    stylesheet = env.get_template("epub/epub.css").render(**context, volume=volume)
    cover_svg = env.get_template("epub/cover.svg").render(**context, volume=volume)
    return EpubEdition(volume, tuple(documents), cover_svg, tuple(nav), images, stylesheet)


def _images(volume: Volume) -> list[Any]:
    seen: dict[Path, Any] = {}
    for section in volume.sections:
        docs = [section.intro] + [ch.doc for ch in section.chapters]
        for doc in docs:
            for image in doc.images if doc else ():
                if image.path is not None:
                    seen.setdefault(image.path, image)
    return list(seen.values())

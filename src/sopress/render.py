"""Render: the resolved book -> HTML documents for each output, through Jinja templates.

Jinja runs over templates only (StrictUndefined, autoescape); Markdown is rendered from its token
stream by `MarkdownRenderer`, whose few pieces of markup of its own come from the theme's
`markdown.html` macros so that a project can restyle them.
"""

from __future__ import annotations

import functools
import re
from html.entities import html5 as html5_entities
from dataclasses import dataclass, field
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
from sopress.dialect import CALLOUT_KINDS, make_markdown
from sopress.model import Document, Locator, ResolvedBook, Target, Volume
from sopress.pagemap import PageMap
from sopress.standins import stand_in

OutputFormat = Literal["pdf", "epub", "handout"]


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


VOID_ELEMENT = re.compile(r"<(area|br|col|embed|hr|img|input|source|track|wbr)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*/?>")
NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")


def sanitize(html: str) -> str:
    """Raw HTML allowed by the book config, without scripts, event handlers or foreign URL schemes,
    written as XHTML (EPUB documents are XML: `<br>` and `&nbsp;` would not parse)."""
    return _xhtml(_clean(html))


def _xhtml(html: str) -> str:
    html = VOID_ELEMENT.sub(lambda m: f"<{m.group(1)}{m.group(2)} />", html)

    def entity(match: re.Match) -> str:
        name, text = match.group(1), html5_entities.get(f"{match.group(1)};")
        if name in ("amp", "lt", "gt", "quot", "apos") or text is None:
            return match.group(0)  # XML's own entities, and unknown names, as written
        return "".join(f"&#{ord(c)};" for c in text)

    return NAMED_ENTITY.sub(entity, html)


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=nh3.ALLOWED_TAGS | {"span", "sup", "sub", "img", "figure", "figcaption", "aside", "section"},
        attributes={"*": {"class", "id", "role", "aria-label", "epub:type", "title", "lang"},
                    "a": {"href"}, "img": {"src", "alt"}},
        url_schemes={"http", "https", "mailto", "tel", "file"},
        link_rel=None,
    )


@dataclass
class PageBreaks:
    """Where print pages start, met in reading order while an EPUB is rendered (its page-list).

    A page that starts inside a paragraph is marked before that paragraph; pages with no paragraph
    of their own (blank versos) are marked at the next one, so every body page is in the list.
    """

    folios: dict[str, str]  # anchor -> printed folio, in this volume
    prefix: str = ""  # "II:" in the omnibus, where four volumes share one page-list
    document: str = ""  # the file being rendered
    last: int = 0
    marks: list[tuple[str, str, str]] = field(default_factory=list)  # (label, marker id, file)

    def before(self, anchor: str) -> list[tuple[str, str]]:
        folio = self.folios.get(anchor, "")
        if not folio.isdigit() or int(folio) <= self.last:
            return []
        new = [(f"{self.prefix}{n}", f"page-{self.prefix.rstrip(':')}{n}") for n in range(self.last + 1, int(folio) + 1)]
        self.last = int(folio)
        self.marks += [(label, mark_id, self.document) for label, mark_id in new]
        return new


@dataclass(frozen=True)
class Output:
    """Where rendered documents will live, so links and images can be written for that place."""

    format: OutputFormat
    volume: Volume
    resolved: ResolvedBook
    document_of: Callable[[str], str]  # chapter id -> file that holds it ('' when one document)
    image_href: Callable[[Path], str]
    page_map: PageMap = field(default_factory=dict)
    linked_chapters: frozenset[str] = frozenset()  # handouts: the chapters in this PDF
    linked_volumes: frozenset[int] = frozenset()  # volumes in the same file; default: this one
    page_breaks: PageBreaks | None = None  # EPUB only: print page starts, for pagebreak markers

    def links_to(self, volume: int, chapter_id: str) -> bool:
        """Whether a place is in this output, a live link away. A handout holds only its own chapter."""
        if self.format == "handout":
            return chapter_id in self.linked_chapters
        return volume in (self.linked_volumes or {self.volume.number})

    def href(self, target: Target) -> str | None:
        """A live link within this file; None for another volume (a print reader turns pages)."""
        if not self.links_to(target.volume, target.chapter_id):
            return None
        document = self.document_of(target.chapter_id) if target.chapter_id else ""
        return f"{document}#{target.id}"

    @property
    def own_volume(self) -> int | None:
        """The volume this output is of; None for an omnibus, which holds several."""
        return None if len(self.linked_volumes) > 1 else self.volume.number


@dataclass
class PageNumbers:
    """The page numbers one rendering prints, from the last layout's page map.

    They are returned with the rendering's HTML, so that the PDF builder can lay a volume out
    again while the numbers it printed still move.
    """

    page_map: PageMap
    # For a number not in the page map: how many digits it will likely have (None: print it unknown).
    # Given, such a number prints as a stand-in that the PDF writer fills in (sopress.standins).
    digits: Callable[[int, str], int | None] | None = None
    printed: dict[tuple[int, str], str | None] = field(default_factory=dict)
    stand_ins: dict[str, tuple[int, str]] = field(default_factory=dict)  # stand-in -> (volume, anchor)
    _stand_in_of: dict[tuple[int, str], str | None] = field(default_factory=dict, repr=False)

    def folio(self, volume: int, anchor: str) -> str | None:
        folio = self.page_map.get(volume, {}).get(anchor)
        self.printed[(volume, anchor)] = folio
        if folio is None and self.digits is not None:
            return self._stand_in(volume, anchor)
        return folio

    def _stand_in(self, volume: int, anchor: str) -> str | None:
        """One stand-in per place, numbered among those of its width (None: no more of that width)."""
        place = (volume, anchor)
        if place not in self._stand_in_of:
            digits = self.digits(volume, anchor)
            text = stand_in(sum(len(t) == digits + 2 for t in self.stand_ins), digits) if digits else None
            self._stand_in_of[place] = text
            if text is not None:
                self.stand_ins[text] = place
        return self._stand_in_of[place]


# The dialect's own options (typographer, quotes, raw HTML), written out as XHTML with highlighting.
RENDER_OPTIONS = OptionsDict({**make_markdown().options, "xhtmlOut": True, "highlight": highlight_code})


class MarkdownRenderer(RendererHTML):
    """markdown-it's HTML renderer with cross-references, figures, callouts and EPUB-ready notes."""

    def __init__(self, output: Output, macros: Any, raw_html: bool, pages: PageNumbers):
        super().__init__()
        self.output, self.macros, self.raw_html, self.pages = output, macros, raw_html, pages
        self.boxes: dict[str, int] = {}  # tick boxes met so far, per document (their fields' names)
        for kind in CALLOUT_KINDS:
            self.rules[f"container_{kind}_open"] = self._callout_open
            self.rules[f"container_{kind}_close"] = self._callout_close

    def render_document(self, doc: Document) -> Markup:
        tokens, env = doc.stream()
        return Markup(self.render(tokens, RENDER_OPTIONS, dict(env)))

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: dict) -> str:
        """markdown-it's loop, plus the EPUB's print-page markers before paragraphs and headings."""
        breaks = self.output.page_breaks
        out: list[str] = []
        for i, token in enumerate(tokens):
            if breaks is not None and token.type in ("paragraph_open", "heading_open") and token.attrGet("id"):
                for label, mark in breaks.before(str(token.attrGet("id"))):
                    out.append(str(self.macros.pagebreak(label=label, id=mark)))
            if token.type == "inline":
                out.append(self.renderInline(token.children or [], options, env))
            elif token.type in self.rules:
                out.append(self.rules[token.type](tokens, i, options, env))
            else:
                out.append(self.renderToken(tokens, i, options, env))
        return "".join(out)

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
        output = self.output
        same_volume = output.links_to(target.volume, target.chapter_id)
        return str(self.macros.xref(
            text=text, label=Markup(self.macros.target_label(target=target)), target=target,
            href=output.href(target), volume=output.resolved.volume(target.volume), same_volume=same_volume,
            chapter=output.resolved.targets[target.chapter_id], format=output.format,
            page=self.pages.folio(target.volume, target.id) if output.format != "epub" else None,
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
        identifier = token.attrGet("id")
        number = self.output.resolved.targets[identifier].number if identifier in self.output.resolved.targets else ""
        return str(self.macros.image(src=src, alt=image.alt, caption=title, id=identifier, figure=alone, number=number))

    def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        token = tokens[idx]
        caption = token.meta.get("caption")
        if caption is None:
            return self.renderToken(tokens, idx, options, env)
        identifier = token.attrGet("id")
        target = self.output.resolved.targets.get(str(identifier)) if identifier else None
        return str(self.macros.table_open(
            id=identifier, number=target.number if target else "",
            caption=Markup(self.renderInline(caption, options, env)),
        ))

    def th_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return self._header_cell(tokens, idx, options, env, empty=self._empty_cell(tokens, idx + 1))

    def th_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return self._header_cell(tokens, idx, options, env, empty=self._empty_cell(tokens, idx - 1))

    def _header_cell(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict, empty: bool) -> str:
        """An empty header cell (a table's corner) is written as a plain cell: a header names its column
        or row, and screen readers (and DAISY Ace's rule empty-table-header) reject a nameless one."""
        if not empty:
            return self.renderToken(tokens, idx, options, env)
        cells = list(tokens)
        cells[idx] = tokens[idx].copy(tag="td")
        return self.renderToken(cells, idx, options, env)

    @staticmethod
    def _empty_cell(tokens: Sequence[Token], idx: int) -> bool:
        return tokens[idx].type == "inline" and not tokens[idx].content.strip()

    def task_checkbox(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        """A tick box; in a handout a fillable one, named by chapter and item, its item's text as tooltip."""
        self.boxes[env["docId"]] = number = self.boxes.get(env["docId"], 0) + 1
        item = "".join(t.content for t in tokens[idx + 1:] if t.type in ("text", "code_inline")).strip()
        return str(self.macros.checkbox(checked=tokens[idx].meta["checked"], format=self.output.format,
                                        name=f"{env['docId']}-item-{number}", item=item))

    def _callout_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        kind, _, title = tokens[idx].info.strip().partition(" ")
        return str(self.macros.callout_open(kind=kind, title=title.strip()))

    def _callout_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return str(self.macros.callout_close())

    def html_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return sanitize(self._raw(tokens[idx])) if self.raw_html else ""

    def html_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: dict) -> str:
        return self._raw(tokens[idx]) if self.raw_html else ""

    def _raw(self, token: Token) -> str:
        """Raw HTML with its images' sources pointing where this output keeps them."""
        html = token.content
        for src, path in token.meta.get("raw_images", {}).items():
            html = html.replace(f'"{src}"', f'"{self.output.image_href(path)}"').replace(
                f"'{src}'", f"'{self.output.image_href(path)}'")
        return html

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
        "company": book.house.company,
        "house": book.house.for_templates(),
        "volumes": book.volumes,
        "targets": resolved.targets,
        "build_date": build_date,
        "highlight_css": Markup(highlight_css()),
        "sopress_version": sopress.__version__,
    }


class VolumeRenderer:
    """Renders one volume's Markdown for one output and hands it to the templates.

    What it printed (the page numbers) is read back from `printed` once the rendering is done.
    """

    def __init__(self, env: jinja2.Environment, output: Output, context: dict[str, Any],
                 digits: Callable[[int, str], int | None] | None = None):
        self.env, self.output, self.context = env, output, context
        self.pages = PageNumbers(output.page_map, digits)
        macros = env.get_template("markdown.html").module
        self.markdown = MarkdownRenderer(output, macros, output.resolved.book.config.raw_html, self.pages)

    @property
    def printed(self) -> dict[tuple[int, str], str | None]:
        return dict(self.pages.printed)

    def html(self, doc: Document | None) -> Markup:
        return self.markdown.render_document(doc) if doc is not None else Markup("")

    def page(self, template: str, **values: Any) -> str:
        logo = self.output.resolved.book.house.company.logo
        return self.env.get_template(template).render(
            **self.context, volume=self.output.volume, format=self.output.format, md=self.html,
            logo=self.output.image_href(logo) if logo else None, **values
        )

    # What the index needs to print a locator (sopress.index_view.LocatorPages).
    def folio(self, volume: int, anchor: str) -> str | None:
        return self.pages.folio(volume, anchor)

    def locator_href(self, locator: Locator) -> str | None:
        if not self.output.links_to(locator.volume, locator.chapter_id):
            return None
        return f"{self.output.document_of(locator.chapter_id)}#{locator.anchor}"

    def chapter_number(self, chapter_id: str) -> str:
        return self.output.resolved.targets[chapter_id].number

"""Each page's Markdown flavour, rewritten in sopress's own syntax while it is copied.

The result is Markdown that people go on editing, so the page's own text is kept line for line and
only the tool's constructs are rewritten where they stand: admonitions, alerts, hints and warning
boxes become callouts, includes are expanded, attribute lists meant for a web page are dropped,
and links and images are mapped onto the new project. Which lines are code is read from
markdown-it's token map, never guessed, and every line keeps the place it came from (an included
file's own line for included text), so whatever cannot be carried over is reported where it was written.

Two steps, because a link can only be mapped once every page is known: `read_page` converts one
page on its own; `map_page` then maps its links and images with the whole book in view.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import yaml
from markdown_it.token import Token

from sopress.diagnostics import Diagnostics, Location
from sopress.dialect import make_markdown
from sopress.house import HouseSheet
from sopress.importer.slugs import github_slugs, mkdocs_slugs
from sopress.importer.toc import SourceBook, Tool
from sopress.parse import slugify

# What each tool's box is called -> sopress's callout kind (note, tip, warning, policy).
CALLOUT_KIND = {
    "note": "note", "abstract": "note", "summary": "note", "tldr": "note", "info": "note", "todo": "note",
    "question": "note", "help": "note", "faq": "note", "example": "note", "quote": "note", "cite": "note",
    "seealso": "note", "tip": "tip", "hint": "tip", "success": "tip", "check": "tip", "done": "tip",
    "important": "policy", "policy": "policy", "warning": "warning", "caution": "warning",
    "attention": "warning", "failure": "warning", "fail": "warning", "missing": "warning", "danger": "warning",
    "error": "warning", "bug": "warning",
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")

ADMONITION = re.compile(r'^(\s*)(!!!|\?\?\?\+?)\s+([\w-]+)(?:\s+[\w-]+)*\s*(?:"(.*)")?\s*$')
TAB = re.compile(r'^(\s*)===\+?\s+"(.*)"\s*$')
ALERT = re.compile(r"^(\s*)>\s?\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*(.*)$", re.IGNORECASE)
QUOTED = re.compile(r"^(\s*)>\s?")
DIV_WARNING = re.compile(r'^(\s*)<div\s+class="warning"\s*>\s*$')
DETAILS = re.compile(r"^(\s*)<details[^>]*>\s*(?:<summary>(.*?)</summary>)?\s*$")
SUMMARY_TAG = re.compile(r"^\s*<summary>(.*?)</summary>\s*$")
HINT = re.compile(r'^(\s*)\{%\s*hint\s+style="(\w+)"\s*%\}\s*$')
GITBOOK_TAG = re.compile(r"^\s*\{%\s*(\w[\w-]*)(.*?)%\}\s*$")
GITBOOK_ATTR = re.compile(r'(\w+)="([^"]*)"')
FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})(.*)$")
ADMONISH = re.compile(r'^admonish(?:\s+([\w-]+))?(?:.*?title="([^"]*)")?')

ATTR_ITEM = r"""(?:[.#][\w:-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}]+))"""
ATTR_LIST = re.compile(r"[ \t]*\{:?[ \t]*" + ATTR_ITEM + r"(?:[ \t]+" + ATTR_ITEM + r")*[ \t]*\}|[ \t]*\{:[ \t]*\}")
ATX_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(?=\s|$)")
CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)")

MDBOOK_DIRECTIVE = re.compile(r"(\\?)\{\{\s*#(\w+)\s*(.*?)\s*\}\}")
SNIPPET = re.compile(r'^\s*-{1,}8<-{1,}\s+"([^"]+)"\s*$')
GITBOOK_INCLUDE = re.compile(r'^\s*\{%\s*include\s+"([^"]+)"\s*%\}\s*$')
ANCHOR_LINE = re.compile(r"\b(ANCHOR|ANCHOR_END):\s*([\w-]+)")
RAW_ANCHOR = re.compile(r'<a\s+(?:id|name)="([^"]+)"\s*>\s*</a>')
RAW_ID = re.compile(r'<[a-zA-Z][^>]*\sid="([^"]+)"')

LINK = re.compile(r'(!?)\[((?:[^\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\])*)\]'  # [text], brackets nested twice
                  r'\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)'  # (target, parentheses balanced once
                  r'(\s+(?:"[^"]*"|\'[^\']*\'))?\s*\)')  # "title")
DEFINITION = re.compile(r"^( {0,3}\[[^\]]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Line:
    """A line of a converted page and where it was written (column of its first character)."""

    text: str
    path: Path
    line: int
    col: int = 1

    def at(self, col: int = 0) -> Location:
        return Location(self.path, self.line, self.col + col)

    def cut(self, width: int) -> Line:
        return replace(self, text=self.text[width:], col=self.col + width)


@dataclass(frozen=True)
class PageHeading:
    index: int  # its line in Page.lines
    text: str
    id: str  # the sopress id it gets (explicit, or written explicitly when a link points to it)
    explicit: bool


@dataclass
class Page:
    """One source page converted on its own: what the project writer and the link mapper need."""

    source: Path
    title: str
    summary: str
    index_terms: tuple[str, ...]
    lines: list[Line]
    headings: list[PageHeading] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)  # a fragment the tool accepted -> heading; -1: the page


def read_page(path: Path, chapter_id: str, nav_title: str, book: SourceBook, diags: Diagnostics) -> Page:
    text = path.read_text(encoding="utf-8")
    meta, body_start = _front_matter(text, path, diags)
    lines = [Line(t, path, n) for n, t in enumerate(text.splitlines()[body_start:], body_start + 1)]
    lines = _expand_includes(lines, book, diags, (path,))
    lines, _ = _convert_blocks(lines, book.tool, diags)
    page = Page(
        source=path, title=str(meta.get("title") or ""), summary=str(meta.get("description") or ""),
        index_terms=tuple(str(t) for t in _listed(meta.get("tags")) if str(t).strip()), lines=lines,
    )
    _find_headings(page, chapter_id)
    if not page.title:
        page.title = nav_title or path.stem.replace("-", " ").replace("_", " ").capitalize()
    return page


def _listed(value: object) -> list:
    return value if isinstance(value, list) else [value] if value else []


def _front_matter(text: str, path: Path, diags: Diagnostics) -> tuple[dict, int]:
    """A page's YAML front matter (MkDocs' page meta, GitBook's description): what sopress can use of it."""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return {}, 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return {}, 0
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError:
        meta = None
    if not isinstance(meta, dict):
        diags.warning("import-dropped", "the page's front matter is not a YAML mapping: left out", Location(path))
        return {}, end + 1
    dropped = sorted(str(k) for k in meta if k not in ("title", "description", "tags"))
    if dropped:
        diags.warning("import-dropped", f"front matter not carried over: {', '.join(dropped)}", Location(path, 2, 1))
    return meta, end + 1


# Includes ------------------------------------------------------------------------------------------


def _expand_includes(lines: list[Line], book: SourceBook, diags: Diagnostics, stack: tuple[Path, ...]) -> list[Line]:
    """mdBook's {{#include}}, MkDocs' snippets (--8<--) and GitBook's {% include %}, read from the source tree only."""
    out: list[Line] = []
    for line in lines:
        block = SNIPPET.match(line.text) if book.tool == "mkdocs" else GITBOOK_INCLUDE.match(line.text)
        if book.tool != "mdbook" and block:
            base = book.root if book.tool == "mkdocs" else line.path.parent
            out += _included(block.group(1), "", base, line, book, diags, stack)
        elif book.tool == "mdbook" and "{{" in line.text:
            out += _mdbook_directives(line, book, diags, stack)
        else:
            out.append(line)
    return out


def _mdbook_directives(line: Line, book: SourceBook, diags: Diagnostics, stack: tuple[Path, ...]) -> list[Line]:
    """A line's {{#...}} directives, the first one expanded and the rest of the line after it in turn."""
    match = MDBOOK_DIRECTIVE.search(line.text)
    if match is None:
        return [line]
    escaped, name, argument = match.groups()
    head = [replace(line, text=line.text[: match.start()])]
    if escaped:
        inserted = [replace(line, text=match.group(0)[1:])]
    elif name in ("include", "rustdoc_include"):
        target, _, selection = argument.partition(":")
        inserted = _included(target, selection, line.path.parent, line, book, diags, stack, match.start())
    else:
        diags.warning("import-dropped", f"mdBook's {{{{#{name}}}}} has no printed form: left out",
                      line.at(match.start()))
        inserted = []
    rest = _mdbook_directives(line.cut(match.end()), book, diags, stack)
    return _join(_join(head, inserted), rest)


def _join(first: list[Line], then: list[Line]) -> list[Line]:
    """`first`'s last line continued by `then`'s first: the text around an include written inside a line."""
    if not first or not then:
        return first + then
    if not then[0].text:
        return first + then[1:]
    if not first[-1].text:
        return first[:-1] + then
    return first[:-1] + [replace(first[-1], text=first[-1].text + then[0].text)] + then[1:]


def _included(target: str, selection: str, base: Path, line: Line, book: SourceBook, diags: Diagnostics,
              stack: tuple[Path, ...], col: int = 0) -> list[Line]:
    path = Path(os.path.normpath(base / target.strip()))
    where = line.at(col)
    if not path.is_relative_to(book.root):
        diags.warning("import-include", f"'{target}' is outside the source tree: not included", where)
        return []
    if not path.is_file():
        diags.warning("import-include", f"included file '{target}' does not exist", where)
        return []
    if path in stack:
        chain = " -> ".join(p.name for p in stack + (path,))
        diags.warning("import-include", f"'{target}' includes itself ({chain}): not included again", where)
        return []
    text = path.read_text(encoding="utf-8")
    lines = [Line(t, path, n) for n, t in enumerate(text.splitlines(), 1)]
    picked = _select(lines, selection.strip(), target, where, diags)
    return _expand_includes(picked, book, diags, stack + (path,))


def _select(lines: list[Line], selection: str, target: str, where: Location, diags: Diagnostics) -> list[Line]:
    """mdBook's `file:anchor`, `file:5`, `file:2:10`, `file:2:` and `file::10`; anchor markers never print."""
    if not selection:
        return [line for line in lines if not ANCHOR_LINE.search(line.text)]
    first, _, last = selection.partition(":")
    if (first.isdigit() or not first) and (last.isdigit() or not last):
        start = int(first) - 1 if first else 0
        end = start + 1 if first and ":" not in selection else (int(last) if last else len(lines))
        return lines[start:end]
    inside, found = [], False
    for line in lines:
        marker = ANCHOR_LINE.search(line.text)
        if marker and marker.group(2) == selection:
            found = marker.group(1) == "ANCHOR"
            if not found:
                break
            continue
        if found and not marker:
            inside.append(line)
    if not inside and not found:
        diags.warning("import-include", f"'{target}' has no anchor '{selection}'", where)
    return inside


# Blocks --------------------------------------------------------------------------------------------


def _convert_blocks(lines: list[Line], tool: Tool, diags: Diagnostics) -> tuple[list[Line], int]:
    """The tool's boxes as sopress callouts, nested as deep as they were; returns the lines and that depth."""
    out: list[Line] = []
    depth = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line.text)
        if fence:
            end = _fence_end(lines, i, fence)
            info = fence.group(3).strip()
            admonish = ADMONISH.match(info) if tool == "mdbook" else None
            if admonish:
                body = [replace(x, text=x.text[len(fence.group(1)):]) for x in lines[i + 1 : end]]
                depth = max(depth, _callout(out, fence.group(1), admonish.group(1) or "note", admonish.group(2) or "",
                                            body, line, tool, diags))
            else:
                out += lines[i : end + 1]
            i = end + 1
            continue
        opened = _open_box(lines, i, tool)
        if opened is not None:
            indent, kind, title, body, i = opened
            if kind == "tab":
                out += [replace(line, text=f"{indent}**{title}**"), replace(line, text="")]
                converted, inner = _convert_blocks(body, tool, diags)
                out += [replace(x, text=indent + x.text) if x.text else x for x in converted]
                depth = max(depth, inner)
            else:
                depth = max(depth, _callout(out, indent, kind, title, body, line, tool, diags))
            continue
        if tool == "gitbook" and GITBOOK_TAG.match(line.text):
            out += _gitbook_tag(line, diags)
            i += 1
            continue
        out.append(_without_attribute_lists(line))
        i += 1
    return out, depth


def _fence_end(lines: list[Line], start: int, fence: re.Match) -> int:
    marker = fence.group(2)
    for j in range(start + 1, len(lines)):
        text = lines[j].text.strip()
        if text.startswith(marker[0] * len(marker)) and not text.strip(marker[0]):
            return j
    return len(lines) - 1


def _open_box(lines: list[Line], i: int, tool: Tool) -> tuple[str, str, str, list[Line], int] | None:
    """(indent, kind, title, body lines, next index) when a box of the tool's starts at line i."""
    line = lines[i]
    if tool == "mkdocs" and (match := ADMONITION.match(line.text)):
        indent = match.group(1)
        body, end = _indented_body(lines, i + 1, len(indent) + 4)
        title = match.group(4)
        return indent, match.group(3).lower(), (title if title is not None else ""), body, end
    if tool == "mkdocs" and (match := TAB.match(line.text)):
        body, end = _indented_body(lines, i + 1, len(match.group(1)) + 4)
        return match.group(1), "tab", match.group(2), body, end
    if match := ALERT.match(line.text):
        indent = match.group(1)
        end = i + 1
        while end < len(lines) and QUOTED.match(lines[end].text) and lines[end].text.startswith(indent):
            end += 1
        body = [x.cut(QUOTED.match(x.text).end()) for x in lines[i + 1 : end]]
        if match.group(3):
            body.insert(0, line.cut(match.start(3)))
        return indent, match.group(2).lower(), "", body, end
    if tool == "gitbook" and (match := HINT.match(line.text)):
        end = _closing(lines, i, re.compile(r"^\s*\{%\s*hint\b"), re.compile(r"^\s*\{%\s*endhint\s*%\}"))
        kind = {"info": "note", "success": "tip", "danger": "warning"}.get(match.group(2), match.group(2))
        return match.group(1), kind, "", lines[i + 1 : end], end + 1
    if match := DIV_WARNING.match(line.text):
        end = _closing(lines, i, re.compile(r"^\s*<div\b"), re.compile(r"^\s*</div>\s*$"))
        return match.group(1), "warning", "", lines[i + 1 : end], end + 1
    if match := DETAILS.match(line.text):
        end = _closing(lines, i, re.compile(r"^\s*<details\b"), re.compile(r"^\s*</details>\s*$"))
        body, title = lines[i + 1 : end], match.group(2) or ""
        if not title and body and (summary := SUMMARY_TAG.match(body[0].text)):
            title, body = summary.group(1), body[1:]
        return match.group(1), "note", title.strip(), body, end + 1
    return None


def _indented_body(lines: list[Line], start: int, width: int) -> tuple[list[Line], int]:
    """The lines indented by `width` or more under an admonition or tab, dedented; blank lines inside kept."""
    expanded = [replace(x, text=x.text.expandtabs(4)) for x in lines]
    end = start
    while end < len(lines) and (not expanded[end].text.strip() or _indent(expanded[end].text) >= width):
        end += 1
    while end > start and not expanded[end - 1].text.strip():
        end -= 1
    body = [x.cut(width) if x.text.strip() else replace(x, text="") for x in expanded[start:end]]
    return body, end


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _closing(lines: list[Line], start: int, opening: re.Pattern, closing: re.Pattern) -> int:
    level = 0
    for j in range(start, len(lines)):
        if opening.match(lines[j].text):
            level += 1
        elif closing.match(lines[j].text):
            level -= 1
            if level == 0:
                return j
    return len(lines)


def _callout(out: list[Line], indent: str, kind: str, title: str, body: list[Line], line: Line, tool: Tool,
             diags: Diagnostics) -> int:
    converted, inner = _convert_blocks(body, tool, diags)
    depth = inner + 1
    marker = ":" * (2 + depth)
    if out and out[-1].text.strip():
        out.append(replace(line, text=""))
    sopress_kind = CALLOUT_KIND.get(kind)
    if sopress_kind is None:
        sopress_kind = "note"
        title = title or kind.capitalize()
    heading = f"{indent}{marker} {sopress_kind}" + (f" {title.strip()}" if title.strip() else "")
    out.append(replace(line, text=heading))
    out += [replace(x, text=indent + x.text) if x.text else x for x in converted]
    out += [replace(line, text=f"{indent}{marker}"), replace(line, text="")]
    return depth


def _gitbook_tag(line: Line, diags: Diagnostics) -> list[Line]:
    """GitBook's blocks that are not boxes: their content stays, the tags go; an embed becomes its link."""
    match = GITBOOK_TAG.match(line.text)
    name, attrs = match.group(1), dict(GITBOOK_ATTR.findall(match.group(2)))
    if name == "embed" and "url" in attrs:
        return [replace(line, text=f"<{attrs['url']}>")]
    if name == "tab" and "title" in attrs:
        return [replace(line, text=f"**{attrs['title']}**"), replace(line, text="")]
    if name == "code" and "title" in attrs:
        return [replace(line, text=f"*{attrs['title']}*"), replace(line, text="")]
    if name in ("code", "endcode", "tabs", "endtabs", "endtab", "content-ref", "endcontent-ref", "stepper",
                "endstepper", "step", "endstep", "columns", "endcolumns", "column", "endcolumn"):
        return []
    diags.warning("import-dropped", f"GitBook's {{% {name} %}} block has no printed form: left out", line.at())
    return []


def _without_attribute_lists(line: Line) -> Line:
    """Attribute lists style a web page (`{: .class }`, `{:target="_blank"}`): dropped for print; a heading's
    `#id` stays, written in sopress's form."""
    if "{" not in line.text:
        return line
    heading = ATX_HEADING.match(line.text)

    def keep_id(match: re.Match) -> str:
        found = re.search(r"#([\w:-]+)", match.group(0)) if heading else None
        return f" {{#{found.group(1)}}}" if found else ""

    return replace(line, text=_outside_code_spans(line.text, lambda part: ATTR_LIST.sub(keep_id, part)))


def _outside_code_spans(text: str, change: Callable[[str], str]) -> str:
    out, last = [], 0
    for span in CODE_SPAN.finditer(text):
        out += [change(text[last : span.start()]), span.group(0)]
        last = span.end()
    return "".join(out + [change(text[last:])])


# Headings ------------------------------------------------------------------------------------------


def _parse(lines: list[Line]) -> list[Token]:
    env = {"docId": "import", "house": HouseSheet(), "house_uses": []}
    return make_markdown().parse("\n".join(line.text for line in lines), env)


@dataclass(frozen=True)
class _Found:
    start: int  # first and last+1 line of the heading in the page's lines
    end: int
    level: int
    text: str
    explicit: str | None


def _find_headings(page: Page, chapter_id: str) -> None:
    """Take the page's title heading out of the body, move its other headings one level down when several
    '#' headings share the page, and note every fragment the tool accepted for them (both slug styles,
    explicit ids, raw HTML anchors) for the link mapper."""
    tokens = _parse(page.lines)
    found = [_Found(t.map[0], t.map[1], int(t.tag[1]), _words(tokens[i + 1]),
                    str(t.attrGet("id")) if t.attrGet("id") else None)
             for i, t in enumerate(tokens) if t.type == "heading_open" and t.map]
    titles = [h for h in found if h.level == 1]
    demote = 1 if len(titles) > 1 else 0
    texts = [h.text for h in found]
    slug_styles = (mkdocs_slugs(texts), github_slugs(texts))
    code = _code_lines(tokens, ("fence", "code_block"))  # raw HTML blocks are where raw anchors live
    starts = {h.start: k for k, h in enumerate(found)}
    placed: dict[int, int] = {}  # index in `found` -> index in page.headings; -1 for the title
    raw: list[tuple[str, int | None]] = []  # a raw HTML anchor and the heading it stands for
    lines: list[Line] = []
    sopress_slugs: set[str] = set()
    n = 0
    while n < len(page.lines):
        line = page.lines[n]
        k = starts.get(n)
        if k is None:
            if n not in code and ("id=" in line.text or "name=" in line.text):
                raw += [(a, _anchored_heading(found, page.lines, n)) for a in RAW_ANCHOR.findall(line.text)]
                raw += [(a, _anchored_heading(found, page.lines, n)) for a in RAW_ID.findall(line.text)]
                line = replace(line, text=RAW_ANCHOR.sub("", line.text))
            lines.append(line)
            n += 1
            continue
        heading = found[k]
        fragments = [style[k] for style in slug_styles] + ([heading.explicit] if heading.explicit else [])
        fragments += RAW_ANCHOR.findall(line.text)
        if titles and heading is titles[0]:
            placed[k] = -1
            page.title = page.title or heading.text.strip()
        else:
            slug = base = slugify(heading.text)
            counter = 1
            while slug in sopress_slugs:
                slug, counter = f"{base}-{counter}", counter + 1
            sopress_slugs.add(slug)
            placed[k] = len(page.headings)
            heading_id = heading.explicit or f"{chapter_id}--{slug}"
            page.headings.append(PageHeading(len(lines), heading.text.strip(), heading_id, heading.explicit is not None))
            lines.append(_atx(page.lines[heading.start : heading.end], heading.level + demote))
        for fragment in fragments:
            page.anchors.setdefault(fragment, placed[k])
        n = heading.end
    for anchor, k in raw:
        page.anchors.setdefault(anchor, placed.get(k, -1) if k is not None else -1)
    page.lines = lines


def _anchored_heading(found: list[_Found], lines: list[Line], n: int) -> int | None:
    """An anchor alone before a heading stands for that heading; any other, for the heading it falls under."""
    following = next((k for k, h in enumerate(found) if h.start > n), None)
    if (following is not None and RAW_ANCHOR.fullmatch(lines[n].text.strip())
            and not any(x.text.strip() for x in lines[n + 1 : found[following].start])):
        return following
    return max((k for k, h in enumerate(found) if h.start < n), default=None)


def _words(inline: Token) -> str:
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))


def _atx(lines: list[Line], level: int) -> Line:
    """A heading written as ATX (`## Text`) at `level`, whether it was ATX or setext (underlined)."""
    first = lines[0]
    level = min(level, 6)
    atx = ATX_HEADING.match(first.text)
    text = RAW_ANCHOR.sub("", first.text)
    if atx:
        return replace(first, text=f"{atx.group(1)}{'#' * level}{text[atx.end():]}")
    return replace(first, text=f"{'#' * level} {text.strip()}")


def _code_lines(tokens: list[Token], kinds: tuple[str, ...] = ("fence", "code_block", "html_block")) -> set[int]:
    """The lines of code blocks (and of raw HTML blocks, where Markdown is not read either)."""
    code: set[int] = set()
    for token in tokens:
        if token.type in kinds and token.map:
            code.update(range(token.map[0], token.map[1]))
    return code


# Links and images ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    chapter_id: str
    file: Path  # the chapter's file, relative to content/


@dataclass
class BookLinks:
    """What mapping one page's links needs to know of the whole book, and what the mapping found out."""

    book: SourceBook
    pages: dict[Path, Page]
    placed: dict[Path, Placement]
    images: dict[Path, Path] = field(default_factory=dict)  # source image -> its copy, relative to content/
    targeted: set[tuple[Path, int]] = field(default_factory=set)  # headings that links point to
    kept_broken: int = 0  # links the book will go on reporting (book.yaml then says links: warn)


def map_page(page: Page, links: BookLinks, diags: Diagnostics) -> None:
    """Every link and image of the page rewritten for its new place (code, block and inline, left alone)."""
    code = _code_lines(_parse(page.lines))
    n = 0
    while n < len(page.lines):
        if n in code:
            n += 1
            continue
        end = n
        while end < len(page.lines) and end not in code:
            end += 1
        run = page.lines[n:end]
        mapper = _RunMapper(page, run, links, diags)
        text = DEFINITION.sub(mapper.definition, LINK.sub(mapper.link, "\n".join(line.text for line in run)))
        page.lines[n:end] = [replace(line, text=t) for line, t in zip(run, text.split("\n"))]
        n = end


def page_markdown(page: Page, links: BookLinks) -> str:
    """The page's body as written into the project: headings that links point to get their id written out."""
    ids = {page.headings[k].index: page.headings[k] for source, k in links.targeted if source == page.source}
    code = _code_lines(_parse(page.lines))
    out: list[str] = []
    for n, line in enumerate(page.lines):
        heading = ids.get(n)
        if not line.text.strip() and n not in code and (not out or not out[-1].strip()):
            continue  # one blank line between blocks is enough, wherever conversion left more
        if heading is not None and not heading.explicit:
            out.append(f"{CLOSING_HASHES.sub('', line.text.rstrip())} {{#{heading.id}}}")
        else:
            out.append(line.text)
    return "\n".join(out).strip("\n") + "\n"


class _RunMapper:
    """Maps the links of a run of lines that holds no code block (code spans inside it are skipped)."""

    def __init__(self, page: Page, run: list[Line], links: BookLinks, diags: Diagnostics):
        self.page, self.run, self.links, self.diags = page, run, links, diags
        self.text = "\n".join(line.text for line in run)
        self.spans = [m.span() for m in CODE_SPAN.finditer(self.text)]

    def where(self, offset: int) -> Location:
        line = self.text.count("\n", 0, offset)
        return self.run[line].at(offset - (self.text.rfind("\n", 0, offset) + 1))

    def link(self, match: re.Match) -> str:
        if any(start <= match.start() < end for start, end in self.spans):
            return match.group(0)
        return self._link(match, self.where(match.start(3)))

    def _link(self, match: re.Match, where: Location) -> str:
        bang, text, target, title = match.groups()
        href = target.strip("<>")
        if bang:
            return self.image(text, href, title or "", where)
        text = LINK.sub(lambda inner: self._link(inner, where), text)  # an image inside the link's text
        mapped = self.href(href, where)
        return text if mapped is None else f"[{text}]({mapped}{title or ''})"

    def definition(self, match: re.Match) -> str:
        target = match.group(2).strip("<>")
        where = self.where(match.start(2))
        if Path(target.partition("#")[0]).suffix.lower() in IMAGE_SUFFIXES and not SCHEME.match(target):
            copied = self.copy_image(target, where)
            return match.group(1) + (copied or target)
        return match.group(1) + (self.href(target, where) or target)

    def href(self, href: str, where: Location) -> str | None:
        """A sopress reference for a link to a page of the book; None when only its text can be kept."""
        if not href or SCHEME.match(href):
            return href
        path_part, _, fragment = href.partition("#")
        if not path_part:
            return self.fragment(self.page.source, unquote(fragment), where, href)
        source = self.page_for(unquote(path_part))
        if source is not None:
            return self.fragment(source, unquote(fragment), where, href)
        file = Path(os.path.normpath(self.page.source.parent / unquote(path_part)))
        if file.is_file() and file.suffix.lower() not in (".md", ".html", ".htm"):
            self.diags.warning("import-link", f"'{href}' links to a file, not a page: only the link text is kept",
                               where)
            return None
        self.diags.warning("import-link", f"'{href}' is not a page of the book: kept as a link, which "
                           "'sopress check' reports until it is fixed", where)
        self.links.kept_broken += 1
        stem = path_part.rstrip("/") + ("/index" if path_part.endswith("/") else "")
        broken = stem if stem.endswith(".md") else f"{os.path.splitext(stem)[0]}.md"
        return broken + (f"#{fragment}" if fragment else "")

    def page_for(self, target: str) -> Path | None:
        """The page a link means, read as a source file, a rendered page (`page.html`) or a directory URL
        (`page/`, which MkDocs serves a page `dir/page.md` at, so relative links may start from there)."""
        bases = [self.links.book.docs] if target.startswith("/") else [self.page.source.parent]
        source = self.page.source
        if self.links.book.tool == "mkdocs" and not target.endswith(".md") and source.stem not in ("index", "README"):
            bases.append(source.parent / source.stem)
        for base in bases:
            resolved = Path(os.path.normpath(base / target.lstrip("/")))
            for candidate in _page_candidates(resolved, target.endswith("/")):
                if candidate in self.links.placed:
                    return candidate
        return None

    def fragment(self, source: Path, fragment: str, where: Location, href: str) -> str:
        chapter = self.links.placed[source].chapter_id
        if not fragment:
            return f"#{chapter}"
        target = self.links.pages[source].anchors.get(fragment)
        if target is None:
            self.diags.warning("import-link", f"'{href}': the page has no heading '{fragment}': the link goes to "
                               "the page", where)
            return f"#{chapter}"
        if target == -1:
            return f"#{chapter}"
        self.links.targeted.add((source, target))
        return f"#{self.links.pages[source].headings[target].id}"

    def image(self, alt: str, src: str, title: str, where: Location) -> str:
        if SCHEME.match(src):
            self.diags.warning("import-image", f"image '{src}' is on the web and nothing is fetched: printed as a link",
                               where)
            return f"[{alt or src}]({src})"
        copied = self.copy_image(src, where)
        if copied is None:
            return alt
        if not alt.strip():
            alt = Path(src).stem.replace("-", " ").replace("_", " ").capitalize()
            self.diags.warning("import-image", f"image '{src}' has no alt text: '{alt}' written; describe the image "
                               "for readers who cannot see it", where)
        return f"![{alt}]({copied}{title})"

    def copy_image(self, src: str, where: Location) -> str | None:
        """The image's path from the new chapter; the file is copied under content/images/."""
        book = self.links.book
        file = Path(os.path.normpath(self.page.source.parent / unquote(src.partition("#")[0])))
        if not file.is_relative_to(book.root) or not file.is_file():
            self.diags.warning("import-image", f"image '{src}' is not a file in the source tree: printed as its "
                               "alt text", where)
            return None
        relative = file.relative_to(book.docs if file.is_relative_to(book.docs) else book.root)
        parts = [part.lstrip(".") for part in relative.parts]  # GitBook's .gitbook/assets: no hidden folders
        copy = Path("images", *(parts[1:] if parts[0] == "images" else parts))
        self.links.images[file] = copy
        chapter = self.links.placed[self.page.source].file
        return Path(os.path.relpath(copy, chapter.parent)).as_posix()


def _page_candidates(path: Path, directory: bool) -> list[Path]:
    if directory or path.is_dir():
        return [path / "index.md", path / "README.md", path.with_name(path.name + ".md")]
    suffix = path.suffix.lower()
    if suffix == ".md":
        return [path]
    if suffix in (".html", ".htm"):
        readme = [path.parent / "README.md", path.parent / "index.md"] if path.stem == "index" else []
        return [path.with_suffix(".md")] + readme
    if not suffix:
        return [path.with_name(path.name + ".md"), path / "index.md", path / "README.md"]
    return []

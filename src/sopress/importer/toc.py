"""What every importer reads from its tool: the book's metadata and its table of contents, as plain data.

Each tool keeps its own table of contents (mkdocs.yml's `nav`, mdBook's and GitBook's SUMMARY.md);
its module turns it into a `SourceBook`, and everything after that (page conversion, the project
writer) is the same for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from sopress.diagnostics import Diagnostics, Location

Tool = Literal["mkdocs", "mdbook", "gitbook"]


@dataclass(frozen=True)
class NavItem:
    """One entry of a table of contents: a page, a group of entries, or a page with entries under it."""

    title: str
    page: Path | None  # the Markdown file; None for a group title (a part, a nav section)
    children: tuple[NavItem, ...]
    location: Location  # where the entry stands in the tool's own file


@dataclass(frozen=True)
class SourceBook:
    tool: Tool
    root: Path  # the source project: nothing outside it is read
    docs: Path  # the folder the pages live in (docs_dir, mdBook's src, GitBook's root)
    title: str
    author: str
    language: str
    copyright: str
    nav: tuple[NavItem, ...]
    config: Path  # the tool's configuration file, for diagnostics about the book as a whole


def read_summary(path: Path, folder: Path, diags: Diagnostics) -> tuple[NavItem, ...]:
    """SUMMARY.md, as mdBook and GitBook both write it: an optional title heading, then links and
    nested lists of links; every later heading names a part (mdBook) or group (GitBook) of the
    entries under it. Links outside lists (mdBook's prefix and suffix chapters) are pages of their own.
    """
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    top: list[NavItem] = []
    part: tuple[str, Location, list[NavItem]] | None = None
    seen_entries = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        line = (token.map or [0])[0] + 1
        if token.type == "heading_open":
            if seen_entries:
                _close_part(part, top)
                part = (tokens[i + 1].content.strip(), Location(path, line, 1), [])
            seen_entries = True
            i += 3
            continue
        if token.type in ("bullet_list_open", "ordered_list_open"):
            i, items = summary_items(tokens, i, path, folder, diags)
            (part[2] if part is not None else top).extend(items)
            seen_entries = True
            continue
        if token.type == "inline":
            # mdBook's prefix and suffix chapters: unnumbered pages outside every part
            _close_part(part, top)
            part = None
            for title, page in _paragraph_links(token, path, line, folder, diags):
                top.append(NavItem(title, page, (), Location(path, line, 1)))
            seen_entries = True
        i += 1
    _close_part(part, top)
    return tuple(top)


def _close_part(part: tuple[str, Location, list[NavItem]] | None, top: list[NavItem]) -> None:
    if part is not None:
        title, location, items = part
        top.append(NavItem(title, None, tuple(items), location))


def _paragraph_links(inline: Token, path: Path, line: int, folder: Path,
                     diags: Diagnostics) -> list[tuple[str, Path | None]]:
    children = inline.children or []
    links = []
    for i, child in enumerate(children):
        if child.type == "link_open":
            end = next(j for j in range(i, len(children)) if children[j].type == "link_close")
            part = Token("inline", "", 0, children=children[i : end + 1])
            links.append(_summary_link(part, path, line, folder, diags))
    return [(title, page) for title, page in links if page is not None]


def summary_items(tokens: list[Token], start: int, path: Path, folder: Path,
                  diags: Diagnostics) -> tuple[int, list[NavItem]]:
    """The nested list of links that opens at tokens[start] (SUMMARY.md's form, for mdBook and GitBook).

    Returns the index after the list and its entries; an entry written without a file (mdBook's
    draft chapters, `[Title]()`) has no page.
    """
    items: list[NavItem] = []
    i = start + 1
    while tokens[i].type not in ("bullet_list_close", "ordered_list_close"):
        if tokens[i].type != "list_item_open":
            i += 1
            continue
        line = (tokens[i].map or [0])[0] + 1
        i += 1
        title, page, children = "", None, []
        while tokens[i].type != "list_item_close":
            token = tokens[i]
            if token.type in ("bullet_list_open", "ordered_list_open"):
                i, children = summary_items(tokens, i, path, folder, diags)
                continue
            if token.type == "inline" and not title:
                title, page = _summary_link(token, path, line, folder, diags)
            i += 1
        items.append(NavItem(title, page, tuple(children), Location(path, line, 1)))
        i += 1
    return i + 1, items


def _summary_link(inline: Token, path: Path, line: int, folder: Path, diags: Diagnostics) -> tuple[str, Path | None]:
    children = inline.children or []
    link = next((c for c in children if c.type == "link_open"), None)
    words = "".join(c.content for c in children if c.type in ("text", "code_inline")).strip()
    if link is None:
        return words, None
    href = unquote(str(link.attrGet("href") or "").partition("#")[0])
    if not href:
        diags.warning("import-skipped", f"'{words}' is a draft chapter without a file: left out",
                      Location(path, line, 1))
        return words, None
    if "://" in href:
        diags.warning("import-skipped", f"'{words}' links to a web page, not a page of the book: left out",
                      Location(path, line, 1))
        return words, None
    return words, folder / href

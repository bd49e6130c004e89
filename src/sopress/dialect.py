"""The Markdown dialect of sopress: markdown-it-py with its plugins and sopress's own rules.

One definition serves the parse stage (which reads what documents define and use) and the render
stage (which needs the same options to write HTML).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from sopress.house import SHORTCODE, HouseSheet, Table

CALLOUT_KINDS = ("note", "tip", "warning", "policy")
TRAILING_ATTRS = re.compile(r"\s*\{\s*((?:[#.][A-Za-z0-9_.:-]+\s*)+)\}\s*$")


def make_markdown() -> MarkdownIt:
    """The one Markdown dialect of sopress (docs/authoring.md describes it)."""
    md = (
        MarkdownIt("commonmark", {"typographer": True, "html": True})
        .enable(["table", "strikethrough", "replacements", "smartquotes"])
        .use(footnote_plugin)
        .use(deflist_plugin)
        .use(tasklists_plugin)
        .use(attrs_plugin, spans=True)
        .use(attrs_block_plugin)
    )
    for kind in CALLOUT_KINDS:
        md.use(container_plugin, name=kind)
    md.inline.ruler.before("text", "house_var", _house_var)
    md.core.ruler.after("inline", "house_tables", _house_tables)
    md.core.ruler.after("inline", "heading_trailing_attrs", _heading_trailing_attrs)
    md.core.ruler.before("replacements", "escaped_punctuation", _escaped_punctuation)
    md.core.ruler.push("task_checkboxes", _task_checkboxes)
    md.core.ruler.push("table_captions", _table_captions)
    return md


def _house_var(state: StateInline, silent: bool) -> bool:
    """`{{< var key >}}` (Quarto's shortcode) prints the house sheet's value; code is never parsed here."""
    if not state.src.startswith("{{<", state.pos):
        return False
    match = SHORTCODE.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        sheet: HouseSheet = state.env["house"]
        key = match.group(1)
        value = sheet.values.get(key)
        if isinstance(value, Table):
            token = state.push("house_table", "", 0)
            token.meta = {"key": key, "table": value}
        else:
            token = state.push("text", "", 0)
            token.content = value if isinstance(value, str) else match.group(0)
            problem = sheet.unknown(key) if key not in sheet.values else sheet.misuse(key, inline=True)
            state.env["house_uses"].append((key, match.group(0), problem))
    state.pos = match.end()
    return True


def _house_tables(state: StateCore) -> None:
    """A house table's shortcode alone in its paragraph becomes that table; anywhere else it is an error."""
    tokens = state.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        children = [c for c in token.children or [] if not (c.type == "text" and not c.content.strip())]
        tables = [c for c in token.children or [] if c.type == "house_table"]
        if token.type == "inline" and tables:
            alone = len(children) == 1 and i > 0 and tokens[i - 1].type == "paragraph_open"
            for table in tables:
                sheet: HouseSheet = state.env["house"]
                problem = None if alone else sheet.misuse(table.meta["key"], inline=True)
                state.env["house_uses"].append((table.meta["key"], f"{{{{< var {table.meta['key']} >}}}}", problem))
            if alone:
                tokens[i - 1 : i + 2] = _table_tokens(tables[0].meta["table"], tokens[i - 1].map)
                continue
            token.children = [c for c in token.children or [] if c.type != "house_table"]
        i += 1


def _table_tokens(table: Table, line_map: list[int] | None) -> list[Token]:
    def cell(tag: str, text: str) -> list[Token]:
        inline = Token("inline", "", 0, content=text, children=[Token("text", "", 0, content=text)])
        return [Token(f"{tag}_open", tag, 1), inline, Token(f"{tag}_close", tag, -1)]

    opening = Token("table_open", "table", 1, map=line_map)
    if table.caption:
        opening.meta["caption"] = [Token("text", "", 0, content=table.caption)]
    out = [opening, Token("thead_open", "thead", 1), Token("tr_open", "tr", 1)]
    for _, label in table.columns:
        out += cell("th", label)
    out += [Token("tr_close", "tr", -1), Token("thead_close", "thead", -1), Token("tbody_open", "tbody", 1)]
    for _, cells in table.rows:
        out.append(Token("tr_open", "tr", 1))
        for text in cells:
            out += cell("td", text)
        out.append(Token("tr_close", "tr", -1))
    return out + [Token("tbody_close", "tbody", -1), Token("table_close", "table", -1)]


def _escaped_punctuation(state: StateCore) -> None:
    r"""`\---` means three hyphens: an escape protects the run of the same mark after it from the
    typographer (which would otherwise still turn the two left over into an en dash)."""
    for token in state.tokens:
        children = token.children or []
        for i in range(len(children) - 1, 0, -1):
            escape, after = children[i - 1], children[i]
            if escape.type != "text_special" or escape.content not in "-." or after.type != "text":
                continue
            run = len(after.content) - len(after.content.lstrip(escape.content))
            if run:
                protected = Token("text_special", "", 0, content=after.content[:run], info="escape")
                after.content = after.content[run:]
                children.insert(i, protected)


def _heading_trailing_attrs(state: StateCore) -> None:
    """Pandoc's `## Title {#id .class}`, which mdit's attrs plugins do not read."""
    for i, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[i + 1]
        last = inline.children[-1] if inline.children else None
        if last is None or last.type != "text":
            continue
        match = TRAILING_ATTRS.search(last.content)
        if not match:
            continue
        last.content = last.content[: match.start()]
        inline.content = TRAILING_ATTRS.sub("", inline.content)
        for attr in match.group(1).split():
            if attr.startswith("#"):
                token.attrSet("id", attr[1:])
            else:
                token.attrJoin("class", attr[1:])


def _task_checkboxes(state: StateCore) -> None:
    """Turn the tasklists plugin's raw-HTML checkboxes into tokens the renderer owns."""
    for token in state.tokens:
        for i, child in enumerate(token.children or []):
            if child.type == "html_inline" and 'class="task-list-item-checkbox"' in child.content:
                box = Token("task_checkbox", "input", 0)
                box.meta = {"checked": 'checked="checked"' in child.content}
                token.children[i] = box


def _table_captions(state: StateCore) -> None:
    """Pandoc's `Table: caption {#tbl-id}` paragraph right after a table becomes its caption."""
    tokens = state.tokens
    i = 0
    while i < len(tokens) - 3:
        if tokens[i].type == "table_close" and tokens[i + 1].type == "paragraph_open":
            inline = tokens[i + 2]
            if inline.content.startswith(("Table:", ": ")):
                opening = next(t for t in reversed(tokens[:i]) if t.type == "table_open")
                _take_caption(opening, inline)
                del tokens[i + 1 : i + 4]
        i += 1


def _take_caption(table: Token, inline: Token) -> None:
    children = list(inline.children or [])
    if children and children[0].type == "text":
        first = children[0]
        first.content = first.content.split(":", 1)[1].lstrip()
    last = children[-1] if children else None
    if last is not None and last.type == "text":
        match = TRAILING_ATTRS.search(last.content)
        if match:
            last.content = last.content[: match.start()]
            for attr in match.group(1).split():
                if attr.startswith("#"):
                    table.attrSet("id", attr[1:])
    table.meta["caption"] = children


def smart_text(md: MarkdownIt, text: str) -> str:
    """Plain text with the typographer's quotes and dashes, as running text gets them (for titles)."""
    if not text:
        return text
    line = md.parseInline(text, {"house": HouseSheet(), "house_uses": []})[0]
    kept = ("text", "text_special", "code_inline", "softbreak")
    return "".join(" " if c.type == "softbreak" else c.content for c in line.children or [] if c.type in kept)

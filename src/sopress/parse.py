"""Parse: Markdown (markdown-it-py + mdit-py-plugins) -> token streams with what they define and use.

Nothing is resolved here: references are only recorded, with their places, and bound to targets
by the resolve stage once every chapter of the set has been read.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import pickle
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

import sopress
from sopress.diagnostics import Diagnostic, Diagnostics, Location
from sopress.dialect import make_markdown, smart_text
from sopress.house import HouseUses, expand
from sopress.paths import shared_cache
from sopress.sources import read_source
from sopress.write.atomic import atomic_path
from sopress.model import Book, Caption, Chapter, Checklist, Document, Heading, Image, IndexEntry, Reference

HOST_NAME = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
                       r"|^\[[0-9A-Fa-f:.]+\]$")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
RAW_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
RAW_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*["']([^"']*)["']""", re.I)
RAW_ALT = re.compile(r"""\salt\s*=\s*["']([^"']*)["']""", re.I)
RAW_HREF = re.compile(r"""<a\b[^>]*?\shref\s*=\s*["']([^"']*)["']""", re.I)
RAW_ID = re.compile(r"""<[A-Za-z][^>]*?\sid\s*=\s*["']([^"']*)["']""")
# Other tools' syntax that sopress does not read: it would print literally (sopress import converts it).
FOREIGN_SYNTAX = (
    (re.compile(r"^(?:!!!|\?\?\?\+?)\s*[A-Za-z]+"), "a MkDocs admonition", "write '::: note Title' ... ':::'"),
    (re.compile(r"^\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]", re.I), "a GitHub alert",
     "write '::: note' ... ':::' instead of the quote"),
    (re.compile(r"\{\{#[a-z_]+[^}]*\}\}"), "an mdBook include", "paste the text in, or run `sopress import mdbook`"),
    (re.compile(r"\{:\s*[^}]*\}"), "a kramdown/Python-Markdown attribute list",
     "write Pandoc's {#id .class}, or leave it out"),
)
EXPLICIT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
WEB_SCHEMES = ("http:", "https:", "mailto:", "tel:")


def slugify(text: str) -> str:
    """GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s_]+", "-", text) or "section"


WALK_SUFFIX = ".walk.pickle"


@dataclasses.dataclass(frozen=True)
class WalkRecord:
    """What walking a document's tokens found (its Document without the tokens), what it reported
    and which house keys it used: enough to check and resolve the set without reading the tokens
    of chapters nothing renders (`sopress check`, one handout, an edit to one volume)."""

    document: Document
    diagnostics: tuple[Diagnostic, ...]
    house_keys: frozenset[str]


class CachedMarkdown:
    """The dialect's parser with a cache of token streams, by source text and everything it depends on.

    Tokenising is nearly all the time `check` takes; the walk that reads what a document defines
    and reports its problems runs every time, on a fresh copy of the tokens. The cache lives in
    memory (for `sopress serve`) and in build/.cache/parse (for the next run).
    """

    # In memory the tokens themselves are kept: walking them again changes nothing (the walk only sets
    # what it would set anyway), so a long-lived process (the preview) re-checks without unpickling.
    _memory: dict[str, tuple[list[Token], dict[str, Any]]] = {}
    MEMORY_ENTRIES = 1000  # a long preview session edits the same chapters again and again

    def __init__(self, md: MarkdownIt, book: Book, folder: Path | None):
        self.md, self.folder = md, folder
        self.used: set[str] = set()
        self.context = hashlib.sha256(repr((sopress.__version__, sorted(book.house.values.items()),
                                            sorted(md.options.items(), key=str))).encode()).hexdigest()

    def parseInline(self, text: str, env: dict) -> list[Token]:  # noqa: N802 (markdown-it's name)
        return self.md.parseInline(text, env)

    def key(self, doc_id: str, source: str) -> str:
        # The document's id is part of the key: the walk writes ids made from it into the tokens.
        return hashlib.sha256(f"{self.context}\0{doc_id}\0{source}".encode()).hexdigest()

    def parse(self, source: str, env: dict[str, Any]) -> list[Token]:
        key = self.key(env["docId"], source)
        self.used.add(key)
        if len(self._memory) > self.MEMORY_ENTRIES:
            self._memory.clear()
        known = self._memory.get(key)
        if known is None:
            data = self._read(key)
            if data is None:
                tokens = self.md.parse(source, env)
                saved = {k: v for k, v in env.items() if k != "house"}
                self._write(key, pickle.dumps((tokens, saved)))
                self._memory[key] = (tokens, saved)
                return tokens
            known = self._memory[key] = pickle.loads(data)
        elif self.folder is not None and not (self.folder / f"{key}.pickle").exists():
            self._write(key, pickle.dumps(known))  # known to this process, not yet to this build folder
        tokens, saved = known
        env.update(saved)
        return tokens

    def recall_walk(self, key: str, tokens_key: str) -> WalkRecord | None:
        """What the walk of a document found last time it was read the same way (not its tokens)."""
        data = self._read(key, WALK_SUFFIX)
        if data is None:
            return None
        self.used |= {key, tokens_key}
        return pickle.loads(data)

    def keep_walk(self, key: str, record: WalkRecord) -> None:
        self.used.add(key)
        self._write(key, pickle.dumps(record), WALK_SUFFIX)

    def _read(self, key: str, suffix: str = ".pickle") -> bytes | None:
        if self.folder is None:
            return None
        try:
            return (self.folder / f"{key}{suffix}").read_bytes()
        except OSError:
            return None

    def prune(self) -> None:
        """Forget the token streams of sources that no longer exist (after a whole book was parsed)."""
        for pattern in ("*.pickle", f"*{WALK_SUFFIX}"):
            for path in self.folder.glob(pattern) if self.folder and self.folder.is_dir() else ():
                if path.name.split(".")[0] not in self.used:
                    path.unlink(missing_ok=True)

    def _write(self, key: str, data: bytes, suffix: str = ".pickle") -> None:
        if self.folder is None:
            return
        try:
            with atomic_path(self.folder / f"{key}{suffix}") as temp:
                temp.write_bytes(data)
        except OSError:
            pass  # a read-only project still checks, only more slowly


def parse_book(book: Book, diags: Diagnostics, build_dir: Path | None = None) -> Book:
    """Every document of the book parsed; with a build folder, token streams are kept in its .cache/parse."""
    md = CachedMarkdown(make_markdown(), book, shared_cache(build_dir, "parse"))
    uses = HouseUses()
    volumes = []
    for volume in book.volumes:
        sections = []
        for section in volume.sections:
            chapters = tuple(parse_chapter(ch, book, md, diags, uses) for ch in section.chapters)
            intro = None
            if section.intro_path is not None:
                parser = _DocumentParser(md, book, section.intro_path, 1, section.id, diags, uses)
                intro = parser.parse(section.intro_source)
            sections.append(dataclasses.replace(section, chapters=chapters, intro=intro))
        volumes.append(dataclasses.replace(volume, sections=tuple(sections)))
    for key in uses.unused(book.house):
        diags.warning("unused-house-key", f"no chapter uses the house value '{key}'", book.house.locations[key])
    md.prune()
    return dataclasses.replace(book, volumes=tuple(volumes))


def parse_chapter(chapter: Chapter, book: Book, md: MarkdownIt, diags: Diagnostics, uses: HouseUses) -> Chapter:
    """The chapter with its parsed body, and its title and summary in the house sheet's words."""
    parser = _DocumentParser(md, book, chapter.path, chapter.body_line, chapter.id, diags, uses)
    doc = parser.parse(chapter.source, chapter.title_line)
    front_entries = tuple(
        IndexEntry(*_split_term(spec.term), spec.see, spec.see_also, chapter.id, spec.location)
        for spec in chapter.front.index
    )
    doc = dataclasses.replace(doc, index_entries=front_entries + doc.index_entries)
    front = chapter.front
    # Titles and summaries get the house sheet's words and the same quotes and dashes as the text.
    expanded = {name: smart_text(md, _expand_front(getattr(front, name), chapter.path, book, diags, uses))
                for name in ("title", "subtitle", "summary")}
    return dataclasses.replace(chapter, doc=doc, front=dataclasses.replace(front, **expanded))


def _expand_front(text: str, path: Path, book: Book, diags: Diagnostics, uses: HouseUses) -> str:
    expanded, found = expand(text, book.house)
    if found:
        lines = (read_source(path, Diagnostics()) or "").splitlines()
        for key, problem in found:
            uses.add(key)
            if problem:
                diags.error("house-value", problem, _find(path, lines, f"{{{{< var {key}", 0))
    return expanded


def _find(path: Path, lines: list[str], needle: str, first_line: int, occurrence: int = 0) -> Location:
    """The place of the n-th occurrence of `needle` in a file's lines (the first line numbered `first_line`)."""
    seen = 0
    for index, line in enumerate(lines):
        column = line.find(needle)
        while column >= 0:
            if seen == occurrence:
                return Location(path, first_line + index, column + 1)
            seen += 1
            column = line.find(needle, column + 1)
    return Location(path, first_line, 1)


def _without_title(tokens: list[Token], title_line: int) -> list[Token]:
    """A chapter without front matter: its title heading is printed as the chapter title, not again in the
    body, and when other '#' headings follow, every heading moves one level down, under that title."""
    start = next((i for i, t in enumerate(tokens) if t.type == "heading_open" and t.map and t.map[0] == title_line),
                 None)
    if start is None:
        return tokens
    body = tokens[:start] + tokens[start + 3 :]
    if any(t.type == "heading_open" and t.tag == "h1" for t in body):
        # New tokens, not changed ones: a token stream may be walked again (the preview keeps them).
        body = [copy.copy(t) if t.type in ("heading_open", "heading_close") else t for t in body]
        for token in body:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    return body


def _split_term(term: str) -> tuple[str, str | None]:
    main, _, sub = term.partition(";")
    return main.strip(), (sub.strip() or None)


class _DocumentParser:
    """Walks one document's tokens once, recording headings, links, images, index terms, checklists."""

    def __init__(self, md: MarkdownIt, book: Book, path: Path, first_line: int, doc_id: str, diags: Diagnostics,
                 uses: HouseUses):
        self.md, self.book, self.path, self.first_line = md, book, path, first_line
        self.doc_id, self.diags, self.uses = doc_id, diags, uses
        self.lines: list[str] = []
        self.headings: list[Heading] = []
        self.references: list[Reference] = []
        self.index_entries: list[IndexEntry] = []
        self.checklists: list[Checklist] = []
        self.images: list[Image] = []
        self.captions: list[Caption] = []
        self.anchors: list[tuple[str, Location]] = []  # ids written in raw HTML
        self.slugs: set[str] = set()

    def parse(self, source: str, title_line: int | None = None) -> Document:
        """The document, from the record of its last walk when there is one that still holds."""
        md = self.md if isinstance(self.md, CachedMarkdown) else None
        if md is None:
            return self._walk(source, title_line)
        tokens_key = md.key(self.doc_id, source)
        key = hashlib.sha256(repr((tokens_key, str(self.path), self.first_line, title_line, str(self.book.root),
                                   self.book.config.raw_html)).encode()).hexdigest()
        record = md.recall_walk(key, tokens_key)
        if record is not None and all(self._exists(i) == (i.path is not None) for i in record.document.images):
            self.diags.items.extend(record.diagnostics)
            for house_key in record.house_keys:
                self.uses.add(house_key)
            again = _DocumentParser(md, self.book, self.path, self.first_line, self.doc_id, Diagnostics(), HouseUses())
            return dataclasses.replace(record.document, loader=functools.cache(lambda: again._walk(source, title_line)))
        outer_diags, outer_uses = self.diags, self.uses
        self.diags, self.uses = Diagnostics(), HouseUses()
        try:
            document = self._walk(source, title_line)
            md.keep_walk(key, WalkRecord(dataclasses.replace(document, tokens=[], env={}), tuple(self.diags.items),
                                         frozenset(self.uses.keys)))
        finally:
            outer_diags.items.extend(self.diags.items)
            for house_key in self.uses.keys:
                outer_uses.add(house_key)
            self.diags, self.uses = outer_diags, outer_uses
        return document

    def _exists(self, image: Image) -> bool:
        """Whether an image a walk found is a file of the project now (the walk's one look outside the text)."""
        if SCHEME.match(image.src):
            return False
        candidate = (self.path.parent / image.src).resolve()
        return candidate.is_relative_to(self.book.root) and candidate.is_file()

    def _walk(self, source: str, title_line: int | None) -> Document:
        self.lines = source.splitlines()
        env: dict[str, Any] = {"docId": self.doc_id, "house": self.book.house, "house_uses": []}
        tokens = self.md.parse(source, env)
        if title_line is not None:
            tokens = _without_title(tokens, title_line)
        self._house_uses(env.pop("house_uses"))
        block_line = 0
        paragraphs = 0
        for i, token in enumerate(tokens):
            if token.map:
                block_line = token.map[0]
            if token.type == "paragraph_open" and not token.hidden:
                # Every visible paragraph is an anchor, so the page map knows where print pages
                # start to within a paragraph (for the EPUB's page-list).
                paragraphs += 1
                token.attrSet("id", f"{self.doc_id}-p{paragraphs}")
            self._attributes(token, block_line)
            if token.type == "heading_open":
                self._heading(token, tokens[i + 1], block_line)
            elif token.type == "bullet_list_open" and "contains-task-list" in str(token.attrGet("class")):
                self._checklist(tokens, i, block_line)
            elif token.type.startswith("container_") and token.type.endswith("_open"):
                self._callout_title(token, block_line)
            elif token.type == "html_block":
                self._raw_html(token, block_line)
            elif token.type == "table_open" and token.attrGet("id"):
                self._caption("table", token, token.meta.get("caption", []), block_line)
            elif token.type == "inline":
                self._inline(token.children or [], block_line)
        return Document(
            tokens=tokens,
            env=env,
            headings=tuple(self.headings),
            references=tuple(self.references),
            index_entries=tuple(self.index_entries),
            checklists=tuple(self.checklists),
            images=tuple(self.images),
            captions=tuple(self.captions),
            anchors=tuple(self.anchors),
        )

    def loc(self, block_line: int, needle: str = "", skip: int = 0) -> Location:
        """Line from the token map; column where `needle` starts on the block's lines, plus `skip`."""
        found = self._find(block_line, needle, skip)
        return found or Location(self.path, self.first_line + block_line, 1)

    def _find(self, block_line: int, needle: str, skip: int = 0) -> Location | None:
        if needle:
            for index in range(block_line, min(block_line + 20, len(self.lines))):
                found = self.lines[index].find(needle)
                if found >= 0:
                    return Location(self.path, self.first_line + index, found + 1 + skip)
        return None

    def _attributes(self, token: Token, block_line: int) -> None:
        """Attribute names that cannot be written in XHTML (`{:target="_blank"}`) stop the build here,
        not in an EPUB that fails to open."""
        for child in (token, *(token.children or ())):
            for name in list(child.attrs):
                if not ATTRIBUTE_NAME.match(name) or name.lower().startswith("on"):
                    self.diags.error("bad-attribute", f"'{name}' is not an attribute sopress can write: attribute "
                                                      "lists are Pandoc's {#id .class key=value}",
                                     self.loc(block_line, name))
                    del child.attrs[name]

    def _house_uses(self, uses: list[tuple[str, str, str | None]]) -> None:
        seen: dict[str, int] = {}
        for key, shortcode, problem in uses:
            self.uses.add(key)
            occurrence = seen.get(shortcode, 0)
            seen[shortcode] = occurrence + 1
            if problem:
                self.diags.error("house-value", problem, _find(self.path, self.lines, shortcode, self.first_line, occurrence))

    def _callout_title(self, token: Token, block_line: int) -> None:
        """A callout's title is plain text after its kind: shortcodes there are expanded here."""
        info, found = expand(token.info, self.book.house)
        token.info = info
        for key, problem in found:
            self.uses.add(key)
            if problem:
                self.diags.error("house-value", problem, self.loc(block_line, f"{{{{< var {key}"))

    def _heading(self, token: Token, inline: Token, block_line: int) -> None:
        level = int(token.tag[1])
        text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
        location = self.loc(block_line)
        if not text.strip():
            self.diags.error("empty-heading", "a heading with no text: write its text, or remove the '#' marks",
                             location)
        if level == 1 and self.path.name != "intro.md":
            self.diags.warning(
                "heading-level",
                "a level-1 heading in a chapter body: the title comes from front matter, start at '##'",
                location,
            )
        slug = base = slugify(text)
        n = 1
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        explicit = token.attrGet("id")
        if explicit is not None and not EXPLICIT_ID.match(str(explicit)):
            self.diags.error("bad-id", f"heading id '{explicit}' must start with a letter and hold no spaces", location)
        heading_id = str(explicit) if explicit else f"{self.doc_id}--{slug}"
        token.attrSet("id", heading_id)
        self.headings.append(Heading(level, text.strip(), heading_id, slug, location))

    def _caption(self, kind: Literal["figure", "table"], token: Token, children: list[Token], block_line: int) -> None:
        identifier = str(token.attrGet("id"))
        location = self.loc(block_line, "{#" + identifier)
        if not EXPLICIT_ID.match(identifier):
            self.diags.error("bad-id", f"{kind} id '{identifier}' must start with a letter and hold no spaces", location)
        text = "".join(c.content for c in children if c.type in ("text", "code_inline")).strip()
        self.captions.append(Caption(kind, identifier, text, location))

    def _checklist(self, tokens: list[Token], start: int, block_line: int) -> None:
        items, depth = [], 0
        for token in tokens[start:]:
            depth += token.nesting if token.type.endswith("_list_open") or token.type.endswith("_list_close") else 0
            if token.type == "inline" and depth == 1:
                items.append("".join(c.content for c in token.children or [] if c.type == "text").strip())
            if depth == 0:
                break
        self.checklists.append(Checklist(tuple(items), self.loc(block_line)))

    def _raw_html(self, token: Token, block_line: int) -> None:
        """A raw HTML block is published (sanitised) only where book.yaml allows it; either way, once."""
        tag = RAW_TAG.search(token.content)
        element = f"<{tag.group(1)}>" if tag else "HTML"
        where = self.loc(block_line, token.content.strip()[:20])
        if not self.book.config.raw_html:
            lines = token.content.count("\n")
            self.diags.warning("raw-html", f"this raw HTML block ({element}, {lines} line{'s' if lines != 1 else ''}) "
                                           "is dropped from every output; set 'raw_html: true' in book.yaml to publish "
                                           "it (sanitised), or write it in Markdown", where)
            return
        self._raw_resources(token, block_line)

    def _raw_inline(self, tags: list[Token], block_line: int) -> None:
        if not self.book.config.raw_html:
            names = ", ".join(dict.fromkeys(f"<{m.group(1)}>" for t in tags if (m := RAW_TAG.search(t.content))))
            self.diags.warning("raw-html", f"raw HTML tags {names} are dropped here (the text between them stays); "
                                           "set 'raw_html: true' in book.yaml to publish them (sanitised)",
                               self.loc(block_line, tags[0].content))
            return
        for tag in tags:
            self._raw_resources(tag, block_line)

    def _raw_resources(self, token: Token, block_line: int) -> None:
        """Images and ids in published raw HTML are checked like Markdown's: files inside the project,
        relative to the chapter, alt text given; ids unique across the set."""
        sources = {}
        for match in RAW_IMG_SRC.finditer(token.content):
            src = match.group(1)
            alt = RAW_ALT.search(match.group(0) + token.content[match.end():].split(">", 1)[0])
            image = self._image_file(src, alt.group(1) if alt else "", self.loc(block_line, src))
            if image.path is not None:
                sources[src] = image.path
        token.meta["raw_images"] = sources
        for match in RAW_HREF.finditer(token.content):
            href, where = match.group(1), self.loc(block_line, match.group(1) or "href")
            if not href.startswith(WEB_SCHEMES):
                self.diags.error("bad-link", f"a link in raw HTML may only go to a web page, not '{href}': write "
                                             "links to places in the set in Markdown, [text](#id)", where)
            else:
                self._web_address(href, block_line)
        for match in RAW_ID.finditer(token.content):
            location = self.loc(block_line, f'id="{match.group(1)}')
            if not EXPLICIT_ID.match(match.group(1)):
                self.diags.error("bad-id", f"id '{match.group(1)}' must start with a letter and hold no spaces", location)
            else:
                self.anchors.append((match.group(1), location))

    def _inline(self, children: list[Token], block_line: int) -> None:
        for i, token in enumerate(children):
            if token.type == "link_open":
                self._link(children, i, block_line)
            elif token.type == "image":
                self._image(token, block_line)
            elif token.type == "span_open":
                self._index_span(children, i, block_line)
            elif token.type == "text":
                self._foreign_syntax(token.content, i == 0, block_line)
        tags = [t for t in children if t.type == "html_inline"]
        if tags:
            self._raw_inline(tags, block_line)

    def _foreign_syntax(self, text: str, first: bool, block_line: int) -> None:
        """Found in the text (so never in code), quoted and placed from the source line as written."""
        for pattern, what, advice in FOREIGN_SYNTAX:
            if not pattern.search(text) or (pattern.pattern.startswith("^") and not first):
                continue
            written = re.compile(pattern.pattern.lstrip("^"), pattern.flags)
            for index in range(block_line, min(block_line + 20, len(self.lines))):
                match = written.search(self.lines[index])
                if match:
                    self.diags.warning("foreign-syntax", f"'{match.group(0)}' is {what}, which sopress does not "
                                                         f"read: it prints as written; {advice}",
                                       Location(self.path, self.first_line + index, match.start() + 1))
                    break

    def _link(self, children: list[Token], i: int, block_line: int) -> None:
        token = children[i]
        href = str(token.attrGet("href") or "")
        if href.startswith(WEB_SCHEMES):
            self._web_address(href, block_line)
            return
        # Point at the target, not the bracket; a reference-style link's target is on its definition line.
        location = (self._find(block_line, f"]({href}", skip=2 if href else 1) or self._definition(href)
                    or self.loc(block_line))
        if not href:
            self.diags.error("empty-link", "this link has no target: write [text](#chapter-id), a heading id, or a web "
                                           "address", location)
            return
        if SCHEME.match(href):
            self.diags.error("bad-link", f"links may go to web pages or to places in the set, not '{href}'", location)
            return
        file_part, _, fragment = href.partition("#")
        target_file = None
        if file_part:
            target_file = (self.path.parent / file_part).resolve()
            if target_file.suffix != ".md":
                self.diags.error(
                    "bad-link",
                    f"'{href}' links to a file that is not a chapter; link to chapters by id (#id) or by .md file",
                    location,
                )
                return
        closing = next(j for j in range(i + 1, len(children)) if children[j].type == "link_close")
        has_text = any(c.content.strip() or c.type == "image" for c in children[i + 1 : closing])
        reference = Reference(href, target_file, fragment, has_text, location)
        token.meta["ref"] = reference
        self.references.append(reference)

    def _web_address(self, href: str, block_line: int) -> None:
        """A web address readers cannot open (and EPUB reading systems refuse) is an error here."""
        if not href.startswith(("http:", "https:")):
            return
        try:
            host = urlsplit(href).hostname or ""
        except ValueError:
            host = ""
        if not HOST_NAME.match(host):
            self.diags.error("bad-link", f"'{href}' is not a valid web address (its host name '{host}' is not one)",
                             self.loc(block_line, href))

    def _definition(self, href: str) -> Location | None:
        """Where a reference-style link's definition (`[label]: href`) is written."""
        for index, line in enumerate(self.lines):
            found = line.find(f"]: {href}")
            if found >= 0 and line.lstrip().startswith("["):
                return Location(self.path, self.first_line + index, found + 4)
        return None

    def _image(self, token: Token, block_line: int) -> None:
        src = str(token.attrGet("src") or "")
        location = self.loc(block_line, f"]({src}", skip=2)
        alt = "".join(c.content for c in token.children or [])
        image = self._image_file(src, alt, location)
        token.meta["image"] = image
        if token.attrGet("id"):
            caption = Token("text", "", 0, content=str(token.attrGet("title") or alt))
            self._caption("figure", token, [caption], block_line)

    def _image_file(self, src: str, alt: str, location: Location) -> Image:
        path = None
        if SCHEME.match(src):
            self.diags.error(
                "remote-resource",
                f"image '{src}' is not a file in the project; nothing is fetched at build time: save it under content/",
                location,
            )
        else:
            candidate = (self.path.parent / src).resolve()
            if not candidate.is_relative_to(self.book.root):
                self.diags.error("outside-project", f"image '{src}' is outside the project folder", location)
            elif not candidate.is_file():
                self.diags.error("missing-file", f"image '{src}' does not exist", location)
            else:
                path = candidate
        if not alt.strip():
            self.diags.error("missing-alt", f"image '{src}' has no alt text: describe it for readers who cannot see it", location)
        image = Image(src, path, alt, location)
        self.images.append(image)
        return image

    def _index_span(self, children: list[Token], i: int, block_line: int) -> None:
        token = children[i]
        classes = str(token.attrGet("class") or "").split()
        term = token.meta.get("index_term", token.attrGet("index"))  # the first walk moved it to meta
        if term is None and "index" not in classes:
            return
        if term is not None:
            token.attrs.pop("index", None)
            token.meta["index_term"] = term
        closing = next(j for j in range(i + 1, len(children)) if children[j].type == "span_close")
        words = "".join(c.content for c in children[i + 1 : closing]).strip()
        anchor = f"idx-{self.doc_id}-{len(self.index_entries) + 1}"
        token.attrSet("id", anchor)
        main, sub = _split_term(str(term) if term is not None else words)
        location = self.loc(block_line, words)
        self.index_entries.append(IndexEntry(main, sub, None, None, anchor, location, from_text=term is None))

"""mdBook: book.toml's metadata and src/SUMMARY.md's chapters, parts, prefix and suffix chapters."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sopress.diagnostics import Diagnostics, Location
from sopress.importer.toc import SourceBook, read_summary


def read_mdbook(source: Path, diags: Diagnostics) -> SourceBook | None:
    config = source / "book.toml"
    if not config.is_file():
        diags.error("missing-file", "no book.toml here: is SOURCE the folder of an mdBook?", Location(config))
        return None
    try:
        book = tomllib.loads(config.read_text(encoding="utf-8")).get("book", {})
    except tomllib.TOMLDecodeError as exc:
        diags.error("toml", f"invalid TOML: {exc}", Location(config))
        return None
    docs = source / str(book.get("src", "src"))
    summary = docs / "SUMMARY.md"
    if not summary.is_file():
        diags.error("missing-file", f"no SUMMARY.md in {docs.name}/: mdBook's table of contents", Location(summary))
        return None
    authors = book.get("authors", [])
    return SourceBook(
        tool="mdbook", root=source, docs=docs, title=str(book.get("title") or source.name),
        author=", ".join(map(str, authors)) if isinstance(authors, list) else str(authors),
        language=str(book.get("language") or "en"), copyright="",
        nav=read_summary(summary, docs, diags), config=config,
    )

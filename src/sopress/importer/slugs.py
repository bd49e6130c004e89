"""Heading anchors as each tool made them, so that links written against the rendered site still land.

MkDocs (Python-Markdown's toc) and GitHub (which mdBook and GitBook follow) slug the same heading
differently ("A & B": `a-b` against `a--b`) and number repeats differently (`_1` against `-1`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable


def mkdocs_slug(text: str) -> str:
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def github_slug(text: str) -> str:
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def mkdocs_slugs(texts: list[str]) -> list[str]:
    return _unique(texts, mkdocs_slug, "_")


def github_slugs(texts: list[str]) -> list[str]:
    return _unique(texts, github_slug, "-")


def _unique(texts: list[str], slug: Callable[[str], str], joint: str) -> list[str]:
    """Each tool numbers a repeated slug: the second 'Setup' is `setup_1` (MkDocs) or `setup-1` (GitHub)."""
    seen: set[str] = set()
    out = []
    for text in texts:
        base = candidate = slug(text)
        count = 1
        while candidate in seen or not candidate:
            candidate, count = f"{base}{joint}{count}", count + 1
        seen.add(candidate)
        out.append(candidate)
    return out

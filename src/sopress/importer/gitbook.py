"""GitBook: .gitbook.yaml (where the pages and SUMMARY.md are) and SUMMARY.md's pages and groups."""

from __future__ import annotations

from pathlib import Path

import yaml

from sopress.diagnostics import Diagnostics, Location
from sopress.importer.toc import SourceBook, read_summary


def read_gitbook(source: Path, diags: Diagnostics) -> SourceBook | None:
    settings = source / ".gitbook.yaml"
    docs, summary_name = source, "SUMMARY.md"
    if settings.is_file():
        try:
            values = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            diags.error("yaml", f"invalid YAML: {exc}", Location(settings))
            return None
        docs = (source / str(values.get("root", "."))).resolve()
        summary_name = str((values.get("structure") or {}).get("summary", summary_name))
    summary = docs / summary_name
    if not summary.is_file():
        diags.error("missing-file", f"no {summary_name} here: is SOURCE the folder of a GitBook space?",
                    Location(summary))
        return None
    nav = read_summary(summary, docs, diags)
    return SourceBook(tool="gitbook", root=source, docs=docs, title=_title(docs, source), author="",
                      language="en", copyright="", nav=nav, config=summary)


def _title(docs: Path, source: Path) -> str:
    """GitBook keeps the space's title on its servers; the README's first heading is the nearest in the tree."""
    readme = docs / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return source.name.replace("-", " ").replace("_", " ").title()

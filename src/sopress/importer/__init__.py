"""`sopress import`: a MkDocs, mdBook or GitBook tree turned into a sopress project.

read (one module per tool: its own table of contents) -> convert (each page's Markdown flavour,
sopress.importer.convert) -> write (sopress.importer.project). The source tree is only read.
The modules load when first used (the CLI names TOOLS for every command; only `import` reads a tree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

from sopress.importer.toc import Tool

TOOLS: tuple[Tool, ...] = get_args(Tool)

if TYPE_CHECKING:
    from sopress.importer.project import ImportResult, VolumeMode, import_book

__all__ = ["TOOLS", "ImportResult", "VolumeMode", "import_book"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sopress.importer import project

        return getattr(project, name)
    raise AttributeError(f"module 'sopress.importer' has no attribute {name!r}")

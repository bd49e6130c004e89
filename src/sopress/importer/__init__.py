"""`sopress import`: a MkDocs, mdBook or GitBook tree turned into a sopress project.

read (one module per tool: its own table of contents) -> convert (each page's Markdown flavour,
sopress.importer.convert) -> write (sopress.importer.project). The source tree is only read.
"""

from sopress.importer.project import TOOLS, ImportResult, VolumeMode, import_book

__all__ = ["TOOLS", "ImportResult", "VolumeMode", "import_book"]

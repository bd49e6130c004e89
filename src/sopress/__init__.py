"""sopress: Markdown Standard Operating Procedures to print-ready PDF books, EPUBs and handouts."""

__version__ = "0.1.0"

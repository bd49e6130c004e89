"""Reading a source file as an author's editor saved it: the one way every source is read.

A file saved by a Windows editor (a UTF-8 byte-order mark, CRLF line ends) reads exactly like the
same text saved on Linux. A byte that is not UTF-8, a binary file, or a link that leads outside
the project is a located error, reported with the others of the run, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from sopress.diagnostics import Diagnostics, Location

BOM = "\ufeff"


def read_source(path: Path, diags: Diagnostics, root: Path | None = None) -> str | None:
    """The text of `path` with Unix line ends, or None (and a diagnostic) when it cannot be used.

    With `root`, a file that resolves outside that folder (a symbolic link out of the project) is refused.
    """
    if root is not None and not path.resolve().is_relative_to(root.resolve()):
        diags.error("outside-project", f"'{path.name}' is a link to '{path.resolve()}', outside the project: "
                                       "sources must be files inside the project folder", Location(path))
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        diags.error("unreadable", f"cannot read '{path.name}': {exc.strerror or exc}", Location(path))
        return None
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        diags.error("binary-file", f"'{path.name}' is not a text file (it holds NUL bytes): is it really Markdown "
                                   "or YAML?", Location(path, line, 1))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        diags.error("encoding", f"byte 0x{data[exc.start]:02x} is not UTF-8: save the file as UTF-8 "
                                "(it may be in a Windows code page such as cp1252)", Location(path, line, column))
        return None
    return text.removeprefix(BOM).replace("\r\n", "\n").replace("\r", "\n")

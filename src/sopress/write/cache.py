"""What made each output: a key of its inputs and the output's checksum, so unchanged work is skipped.

An output is taken as still valid only when the key of what would make it now equals the recorded
one and the file on disk is the file that was written (nobody replaced or truncated it).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import unquote

import sopress
from sopress.write.atomic import atomic_path


def input_key(*parts: str) -> str:
    """A digest of everything an output depends on, sopress's own version included."""
    digest = hashlib.sha256()
    for part in (*parts, sopress.__version__):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_FILE_URL = re.compile(r"file://([^\"')\s<>]+)")
_digests: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime, size), sha256), for this process


def linked_files_key(*documents: str) -> str:
    """A digest of every local file the documents load (images, fonts, the logo): a layout depends
    on their bytes, not only on their names in the HTML."""
    return files_key(path for text in documents for path in _linked_paths(text))


@functools.lru_cache(maxsize=64)  # a volume's stylesheet comes with every one of its parts
def _linked_paths(text: str) -> tuple[str, ...]:
    return tuple(unquote(url) for url in _FILE_URL.findall(text))


def files_key(paths: Iterable[str | Path]) -> str:
    """A digest of files by name and content (hashed once a process while their size and time hold)."""
    parts = []
    for path in sorted({str(p) for p in paths}):
        try:
            status = os.stat(path)
        except OSError:
            parts.append(f"{path}\0missing")
            continue
        stamp = (status.st_mtime_ns, status.st_size)
        if _digests.get(path, ((), ""))[0] != stamp:
            _digests[path] = (stamp, file_sha256(Path(path)))
        parts.append(f"{path}\0{_digests[path][1]}")
    return input_key(*parts)


class OutputCache:
    def __init__(self, entry: Callable[[str], Path]):
        self.entry = entry  # where the record of a named output lives (sopress.paths)

    def lookup(self, name: str, key: str, output: Path) -> dict[str, Any] | None:
        """The result recorded with the output, when it is still valid; None when it must be made."""
        try:
            record = json.loads(self.entry(name).read_text(encoding="utf-8"))
            if record.get("key") != key or record.get("output_sha256") != file_sha256(output):
                return None
        except (OSError, ValueError):
            return None
        return record["result"]

    def recorded(self, name: str) -> dict[str, Any] | None:
        """The result recorded for a named output, valid or not (a first guess for what it will be)."""
        try:
            return json.loads(self.entry(name).read_text(encoding="utf-8"))["result"]
        except (OSError, ValueError, KeyError):
            return None

    def store(self, name: str, key: str, output: Path, result: dict[str, Any]) -> None:
        record = {"key": key, "output_sha256": file_sha256(output), "result": result}
        with atomic_path(self.entry(name)) as temp:
            temp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")

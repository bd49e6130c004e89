"""Nothing changed, nothing to do: a build whose every input is as it was when it last succeeded.

A build records a fingerprint of everything it read (the project's sources and templates, the
theme, the page maps, sopress's version, the options and SOURCE_DATE_EPOCH) together with the
checksum of every file it wrote. When the next build with the same options finds the same
fingerprint and every output still the file it wrote, it returns the recorded result without
parsing or rendering anything. Any doubt (a missing or edited output, a changed file) means a
full build, whose own caches then skip whatever layout they can.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sopress
from sopress.diagnostics import Diagnostic, Location
from sopress.theme import THEMES
from sopress.write.atomic import atomic_path
from sopress.write.cache import file_sha256, files_key, input_key

if TYPE_CHECKING:
    from sopress.builders import BuildContext
    from sopress.model import Volume
    from sopress.pagemap import PageMap


def fingerprint(root: Path, build_dir: Path, options: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps([sopress.__version__, os.environ.get("SOURCE_DATE_EPOCH"), options],
                                       sort_keys=True, default=str).encode())
    for folder in (root / "content", root / "templates", THEMES, build_dir / "pagemap"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file():
                digest.update(f"{path.relative_to(folder)}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def volume_inputs(ctx: BuildContext, volume: Volume, page_map: PageMap) -> str:
    """Everything the print HTML of a volume's parts is made of, short of rendering them.

    The volume's own sources, every image, the book's configuration and house sheet, the templates
    and theme with its fonts, what the set says of itself (every target's title and number, the
    index) and the page numbers of every volume. When this is as it was at the end of the last
    build, the volume's parts are as they were then, and they are not rendered again.
    """
    resolved, content = ctx.resolved, ctx.resolved.book.root / "content"
    others = [v.folder for v in resolved.book.volumes if v is not volume]
    files = [path for path in content.rglob("*") if path.is_file()
             and not (path.suffix == ".md" and any(path.is_relative_to(folder) for folder in others))]
    for folder in (*ctx.theme.folders, resolved.book.root / "templates"):
        files += [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []
    files += [font.path for font in ctx.theme.fonts]
    return input_key(files_key(files), str(resolved.book.root), ctx.profile, ctx.timestamp.isoformat(),
                     json.dumps(sorted((n, sorted(m.items())) for n, m in page_map.items())),
                     repr(sorted(resolved.targets.items())), repr(resolved.index))


def record_path(build_dir: Path, options: dict[str, Any]) -> Path:
    key = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return build_dir / ".cache" / f"build-{key}.json"


def recall(build_dir: Path, options: dict[str, Any], inputs: str) -> dict[str, Any] | None:
    """The recorded result of the last build with these options, if nothing it read or wrote changed."""
    try:
        record = json.loads(record_path(build_dir, options).read_text(encoding="utf-8"))
        if record["inputs"] != inputs:
            return None
        for output, sha in record["outputs"].items():
            if file_sha256(Path(output)) != sha:
                return None
    except (OSError, ValueError, KeyError):
        return None
    return record


def remember(build_dir: Path, options: dict[str, Any], inputs: str, outputs: list[Path],
             result: dict[str, Any]) -> None:
    record = {"inputs": inputs, "outputs": {str(p): file_sha256(p) for p in outputs}, **result}
    with atomic_path(record_path(build_dir, options)) as temp:
        temp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")


def diagnostic_record(diagnostic: Diagnostic) -> dict[str, Any]:
    loc = diagnostic.location
    return {"severity": diagnostic.severity, "code": diagnostic.code, "message": diagnostic.message,
            "path": str(loc.path), "line": loc.line, "col": loc.col}


def diagnostic_from(record: dict[str, Any]) -> Diagnostic:
    return Diagnostic(record["severity"], record["code"], record["message"],
                      Location(Path(record["path"]), record["line"], record["col"]))

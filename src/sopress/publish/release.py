"""Assembling a release folder and moving it into place in one step.

Everything written here is a function of the built files and the sources, never of the clock or
the machine: the same sources give the same release, byte for byte (zip entries carry the build's
date, the manifest its `built` date, covers are rendered by the same poppler).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jinja2
import jsonschema

from sopress.publish.gates import GateResult

SCHEMA = "manifest.schema.json"
PAGE_TEMPLATE = "publish/index.html"
COVER_WIDTH = 360  # pixels: the release page shows covers at half that, sharp on high-density screens


@dataclass(frozen=True)
class Source:
    commit: str | None
    clean: bool | None


@dataclass(frozen=True)
class Artifact:
    """One file of the release, as the manifest describes it."""

    path: str  # relative to the release folder, with / separators
    title: str
    volume: int | None
    format: str  # pdf, epub, zip
    profile: str | None  # print or screen for volume PDFs
    pages: int | None
    bytes: int
    sha256: str
    isbn: str | None
    source: Source
    built: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact(folder: Path, path: Path, title: str, fmt: str, source: Source, built: str, *, volume: int | None = None,
             profile: str | None = None, pages: int | None = None, isbn: str | None = None) -> Artifact:
    return Artifact(path.relative_to(folder).as_posix(), title, volume, fmt, profile, pages, path.stat().st_size,
                    sha256_of(path), isbn, source, built)


def copy_into(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def write_zip(target: Path, members: Iterable[tuple[str, Path]], timestamp: dt.datetime) -> Path:
    """A zip whose bytes depend only on its members: fixed dates, order and permissions."""
    date_time = max(timestamp, dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)).timetuple()[:6]
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name, path in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, path.read_bytes())
    return target


def render_cover(pdf: Path, target: Path) -> Path:
    """The PDF's first page as a PNG, by poppler's pdftoppm (Debian: poppler-utils)."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise FileNotFoundError("the release page's covers are rendered by pdftoppm: install poppler-utils (Debian)")
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to-x", str(COVER_WIDTH),
                    "-scale-to-y", "-1", str(pdf), str(target.with_suffix(""))], check=True, capture_output=True)
    return target


def manifest_record(header: dict[str, Any], gates: list[GateResult], artifacts: list[Artifact]) -> dict[str, Any]:
    record = {**header,
              "gates": [{"name": g.name, "title": g.title, "checked": g.checked, "tool": g.tool, "passed": g.passed}
                        for g in gates],
              "artifacts": [asdict(a) for a in artifacts]}
    schema = json.loads(resources.files("sopress.schemas").joinpath(SCHEMA).read_text(encoding="utf-8"))
    jsonschema.validate(record, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return record


def write_manifest(path: Path, record: dict[str, Any]) -> Path:
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_page(path: Path, env: jinja2.Environment, **context: Any) -> Path:
    path.write_text(env.get_template(PAGE_TEMPLATE).render(**context), encoding="utf-8")
    return path


def write_checksums(folder: Path, target: Path) -> Path:
    """`sha256sum -c SHA256SUMS` checks every other file of the release."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != target)
    target.write_text("".join(f"{sha256_of(p)}  {p.relative_to(folder).as_posix()}\n" for p in files),
                      encoding="utf-8")
    return target


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1000:.0f} KB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"


# -- moving into place --------------------------------------------------------------------------

def assembly_folder(publish: Path, edition: str) -> Path:
    """An empty folder inside publish/ (so the final move is a rename on one file system)."""
    publish.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{edition}.assembling-", dir=publish))


def remove_leftovers(publish: Path, edition: str) -> None:
    """Folders an interrupted publish of this edition left behind (never a release: those have no dot)."""
    for stale in publish.glob(f".{edition}.assembling-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def same_tree(a: Path, b: Path) -> bool:
    def files(root: Path) -> dict[str, Path]:
        return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}

    left, right = files(a), files(b)
    return left.keys() == right.keys() and all(left[n].read_bytes() == right[n].read_bytes() for n in left)


def move_into_place(assembled: Path, final: Path) -> bool:
    """Make `assembled` the release at `final` in one step; False when `final` already held these bytes.

    A new edition is one rename (os.replace). An existing one is swapped with the new folder by
    renameat2(RENAME_EXCHANGE), so there is never a moment without a complete release at `final`;
    the previous release, then at `assembled`, is removed afterwards.
    """
    if not final.exists():
        os.replace(assembled, final)
        return True
    if same_tree(assembled, final):
        shutil.rmtree(assembled)
        return False
    _exchange(assembled, final)
    shutil.rmtree(assembled)
    return True


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None and renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return
    # No atomic exchange here (not Linux, or a file system without it): two renames, the old release
    # kept aside until the new one is in place.
    aside = a.with_name(a.name + "-previous")
    os.replace(b, aside)
    os.replace(a, b)
    os.replace(aside, a)

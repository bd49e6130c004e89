"""Builds as a user lives with them: nothing laid out twice, nothing lost, same bytes every time."""

from __future__ import annotations

import shutil
import zipfile

import pytest
import segno
from pypdf import PdfReader

from sopress import api
from sopress.diagnostics import SopressError

pytestmark = pytest.mark.slow  # every test here builds a sample book


def test_second_build_lays_out_nothing_and_a_change_relays_only_its_volume(make_project, tmp_path):
    root = make_project()
    first = api.build(root, formats=["pdf"])
    assert sorted(n for n, r in first.pdf.items() if r.laid_out) == [1, 2]
    second = api.build(root, formats=["pdf"])
    assert [r.laid_out for r in second.pdf.values()] == [False, False]
    assert second.pdf[1].pages == first.pdf[1].pages

    delta = root / "content/vol-two/01-deep/delta.md"
    delta.write_text(delta.read_text() + "\nOne more paragraph.\n")
    third = api.build(root, formats=["pdf"])
    assert {n: r.laid_out for n, r in third.pdf.items()} == {1: False, 2: True}


def test_an_edited_chapter_is_the_only_part_laid_out_again_and_the_pdf_equals_a_clean_builds(make_project, tmp_path):
    root = make_project()
    api.build(root, formats=["pdf"])
    alpha = root / "content/vol-one/01-start/alpha.md"
    alpha.write_text(alpha.read_text().replace("Alpha is", "Alpha, as revised, is", 1))
    edited = api.build(root, formats=["pdf"])
    assert edited.laid_out == [(1, "c-alpha")]
    assert [n for n, r in edited.pdf.items() if r.laid_out] == [1]
    clean = api.build(root, formats=["pdf"], build_dir=tmp_path / "clean")
    assert len(clean.laid_out) > len(edited.laid_out)
    for name in ("vol-one.pdf", "vol-two.pdf"):
        assert (root / "build/pdf" / name).read_bytes() == (tmp_path / "clean/pdf" / name).read_bytes(), name
    assert any("Alpha, as revised, is" in page.extract_text() for page in PdfReader(root / "build/pdf/vol-one.pdf").pages)


def test_a_replaced_image_lays_out_again_the_chapter_that_shows_it(make_project):
    root = make_project()
    api.build(root, formats=["pdf"])
    before = (root / "build/pdf/vol-one.pdf").read_bytes()
    image = root / "content/vol-one/01-start/images/diagram.png"
    segno.make("a different picture").save(str(image), scale=4)  # same name, new bytes
    again = api.build(root, formats=["pdf"])
    assert again.laid_out == [(1, "c-alpha")]
    assert (root / "build/pdf/vol-one.pdf").read_bytes() != before


def test_a_removed_chapter_leaves_no_kept_layout_behind(make_project):
    epsilon = "---\nid: epsilon\ntitle: Epsilon Procedure\nsummary: A fifth.\nstatus: final\n---\n\nEpsilon text.\n"
    listing = "chapters: [delta.md]"
    root = make_project(edits={"content/vol-two/01-deep/epsilon.md": epsilon})
    volume = root / "content/vol-two/volume.yaml"
    volume.write_text(volume.read_text().replace(listing, "chapters: [delta.md, epsilon.md]"))
    api.build(root, formats=["pdf"], volumes=[2])
    kept = root / "build/.cache/pdf-part/vol-two"
    assert {p.name for p in kept.glob("c-epsilon.*")} == {"c-epsilon.pdf", "c-epsilon.json"}
    volume.write_text(volume.read_text().replace("chapters: [delta.md, epsilon.md]", listing))
    (root / "content/vol-two/01-deep/epsilon.md").unlink()
    api.build(root, formats=["pdf"], volumes=[2])
    assert not list(kept.glob("c-epsilon.*")) and list(kept.glob("c-delta.*"))


def test_a_failed_build_leaves_the_previous_outputs_untouched(make_project):
    root = make_project()
    api.build(root, volumes=[2])
    outputs = [root / "build/pdf/vol-two.pdf", root / "build/epub/vol-two.epub"]
    before = [p.read_bytes() for p in outputs]
    delta = root / "content/vol-two/01-deep/delta.md"
    delta.write_text(delta.read_text() + "\nSee [](#no-such-chapter).\n")
    with pytest.raises(SopressError):
        api.build(root, volumes=[2])
    assert [p.read_bytes() for p in outputs] == before
    assert sorted(p.name for p in (root / "build/pdf").iterdir()) == ["vol-two.pdf"]  # no temp files left


def test_same_source_gives_byte_identical_outputs(basic_build, tmp_path):
    from conftest import ROOTS

    build_dir, _ = basic_build
    api.build(ROOTS / "basic", build_dir=tmp_path)
    for relative in ("pdf/vol-one.pdf", "epub/vol-one.epub"):
        assert (tmp_path / relative).read_bytes() == (build_dir / relative).read_bytes(), relative


def test_source_date_epoch_sets_the_dates_written(make_project, monkeypatch):
    root = make_project()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    api.build(root, volumes=[2])
    assert PdfReader(root / "build/pdf/vol-two.pdf").metadata["/CreationDate"] == "D:20231114221320+00'00"

    with zipfile.ZipFile(root / "build/epub/vol-two.epub") as archive:
        assert b"2023-11-14T22:13:20Z" in archive.read("EPUB/content.opf")
        assert archive.infolist()[1].date_time == (2023, 11, 14, 22, 13, 20)


def test_remote_resources_in_templates_are_refused_not_fetched(make_project):
    override = ("{% extends \"!print/volume.html\" %}{% block meta %}"
                "<link rel=\"stylesheet\" href=\"https://example.com/evil.css\">{% endblock %}")
    root = make_project(edits={"templates/print/volume.html": override})
    with pytest.raises(SopressError) as caught:
        api.build(root, formats=["pdf"], volumes=[2])
    assert [d.code for d in caught.value.diagnostics] == ["refused-resource"]
    assert "https://example.com/evil.css" in caught.value.diagnostics[0].message
    assert not (root / "build/pdf/vol-two.pdf").exists()


def test_project_templates_override_the_theme_by_name(make_project):
    custom = (
        "<section class=\"chapter\" id=\"{{ chapter.id }}\"><h1 class=\"chapter-title\">"
        "SOP {{ targets[chapter.id].number }}: {{ chapter.title }}</h1>{{ md(chapter.doc) }}</section>\n"
    )
    root = make_project(edits={"templates/chapter.html": custom})
    assert "SOP 1: Delta Procedure" in api.render_volume(root, 2)
    assert "SOP 1: Delta Procedure" in api.render_volume(root, 2, "epub").documents[4].content


def test_page_map_records_where_anchors_land(basic_build):
    import json

    build_dir, result = basic_build
    page_map = json.loads((build_dir / "pagemap/vol-one.json").read_text())
    alpha = page_map["anchors"]["alpha"]
    assert alpha["folio"] == "3"
    assert alpha["page"] == result.pdf[1].front_pages + 3


def test_each_profile_writes_its_own_files(make_project):
    root = make_project()
    api.build(root, formats=["pdf"], volumes=[2])
    printed = api.build(root, formats=["pdf"], volumes=[2], profile="print")
    assert printed.pdf[2].output.endswith("/build/pdf/vol-two-print.pdf")
    assert (root / "build/pagemap/vol-two-print.json").is_file()
    again = api.build(root, formats=["pdf"], volumes=[2])
    assert again.layouts == {}  # the screen PDF is still there, unchanged: nothing laid out again


def test_a_build_with_nothing_changed_reads_no_source_and_an_edited_output_is_made_again(make_project, monkeypatch):
    root = make_project()
    first = api.build(root, formats=["pdf", "epub"])
    calls = []
    real_prepare = api.prepare
    monkeypatch.setattr(api, "prepare", lambda *a, **k: calls.append(1) or real_prepare(*a, **k))
    again = api.build(root, formats=["pdf", "epub"])
    assert calls == [] and sorted(again.outputs) == sorted(first.outputs)
    assert {n: r.pages for n, r in again.pdf.items()} == {n: r.pages for n, r in first.pdf.items()}
    (root / "build/epub/vol-one.epub").write_bytes(b"damaged")
    api.build(root, formats=["pdf", "epub"])
    assert calls == [1] and (root / "build/epub/vol-one.epub").read_bytes()[:2] == b"PK"


def test_a_first_build_fills_in_the_numbers_it_did_not_know_and_equals_a_build_that_knew_them(make_project, tmp_path):
    root = make_project()
    first = api.build(root, formats=["pdf"])  # every chapter cites a page laid out after it starts
    parts = sum(len(list((root / "build/.cache/pdf-part" / v).glob("*.pdf"))) for v in ("vol-one", "vol-two"))
    knowing = tmp_path / "knowing"
    shutil.copytree(root / "build/pagemap", knowing / "pagemap")  # every number known before any layout
    second = api.build(root, formats=["pdf"], build_dir=knowing)
    assert len(second.laid_out) == parts and len(first.laid_out) < 2 * parts
    for name in ("vol-one.pdf", "vol-two.pdf"):
        assert (root / "build/pdf" / name).read_bytes() == (knowing / "pdf" / name).read_bytes(), name

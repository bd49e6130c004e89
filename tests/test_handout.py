"""Training handouts read back as a trainer uses them: fillable fields, footers, packs, a look at a page."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from conftest import OUTPUT, ROOTS, require
from sopress import api
from sopress.diagnostics import SopressError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Every handout of the basic sample and its pack, laid out once."""
    build_dir = tmp_path_factory.mktemp("handouts")
    result = api.handouts(ROOTS / "basic", everything=True, packs=["first-day"], build_dir=build_dir, jobs=2)
    return build_dir / "handouts", result


def fields(path: Path) -> dict:
    return PdfReader(path).get_fields() or {}


def text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_every_checklist_item_is_a_checkbox_and_the_sign_off_is_text_fields(made):
    out, _ = made
    resolved, _ = api.check(ROOTS / "basic")
    alpha = next(ch for _, ch in resolved.book.chapters() if ch.id == "alpha")
    items = [item for checklist in alpha.doc.checklists for item in checklist.items]
    found = fields(out / "alpha.pdf")
    boxes = {name: f for name, f in found.items() if f["/FT"] == "/Btn"}
    assert [f["/TU"] for f in boxes.values()] == items  # one per item, the item's text as tooltip
    assert sorted(boxes) == [f"alpha-item-{n}" for n in range(1, len(items) + 1)]
    assert [boxes[f"alpha-item-{n}"]["/V"] for n in (1, 2, 3)] == ["/Off", "/on", "/Off"]  # "- [x]" stays ticked
    texts = sorted(name for name, f in found.items() if f["/FT"] == "/Tx")
    assert texts == sorted(f"alpha-{role}-{part}" for role in ("trainee", "trainer")
                           for part in ("name", "signature", "date"))


def test_a_field_filled_with_pypdf_reads_back(made, tmp_path):
    out, _ = made
    writer = PdfWriter(clone_from=out / "alpha.pdf")
    last = writer.pages[-1]
    writer.update_page_form_field_values(last, {"alpha-trainee-name": "Dana Reyes", "alpha-trainer-date": "2026-02-03"})
    writer.update_page_form_field_values(writer.pages[0], {"alpha-item-1": "/on"})
    filled = tmp_path / "filled.pdf"
    writer.write(filled)
    found = fields(filled)
    assert found["alpha-trainee-name"]["/V"] == "Dana Reyes"
    assert found["alpha-trainer-date"]["/V"] == "2026-02-03"
    assert found["alpha-item-1"]["/V"] == "/on"


def test_footer_gives_page_x_of_y_revision_edition_and_the_company_at_the_head(made, tmp_path):
    out, _ = made
    reader = PdfReader(out / "alpha.pdf")
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        assert f"Page {number} of {pages}" in page.extract_text()
        assert "Vol. I, Chapter 1 · Revised 2026-01-10 · First edition" in page.extract_text()
    house = api.handouts(ROOTS / "house", chapters=["desk-hours"], build_dir=tmp_path)
    first = PdfReader(house.files[0]).pages[0].extract_text()
    assert first.startswith("Alder Creek Computing") and "Page 1 of 1" in first


def test_references_name_volume_and_page_of_the_print_edition(tmp_path):
    root_build = tmp_path / "build"
    unbuilt = api.handouts(ROOTS / "basic", chapters=["alpha"], build_dir=root_build)
    assert "Delta Procedure (Vol. II, p. ?)" in text(unbuilt.files[0])
    assert [d.code for d in unbuilt.diagnostics] == ["page-numbers", "page-numbers"]  # Vol. I and Vol. II
    printed = api.build(ROOTS / "basic", formats=["pdf"], build_dir=root_build, profile="print")
    delta_page = printed.pdf[2].folio("delta")
    built = api.handouts(ROOTS / "basic", chapters=["alpha"], build_dir=root_build)
    assert f"Delta Procedure (Vol. II, p. {delta_page})" in text(built.files[0])
    assert built.diagnostics == []


def test_a_pack_has_a_cover_the_handouts_in_order_and_a_training_record(made):
    out, _ = made
    pack = out / "packs/first-day.pdf"
    reader = PdfReader(pack)
    pages = [page.extract_text() for page in reader.pages]
    assert "First day at the desk" in pages[0] and "Monday, February 2, 2026" in pages[0]
    assert pages[0].index("Beta Procedure") < pages[0].index("Alpha Procedure")  # the agenda, in teaching order
    heads = [p.split("STANDARD OPERATING PROCEDURE", 1)[1][:60] for p in pages if "STANDARD OPERATING PROCEDURE" in p]
    assert [next(t for t in ("Alpha", "Beta") if f"{t} Procedure" in head) for head in heads] == ["Beta", "Alpha"]
    record = pages[-1]
    assert record.index("Beta Procedure") < record.index("Alpha Procedure")
    names = list(fields(pack))
    assert len(names) == len(set(names))  # unique across the pack
    assert {"pack-first-day-beta-initials", "pack-first-day-beta-date", "pack-first-day-alpha-initials",
            "pack-first-day-trainee-signature", "pack-first-day-trainer-signature"} <= set(names)
    assert {"alpha-item-1", "beta-trainee-name"} <= set(names)


def test_paper_size_from_the_option_or_book_yaml(tmp_path):
    a4 = api.handouts(ROOTS / "basic", chapters=["gamma"], paper="a4", build_dir=tmp_path / "a4")
    box = PdfReader(a4.files[0]).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    letter = api.handouts(ROOTS / "basic", chapters=["gamma"], build_dir=tmp_path / "letter")
    box = PdfReader(letter.files[0]).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_selections_and_their_mistakes(tmp_path):
    section = api.handouts(ROOTS / "basic", sections=["01-start"], build_dir=tmp_path)
    assert [p.name for p in section.files] == ["alpha.pdf", "beta.pdf"]
    volume = api.handouts(ROOTS / "basic", volumes=[2], build_dir=tmp_path)
    assert [p.name for p in volume.files] == ["delta.pdf"]
    with pytest.raises(ValueError, match="no chapter has the id 'alpah' \\(did you mean: alpha\\?\\)"):
        api.handouts(ROOTS / "basic", chapters=["alpah"], build_dir=tmp_path)
    with pytest.raises(ValueError, match="no pack 'first'"):
        api.handouts(ROOTS / "basic", packs=["first"], build_dir=tmp_path)


def test_a_pack_naming_an_unknown_chapter_is_a_located_error(make_project):
    root = make_project(edits={"content/packs/first-day.yaml": "title: Day one\nchapters: [beta, alfa]\n"})
    with pytest.raises(SopressError) as caught:
        api.check(root)
    assert [d.format(root) for d in caught.value.diagnostics] == [
        "content/packs/first-day.yaml:2:18: error[unknown-target]: no chapter has the id 'alfa' (did you mean: alpha?)"
    ]


def test_rebuilt_handouts_are_identical_and_unchanged_ones_are_not_laid_out_again(made, tmp_path):
    out, first = made
    again = api.handouts(ROOTS / "basic", chapters=["alpha"], build_dir=tmp_path)
    assert again.files[0].read_bytes() == (out / "alpha.pdf").read_bytes()
    assert again.laid_out == 1
    third = api.handouts(ROOTS / "basic", chapters=["alpha"], build_dir=tmp_path)
    assert third.laid_out == 0 and third.files[0].read_bytes() == (out / "alpha.pdf").read_bytes()


def test_ticked_and_unticked_boxes_look_right_on_the_page(made):
    out, _ = made
    pdftoppm = require("pdftoppm")
    shot = OUTPUT / "handout-alpha-page-1"
    subprocess.run([pdftoppm, "-r", "100", "-png", "-f", "1", "-l", "1", "-singlefile", str(out / "alpha.pdf"),
                    str(shot)], check=True, timeout=120)
    reader = PdfReader(out / "alpha.pdf")
    height = float(reader.pages[0].mediabox.height)
    with Image.open(f"{shot}.png") as image:
        grey = image.convert("L")
        scale = grey.width / float(reader.pages[0].mediabox.width)

        def ink(name: str) -> float:
            """The darkness inside a checkbox (its border left out): 0 for white, 255 for black."""
            rect = next(a.get_object()["/Rect"] for a in reader.pages[0]["/Annots"] if a.get_object().get("/T") == name)
            x1, y1, x2, y2 = (float(v) for v in rect)
            box = (min(x1, x2) + 2, height - max(y1, y2) + 2, max(x1, x2) - 2, height - min(y1, y2) - 2)
            inside = grey.crop(tuple(round(v * scale) for v in box))
            return 255 - sum(inside.get_flattened_data()) / (inside.width * inside.height)

        assert ink("alpha-item-2") > 40  # "- [x] Call the client": the tick shows in poppler
        assert ink("alpha-item-1") < 10 and ink("alpha-item-3") < 10

"""The PDF read back as a reader and a printer would: TOC numbers, page numbers, running heads,
front matter, outline, fonts, SOP furniture, the three profiles, and a look at real spreads."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from xml.etree import ElementTree
from pathlib import Path

import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from conftest import OUTPUT, REPO, ROOTS
from pdfread import (
    body_runs, chapter_openings, margin_runs, open_pdf, page_texts, printed_folio, running_head, toc_entries,
)
from sopress import api
from sopress.config import BookConfig, Margins, PageConfig, Trim
from sopress.numerals import roman
from sopress.pagesetup import MEASURE_EMS, page_setup, points

BLEED = 9.0  # pt: the default 0.125in

pytestmark = pytest.mark.slow  # every test here builds a sample book


@pytest.fixture(scope="module")
def volume_one(basic_build) -> PdfReader:
    build_dir, _ = basic_build
    return open_pdf(build_dir / "pdf" / "vol-one.pdf")


def build_volume(root: Path, build_dir: Path, profile: str = "screen") -> Path:
    result = api.build(root, formats=["pdf"], volumes=[1], build_dir=build_dir, profile=profile)
    return Path(result.pdf[1].output)


@pytest.fixture(scope="module")
def binder(tmp_path_factory) -> PdfReader:
    """The letter-size sample: folios at the head of the page, a long chapter of tables and steps."""
    return open_pdf(build_volume(ROOTS / "letter", tmp_path_factory.mktemp("letter")))


@pytest.fixture(scope="module")
def for_print(tmp_path_factory) -> Path:
    return build_volume(ROOTS / "basic", tmp_path_factory.mktemp("print"), "print")


@pytest.fixture(scope="module")
def archival_pdf(tmp_path_factory) -> Path:
    return build_volume(ROOTS / "basic", tmp_path_factory.mktemp("archival"), "archival")


@pytest.fixture(scope="module")
def archival(archival_pdf) -> PdfReader:
    return open_pdf(archival_pdf)


def full_text(reader: PdfReader, index: int) -> str:
    return reader.pages[index].extract_text() or ""


# -- Page numbers, openers, running heads ---------------------------------------------------------

def test_toc_page_numbers_are_where_the_chapters_start(volume_one):
    toc = toc_entries(volume_one)
    openings = chapter_openings(volume_one)
    assert set(openings) == {"Alpha Procedure", "Beta Procedure", "Gamma Procedure"}
    for title, index in openings.items():
        assert toc[title] == printed_folio(volume_one, index) == volume_one.page_labels[index], title


def test_chapters_start_on_right_hand_pages(volume_one):
    for title, index in chapter_openings(volume_one).items():
        assert index % 2 == 0, f"{title} starts on a left-hand page"
        assert int(volume_one.page_labels[index]) % 2 == 1


def test_blank_pages_carry_no_running_head_or_folio(volume_one):
    blanks = [i for i in range(len(volume_one.pages)) if not page_texts(volume_one)[i]]
    assert blanks, "the sample book should need blank versos before its openers"
    assert all(i % 2 == 1 for i in blanks)  # only left-hand pages are left blank
    assert all(full_text(volume_one, i).strip() == "" for i in blanks)  # nothing in the margins either


def test_page_labels_roman_front_matter_then_arabic_from_one(volume_one):
    labels = volume_one.page_labels
    first_body = labels.index("1")
    assert labels[:first_body] == [roman(n).lower() for n in range(1, first_body + 1)]
    assert labels[first_body:] == [str(n) for n in range(1, len(labels) - first_body + 1)]
    assert page_texts(volume_one)[first_body].startswith("SECTION 1")
    contents = next(i for i, text in enumerate(page_texts(volume_one)) if text.startswith("Contents"))
    assert printed_folio(volume_one, contents) == labels[contents] == "v"
    assert [printed_folio(volume_one, i) for i in range(contents)] == ["", "", "", ""]  # title pages: counted, not numbered


def test_every_printed_folio_matches_its_page_label(volume_one, binder):
    for reader in (volume_one, binder):
        texts = page_texts(reader)
        pages = [i for i in range(4, len(texts)) if texts[i]]  # after the half-title, set, title, copyright
        assert [printed_folio(reader, i) for i in pages] == [reader.page_labels[i] for i in pages]


def test_openers_have_no_running_head_and_a_folio_at_the_foot(volume_one, binder):
    for reader in (volume_one, binder):
        texts = page_texts(reader)
        openers = [i for i, text in enumerate(texts) if text.startswith(("SECTION", "CHAPTER"))]
        assert len(openers) >= 3
        for index in openers:
            assert running_head(reader, index) == "", index
            assert [run.text for run in margin_runs(reader.pages[index], "foot")] == [reader.page_labels[index]]


def test_running_heads_volume_title_left_chapter_title_right(binder):
    opening = chapter_openings(binder)["Running the Service Desk"]
    following = range(opening + 1, chapter_openings(binder)["Closing the Day"] - 1)
    assert len(following) >= 8
    for index in following:
        expected = "DAILY OPERATIONS" if index % 2 else "RUNNING THE SERVICE DESK"
        assert running_head(binder, index) == expected, index


def test_folio_at_the_head_when_the_book_asks_for_it(binder, volume_one):
    continuation = chapter_openings(binder)["Running the Service Desk"] + 1
    head = " ".join(run.text for run in margin_runs(binder.pages[continuation], "head"))
    assert head.startswith(binder.page_labels[continuation])  # outside corner of a left page
    foot = margin_runs(volume_one.pages[chapter_openings(volume_one)["Alpha Procedure"] + 1], "foot")
    assert volume_one.page_labels[chapter_openings(volume_one)["Alpha Procedure"] + 1] in [r.text for r in foot]


def test_page_foot_names_the_chapter_and_its_revision(volume_one):
    page = chapter_openings(volume_one)["Alpha Procedure"] + 1
    feet = [run.text for run in margin_runs(volume_one.pages[page], "foot")]
    assert "CHAPTER 1 · REV. 2026-01-10" in feet


def test_draft_chapters_are_marked_on_their_pages(volume_one):
    openings = chapter_openings(volume_one)
    assert "DRAFT" in full_text(volume_one, openings["Beta Procedure"])
    assert "DRAFT" not in full_text(volume_one, openings["Alpha Procedure"])
    assert "DRAFT" not in full_text(volume_one, openings["Gamma Procedure"])


# -- Page sizes and geometry ----------------------------------------------------------------------

def test_trim_sizes_from_book_yaml(volume_one, binder):
    assert [float(v) for v in volume_one.pages[0].mediabox] == [0, 0, 432, 648]  # 6in x 9in
    assert [float(v) for v in binder.pages[0].mediabox] == [0, 0, 612, 792]  # US letter


def config(width: str, height: str, margins: Margins = Margins()) -> BookConfig:
    book, _ = api.load(ROOTS / "basic")
    return dataclasses.replace(book.config, trim=Trim(width, height), page=PageConfig(margins=margins))


@pytest.mark.parametrize("width, height", [("6in", "9in"), ("7in", "10in"), ("8.5in", "11in"), ("148mm", "210mm")])
def test_derived_margins_keep_a_readable_measure_and_room_for_the_binding(width, height):
    setup = page_setup(config(width, height), "screen")
    text_width = setup.width - setup.inner - setup.outer
    assert text_width <= MEASURE_EMS * setup.body_size + 0.01
    assert setup.inner - setup.outer == pytest.approx(18)  # a quarter inch for the binding
    assert setup.outer >= 0.6 * 72 and setup.top < setup.bottom


def test_margins_given_in_book_yaml_win_and_bleed_only_in_the_print_profile():
    setup = page_setup(config("7in", "10in", Margins(inner="1in", top="20mm")), "print")
    assert (setup.inner, round(setup.top, 2)) == (72, round(points("20mm"), 2))
    assert setup.bleed == BLEED and setup.crop_marks
    assert page_setup(config("7in", "10in"), "screen").bleed == 0


def test_bad_page_settings_are_reported_with_their_place(make_project):
    book = (ROOTS / "basic" / "content" / "book.yaml").read_text(encoding="utf-8")
    root = make_project(edits={"content/book.yaml": book + "page:\n  margins: {inner: wide}\n  folio: middle\nprinting: 0\n"})
    with pytest.raises(api.SopressError) as caught:
        api.check(root)
    messages = [d.format(root) for d in caught.value.diagnostics]
    assert any("book.yaml:13:" in m and "the inner margin must be a length" in m for m in messages), messages
    assert any("book.yaml:14:" in m and "'folio' must be one of bottom, top" in m for m in messages), messages
    assert any("book.yaml:15:" in m and "'printing' must be 1 or more" in m for m in messages), messages


# -- Front matter ---------------------------------------------------------------------------------

def test_front_matter_half_title_set_title_and_copyright_pages(volume_one, binder):
    texts = page_texts(volume_one)
    assert texts[0].split("\n") == ["FIELD GUIDE", "Basics"]
    assert "VOLUME I — THIS VOLUME" in texts[1] and "Advanced" in texts[1] and "Deep Water" in texts[1]
    for expected in ("FIELD GUIDE", "VOLUME I", "Basics", "Test Author", "TEST PRESS"):
        assert expected in full_text(volume_one, 2)
    copyright_page = re.sub(r"[ \t]+", " ", texts[3])  # the printing line is set with wide word spaces
    for expected in ("First edition, 2026.", "© 2026 Test Press", "ISBN 978-0-00-000001-1 (print)",
                     "ISBN 978-0-00-000002-8 (ebook)", "10 9 8 7 6 5 4 3 2 1"):
        assert expected in copyright_page
    assert "12 11 10 9 8 7 6 5 4 3" in re.sub(r"[ \t]+", " ", page_texts(binder)[3])  # the third printing


def test_outline_mirrors_sections_and_chapters(volume_one):
    outline = volume_one.outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top[:2] == ["Starting Out", "Going Further"]
    chapters = [entry.title for entry in outline[1] if not isinstance(entry, list)]
    assert chapters == ["Alpha Procedure", "Beta Procedure"]
    headings = [entry.title for entry in outline[1][1]]
    assert headings == ["Checklist for the day", "A table"]


def test_all_fonts_are_embedded(volume_one):
    fonts = {}
    for page in volume_one.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object()
            fonts[font["/BaseFont"]] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    names = " ".join(re.sub(r"^/?[A-Z]{6}\+", "", str(name)) for name in fonts)
    for family in ("Source-Serif-Pro", "Source-Sans-Pro", "IBM-Plex-Mono"):  # the bundled fonts, not the machine's
        assert family in names


def test_metadata(volume_one):
    meta = volume_one.metadata
    assert meta.title == "Field Guide, Volume I: Basics"
    assert meta.author == "Test Author"
    assert meta.subject == "Volume One of the Field Guide"
    assert meta["/Keywords"] == "Starting Out, Going Further"
    assert meta["/CreationDate"].startswith("D:20260115")
    catalog = volume_one.trailer["/Root"]
    assert catalog["/Lang"] == "en"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712 (a PDF boolean)


def test_references_in_the_volume_are_live_links_and_others_name_the_volume(volume_one):
    openings = chapter_openings(volume_one)
    alpha = volume_one.pages[openings["Alpha Procedure"]]
    text = alpha.extract_text()
    assert "Delta Procedure (Vol. II)" in text.replace("\n", " ") or "Delta Procedure, Vol. II" in text.replace("\n", " ")
    named = volume_one.named_destinations
    pages = []
    for annotation in alpha.get("/Annots", []):
        annotation = annotation.get_object()
        if annotation.get("/Subtype") != "/Link":
            continue
        destination = annotation.get("/Dest") or annotation.get("/A", {}).get("/D")
        if destination is not None and str(destination) in named:
            pages.append(volume_one.get_destination_page_number(named[str(destination)]))
    assert openings["Beta Procedure"] in pages


# -- SOP furniture and breaking -------------------------------------------------------------------

def test_related_video_prints_the_qr_code_of_its_url_and_the_short_address(volume_one):
    index = next(i for i, text in enumerate(page_texts(volume_one)) if "Alpha walkthrough" in text)
    assert "example.com/videos/alpha" in page_texts(volume_one)[index].split("\n")
    images = [image.image for image in volume_one.pages[index].images]
    expected = segno.make("https://example.com/videos/alpha", error="m").matrix
    size = len(expected)
    codes = [image.convert("L") for image in images if image.size == (size + 8, size + 8)]
    assert len(codes) == 1, [image.size for image in images]
    printed = [[codes[0].getpixel((x + 4, y + 4)) < 128 for x in range(size)] for y in range(size)]
    assert printed == [[bool(cell) for cell in row] for row in expected]


def test_short_tables_are_never_split_and_long_ones_repeat_their_header(binder):
    texts = page_texts(binder)
    for stage in range(1, 13):
        pages = {i for i, text in enumerate(texts) if f"Role {stage}." in text}
        assert len(pages) == 1, f"the table of stage {stage} is split across pages {sorted(pages)}"
    roster = [i for i, text in enumerate(texts) if re.search(r"^Person \d+ ", text, re.M)]
    assert len(roster) >= 3
    for index in roster:
        first_row = next(line for line in texts[index].split("\n") if line.startswith("Person") or line.startswith("Name"))
        assert first_row == "Name Shift Desk", f"page {index} continues the roster without its header"


def test_no_heading_is_left_alone_at_the_foot_of_a_page(binder):
    headings = {f"Stage {k} of the day" for k in range(1, 13)} | {"The whole roster", "Checklist"}
    for index, page in enumerate(binder.pages):
        body = body_runs(page)
        for heading in (run for run in body if run.text in headings):
            assert any(run.y < heading.y - 2 for run in body), f"'{heading.text}' is the last line of page {index}"


# -- Profiles -------------------------------------------------------------------------------------

def test_print_profile_adds_bleed_and_crop_marks(for_print, tmp_path):
    reader = open_pdf(for_print)
    for page in reader.pages:
        assert [float(v) for v in page.trimbox] == [0, 0, 432, 648]
        assert [float(v) for v in page.mediabox] == [-BLEED, -BLEED, 432 + BLEED, 648 + BLEED]
        assert [float(v) for v in page.bleedbox] == [float(v) for v in page.mediabox]
    blank = next(i for i, text in enumerate(page_texts(reader)) if not text)
    image = render_page(for_print, blank, tmp_path, dpi=144)
    corners = [(0, 0), (image.width - 18, 0), (0, image.height - 18), (image.width - 18, image.height - 18)]
    for x, y in corners:  # the bleed area at each corner carries the crop marks, and nothing else does
        assert ink(image.crop((x, y, x + 18, y + 18))) > 0
    assert ink(image.crop((30, 30, image.width - 30, image.height - 30))) == 0


def test_print_profile_is_greyscale_and_prints_web_addresses(for_print, tmp_path):
    reader = open_pdf(for_print)
    for index in range(len(reader.pages)):
        image = render_page(for_print, index, tmp_path, dpi=40).convert("RGB")
        spread = max(max(pixel) - min(pixel) for pixel in image.get_flattened_data())
        assert spread <= 12, f"page {index} has colour"
    text = " ".join(page_texts(reader))
    assert "example.com/videos/alpha" in text


def test_archival_profile_is_pdf_a_and_tagged(archival):
    catalog = archival.trailer["/Root"]
    xmp = xmp_properties(catalog["/Metadata"].get_object().get_data())
    pdfa, pdfua = "{http://www.aiim.org/pdfa/ns/id/}", "{http://www.aiim.org/pdfua/ns/id/}"
    assert (xmp[pdfa + "part"], xmp[pdfa + "conformance"], xmp[pdfua + "part"]) == ("2", "A", "1")
    intents = catalog["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert catalog["/Lang"] == "en"
    assert archival.metadata.title == "Field Guide, Volume I: Basics"


def test_the_same_source_gives_the_same_archival_pdf(archival_pdf, tmp_path):
    again = build_volume(ROOTS / "basic", tmp_path, "archival")
    assert again.read_bytes() == archival_pdf.read_bytes()


def xmp_properties(xmp: bytes) -> dict[str, str]:
    """XMP properties, written as attributes or as elements, keyed by '{namespace}name'."""
    packet = xmp[xmp.index(b"<x:xmpmeta"):xmp.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")]
    properties = {}
    for element in ElementTree.fromstring(packet).iter():
        properties.update(element.attrib)
        properties[element.tag] = (element.text or "").strip()
    return properties


def test_screen_profile_has_no_bleed_and_no_pdf_a_claim(volume_one):
    assert all(page.mediabox == page.trimbox for page in volume_one.pages)
    assert "/OutputIntents" not in volume_one.trailer["/Root"]


# -- A look at the real thing ---------------------------------------------------------------------

def render_page(pdf: str | Path, index: int, folder: Path, dpi: int) -> Image.Image:
    prefix = folder / f"page-{index}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(index + 1), "-l", str(index + 1),
                    str(pdf), str(prefix)], check=True)
    return Image.open(f"{prefix}.png")


def ink(image: Image.Image) -> int:
    """How many pixels are clearly darker than the paper."""
    return sum(1 for value in image.convert("L").get_flattened_data() if value < 160)


def test_two_spreads_of_a_real_volume_for_a_person_to_look_at(real_build, tmp_path):
    build_dir, _ = real_build
    pdf = build_dir / "pdf" / "volume-1.pdf"
    reader = open_pdf(pdf)
    openings = sorted(chapter_openings(reader).values())
    opener = openings[1]
    long_chapter = next(a for a, b in zip(openings, openings[1:]) if b - a >= 6)
    spreads = {"opener": (opener - 1, opener), "text": (long_chapter + 1, long_chapter + 2)}
    for name, (left, right) in spreads.items():
        pages = [render_page(pdf, index, tmp_path, dpi=100) for index in (left, right)]
        spread = Image.new("RGB", (pages[0].width * 2, pages[0].height), "white")
        spread.paste(pages[0], (0, 0))
        spread.paste(pages[1], (pages[0].width, 0))
        path = OUTPUT / f"volume-1-spread-{name}-pages-{reader.page_labels[left]}-{reader.page_labels[right]}.png"
        spread.save(path)
        assert path.stat().st_size > 10_000
    left, right = (render_page(pdf, index, tmp_path, dpi=100) for index in spreads["text"])
    inner = round(0.85 * 100) - 10  # derived inner margin of a 7in page, less a little
    assert ink(left.crop((left.width - inner, 0, left.width, left.height))) == 0  # the gutter stays clear
    assert ink(right.crop((0, 0, inner, right.height))) == 0
    head = round(0.6 * 100)
    assert ink(left.crop((0, 0, left.width // 3, head))) > 0  # running head at the outside top
    assert ink(right.crop((right.width * 2 // 3, 0, right.width, head))) > 0
    opener_page = render_page(pdf, opener, tmp_path, dpi=100)
    assert ink(opener_page.crop((0, 0, opener_page.width, head))) == 0  # no running head on an opener


def test_no_heading_is_left_alone_at_a_page_foot_in_the_real_volume(real_build, resolved_volume_one):
    build_dir, _ = real_build
    reader = open_pdf(build_dir / "pdf" / "volume-1.pdf")
    headings = {h.text for ch in resolved_volume_one.chapters for h in (ch.doc.headings if ch.doc else ()) if h.level <= 3}
    for index, page in enumerate(reader.pages):
        body = body_runs(page)
        if not body:
            continue
        lowest = min(run.y for run in body)
        last_line = " ".join(run.text for run in body if abs(run.y - lowest) < 2)
        assert last_line not in headings, f"'{last_line}' is alone at the foot of page {reader.page_labels[index]}"


@pytest.fixture(scope="module")
def resolved_volume_one():
    resolved, _ = api.check(REPO)
    return resolved.volume(1)


def test_a_stand_in_takes_a_number_of_its_width_and_refuses_a_wider_one(tmp_path, monkeypatch):
    from sopress.standins import stand_in
    from sopress.write import pdf
    from sopress.write.jobs import PartJob

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # the writer sets it for the font subsetter: not for later tests
    placeholder = stand_in(0, 2)
    html = f'<html lang="en"><body><p>See the backups chapter (p.&#160;{placeholder}) first.</p></body></html>'
    job = PartJob(volume=1, part="c-x", html=html, css="", spliced=False, held=True, base_url=f"{tmp_path}/",
                  allowed_roots=(str(tmp_path),), output=str(tmp_path / "x.pdf"), source_date_epoch=0)
    for number, fits in (("12", True), ("123", False)):
        assert pdf.lay_out_part(job).output == ""  # kept, not written
        drawn = pdf.draw_part(job, {placeholder: number})
        assert (drawn is not None) == fits
    staged = pdf.draw_part(job, {placeholder: "12"})  # the layout went with the refusal
    assert staged is None
    pdf.lay_out_part(job)
    written = pdf.draw_part(job, {placeholder: "47"})
    text = PdfReader(written.staged).pages[0].extract_text()
    assert "(p. 47) first" in text.replace("\xa0", " ") and "\u2060" not in text

"""The PDF read back as a reader and a printer would: TOC numbers, page numbers, outline, fonts."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from pdfread import chapter_openings, open_pdf, page_texts, printed_folio, toc_entries


@pytest.fixture(scope="module")
def volume_one(basic_build) -> PdfReader:
    build_dir, _ = basic_build
    return open_pdf(build_dir / "pdf" / "vol-one.pdf")


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
    texts = page_texts(volume_one)
    blanks = [i for i, text in enumerate(texts) if not text.strip()]
    assert blanks, "the sample book should need blank versos before its openers"
    assert all(i % 2 == 1 for i in blanks)  # only left-hand pages are left blank


def test_page_labels_roman_front_matter_then_arabic_from_one(volume_one):
    labels = volume_one.page_labels
    first_body = labels.index("1")
    assert labels[:first_body] == ["i", "ii", "iii", "iv"][:first_body]
    assert labels[first_body:] == [str(n) for n in range(1, len(labels) - first_body + 1)]
    assert page_texts(volume_one)[first_body].startswith("SECTION 1")
    assert printed_folio(volume_one, labels.index("iii")) == "iii"


def test_outline_mirrors_sections_and_chapters(volume_one):
    outline = volume_one.outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top == ["Starting Out", "Going Further"]
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
    assert meta["/Keywords"] == "Starting Out, Going Further"
    assert meta["/CreationDate"].startswith("D:20260115")


def test_draft_chapters_are_marked_on_their_pages(volume_one):
    texts = page_texts(volume_one)
    openings = chapter_openings(volume_one)
    assert "DRAFT" in texts[openings["Beta Procedure"]]
    assert "DRAFT" not in texts[openings["Alpha Procedure"]]
    assert "DRAFT" not in texts[openings["Gamma Procedure"]]


def test_references_in_the_volume_are_live_links_and_others_name_the_volume(volume_one):
    openings = chapter_openings(volume_one)
    alpha = volume_one.pages[openings["Alpha Procedure"]]
    text = alpha.extract_text()
    assert "Delta Procedure (Vol. II)" in text.replace("\n", " ")
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

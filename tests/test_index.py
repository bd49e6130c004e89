"""The set-wide index and page references, read back from the built PDFs of the sample set."""

from __future__ import annotations

import collections
import re

import pytest

from conftest import ROOTS
from pdfread import flat, open_pdf, page_texts
from sopress import api
from sopress.diagnostics import SopressError
from sopress.index_view import page_range
from sopress.numerals import roman


@pytest.fixture(scope="module")
def pdfs(basic_build):
    build_dir, _ = basic_build
    return {1: open_pdf(build_dir / "pdf/vol-one.pdf"), 2: open_pdf(build_dir / "pdf/vol-two.pdf")}


def folio_of(reader, anchor: str) -> str:
    """Where an id really is: its named destination in the PDF, as the page's label."""
    return reader.page_labels[reader.get_destination_page_number(reader.named_destinations[anchor])]


def test_every_cross_reference_prints_the_page_where_its_target_is(pdfs):
    resolved, _ = api.check(ROOTS / "basic")
    checked = 0
    for ref, target in resolved.links.items():
        source = 1 if "vol-one" in str(ref.location.path) else 2
        label = f"{target.kind.capitalize()} {target.number}" if target.kind in ("figure", "table") else target.title
        expected = folio_of(pdfs[target.volume], target.id)
        text = flat(" ".join(page_texts(pdfs[source])))
        if target.volume == source:
            wanted = f"{label}, p. {expected}" if not ref.has_text else f"(p. {expected})"
        else:
            wanted = f"{label}, Vol. {roman(target.volume)}, p. {expected}"
        assert wanted in text, (ref.href, wanted)
        checked += 1
    assert checked >= 8


def test_master_index_locators_point_at_the_right_pages(pdfs):
    reboots_one = folio_of(pdfs[1], "gamma")
    reboots_two = folio_of(pdfs[2], "delta")
    window = folio_of(pdfs[1], "idx-gamma-1")
    vol_one_index = flat(page_texts(pdfs[1])[-1])
    vol_two_index = flat(page_texts(pdfs[2])[-1])
    # This volume's locators first, then the others'.
    assert f"Reboots, I:{reboots_one}; II:{reboots_two}" in vol_one_index
    assert f"Reboots, II:{reboots_two}; I:{reboots_one}" in vol_two_index
    assert f"window, I:{window}" in vol_two_index
    assert "Restarts. See Reboots" in vol_two_index
    assert vol_one_index.index(" A ") < vol_one_index.index(" F ") < vol_one_index.index(" P ") < vol_one_index.index(" R ")


def test_cold_build_converges_and_a_warm_build_lays_out_nothing(basic_build, tmp_path):
    _, cold = basic_build
    assert set(cold.layouts) == {1, 2}
    assert all(count <= 2 for count in collections.Counter(cold.laid_out).values()), cold.laid_out
    api.build(ROOTS / "basic", build_dir=tmp_path, formats=["pdf"])
    warm = api.build(ROOTS / "basic", build_dir=tmp_path, formats=["pdf"])
    assert warm.layouts == {}


@pytest.mark.slow
def test_page_numbers_of_volumes_not_built_are_flagged(make_project):
    result = api.build(make_project(), formats=["pdf"], volumes=[1])
    assert [d.code for d in result.diagnostics] == ["page-numbers"]
    assert "page numbers in Vol. 2 are not known yet" in result.diagnostics[0].message


def test_per_volume_index_from_book_config(make_project):
    root = make_project()
    book = root / "content/book.yaml"
    book.write_text(book.read_text() + "index: {scope: volume, ranges: full}\n")
    page = api.render_volume(root, 2)
    index = page[page.index('<section class="index"'):]
    assert "Reboots" in index and "Alpha" not in index and "I:" not in index


@pytest.mark.parametrize("first, last, abbreviated", [
    (3, 10, "3–10"), (71, 72, "71–72"), (100, 104, "100–104"), (101, 108, "101–8"), (212, 214, "212–14"),
    (321, 328, "321–28"), (498, 532, "498–532"), (1087, 1089, "1087–89"), (1496, 1500, "1496–500"),
])
def test_page_ranges_collapse_in_chicago_style(first, last, abbreviated):
    assert page_range(first, last, "abbreviated") == abbreviated
    assert page_range(first, last, "full") == f"{first}–{last}"


def test_index_sorts_ignoring_case_and_accents_with_letter_groups(make_project):
    chapter = ("---\nid: delta\ntitle: Delta\nindex: [zebra, Éclair, apple, Banana, 2FA, eclipse]\n---\n\nText.\n")
    root = make_project(edits={"content/vol-two/01-deep/delta.md": chapter})
    resolved, _ = api.check(root)
    terms = [h.term for h in resolved.index]
    assert terms.index("2FA") < terms.index("Alpha") < terms.index("apple") < terms.index("Banana")
    assert terms.index("Éclair") < terms.index("eclipse") < terms.index("zebra")
    page = api.render_volume(root, 2)
    letters = re.findall(r'<h2 class="index-letter">([^<]+)</h2>', page)
    assert letters == ["Numbers and symbols", "A", "B", "E", "F", "P", "R", "Z"]


def test_index_terms_that_differ_only_in_spelling_are_flagged(make_project):
    chapter = ("---\nid: delta\ntitle: Delta\nindex: [Back-up, {term: Restore, see: Restores}]\n---\n\n"
               "Take a [backup]{index=\"backup\"} first.\n")
    root = make_project(edits={"content/vol-two/01-deep/delta.md": chapter})
    _, diagnostics = api.check(root)
    found = [d.format(root) for d in diagnostics]
    assert ("content/vol-two/01-deep/delta.md:7:9: warning[index-variant]: index term 'backup' differs only in "
            "spelling from 'Back-up' (delta.md:4); use one spelling") in found
    assert any("warning[index-see]: 'Restore' points to 'Restores', which is not an index term" in f for f in found)
    with pytest.raises(SopressError):
        api.check(root, strict=True)

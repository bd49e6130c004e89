"""The real four-volume set in content/, built once per run: the checks that need the real thing."""

from __future__ import annotations

import pytest

from conftest import REPO, run_epubcheck, serious
from pdfread import chapter_openings, open_pdf, page_texts, printed_folio, running_head, squash, toc_entries
from sopress import api
from sopress.numerals import roman


@pytest.fixture(scope="module")
def resolved():
    resolved, diagnostics = api.check(REPO)
    assert [d.format(REPO) for d in diagnostics] == []
    return resolved


def test_the_set_has_four_volumes_and_151_chapters(resolved):
    volumes = resolved.book.volumes
    assert [v.number for v in volumes] == [1, 2, 3, 4]
    assert sum(len(v.chapters) for v in volumes) == 151
    assert sum(len(v.sections) for v in volumes) == 12
    assert all(s.intro is not None for v in volumes for s in v.sections)


def test_every_volume_builds_as_pdf_and_epub(real_build, resolved):
    build_dir, result = real_build
    for volume in resolved.book.volumes:
        assert (build_dir / "pdf" / f"{volume.slug}.pdf").is_file()
        assert (build_dir / "epub" / f"{volume.slug}.epub").is_file()
        assert result.pdf[volume.number].pages > 2 * len(volume.chapters)


def test_a_first_build_of_the_set_lays_each_part_out_about_once(real_build, resolved):
    """Nearly every chapter cites a later page or another volume: the build must not lay them out twice."""
    _, result = real_build
    parts = sum(1 + len(v.sections) + len(v.chapters) + 1 for v in resolved.book.volumes)  # front, openers, chapters, index
    assert len(result.laid_out) <= 1.2 * parts, f"{len(result.laid_out)} layouts for {parts} parts"


def test_toc_numbers_match_chapter_openings_in_every_volume(real_build, resolved):
    build_dir, _ = real_build
    for volume in resolved.book.volumes:
        reader = open_pdf(build_dir / "pdf" / f"{volume.slug}.pdf")
        toc, openings = toc_entries(reader), chapter_openings(reader)
        assert len(openings) == len(volume.chapters), volume.slug
        for chapter in volume.chapters:
            key = chapter.title.rstrip(".")
            index = openings[key]
            assert index % 2 == 0, f"{chapter.id} starts on a left-hand page"
            assert toc[key] == printed_folio(reader, index) == reader.page_labels[index], chapter.id


def test_epubcheck_accepts_every_volume(real_build, resolved):
    build_dir, _ = real_build
    for volume in resolved.book.volumes:
        assert serious(run_epubcheck(build_dir / "epub" / f"{volume.slug}.epub")) == [], volume.slug


def test_every_cross_reference_prints_the_real_page_of_its_target(real_build, resolved):
    """Within a volume and across volumes, the printed page is where the target is in its PDF."""
    build_dir, _ = real_build
    readers = {v.number: open_pdf(build_dir / "pdf" / f"{v.slug}.pdf") for v in resolved.book.volumes}
    texts = {n: [squash(t) for t in page_texts(r)] for n, r in readers.items()}

    def page_of(volume: int, anchor: str) -> int:
        reader = readers[volume]
        return reader.get_destination_page_number(reader.named_destinations[anchor])

    checked, missing = 0, []
    for ref, target in resolved.links.items():
        volume = next(v for v in resolved.book.volumes if ref.location.path.is_relative_to(v.folder))
        chapter = next((ch for ch in volume.chapters if ch.path == ref.location.path), None)
        if chapter is None:
            continue  # section intros are checked through the chapters they point to
        start = page_of(volume.number, chapter.id)
        following = [page_of(volume.number, ch.id) for ch in volume.chapters if page_of(volume.number, ch.id) > start]
        pages = "".join(texts[volume.number][start : min(following, default=start + 40)])
        pages = pages.replace("•", "")  # list markers come out of the content stream out of order
        folio = readers[target.volume].page_labels[page_of(target.volume, target.id)]
        title = f"{target.kind.capitalize()} {target.number}" if target.kind in ("figure", "table") else target.title
        if target.volume == volume.number:
            wanted = f"(p. {folio})" if ref.has_text else f"{title}, p. {folio}"
        else:
            wanted = f"{title}, Vol. {roman(target.volume)}, p. {folio}"
        # Text comes out in content-stream order: in a table cell the reference wraps and interleaves
        # with the next cell, across a page break it is cut by a callout placed first; then the title
        # and the page it prints must each be there.
        if squash(wanted) not in pages and not (squash(title)[:12] in pages and squash(f"p. {folio}") in pages):
            missing.append(f"{chapter.id} -> {target.id}: {wanted!r}")
        checked += 1
    assert missing == []
    assert checked > 200


def test_contents_pages_after_the_first_carry_their_running_head(real_build):
    build_dir, _ = real_build
    reader = open_pdf(build_dir / "pdf" / "volume-1.pdf")
    contents = [i for i, label in enumerate(reader.page_labels) if not label.isdigit() and i >= 4]
    assert len(contents) >= 2, "Volume I's contents run to more than one page"
    assert running_head(reader, contents[0]) == ""  # the opening page of the contents
    assert all(running_head(reader, i) == "CONTENTS" for i in contents[1:])


def test_handouts_of_the_whole_set_build_with_no_error_and_no_warning(real_print_build, resolved):
    build_dir, printed = real_print_build
    assert all(pdf.pages > 0 for pdf in printed.pdf.values())
    packs = [pack.id for pack in resolved.packs]
    made = api.handouts(REPO, everything=True, packs=packs, build_dir=build_dir, jobs=2)
    assert [d.format(REPO) for d in made.diagnostics] == []
    assert len(made.files) == 151 + len(packs)
    assert all(path.stat().st_size > 10_000 for path in made.files)

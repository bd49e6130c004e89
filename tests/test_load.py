"""Loading and validation: every error class names its place, and one run reports them all."""

from __future__ import annotations

import pytest

from sopress import api
from sopress.diagnostics import SopressError


ROOTS_BASIC_BOOK = (
    "id: field-guide\ntitle: Field Guide\nauthor: A\nlanguage: en\ndate: 2026-01-15\nvolumes: [vol-one, vol-two]\n"
)


def problems(root, strict=False) -> list[str]:
    with pytest.raises(SopressError) as caught:
        api.check(root, strict=strict)
    return [d.format(root) for d in caught.value.diagnostics]


def test_the_sample_book_is_clean(make_project):
    resolved, diagnostics = api.check(make_project())
    assert diagnostics == []
    assert [v.title for v in resolved.book.volumes] == ["Basics", "Advanced"]
    assert [ch.id for ch in resolved.book.volumes[0].chapters] == ["alpha", "beta", "gamma"]


def test_unknown_book_key_is_an_error_with_place_and_suggestion(make_project):
    root = make_project(edits={"content/book.yaml": (
        "id: x\ntitle: T\nauthor: A\nlanguage: en\ndate: 2026-01-01\nautor: typo\nvolumes: [vol-one, vol-two]\n")})
    assert problems(root) == [
        "content/book.yaml:6:1: error[unknown-key]: unknown key 'autor' in book.yaml (did you mean: author?)"
    ]


def test_missing_required_keys_and_bad_values_are_all_reported(make_project):
    root = make_project(edits={"content/book.yaml": (
        "id: Not A Slug\ntitle: T\ndate: 15 January\ntrim: {width: wide}\nvolumes: [vol-one]\n")})
    found = problems(root)
    assert "content/book.yaml:1:1: error[missing-key]: missing required key 'author'" in found
    assert "content/book.yaml:1:1: error[missing-key]: missing required key 'language'" in found
    assert any(line.startswith("content/book.yaml:1:5: error[bad-id]:") for line in found)
    assert any(line.startswith("content/book.yaml:3:7: error[bad-value]: 'date' must be an ISO date") for line in found)
    assert any(line.startswith("content/book.yaml:4:15: error[bad-value]: trim width") for line in found)


def test_yaml_syntax_error_points_at_the_line(make_project):
    root = make_project(edits={"content/vol-two/volume.yaml": "number: 2\ntitle: [unclosed\nsections: []\n"})
    found = [line for line in problems(root) if "vol-two" in line]
    assert found == ["content/vol-two/volume.yaml:3:9: error[yaml]: invalid YAML: expected ',' or ']', but got ':'"]


def test_missing_chapter_file_is_an_error_at_its_manifest_line(make_project):
    root = make_project(edits={"content/vol-one/02-more/gamma.md": None})
    found = problems(root)
    assert "content/vol-one/volume.yaml:12:16: error[missing-file]: chapter file '02-more/gamma.md' does not exist" in found


def test_unlisted_chapter_is_a_warning_and_strict_makes_it_fatal(make_project):
    root = make_project(edits={"content/vol-one/02-more/forgotten.md": "---\nid: forgotten\ntitle: F\n---\n"})
    _, diagnostics = api.check(root)
    assert [d.format(root) for d in diagnostics] == [
        "content/vol-one/02-more/forgotten.md:1:1: warning[unlisted-file]: 'forgotten.md' is not listed in "
        "vol-one/volume.yaml and will not be published"
    ]
    assert problems(root, strict=True) == [d.format(root) for d in diagnostics]


def test_front_matter_errors_name_line_and_column(make_project):
    chapter = "content/vol-one/02-more/gamma.md"
    root = make_project(edits={chapter: (
        "---\nid: gamma\ntitel: Gamma\nstatus: finished\nrevised: yesterday\n---\n\nBody.\n")})
    found = problems(root)
    assert f"{chapter}:3:1: error[unknown-key]: unknown key 'titel' in front matter (did you mean: title, subtitle?)" in found
    assert f"{chapter}:2:1: error[missing-key]: missing required key 'title'" in found
    assert any(line.startswith(f"{chapter}:4:9: error[bad-value]: 'status' must be one of outline, draft, review, final") for line in found)
    assert any(line.startswith(f"{chapter}:5:10: error[bad-value]: 'revised' must be an ISO date") for line in found)


VOL_TWO_WITH_EPSILON = (
    "number: 2\ntitle: Advanced\nsections:\n  - folder: 01-deep\n    title: Deep Water\n"
    "    intro: intro.md\n    chapters: [delta.md, epsilon.md]\n"
)


def test_chapter_without_front_matter_takes_its_title_from_its_heading_and_its_id_from_its_path(make_project):
    root = make_project(edits={
        "content/vol-two/volume.yaml": VOL_TWO_WITH_EPSILON,
        "content/vol-two/01-deep/epsilon.md": "# Epsilon Checks\n\nSee [](#delta).\n\n## Details\n\nText.\n",
    })
    resolved, diagnostics = api.check(root, strict=True)
    assert diagnostics == []
    epsilon = resolved.book.volumes[1].chapters[1]
    assert (epsilon.id, epsilon.title) == ("vol-two-01-deep-epsilon", "Epsilon Checks")
    headings = [(h.level, h.text, h.id) for h in epsilon.doc.headings]
    assert headings == [(2, "Details", "vol-two-01-deep-epsilon--details")]


def test_several_title_headings_stay_one_level_under_the_chapter_title(make_project):
    root = make_project(edits={
        "content/vol-two/volume.yaml": VOL_TWO_WITH_EPSILON,
        "content/vol-two/01-deep/epsilon.md": "# First part\n\nText.\n\n# Second part\n\n## Inside\n\nMore.\n",
    })
    resolved, diagnostics = api.check(root, strict=True)
    assert diagnostics == []
    epsilon = resolved.book.volumes[1].chapters[1]
    assert epsilon.title == "First part"
    assert [(h.level, h.text) for h in epsilon.doc.headings] == [(2, "Second part"), (3, "Inside")]


def test_chapter_without_front_matter_or_title_heading_and_broken_front_matter(make_project):
    root = make_project(edits={
        "content/vol-two/01-deep/delta.md": "No front matter, and no heading.\n",
        "content/vol-one/02-more/gamma.md": "---\nid: gamma\ntitle: Gamma\n\nThe front matter is never closed.\n",
    })
    found = problems(root)
    assert ("content/vol-two/01-deep/delta.md:1:1: error[front-matter]: a chapter needs YAML front matter between "
            "'---' lines, or a '#' heading to take its title from") in found
    assert "content/vol-one/02-more/gamma.md:1:1: error[front-matter]: front matter is not closed by a '---' line" \
        in found


def test_links_warn_reports_unknown_targets_as_warnings(make_project):
    book = (ROOTS_BASIC_BOOK + "links: warn\n")
    root = make_project(edits={
        "content/book.yaml": book,
        "content/vol-two/01-deep/delta.md": "---\nid: delta\ntitle: Delta\n---\n\n[gone](#nope) [old](old.md)\n",
    })
    _, diagnostics = api.check(root)
    assert [d.format(root) for d in diagnostics] == [
        "content/vol-two/01-deep/delta.md:6:8: warning[unknown-target]: no chapter or heading has the id 'nope'",
        "content/vol-two/01-deep/delta.md:6:21: warning[unknown-target]: 'old.md' links to a file that does not exist",
    ]
    assert len(problems(root, strict=True)) == 2
    root = make_project(edits={"content/book.yaml": ROOTS_BASIC_BOOK + "links: sometimes\n"})
    found = problems(root)
    assert any("error[bad-value]: 'links' must be one of strict, warn, not 'sometimes'" in line for line in found)


def test_duplicate_volume_numbers(make_project):
    root = make_project(edits={"content/vol-two/volume.yaml": (
        "number: 1\ntitle: Advanced\nsections:\n  - folder: 01-deep\n    title: Deep\n    chapters: [delta.md]\n")})
    assert any("error[duplicate-volume]: volume number 1 is also used by 'vol-one'" in line for line in problems(root))


def test_errors_from_many_files_come_in_one_run(make_project):
    root = make_project(edits={
        "content/vol-one/01-start/beta.md": "---\nid: beta\ntitle: Beta\ncolour: red\n---\n",
        "content/vol-two/01-deep/delta.md": "---\nid: delta\ntitle: Delta\nstatus: done\n---\n",
    })
    found = problems(root)
    assert any(line.startswith("content/vol-one/01-start/beta.md:4:1: error[unknown-key]") for line in found)
    assert any(line.startswith("content/vol-two/01-deep/delta.md:4:9: error[bad-value]") for line in found)


def test_no_book_yaml(tmp_path):
    found = problems(tmp_path)
    assert found == ["content/book.yaml:1:1: error[missing-file]: no content/book.yaml here: is --root the project folder?"]

"""Cross-references by id and by file, across the set, with suggestions when a target is unknown."""

from __future__ import annotations

import pytest

from sopress import api
from sopress.diagnostics import SopressError

BETA = "content/vol-one/01-start/beta.md"


def beta_with(body: str) -> dict[str, str]:
    return {BETA: f"---\nid: beta\ntitle: Beta Procedure\n---\n\n{body}\n"}


def errors(root) -> list[str]:
    with pytest.raises(SopressError) as caught:
        api.check(root)
    return [d.format(root) for d in caught.value.diagnostics]


def test_references_bind_to_chapters_headings_and_files(make_project):
    resolved, _ = api.check(make_project())
    bound = {ref.href: target.id for ref, target in resolved.links.items()}
    assert bound["#beta"] == "beta"
    assert bound["../02-more/gamma.md#reboot-window"] == "reboot-window"
    assert bound["#alpha-table"] == "alpha-table"
    assert bound["#delta"] == "delta"
    assert resolved.targets["delta"].volume == 2
    assert resolved.targets["gamma"].number == "3"


def test_empty_link_text_takes_the_target_title_and_page(make_project):
    page = api.render_volume(make_project(), 1)
    assert '<a class="xref xref-chapter" href="#beta">Beta Procedure</a>, p.&#160;?' in page  # never laid out yet
    assert '<a class="xref xref-heading" href="#alpha-table">A table</a>' in page


def test_figures_and_tables_with_ids_are_numbered_per_chapter(make_project):
    resolved, _ = api.check(make_project())
    assert (resolved.targets["fig-diagram"].kind, resolved.targets["fig-diagram"].number) == ("figure", "1.1")
    assert (resolved.targets["tbl-windows"].kind, resolved.targets["tbl-windows"].number) == ("table", "3.1")
    page = api.render_volume(make_project(), 1)
    assert '<figcaption><span class="figure-number">Figure 1.1.</span> The alpha diagram</figcaption>' in page
    assert '<caption><span class="table-number">Table 3.1.</span> Reboot windows by week part</caption>' in page
    assert '<a class="xref xref-figure" href="#fig-diagram">Figure 1.1</a>' in page
    assert '<a class="xref xref-table" href="#tbl-windows">Table 3.1</a>' in page


def test_ambiguous_fragment_is_an_error(make_project):
    root = make_project(edits=beta_with("## Alpha table\n\nSee [this](#alpha-table)."))
    found = errors(root)
    assert any("error[ambiguous-target]: '#alpha-table' is both the id of 'A table' (alpha) and a heading of this chapter" in f
               for f in found)


def test_reference_to_an_unlisted_chapter_by_id(make_project):
    root = make_project(edits={
        **beta_with("See [](#orphan)."),
        "content/vol-one/02-more/orphan.md": "---\nid: orphan\ntitle: Orphan\n---\n",
    })
    assert f"{BETA}:6:8: error[unlisted-target]: 'orphan' is the id of orphan.md, which no volume includes" in errors(root)


def test_reference_to_another_volume_names_it(make_project):
    root = make_project()
    page = api.render_volume(root, 1)  # never laid out: no page numbers known yet
    assert '<span class="xref xref-other-volume">Delta Procedure, Vol.&#160;II, p.&#160;?</span>' in page
    page_two = api.render_volume(root, 2)
    assert "the alpha table (see A table, Vol.&#160;I, p.&#160;?)" in page_two
    epub_two = api.render_volume(root, 2, "epub").documents[4].content
    assert "Gamma Procedure (Vol.&#160;I, Chapter&#160;3)" in epub_two
    assert "the alpha table (see A table, Vol.&#160;I, Chapter&#160;1, Alpha Procedure)" in epub_two


def test_file_links_as_github_writes_them(make_project):
    root = make_project(edits=beta_with(
        "See [reboots](../02-more/gamma.md#reboot-window), [gamma](../02-more/gamma.md) "
        "and [its overview](../02-more/gamma.md#overview) and [](../../vol-two/01-deep/delta.md)."))
    resolved, _ = api.check(root)
    bound = sorted(t.id for r, t in resolved.links.items() if str(r.location.path).endswith("beta.md"))
    assert bound == ["delta", "gamma", "gamma--overview", "reboot-window"]


def test_unknown_id_is_an_error_with_place_and_suggestions(make_project):
    root = make_project(edits=beta_with("Intro.\n\nSee [the table](#alpha-tabel) now."))
    assert errors(root) == [
        f"{BETA}:8:17: error[unknown-target]: no chapter or heading has the id 'alpha-tabel' (did you mean: alpha-table, alpha?)"
    ]


def test_unknown_heading_in_a_linked_file(make_project):
    root = make_project(edits=beta_with("See [x](../02-more/gamma.md#reboot-windw)."))
    assert errors(root) == [
        f"{BETA}:6:9: error[unknown-target]: chapter 'gamma' has no heading 'reboot-windw' (did you mean: reboot-window?)"
    ]


def test_link_to_a_chapter_no_volume_includes(make_project):
    root = make_project(edits={
        **beta_with("See [x](../02-more/orphan.md)."),
        "content/vol-one/02-more/orphan.md": "---\nid: orphan\ntitle: Orphan\n---\n",
    })
    found = errors(root)
    assert f"{BETA}:6:9: error[unknown-target]: '../02-more/orphan.md' links to a chapter file that no volume includes" in found


def test_duplicate_ids_across_the_set(make_project):
    root = make_project(edits={
        **beta_with("## Reboot window {#reboot-window}\n\nText."),
        "content/vol-two/01-deep/delta.md": "---\nid: gamma\ntitle: Delta\n---\n",
    })
    found = errors(root)
    assert f"{BETA}:6:1: error[duplicate-id]: id 'reboot-window' is already used at gamma.md:12; ids must be unique across the set" not in found
    assert any("error[duplicate-id]: id 'reboot-window' is already used at" in line for line in found)
    assert any(line.startswith("content/vol-two/01-deep/delta.md:2:5: error[duplicate-id]: id 'gamma'") for line in found)


def test_links_to_local_non_chapter_files_and_odd_schemes_are_errors(make_project):
    root = make_project(edits=beta_with("A [form](forms/intake.pdf) and [x](ftp://example.com/x)."))
    found = errors(root)
    assert any("error[bad-link]: 'forms/intake.pdf' links to a file that is not a chapter" in line for line in found)
    assert any("error[bad-link]: links may go to web pages or to places in the set, not 'ftp://example.com/x'" in line
               for line in found)


def test_web_links_are_left_alone(make_project):
    root = make_project(edits=beta_with("See [the vendor](https://example.com/docs)."))
    assert api.check(root)[1] == []
    assert '<a href="https://example.com/docs">the vendor</a>' in api.render_volume(root, 1)

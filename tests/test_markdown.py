"""Markdown features as a reader sees them in the rendered HTML (PDF) and XHTML (EPUB)."""

from __future__ import annotations

import re

import pytest

from sopress import api
from sopress.diagnostics import SopressError


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    from conftest import ROOTS

    return api.render_volume(ROOTS / "basic", 1)


def chapter_html(page: str, chapter_id: str) -> str:
    start = page.index(f'<section class="chapter status-')
    start = page.index(f'id="{chapter_id}"', start)
    return page[start : page.index("</section>\n", page.index("chapter-head", start))]


def test_tables_footnotes_deflists_and_code(html):
    alpha = chapter_html(html, "alpha")
    assert "<table>" in alpha and "<th>Day</th>" in alpha and "<td>Monday</td>" in alpha
    assert 'epub:type="noteref"' in alpha and 'epub:type="footnote"' in alpha
    assert 'id="alpha-fn1"' in alpha and 'href="#alpha-fn1"' in alpha
    assert "<dt>Term one</dt>" in alpha and "<dd>Its definition.</dd>" in alpha
    assert '<code class="language-python">' in alpha and '<span class="k">def</span>' in alpha


def test_smart_punctuation(html):
    assert "Alpha is the \u201cfirst\u201d procedure \u2013 it opens the set\u2026" in html


def test_checklists_become_tick_boxes(html):
    alpha = chapter_html(html, "alpha")
    assert alpha.count('class="checkbox"') == 2
    assert alpha.count('class="checkbox checked"') == 1
    assert "<input" not in alpha


def test_explicit_and_automatic_heading_ids(html):
    assert '<h2 id="alpha-table">A table</h2>' in html
    assert '<h2 id="alpha--checklist-for-the-day">Checklist for the day</h2>' in html
    # The same heading text in two chapters does not collide.
    assert 'id="beta--overview"' in html and 'id="gamma--overview"' in html


def test_callouts_with_title(html):
    assert '<aside class="callout callout-warning" role="note"' in html
    assert "Warning: <span class=\"callout-title\">Mind the gap</span>" in html


def test_figure_with_caption_and_alt_text(html):
    match = re.search(r'<figure id="fig-diagram"><img src="file://[^"]+/diagram.png" alt="Two boxes joined by a line" />'
                      r'<figcaption><span class="figure-number">Figure 1.1.</span> The alpha diagram</figcaption></figure>',
                      html)
    assert match


def test_jinja_never_runs_over_markdown(html):
    assert "hello {{ not jinja }}" in html or "hello {{ not jinja }}" in html.replace("&quot;", '"')


def test_raw_html_is_dropped_with_a_warning_unless_allowed(make_project):
    chapter = "---\nid: delta\ntitle: Delta\n---\n\nText <b onclick=\"x()\">bold</b>.\n\n<script>alert(1)</script>\n"
    root = make_project(edits={"content/vol-two/01-deep/delta.md": chapter})
    _, diagnostics = api.check(root)
    assert [d.code for d in diagnostics] == ["raw-html"] * 2  # once for <b ...>bold</b>, once for the <script> block
    assert diagnostics[0].format(root).startswith("content/vol-two/01-deep/delta.md:6:6: warning[raw-html]")
    page = api.render_volume(root, 2)
    assert "<script" not in page and "onclick" not in page and "<b>" not in page

    book = (root / "content/book.yaml").read_text() + "raw_html: true\n"
    (root / "content/book.yaml").write_text(book)
    assert api.check(root)[1] == []
    page = api.render_volume(root, 2)
    assert "<b>bold</b>" in page
    assert "<script" not in page and "onclick" not in page and "alert(1)" not in page


@pytest.mark.parametrize("image, code, message", [
    ("![Logo](https://example.com/logo.png)", "remote-resource", "nothing is fetched at build time"),
    ("![Logo](../../../../outside.png)", "outside-project", "is outside the project folder"),
    ("![Logo](images/missing.png)", "missing-file", "does not exist"),
    ("![](images/diagram.png)", "missing-alt", "has no alt text"),
])
def test_bad_images_are_errors_with_their_place(make_project, image, code, message):
    chapter = f"---\nid: beta\ntitle: Beta\n---\n\nIntro.\n\nSee {image} here.\n"
    root = make_project(edits={"content/vol-one/01-start/beta.md": chapter})
    with pytest.raises(SopressError) as caught:
        api.check(root)
    found = [d.format(root) for d in caught.value.diagnostics]
    assert len(found) == 1
    assert found[0].startswith(f"content/vol-one/01-start/beta.md:8:{7 + len(image.split('](')[0])}: error[{code}]:")
    assert message in found[0]


def test_epub_documents_are_xhtml_with_pop_up_notes():
    from conftest import ROOTS

    edition = api.render_volume(ROOTS / "basic", 1, "epub")
    files = [d.file_name for d in edition.documents]
    assert files == ["cover.xhtml", "title-vol-one.xhtml", "nav.xhtml", "vol-one-01-start.xhtml", "alpha.xhtml",
                     "beta.xhtml", "vol-one-02-more.xhtml", "gamma.xhtml", "index.xhtml"]
    alpha = edition.documents[4].content
    assert alpha.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert '<aside class="footnote" id="alpha-fn1" epub:type="footnote" role="doc-footnote">' in alpha
    assert 'src="images/1.png"' in alpha

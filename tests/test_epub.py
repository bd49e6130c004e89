"""The EPUB editions read back from the zip, judged by EPUBCheck and opened in a real browser engine."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import OUTPUT, require, run_epubcheck, serious

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "{http://www.idpf.org/2007/ops}"
OPF = {"opf": "http://www.idpf.org/2007/opf"}

pytestmark = pytest.mark.slow  # every test here builds a sample book


@pytest.fixture(scope="module")
def epubs(basic_build) -> dict[str, Path]:
    build_dir, _ = basic_build
    return {p.stem: p for p in (build_dir / "epub").glob("*.epub")}


def spine_of(archive: zipfile.ZipFile) -> list[str]:
    opf = ElementTree.fromstring(archive.read("EPUB/content.opf"))
    hrefs = {item.get("id"): item.get("href") for item in opf.iterfind("opf:manifest/opf:item", OPF)}
    return [hrefs[ref.get("idref")] for ref in opf.iterfind("opf:spine/opf:itemref", OPF)]


def test_epubcheck_finds_nothing_in_volumes_and_omnibus(epubs):
    assert sorted(epubs) == ["field-guide", "vol-one", "vol-two"]
    for name, path in sorted(epubs.items()):
        assert serious(run_epubcheck(path)) == [], name


def test_container_layout(epubs):
    with zipfile.ZipFile(epubs["vol-one"]) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"
        assert "EPUB/toc.ncx" in archive.namelist()  # EPUB 2 readers


def test_spine_follows_the_chapter_order(epubs):
    with zipfile.ZipFile(epubs["vol-one"]) as archive:
        assert spine_of(archive) == [
            "cover.xhtml", "title-vol-one.xhtml", "nav.xhtml", "vol-one-01-start.xhtml", "alpha.xhtml",
            "beta.xhtml", "vol-one-02-more.xhtml", "gamma.xhtml", "index.xhtml",
        ]


def test_nav_ncx_page_list_and_index_links_all_resolve(epubs):
    for name in ("vol-one", "field-guide"):
        with zipfile.ZipFile(epubs[name]) as archive:
            ids = {}
            for document in spine_of(archive):
                tree = ElementTree.fromstring(archive.read(f"EPUB/{document}"))
                ids[document] = {element.get("id") for element in tree.iter() if element.get("id")}
            nav = ElementTree.fromstring(archive.read("EPUB/nav.xhtml"))
            navs = {n.get(f"{EPUB_NS}type"): n for n in nav.iter(f"{XHTML}nav")}
            assert set(navs) == {"toc", "landmarks", "page-list"}
            ncx = archive.read("EPUB/toc.ncx").decode()
            links = [a.get("href") for n in navs.values() for a in n.iter(f"{XHTML}a")]
            links += re.findall(r'<content src="([^"]+)"', ncx)
            index = ElementTree.fromstring(archive.read("EPUB/index.xhtml"))
            links += [a.get("href") for a in index.iter(f"{XHTML}a")]
            assert "gamma.xhtml#idx-gamma-1" in links
            for link in links:
                document, _, fragment = link.partition("#")
                assert document in ids, (name, link)
                assert not fragment or fragment in ids[document], (name, link)


def test_toc_goes_down_to_first_level_headings_and_landmarks_are_complete(epubs):
    with zipfile.ZipFile(epubs["vol-one"]) as archive:
        nav = ElementTree.fromstring(archive.read("EPUB/nav.xhtml"))
    toc, landmarks = [n for n in nav.iter(f"{XHTML}nav")][:2]
    titles = [a.text for a in toc.iter(f"{XHTML}a")]
    assert titles[:4] == ["Starting Out", "1. Alpha Procedure", "Checklist for the day", "A table"]
    assert titles[-1] == "Index"
    kinds = [a.get(f"{EPUB_NS}type") for a in landmarks.iter(f"{XHTML}a")]
    assert kinds == ["cover", "titlepage", "toc", "bodymatter", "index"]


def test_page_list_gives_the_print_pages(epubs, basic_build):
    """Each print page marker sits at (or just before) the text that starts that page in the PDF."""
    from pdfread import open_pdf

    build_dir, _ = basic_build
    pdf = open_pdf(build_dir / "pdf/vol-one.pdf")
    with zipfile.ZipFile(epubs["vol-one"]) as archive:
        nav = archive.read("EPUB/nav.xhtml").decode()
        labels = re.findall(r'<a href="[^"]+#page-\d+">(\d+)</a>', nav)
        assert labels == [str(n) for n in range(1, len(labels) + 1)]
        gamma = archive.read("EPUB/gamma.xhtml").decode()
    gamma_page = pdf.page_labels[pdf.get_destination_page_number(pdf.named_destinations["gamma-p1"])]
    marker = f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{gamma_page}" aria-label="{gamma_page}"></span>'
    assert gamma.index(marker) < gamma.index('id="gamma-p1"')


def test_metadata_series_and_accessibility(epubs):
    with zipfile.ZipFile(epubs["vol-one"]) as archive:
        opf = archive.read("EPUB/content.opf").decode()
        assert '<dc:identifier id="id">urn:isbn:9780000000028</dc:identifier>' in opf
        assert "<dc:title>Field Guide, Volume I: Basics</dc:title>" in opf
        assert '<meta refines="#subtitle" property="title-type">subtitle</meta>' in opf
        assert "<dc:language>en</dc:language>" in opf and "<dc:rights>© 2026 Test Press</dc:rights>" in opf
        assert '<meta property="dcterms:modified">2026-01-15T00:00:00Z</meta>' in opf
        assert '<meta refines="#series" property="group-position">1</meta>' in opf
        assert '<meta name="calibre:series_index" content="1"' in opf
        assert '<meta property="dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.1 Level AA</meta>' in opf
        package = ElementTree.fromstring(opf.encode())  # DAISY Ace's epub-lang: dc:language is not enough
        assert package.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        assert '<meta property="pageBreakSource">urn:isbn:9780000000011</meta>' in opf
        assert '<meta property="schema:accessibilityFeature">printPageNumbers</meta>' in opf
        assert 'properties="cover-image"' in opf and 'properties="nav"' in opf
        assert "Volume I" in archive.read("EPUB/images/cover.svg").decode()
        for name in spine_of(archive):
            assert 'xml:lang="en"' in archive.read(f"EPUB/{name}").decode(), name
    with zipfile.ZipFile(epubs["vol-two"]) as archive:  # no ISBN: a stable UUID instead
        assert re.search(r"urn:uuid:[0-9a-f-]{36}", archive.read("EPUB/content.opf").decode())


def test_references_link_within_a_file_and_name_other_volumes(epubs):
    with zipfile.ZipFile(epubs["vol-one"]) as archive:
        alpha = archive.read("EPUB/alpha.xhtml").decode()
    assert '<a class="xref xref-chapter" href="beta.xhtml#beta">Beta Procedure</a>' in alpha
    assert '<a class="xref xref-heading" href="gamma.xhtml#reboot-window">the reboot rules</a>' in alpha
    assert "Delta Procedure (Vol.&#160;II, Chapter&#160;1)" in alpha
    assert '<a href="https://example.com/videos/alpha">Alpha walkthrough</a>' in alpha
    with zipfile.ZipFile(epubs["field-guide"]) as archive:  # in the omnibus every volume is a link away
        alpha = archive.read("EPUB/alpha.xhtml").decode()
        assert '<a class="xref xref-chapter" href="delta.xhtml#delta">Delta Procedure</a>' in alpha
        titles = [a for a in re.findall(r"<a href=\"[^\"]+\">([^<]+)</a>", archive.read("EPUB/nav.xhtml").decode())]
        assert "Volume I: Basics" in titles and "Volume II: Advanced" in titles


def test_a_chapter_opens_in_a_browser_engine(epubs, tmp_path):
    chromium = require("chromium")
    with zipfile.ZipFile(epubs["vol-one"]) as archive:
        archive.extractall(tmp_path)
    chapter = (tmp_path / "EPUB/alpha.xhtml").as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", chapter], capture_output=True, text=True, timeout=120).stdout
    assert "parsererror" not in dom and "Alpha Procedure" in dom  # parsed as XML without error
    shot = OUTPUT / "epub-alpha-chapter.png"
    subprocess.run([chromium, *flags, "--window-size=720,1100", f"--screenshot={shot}", chapter],
                   capture_output=True, timeout=120, check=True)
    from PIL import Image

    with Image.open(shot) as image:
        colours = image.convert("L").getextrema()
    assert colours[0] < 100 < colours[1], "the screenshot is blank"

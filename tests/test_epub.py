"""The EPUB editions read back from the zip, and judged by EPUBCheck."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import run_epubcheck, serious

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def epubs(basic_build) -> list[Path]:
    build_dir, _ = basic_build
    return sorted((build_dir / "epub").glob("*.epub"))


def test_epubcheck_finds_nothing(epubs):
    assert [p.name for p in epubs] == ["vol-one.epub", "vol-two.epub"]
    for path in epubs:
        assert serious(run_epubcheck(path)) == [], path.name


def test_container_layout(epubs):
    with zipfile.ZipFile(epubs[0]) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"


def test_spine_follows_the_chapter_order_and_nav_links_resolve(epubs):
    with zipfile.ZipFile(epubs[0]) as archive:
        opf = ElementTree.fromstring(archive.read("EPUB/content.opf"))
        ns = {"opf": "http://www.idpf.org/2007/opf"}
        hrefs = {item.get("id"): item.get("href") for item in opf.iterfind("opf:manifest/opf:item", ns)}
        spine = [hrefs[ref.get("idref")] for ref in opf.iterfind("opf:spine/opf:itemref", ns)]
        assert spine == ["cover.xhtml", "title.xhtml", "nav.xhtml", "01-start.xhtml", "alpha.xhtml",
                         "beta.xhtml", "02-more.xhtml", "gamma.xhtml"]
        ids = {}
        for name in spine:
            tree = ElementTree.fromstring(archive.read(f"EPUB/{name}"))
            ids[name] = {element.get("id") for element in tree.iter() if element.get("id")}
        nav = ElementTree.fromstring(archive.read("EPUB/nav.xhtml"))
        links = [a.get("href") for a in nav.iter(f"{XHTML}a")]
        assert "alpha.xhtml#alpha--checklist-for-the-day" in links
        for link in links:
            document, _, fragment = link.partition("#")
            assert document in ids, link
            assert not fragment or fragment in ids[document], link


def test_metadata_and_cover(epubs):
    with zipfile.ZipFile(epubs[0]) as archive:
        opf = archive.read("EPUB/content.opf").decode()
        assert "<dc:identifier id=\"id\">urn:isbn:9780000000028</dc:identifier>" in opf
        assert "<dc:title>Field Guide, Volume I: Basics</dc:title>" in opf
        assert "<dc:language>en</dc:language>" in opf
        assert '<meta property="dcterms:modified">2026-01-15T00:00:00Z</meta>' in opf
        assert 'properties="cover-image"' in opf
        assert "Volume I" in archive.read("EPUB/images/cover.svg").decode()
    with zipfile.ZipFile(epubs[1]) as archive:  # no ISBN: a stable UUID instead
        assert re.search(r"urn:uuid:[0-9a-f-]{36}", archive.read("EPUB/content.opf").decode())


def test_cross_volume_references_name_the_volume_and_in_volume_ones_link(epubs):
    with zipfile.ZipFile(epubs[0]) as archive:
        alpha = archive.read("EPUB/alpha.xhtml").decode()
    assert '<a class="xref xref-chapter" href="beta.xhtml#beta">Beta Procedure</a>' in alpha
    assert '<a class="xref xref-heading" href="gamma.xhtml#reboot-window">the reboot rules</a>' in alpha
    assert "Delta Procedure (Vol.&#160;II)" in alpha

"""What the structure promises: a theme's contract is checked, every path follows --build-dir,
and sopress works as a user installs it, from its wheel."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
import pytest

from conftest import REPO, ROOTS
from sopress import api
from sopress.diagnostics import SopressError
from sopress.theme import THEMES

pytestmark = pytest.mark.slow


def test_a_template_that_breaks_the_theme_contract_is_a_located_error(make_project):
    parts = (THEMES / "default/print/parts.html").read_text()
    broken = parts.replace(' id="body-start"', "")
    root = make_project(edits={"templates/print/parts.html": broken})
    with pytest.raises(SopressError) as caught:
        api.build(root, formats=["pdf"], volumes=[1])
    assert [d.format(root) for d in caught.value.diagnostics] == [
        "templates/print/parts.html:1:1: error[theme-contract]: the template 'print/parts.html' must write an "
        "element with id=\"body-start\" (the contract in default/theme.yaml): the code relies on it"
    ]
    assert not (root / "build/pdf").exists()  # nothing was laid out


def test_only_a_single_volume_index_speaks_of_this_volume(tmp_path):
    api.build(ROOTS / "basic", formats=["epub"], build_dir=tmp_path, omnibus=True)

    def index_note(epub: str) -> str:
        with zipfile.ZipFile(tmp_path / "epub" / epub) as archive:
            page = archive.read("EPUB/index.xhtml").decode()
        return re.sub(r"\s+", " ", re.search(r'<p class="index-note">(.*?)</p>', page, re.S).group(1))

    assert "this volume's own come first" in index_note("vol-one.epub")
    omnibus = index_note("field-guide.epub")
    assert "this volume" not in omnibus and omnibus.startswith("Locators give volume and page")


@pytest.mark.parametrize("profile", ["screen", "print", "archival"])
def test_every_output_page_map_and_cache_entry_goes_to_the_build_dir(make_project, tmp_path, profile):
    root = make_project()
    build_dir = tmp_path / f"elsewhere-{profile}"
    api.build(root, build_dir=build_dir, profile=profile, omnibus=True)
    suffix = "" if profile == "screen" else f"-{profile}"
    written = sorted(p.relative_to(build_dir).as_posix() for p in build_dir.rglob("*") if p.is_file())
    records = [name for name in written if name.startswith(".cache/build-")]  # what this build read and wrote
    tokens = [name for name in written if name.startswith(".cache/parse/")]  # each document's tokens and walk
    assert len(records) == 1 and len(tokens) == 12  # four chapters, two section intros
    parts = [name for name in written if name.startswith(".cache/pdf-part/")]  # each part's layout, kept
    assert parts and all(re.fullmatch(rf"\.cache/pdf-part/vol-(one|two){suffix}/[\w.-]+\.(pdf|json)", name)
                         for name in parts), parts
    fonts = [name for name in written if name.startswith(".cache/glyphs/")]  # what each font opened covers
    templates = [name for name in written if name.startswith(".cache/templates/")]  # compiled templates
    assert fonts and templates
    records += tokens + parts + fonts + templates
    assert [name for name in written if name not in records] == sorted([
        f".cache/pdf-parts-1-{profile}.json", f".cache/pdf-parts-2-{profile}.json",
        f".cache/pdf-volume-1-{profile}.json", f".cache/pdf-volume-2-{profile}.json",
        "epub/field-guide.epub", "epub/vol-one.epub", "epub/vol-two.epub",
        f"pagemap/vol-one{suffix}.json", f"pagemap/vol-two{suffix}.json",
        f"pdf/vol-one{suffix}.pdf", f"pdf/vol-two{suffix}.pdf",
    ])
    assert not (root / "build").exists()


def test_rendering_reads_the_page_maps_of_the_build_dir_it_is_given(make_project, tmp_path):
    root = make_project()
    api.build(root, formats=["pdf"], build_dir=tmp_path / "out")
    assert "p.&#160;?" in api.render_volume(root, 1, "pdf")  # nothing was built into ROOT/build
    assert "p.&#160;?" not in api.render_volume(root, 1, "pdf", build_dir=tmp_path / "out")


def test_the_wheel_installs_in_a_clean_venv_and_builds_a_sample_book(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("sopress-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "sopress/themes/default/theme.yaml" in names and "sopress/themes/default/print/volume.html" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True,
                   timeout=900)
    out = tmp_path / "out"
    completed = subprocess.run([str(venv / "bin" / "sopress"), "build", "--root", str(ROOTS / "basic"),
                                "--build-dir", str(out), "-q"], capture_output=True, text=True, timeout=600,
                               cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert (out / "pdf/vol-one.pdf").stat().st_size > 10_000 and (out / "epub/vol-two.epub").is_file()
    where = subprocess.run([str(python), "-c", "import sopress; print(sopress.__file__)"], capture_output=True,
                           text=True, check=True).stdout
    assert str(venv) in where  # the installed package, not this checkout

"""Input from the real world: Windows editors, bad bytes, links out of the project, killed builds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from sopress import api
from sopress.diagnostics import SopressError

GAMMA = "content/vol-one/02-more/gamma.md"
DELTA = "content/vol-two/01-deep/delta.md"


def problems(root: Path) -> list[str]:
    try:
        return [d.format(root) for d in api.check(root)[1]]
    except SopressError as exc:
        return [d.format(root) for d in exc.diagnostics]


def sopress(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sopress", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_a_windows_saved_chapter_builds_exactly_like_the_same_text_saved_on_linux(make_project):
    import shutil

    root = make_project()
    api.build(root, formats=["pdf"], volumes=[1])
    linux = (root / "build/pdf/vol-one.pdf").read_bytes()
    shutil.rmtree(root / "build")  # nothing cached: the Windows files are laid out afresh
    for relative in (GAMMA, "content/vol-one/volume.yaml"):
        text = (root / relative).read_text(encoding="utf-8")
        (root / relative).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert problems(root) == []
    api.build(root, formats=["pdf"], volumes=[1])
    assert (root / "build/pdf/vol-one.pdf").read_bytes() == linux


def test_bad_bytes_and_binary_files_are_located_errors_reported_together(make_project):
    root = make_project()
    text = (root / GAMMA).read_text(encoding="utf-8").replace("Gamma", "Gamma caf\udce9", 1)
    (root / GAMMA).write_bytes(text.encode("utf-8", errors="surrogateescape"))
    (root / DELTA).write_bytes(b"---\nid: delta\n\x00\x01\x02binary\x00")
    completed = sopress("check", cwd=root)
    assert completed.returncode == 1 and "Traceback" not in completed.stderr
    lines = completed.stderr.splitlines()
    bad = next(i for i, line in enumerate(text.splitlines(), 1) if "caf" in line)
    column = text.splitlines()[bad - 1].index("caf") + 4
    assert (f"{GAMMA}:{bad}:{column}: error[encoding]: byte 0xe9 is not UTF-8: save the file as UTF-8 (it may be "
            "in a Windows code page such as cp1252)") in lines
    assert (f"{DELTA}:3:1: error[binary-file]: 'delta.md' is not a text file (it holds NUL bytes): is it really "
            "Markdown or YAML?") in lines


def test_a_chapter_linked_from_outside_the_project_is_refused(make_project, tmp_path):
    root = make_project()
    outside = tmp_path / "elsewhere.md"
    outside.write_text((root / GAMMA).read_text(encoding="utf-8"), encoding="utf-8")
    (root / GAMMA).unlink()
    (root / GAMMA).symlink_to(outside)
    found = problems(root)
    assert (f"{GAMMA}:1:1: error[outside-project]: 'gamma.md' is a link to '{outside}', outside the project: "
            "sources must be files inside the project folder") in found


def _long_book(make_project) -> Path:
    """A sample book whose second volume takes a few seconds to lay out."""
    root = make_project()
    delta = (root / DELTA).read_text(encoding="utf-8")
    filler = "\n\n".join(f"Paragraph {n} of the long procedure, with enough words to fill a line or two of "
                         f"the page so that layout takes a while." for n in range(1500))
    (root / DELTA).write_text(delta + "\n\n## A long section\n\n" + filler + "\n", encoding="utf-8")
    return root


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def _start_build(root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sopress", "build", "--format", "pdf", "--jobs", "2"], cwd=root,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_layout(process: subprocess.Popen) -> None:
    for line in process.stderr:
        if "Volume 2: laying out" in line:
            time.sleep(0.5)
            return
    pytest.fail("the build never started laying out")


@pytest.mark.slow
def test_a_build_killed_mid_layout_leaves_the_previous_pdfs_and_no_worker_behind(make_project):
    root = _long_book(make_project)
    api.build(root, formats=["pdf"])
    before = {p.name: p.read_bytes() for p in (root / "build/pdf").iterdir()}
    (root / DELTA).write_text((root / DELTA).read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    process = _start_build(root)
    _wait_for_layout(process)
    workers = _children(process.pid)
    assert workers, "no layout worker was running"
    process.kill()
    process.wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers), "layout workers outlived the build"
    time.sleep(1)
    after = {p.name: p.read_bytes() for p in (root / "build/pdf").iterdir() if not p.name.endswith(".part")}
    assert after == before


@pytest.mark.slow
def test_ctrl_c_stops_the_build_with_one_line_and_status_130(make_project):
    root = _long_book(make_project)
    process = _start_build(root)
    _wait_for_layout(process)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends to the whole foreground job
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130
    assert "Traceback" not in rest
    assert rest.strip().splitlines()[-1] == "sopress: interrupted; outputs of earlier builds are as they were"
    assert not (root / "build/pdf/vol-two.pdf").exists()


@pytest.mark.parametrize("args, lays_out", [
    (["build"], True), (["build", "--volume", "2", "--format", "pdf"], True), (["handout", "--all"], True),
    (["build", "--format", "epub"], False), (["build", "--format=epub", "--omnibus"], False),
    (["handout", "--help"], False), (["check"], False), (["serve", "--root", "build"], False),
])
def test_the_command_starts_a_layout_worker_before_the_cli_only_for_what_lays_out(args, lays_out):
    from sopress.launch import lays_out as will_lay_out

    assert will_lay_out(args) is lays_out


def test_the_first_pool_takes_the_head_started_worker_and_an_unused_one_ends_at_once():
    from sopress.write import pool

    pool.head_start()
    started = _children(os.getpid())
    with pool.layout_pool(1) as layouts:
        assert layouts.submit(os.getpid).result() in started
    pool.head_start()
    unused = [pid for pid in _children(os.getpid()) if pid not in started]
    assert unused and all(_alive(pid) for pid in unused)
    pool.drop_head_start()  # killed while it imports WeasyPrint, not waited for
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in unused) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in unused)


def test_weasyprint_loads_its_libraries_without_running_a_compiler():
    """ctypes.util.find_library runs gcc and ld for every name it does not find; the worker's import does not."""
    code = ("import subprocess\n"
            "ran = []\n"
            "original = subprocess.Popen.__init__\n"
            "def record(self, args, *rest, **options):\n"
            "    ran.append(str(args[0] if isinstance(args, (list, tuple)) else args))\n"
            "    original(self, args, *rest, **options)\n"
            "subprocess.Popen.__init__ = record\n"
            "from sopress.write.libraries import libraries_from_ld_cache\n"
            "with libraries_from_ld_cache():\n"
            "    import weasyprint\n"
            "pdf = weasyprint.HTML(string='<p>Loaded</p>').write_pdf()\n"
            "print(pdf[:5].decode(), sorted({name.rsplit('/', 1)[-1] for name in ran}))\n")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    header, ran = completed.stdout.split(" ", 1)
    assert header == "%PDF-"
    assert ran.strip() in ("[]", "['ldconfig']"), ran


def test_a_missing_glyph_is_found_again_when_what_the_fonts_cover_comes_from_the_build_folder(make_project):
    root = make_project(edits=delta("The clef \U0001d11e is rare.\n"))
    for _ in range(2):  # the second run reads what each font covers from build/.cache/glyphs
        completed = sopress("check", cwd=root)
        assert completed.returncode == 0
        assert f"{DELTA}:10:10: warning[missing-glyph]: '\U0001d11e'" in completed.stderr
    assert len(list((root / "build/.cache/glyphs").glob("*.pickle"))) == 14  # every font of the theme was opened


def test_a_font_that_changes_is_read_again_and_replaces_what_was_kept_of_it(tmp_path):
    from sopress.diagnostics import Diagnostics, Location
    from sopress.glyphs import _coverage, _read_coverage
    from sopress.theme import load_theme

    fonts = [f.path for f in load_theme("default", Location(tmp_path), Diagnostics()).fonts]
    serif = next(f for f in fonts if "Serif" in f.name)
    symbols = next(f for f in fonts if "Symbols" in f.name)
    font, cache = tmp_path / "face.otf", tmp_path / "glyphs"
    cache.mkdir()
    font.write_bytes(serif.read_bytes())
    assert _coverage(font, cache) == _read_coverage(serif)
    font.write_bytes(symbols.read_bytes())  # another font under the same name: size and time change
    _coverage.cache_clear()  # as in a new process
    assert _coverage(font, cache) == _read_coverage(symbols) != _read_coverage(serif)
    assert len(list(cache.iterdir())) == 1


DELTA_HEAD = ("---\nid: delta\ntitle: Delta Procedure\nsummary: The fourth procedure.\nstatus: final\n---\n\n"
              "Delta builds on [](#gamma).\n\n")  # the body starts on line 8


def delta(body: str) -> dict[str, str]:
    return {DELTA: DELTA_HEAD + body}


def test_a_raw_html_table_is_named_once_where_it_is_dropped(make_project):
    table = "<table>\n<tr><td>Monday</td><td>Patch</td></tr>\n<tr><td>Friday</td><td>Report</td></tr>\n</table>\n"
    root = make_project(edits=delta(table + "\nText with <b>bold</b> and <i>italic</i> words.\n"))
    assert problems(root) == [
        f"{DELTA}:10:1: warning[raw-html]: this raw HTML block (<table>, 4 lines) is dropped from every output; set "
        "'raw_html: true' in book.yaml to publish it (sanitised), or write it in Markdown",
        f"{DELTA}:15:11: warning[raw-html]: raw HTML tags <b>, <i> are dropped here (the text between them stays); "
        "set 'raw_html: true' in book.yaml to publish them (sanitised)",
    ]


@pytest.mark.parametrize("syntax, what, column", [
    ('!!! note "Mind the gap"\n    Indented body.\n', "'!!! note' is a MkDocs admonition", 1),
    ("> [!WARNING]\n> Back it up first.\n", "'[!WARNING]' is a GitHub alert", 3),
    ("{{#include ../shared/steps.md}}\n", "'{{#include ../shared/steps.md}}' is an mdBook include", 1),
    ("Open the [portal](https://example.com){: .button }.\n", "'{: .button }' is a kramdown/Python-Markdown "
                                                              "attribute list", 39),
])
def test_other_tools_syntax_that_prints_literally_is_a_warning_with_its_place(make_project, syntax, what, column):
    root = make_project(edits=delta(syntax))
    [found] = problems(root)
    assert found.startswith(f"{DELTA}:10:{column}: warning[foreign-syntax]: {what}, which sopress does not read: "
                            "it prints as written; ")


def test_an_attribute_xhtml_cannot_hold_is_an_error_not_a_broken_epub(make_project):
    root = make_project(edits=delta('Open the [portal](https://example.com){:target="_blank"} now.\n'))
    assert problems(root) == [
        f"{DELTA}:10:40: error[bad-attribute]: ':target' is not an attribute sopress can write: attribute lists "
        "are Pandoc's {#id .class key=value}"]


def test_two_sections_in_one_folder_are_an_error(make_project):
    manifest = ("number: 2\ntitle: Advanced\nsections:\n  - folder: 01-deep\n    title: Deep Water\n"
                "    chapters: [delta.md]\n  - folder: 01-deep\n    title: Deeper\n    chapters: []\n")
    root = make_project(edits={"content/vol-two/volume.yaml": manifest})
    assert ("content/vol-two/volume.yaml:7:5: error[duplicate-folder]: section folder '01-deep' is also the folder "
            "of 'Deep Water' (line 4): each section needs a folder of its own") in problems(root)


def test_an_empty_link_and_a_broken_reference_definition_are_reported_at_their_own_places(make_project):
    body = "A [dead link]() and [a bad one](#nowhere) on one line.\n\nSee [the steps][steps].\n\n[steps]: #no-such-id\n"
    found = problems(make_project(edits=delta(body)))
    assert (f"{DELTA}:10:14: error[empty-link]: this link has no target: write [text](#chapter-id), a heading id, "
            "or a web address") in found
    assert any(f.startswith(f"{DELTA}:10:33: error[unknown-target]: no chapter or heading has the id 'nowhere'")
               for f in found)
    assert any(f.startswith(f"{DELTA}:14:10: error[unknown-target]: no chapter or heading has the id 'no-such-id'")
               for f in found)


def test_a_chapter_that_fails_to_load_is_the_only_error_not_the_links_to_it(make_project):
    root = make_project(edits={GAMMA: "---\nid: gamma\ntitle: [unclosed\n---\n\nBody.\n"})
    found = problems(root)
    assert len(found) == 1 and found[0].startswith(f"{GAMMA}:4:1: error[yaml]: invalid YAML")


def test_a_glyph_no_font_has_is_a_warning_and_common_symbols_have_a_fallback(make_project):
    root = make_project(edits=delta("Done \u2705, mind the \u26a0 sign; the clef \U0001d11e is rare.\n"))
    assert problems(root) == [
        f"{DELTA}:10:35: warning[missing-glyph]: '\U0001d11e' (U+1D11E MUSICAL SYMBOL G CLEF) is in none of the "
        "theme's fonts and would print as an empty box"]


def test_an_escaped_dash_stays_a_hyphen_and_titles_get_smart_punctuation(make_project):
    edits = {DELTA: DELTA_HEAD.replace("title: Delta Procedure", 'title: The "Scary Box" -- Supplies')
             + "Three hyphens: \\---, and a range 1--2.\n"}
    html = api.render_volume(make_project(edits=edits), 2, "pdf")
    assert "Three hyphens: ---, and a range 1\u20132." in html
    assert "The \u201cScary Box\u201d \u2013 Supplies" in html and '"Scary Box"' not in html


@pytest.mark.slow
def test_an_image_wider_than_the_page_is_scaled_to_the_text_block(make_project):
    from PIL import Image as PILImage
    from pypdf import PdfReader

    root = make_project(edits=delta("A wide photo ![the rack](wide.png) in a sentence.\n"))
    PILImage.new("RGB", (4000, 300), "grey").save(root / "content/vol-two/01-deep/wide.png")
    result = api.build(root, formats=["pdf"], volumes=[2])
    reader = PdfReader(result.pdf[2].output)
    widths = []
    for page in reader.pages:
        def visit(op, args, cm, tm):
            if op == b"Do":
                widths.append((cm[0], float(page.mediabox.width)))
        page.extract_text(visitor_operand_before=visit)
    assert widths and all(drawn < page_width * 0.8 for drawn, page_width in widths)


REFUSED = {
    "bad-byte": lambda root: (root / DELTA).write_bytes((DELTA_HEAD + "caf\xe9\n").encode("latin-1")),
    "binary": lambda root: (root / DELTA).write_bytes(b"\x00\x01binary"),
    "link-out": lambda root: ((root.parent / "outside.md").write_text(DELTA_HEAD, encoding="utf-8"),
                              (root / DELTA).unlink(), (root / DELTA).symlink_to(root.parent / "outside.md")),
    "attribute": lambda root: (root / DELTA).write_text(DELTA_HEAD + '[x](https://a.example){:target="_blank"}\n'),
    "empty-link": lambda root: (root / DELTA).write_text(DELTA_HEAD + "A [link]() here.\n"),
    "empty-heading": lambda root: (root / DELTA).write_text(DELTA_HEAD + "##\n\nText.\n"),
    "one-folder": lambda root: (root / "content/vol-two/volume.yaml").write_text(
        "number: 2\ntitle: Advanced\nsections:\n  - {folder: 01-deep, title: A, chapters: [delta.md]}\n"
        "  - {folder: 01-deep, title: B, chapters: []}\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_build_exits_1_without_traceback_and_leaves_the_last_outputs(make_project, case):
    root = make_project()
    assert sopress("build", "--volume", "2", "-q", cwd=root).returncode == 0
    before = {p: p.read_bytes() for p in (root / "build").rglob("*") if p.is_file() and ".cache" not in p.parts}
    REFUSED[case](root)
    completed = sopress("build", "--volume", "2", cwd=root)
    assert completed.returncode == 1 and "Traceback" not in completed.stderr
    assert re.search(r"^content/\S+:\d+:\d+: error\[[a-z-]+\]: ", completed.stderr, re.M), completed.stderr
    after = {p: p.read_bytes() for p in (root / "build").rglob("*") if p.is_file() and ".cache" not in p.parts}
    assert after == before


@pytest.mark.slow
def test_what_is_published_with_warnings_makes_an_epub_that_passes_epubcheck(make_project):
    from conftest import run_epubcheck, serious

    body = ("<table><tr><td>dropped</td></tr></table>\n\n!!! note \"Literal\"\n    body\n\n> [!NOTE]\n> quoted\n\n"
            "Done \u2705 and the clef \U0001d11e, with <b>bold</b> dropped.\n")
    root = make_project(edits=delta(body))
    result = api.build(root, volumes=[2])
    assert {d.code for d in result.diagnostics} >= {"raw-html", "foreign-syntax", "missing-glyph"}
    assert serious(run_epubcheck(root / "build/epub/vol-two.epub")) == []


def checked(root: Path) -> list[str]:
    """What `sopress check` says with the build folder's cache, as a second run in the same project would."""
    try:
        return [d.format(root) for d in api.check(root, build_dir=root / "build")[1]]
    except SopressError as exc:
        return [d.format(root) for d in exc.diagnostics]


def test_a_check_that_reads_no_tokens_reports_what_a_full_one_does(make_project):
    root = make_project(edits=delta("Text with <b>bold</b> words and a [link]( ) to nowhere.\n"))
    first = checked(root)
    assert any("error[empty-link]" in line for line in first) and any("warning[raw-html]" in line for line in first)
    assert list((root / "build/.cache/parse").glob("*.walk.pickle"))
    assert checked(root) == first == problems(root)


def test_an_image_removed_after_a_check_is_missing_on_the_next(make_project):
    root = make_project()
    assert checked(root) == []
    (root / "content/vol-one/01-start/images/diagram.png").unlink()
    assert [line for line in checked(root) if "error[" in line] == [
        "content/vol-one/01-start/alpha.md:46:31: error[missing-file]: image 'images/diagram.png' does not exist"]


def test_a_build_after_a_check_renders_chapters_whose_tokens_were_not_read(make_project):
    root = make_project()
    checked(root)
    built = api.build(root, formats=["pdf"])
    text = "".join(page.extract_text() for page in PdfReader(built.pdf[1].output).pages)
    assert "Checklist for the day" in text and "Reboot window" in text

"""`sopress serve`: the preview server against a copy of the basic sample book, on 127.0.0.1 only.

Pages are fetched over loopback as a browser would; headless Chromium, driven over its DevTools
pipe (no network port), loads a chapter and is watched following the author's edits. Every wait
is bounded.
"""

from __future__ import annotations

import base64
import fcntl
import http.client
import io
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import OUTPUT, ROOTS, require
from pdfread import printed_folio
from sopress import serve
from sopress.cli import main

ALPHA = "content/vol-one/01-start/alpha.md"
LOCATED_ERROR = re.compile(r"content/vol-one/01-start/alpha\.md:16:\d+: error\[unknown-target\]: .*no-such-place")
FIRST_SENTENCE = 'Alpha is the "first" procedure'


class Running:
    """A preview server serving in a thread, and what it printed."""

    def __init__(self, root: Path, build_dir: Path | None = None):
        self.root, self.lines = root, []
        self.server = serve.start(root, 0, build_dir, report=self.lines.append)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]

    def get(self, path: str) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path)  # sent as written: http.client does not normalise the path
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    def page(self, path: str) -> str:
        status, _, body = self.get(path)
        assert status == 200, path
        return body.decode()

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.stop()
        self.thread.join(timeout=10)


class Events:
    """The server's event stream, read line by line with a deadline."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.connection.request("GET", serve.EVENTS)
        self.response = self.connection.getresponse()
        assert self.response.getheader("Content-Type") == "text/event-stream"
        self.generation = self.next(None)

    def next(self, seen: str | None, timeout: float = 20) -> str:
        """The first generation announced that differs from `seen`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.response.readline().decode().strip()
            if line.startswith("data: ") and line[6:] != seen:
                return line[6:]
        raise TimeoutError("no reload event")

    def after(self, change) -> tuple[str, float]:
        """Make a change; the new generation and the seconds from the change to its event."""
        started = time.perf_counter()
        change()
        self.generation = self.next(self.generation)
        return self.generation, time.perf_counter() - started

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def preview(make_project):
    running = Running(make_project())
    yield running
    running.stop()


def test_contents_page_lists_every_volume_section_and_chapter_with_its_status(preview):
    page = preview.page("/")
    for words in ("Volume I: Basics", "Starting Out", "Going Further", "Alpha Procedure", "Delta Procedure"):
        assert words in page
    assert 'href="/vol-one/alpha.html"' in page and 'href="/vol-two/delta.html"' in page
    assert 'href="/vol-one/01-start/"' in page and 'href="/vol-one/alpha.print.html"' in page
    assert page.count('class="preview-status status-final"') == 3
    assert page.count('class="preview-status status-draft"') == 1  # beta
    assert f'data-generation="{preview.server.preview.state.generation}"' in page
    assert "new EventSource(\"/_events\")" in page


def test_a_chapter_is_served_with_live_links_across_chapters_and_volumes(preview):
    page = preview.page("/vol-one/alpha.html")
    assert "Alpha Procedure" in page and "Checklist for the day" in page
    assert 'href="/vol-one/beta.html#beta"' in page  # the next chapter
    assert 'href="/vol-one/gamma.html#reboot-window"' in page  # another section, by file link
    assert 'href="/vol-two/delta.html#delta"' in page  # another volume: a live link, not "Vol. II"
    assert 'src="/content/vol-one/01-start/images/diagram.png"' in page
    status, kind, image = preview.get("/content/vol-one/01-start/images/diagram.png")
    assert (status, kind) == (200, "image/png") and image.startswith(b"\x89PNG")
    section = preview.page("/vol-one/01-start/")
    assert "Starting Out" in section and 'href="/vol-one/alpha.html#alpha"' in section


def test_paths_outside_the_site_are_404(preview):
    for path in ("/../book.yaml", "/content/../content/book.yaml", "/content/%2e%2e/%2e%2e/etc/passwd",
                 "/content/%2E%2E/content/book.yaml", "/content/..%2f..%2fetc/passwd", "//etc/passwd", "/etc/passwd",
                 f"/{ROOTS}/basic/content/book.yaml", "/content//etc/passwd", "/content/%2fetc%2fpasswd",
                 "/content/vol-one/..%5c..%5cbook.yaml", "/vol-one/../../etc/passwd", "/vol-one/nope.html",
                 "/vol-two/alpha.html", "/content/vol-one", "/_theme/../../../etc/passwd", "//host/content/book.yaml",
                 "/content/book.yaml%00.png", "http://127.0.0.1/etc/passwd", "/content/./book.yaml"):
        status, _, _ = preview.get(path)
        assert status == 404, path
    (preview.root / "content" / "outside").symlink_to("/etc")
    assert preview.get("/content/outside/passwd")[0] == 404  # a link inside content/ to a folder outside it
    assert preview.get("/content/book.yaml")[0] == 200


def test_it_listens_on_the_loopback_address_only(preview):
    assert preview.server.socket.getsockname()[0] == "127.0.0.1"
    assert preview.server.url.startswith("http://127.0.0.1:")


def test_an_edit_reloads_errors_show_with_their_place_and_a_fix_recovers(preview):
    events = Events(preview.port)
    try:
        events.after(lambda: preview.edit(ALPHA, FIRST_SENTENCE, "Alpha, now edited, is the procedure"))
        assert "Alpha, now edited, is the procedure" in preview.page("/vol-one/alpha.html")
        events.after(lambda: preview.edit(ALPHA, "See [](#beta) next", "See [](#no-such-place) next"))
        for path in ("/", "/vol-one/alpha.html", "/vol-two/delta.html"):
            page = preview.page(path)
            assert "The sources have 1 error" in page and "no-such-place" in page
            assert LOCATED_ERROR.search(page), page  # path:line:col: error[code]: message
        assert any(LOCATED_ERROR.search(line) for line in preview.lines)  # and in the terminal
        assert "the preview shows them until they are fixed" in preview.lines[-1]
        events.after(lambda: preview.edit(ALPHA, "(#no-such-place)", "(#beta)"))
        assert 'href="/vol-one/beta.html#beta"' in preview.page("/vol-one/alpha.html")
        assert "changed: fixed" in preview.lines[-1]
    finally:
        events.close()


def test_manifests_packs_the_house_sheet_and_templates_reload_too(preview):
    events = Events(preview.port)
    try:
        events.after(lambda: preview.edit("content/vol-one/volume.yaml", "title: Basics", "title: Basics Revised"))
        assert "Volume I: Basics Revised" in preview.page("/")
        first_day = "content/packs/first-day.yaml"
        events.after(lambda: preview.edit(first_day, "chapters: [beta, alpha]", "chapters: [beta, nowhere]"))
        assert "content/packs/first-day.yaml:4:" in preview.page("/")
        events.after(lambda: preview.edit(first_day, "chapters: [beta, nowhere]", "chapters: [beta, alpha]"))
        events.after(lambda: (preview.root / "content/house.yaml").write_text("company:\n  name: [unclosed\n",
                                                                              encoding="utf-8"))
        assert "content/house.yaml:" in preview.page("/") and "error[" in preview.page("/")
        events.after(lambda: (preview.root / "content/house.yaml").unlink())
        template = preview.root / "templates/chapter.html"
        events.after(lambda: template.parent.mkdir() or template.write_text(
            "{% extends '!chapter.html' %}", encoding="utf-8"))
        events.after(lambda: template.write_text("<p>A chapter as the project's template has it</p>\n",
                                                 encoding="utf-8"))
        assert "as the project's template has it" in preview.page("/vol-one/alpha.html")
    finally:
        events.close()


def test_a_broken_template_shows_its_own_place(make_project):
    root = make_project(edits={"templates/chapter.html": "<section>\n{{ no_such_value.x }}\n</section>\n"})
    running = Running(root)
    try:
        page = running.page("/vol-one/alpha.html")
        assert "templates/chapter.html:2:" in page and "error[template]" in page
        assert "Alpha Procedure" in running.page("/")  # the contents do not use the broken template
    finally:
        running.stop()


def test_a_busy_port_is_a_usage_error_naming_it(make_project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--root", str(make_project()), "--port", str(port)])
    assert result.exit_code == 2
    assert f"port {port} is in use on 127.0.0.1" in result.output and "--port 0" in result.output


@pytest.mark.slow
def test_ctrl_c_stops_it_cleanly_with_one_line(make_project):
    process = subprocess.Popen([sys.executable, "-m", "sopress", "serve", "--root", str(make_project()), "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([process.stderr], [], [], 60)
        assert ready, "the server did not start"
        started = process.stderr.readline()
        assert started.startswith("Serving Field Guide at http://127.0.0.1:"), started
        port = int(started.split("127.0.0.1:")[1].split("/")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
        connection.close()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as abrupt:  # a tab closed mid-load
            abrupt.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert abrupt.recv(12).startswith(b"HTTP/1.1 200")
            abrupt.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill() if process.poll() is None else None
    assert process.returncode == 0
    assert err == "Stopped.\n" and out == ""


@pytest.mark.slow
def test_the_print_preview_lays_out_one_chapter_with_its_page_numbers_and_follows_edits(make_project, basic_build):
    build_dir, result = basic_build
    pdf = result.pdf[1]
    running = Running(make_project(), build_dir)
    try:
        status, kind, body = running.get("/vol-one/gamma.pdf")
        assert (status, kind) == (200, "application/pdf")
        reader = PdfReader(io.BytesIO(body))
        first = pdf.folio("gamma")
        assert printed_folio(reader, 0) == first  # numbered as in the book, not from 1
        assert printed_folio(reader, len(reader.pages) - 1) == str(int(first) + len(reader.pages) - 1)
        opening = reader.pages[0].extract_text()
        assert "Gamma Procedure" in opening
        # References to other chapters print the pages the book has them on (from the page map).
        assert f"A table, p. {pdf.folio('alpha-table')}" in opening and f"Figure 1.1,\np. {pdf.folio('fig-diagram')}" in opening
        sheet = running.page("/vol-one/gamma.print.html")
        assert f"Numbered from p. {first}" in sheet and 'src="/vol-one/gamma.png?page=1' in sheet
        require("pdftoppm")
        status, kind, image = running.get("/vol-one/gamma.png?page=1")
        assert (status, kind) == (200, "image/png")
        (OUTPUT / "preview-gamma-print-page-1.png").write_bytes(image)
        gamma = running.root / "content/vol-one/02-more/gamma.md"
        events = Events(running.port)
        events.after(lambda: gamma.write_text(gamma.read_text(encoding="utf-8") + "\nA sentence added in the preview.\n",
                                              encoding="utf-8"))
        events.close()
        _, _, body = running.get("/vol-one/gamma.pdf")
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
        assert "A sentence added in the preview." in text
    finally:
        running.stop()


class ChromiumError(AssertionError):
    """An error Chromium answered a command with."""

    def __init__(self, error: dict):
        super().__init__(error)
        # asked while the page reloads (after an edit): the question is asked again of the new page
        self.page_was_reloading = error.get("message") in ("Inspected target navigated or closed",
                                                           "Execution context was destroyed.")


class Chromium:
    """Headless Chromium driven over its DevTools pipe (fds 3 and 4): no debugging port is opened."""

    def __init__(self, profile: Path):
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        # The child must find the pipe at fds 3 and 4: move both ends out of the way first.
        commands_read, replies_write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_read, replies_write))
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 "--remote-debugging-pipe", "--window-size=760,560", "--hide-scrollbars"]

        def pipes_at_3_and_4() -> None:
            os.dup2(commands_read, 3)
            os.dup2(replies_write, 4)

        self.process = subprocess.Popen([require("chromium"), *flags, "about:blank"], preexec_fn=pipes_at_3_and_4,
                                        pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands_read)
        os.close(replies_write)
        self._id, self._buffer = 0, b""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def send(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if getattr(self, "session", None):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._id:
                    if "error" in reply:
                        raise ChromiumError(reply["error"])
                    return reply["result"]
            ready, _, _ = select.select([self._replies], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"Chromium did not answer {method}"
            chunk = os.read(self._replies, 1 << 16)
            assert chunk, "Chromium exited"
            self._buffer += chunk

    def evaluate(self, expression: str):
        return self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> float:
        """Seconds until `expression` is true in the page."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if self.evaluate(expression):
                    return time.monotonic() - started
            except ChromiumError as exc:
                if not exc.page_was_reloading:
                    raise
            time.sleep(0.05)
        raise AssertionError(f"never true in the page: {expression}")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"]))

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._commands)
        os.close(self._replies)


@pytest.mark.slow
def test_chromium_follows_edits_where_the_reader_was_and_shows_errors_in_the_page(preview, tmp_path):
    browser = Chromium(tmp_path / "profile")
    try:
        browser.send("Page.navigate", {"url": f"{preview.server.url}vol-one/alpha.html"})
        browser.wait_for("document.readyState === 'complete' && !!document.querySelector('.chapter-title')")
        browser.screenshot(OUTPUT / "preview-alpha-chapter.png")
        browser.evaluate("window.scrollTo(0, 420); window.scrollY")
        browser.wait_for("window.scrollY === 420")
        # No wait for the page's event stream: a page that connects after a change reloads at once.
        preview.edit(ALPHA, FIRST_SENTENCE, "Alpha, edited in the browser test, is the procedure")
        browser.wait_for("document.body.innerText.includes('edited in the browser test')")
        browser.wait_for("document.readyState === 'complete'")
        assert abs(browser.evaluate("window.scrollY") - 420) <= 2  # the reader stays where they were
        preview.edit(ALPHA, "See [](#beta) next", "See [](#no-such-place) next")
        browser.wait_for("document.body.innerText.includes('error[')")
        text = browser.evaluate("document.body.innerText")
        assert LOCATED_ERROR.search(text), text
        browser.screenshot(OUTPUT / "preview-error.png")
        preview.edit(ALPHA, "(#no-such-place)", "(#beta)")
        browser.wait_for("!!document.querySelector('.chapter-title')")
        assert browser.evaluate("document.querySelector('a.xref[href=\"/vol-one/beta.html#beta\"]') !== null")
        assert "edited in the browser test" in browser.evaluate("document.body.innerText")
    finally:
        browser.close()

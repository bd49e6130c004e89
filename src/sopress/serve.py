"""`sopress serve`: a live preview of the set on 127.0.0.1 that follows the author's edits.

The server keeps one checked state of the sources (load, parse, resolve: `api.prepare`) and
renders pages from it on request (sopress.builders.preview). A watcher thread (watchfiles) checks
the sources again after every change to content/, the project's templates/ or the themes, and
tells the open pages over Server-Sent Events (/_events) that there is a new state; their script
reloads them. While the sources have errors every page shows them, with their places, and the
terminal prints them; the next good state replaces them by itself.

Only generated pages and files inside content/ are served: a path with `..` (plain or encoded), an
absolute path or anything else is a 404.
"""

from __future__ import annotations

import errno
import mimetypes
import sys
import threading
import time
import traceback
import webbrowser
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote

import jinja2
import watchfiles

from sopress import api
from sopress.builders.preview import CONTENT_PREFIX, PreviewBuilder, PrintPreview, error_page, template_error
from sopress.diagnostics import Diagnostic, Location, SopressError
from sopress.pagemap import read_page_maps
from sopress.theme import THEMES
from sopress.write.pool import RefusedResource

HOST = "127.0.0.1"  # never another interface: the preview is for the author at this machine
EVENTS = "/_events"
KEEP_ALIVE = 15.0  # seconds between comments on an idle event stream (proxies and browsers drop silent ones)
HTML = "text/html; charset=utf-8"
PAGE_SUFFIXES = ("print.html", "html", "pdf", "png")  # what /<volume>/<chapter-id>.<suffix> can be

Report = Callable[[str], None]


class PortInUse(OSError):
    """The port asked for is taken on 127.0.0.1."""


@dataclass(frozen=True)
class State:
    """One check of the sources: a context to render from, or the errors that stopped it."""

    generation: str  # changes with every check; the pages carry it, the event stream sends it
    errors: tuple[Diagnostic, ...]
    warnings: tuple[Diagnostic, ...]
    builder: PreviewBuilder | None


@dataclass(frozen=True)
class Response:
    status: HTTPStatus
    content_type: str
    body: bytes


NOT_FOUND = Response(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"Not found\n")


class Preview:
    """The state the server shows, checked again after every change, and the pages made from it."""

    def __init__(self, root: Path, build_dir: Path | None = None, links: str | None = None, report: Report = print):
        self.root, self.build_dir, self.links, self.report = Path(root).resolve(), build_dir, links, report
        self.prints = PrintPreview()
        self.stopping = threading.Event()
        self.watching = threading.Event()  # set once watchfiles has answered: no change is missed after it
        self._changed = threading.Condition()
        self._checking = threading.Lock()  # one check at a time, so a newer state is never replaced by an older one
        self._checks = 0
        self._started = str(time.time_ns() // 1_000_000)
        self._reporting = threading.Lock()
        self._reported: tuple[str, set[str]] = ("", set())  # the errors of this generation already printed
        self.state = State("", (), (), None)  # until the first check

    # -- checking the sources -------------------------------------------------------------------

    def _check(self) -> State:
        self._checks += 1
        generation = f"{self._started}-{self._checks}"
        try:
            ctx, warnings = api.prepare(self.root, build_dir=self.build_dir, links=self.links)
        except SopressError as exc:
            errors = tuple(d for d in exc.diagnostics if d.severity == "error")
            return State(generation, errors or tuple(exc.diagnostics),
                         tuple(d for d in exc.diagnostics if d.severity != "error"), None)
        except Exception as exc:  # a bug must not stop the preview: show it, keep watching
            traceback.print_exc()
            where = Location(self.root / "content")
            return State(generation, (Diagnostic("error", "internal", f"sopress failed: {exc!r}", where),), (), None)
        page_map = read_page_maps(ctx.paths, ctx.resolved.book.volumes, ctx.profile)
        return State(generation, (), tuple(warnings), PreviewBuilder(ctx, page_map, generation))

    def check_sources(self) -> State:
        """Check the sources again and show the result to every page (open pages reload)."""
        with self._checking:
            state = self._check()
            with self._changed:
                self.state = state
                self._changed.notify_all()
        return state

    def refresh(self, changed: list[Path]) -> State:
        started = time.perf_counter()
        was_broken = bool(self.state.errors)
        state = self.check_sources()
        names = ", ".join(self._name(p) for p in changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3
                                                                  else "")
        if state.errors:
            self.report_errors(state, state.errors)
        else:
            again = ": fixed" if was_broken else ""
            self.report(f"{names} changed{again}: preview updated in {time.perf_counter() - started:.2f} s")
        return state

    def report_errors(self, state: State, errors: tuple[Diagnostic, ...]) -> None:
        """Print errors in the terminal, each once per state of the sources (pages ask for them often)."""
        with self._reporting:
            if self._reported[0] != state.generation:
                self._reported = (state.generation, set())
            lines = [d.format(self.root) for d in errors if d.format(self.root) not in self._reported[1]]
            self._reported[1].update(lines)
        for line in lines:
            self.report(line)
        if lines:
            self.report(f"{len(errors)} error(s): the preview shows them until they are fixed")

    def _name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def watched(self) -> list[Path]:
        """content/, the project's templates/ and the themes: everything a page is made from."""
        return [p for p in (self.root / "content", self.root / "templates", THEMES) if p.is_dir()]

    def watch(self) -> None:
        """Check the sources again after each batch of changes, until `stopping` is set (a thread's loop).

        watchfiles reports a batch 30 ms after its last change. Every half second without changes
        it also comes back empty-handed, so that a folder made since (a new templates/) is watched too.
        """
        appeared: list[Path] = []  # folders made since: announced once the watch over them runs
        while not self.stopping.is_set():
            folders = self.watched()
            for changes in watchfiles.watch(*folders, stop_event=self.stopping, debounce=400, step=30,
                                            rust_timeout=500, yield_on_timeout=True, raise_interrupt=False):
                self.watching.set()
                if appeared:
                    self.refresh(appeared)
                    appeared = []
                if changes:
                    self.refresh(sorted({Path(path) for _, path in changes}))
                if self.watched() != folders:
                    appeared = sorted(set(self.watched()) ^ set(folders))
                    break

    def wait(self, seen: str | None, timeout: float) -> str:
        """The generation once it differs from `seen`, or after `timeout` seconds, or when stopping."""
        with self._changed:
            self._changed.wait_for(lambda: self.state.generation != seen or self.stopping.is_set(), timeout)
            return self.state.generation

    def stop(self) -> None:
        self.stopping.set()
        with self._changed:
            self._changed.notify_all()

    # -- pages ----------------------------------------------------------------------------------

    def respond(self, target: str) -> Response:
        """What a GET of `target` (the request's path and query) returns."""
        segments = request_segments(target)
        if segments is None:
            return NOT_FOUND
        if segments[0] == CONTENT_PREFIX and len(segments) > 1:
            return self._file(self.root / "content", segments[1:])
        state = self.state
        if state.builder is None:
            return self._errors(state, state.errors)
        try:
            return self._page(state, state.builder, segments, parse_qs(target.partition("?")[2]))
        except jinja2.TemplateError as exc:
            return self._errors(state, (template_error(exc, self.root / "templates"),))
        except RefusedResource as exc:
            return self._errors(state, (Diagnostic("error", "refused-resource", str(exc),
                                                   Location(self.root / "content")),))

    def _page(self, state: State, builder: PreviewBuilder, segments: list[str], query: dict) -> Response:
        if segments == [""]:
            return _html(builder.contents([d.format(self.root) for d in state.warnings]))
        if len(segments) == 3 and segments[2] == "":
            found = builder.find_section(segments[0], segments[1])
            return _html(builder.section(*found)) if found else NOT_FOUND
        if len(segments) != 2:
            return NOT_FOUND
        suffix = next((s for s in PAGE_SUFFIXES if segments[1].endswith(f".{s}")), None)
        found = builder.find_chapter(segments[0], segments[1][: -len(suffix) - 1]) if suffix else None
        if found is None:
            return NOT_FOUND
        volume, chapter = found
        if suffix == "html":
            return _html(builder.chapter(volume, chapter))
        key, laid_out = self.prints.lay_out(builder, volume, chapter)
        if suffix == "pdf":
            return Response(HTTPStatus.OK, "application/pdf", laid_out.pdf)
        if suffix == "print.html":
            return _html(builder.print_pages(volume, chapter, laid_out))
        page = query.get("page", ["1"])[0]
        if not page.isdigit() or not 1 <= int(page) <= laid_out.pages:
            return NOT_FOUND
        image = self.prints.image(key, laid_out, int(page))
        if image is None:
            return Response(HTTPStatus.NOT_IMPLEMENTED, "text/plain; charset=utf-8",
                            b"Page images need poppler's pdftoppm (Debian: poppler-utils); the PDF is served.\n")
        return Response(HTTPStatus.OK, "image/png", image)

    def _errors(self, state: State, errors: tuple[Diagnostic, ...]) -> Response:
        self.report_errors(state, errors)
        lines = [d.format(self.root) for d in errors]
        return _html(error_page(lines, [d.format(self.root) for d in state.warnings], state.generation))

    @staticmethod
    def _file(folder: Path, segments: list[str]) -> Response:
        """A file inside `folder`, never outside it (symbolic links are followed, then checked)."""
        folder = folder.resolve()
        path = folder.joinpath(*segments).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            return NOT_FOUND
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Response(HTTPStatus.OK, kind, path.read_bytes())


def request_segments(target: str) -> list[str] | None:
    """The decoded segments of a request's path; None for one that could step out of the site.

    `..` and `.` segments (also percent-encoded), empty segments (`//etc/passwd`), backslashes and
    NUL bytes are refused before any path is built.
    """
    path = unquote(target.partition("?")[0].partition("#")[0])
    if not path.startswith("/") or "\\" in path or "\0" in path:
        return None
    segments = path[1:].split("/")
    if any(s in (".", "..") for s in segments) or "" in segments[:-1]:
        return None
    return segments


def _html(page: str) -> Response:
    return Response(HTTPStatus.OK, HTML, page.encode())


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path.partition("?")[0] == EVENTS:
            self._events()
            return
        try:
            response = self.server.preview.respond(self.path)
        except Exception:  # a bug in one page must not end the server
            traceback.print_exc()
            response = Response(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                                b"sopress failed on this page; the terminal shows why\n")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(response.body)

    def _events(self) -> None:
        """The generation now and after every check of the sources, until the client goes or the server stops."""
        preview = self.server.preview
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sent = None
        try:
            while not preview.stopping.is_set():
                generation = preview.wait(sent, KEEP_ALIVE)
                self.wfile.write(f"retry: 500\ndata: {generation}\n\n".encode() if generation != sent
                                 else b": waiting\n\n")
                self.wfile.flush()
                sent = generation
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Requests are not logged: the terminal is for the sources' diagnostics."""


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not hold up the stop

    def __init__(self, preview: Preview, port: int):
        try:
            super().__init__((HOST, port), PreviewHandler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(exc.errno, f"port {port} is in use on {HOST}") from exc
            raise
        self.preview = preview
        self.watcher = threading.Thread(target=preview.watch, name="sopress-watch", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def start_watching(self) -> None:
        self.watcher.start()

    def handle_error(self, request, client_address) -> None:
        """A browser that closes a connection (a reload, a closed tab) is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def stop(self) -> None:
        """Stop watching and close every connection (the event streams end with the preview)."""
        self.preview.stop()
        self.server_close()
        if self.watcher.is_alive():
            self.watcher.join(timeout=5)


def start(root: Path, port: int = 8000, build_dir: Path | None = None, links: str | None = None,
          report: Report = print) -> PreviewServer:
    """A server bound to 127.0.0.1:`port` (0: any free port) with the sources checked once and watched."""
    preview = Preview(root, build_dir, links, report)
    server = PreviewServer(preview, port)  # first, so that a busy port is known before the sources are read
    server.start_watching()
    state = preview.check_sources()
    if state.errors:
        preview.report_errors(state, state.errors)
    preview.watching.wait(timeout=10)
    return server


def serve(root: Path, port: int = 8000, build_dir: Path | None = None, links: str | None = None,
          open_browser: bool = False, report: Report = print) -> None:
    """Serve until Ctrl-C."""
    server = start(root, port, build_dir, links, report)
    builder = server.preview.state.builder
    title = builder.ctx.resolved.book.config.title if builder else "the preview"
    report(f"Serving {title} at {server.url} (Ctrl-C to stop)")
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    report("Stopped.")

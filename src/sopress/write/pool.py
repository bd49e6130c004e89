"""The layout workers: a process pool started before the sources are read, so that a worker
imports WeasyPrint (most of a small build's fixed cost) while the parent checks and renders.

The `sopress` command starts the first worker even before it imports the rest of sopress
(`head_start`, from sopress.launch): the CLI's imports and the reading of the sources then run
beside the worker's import of WeasyPrint, not before it. The parent never imports WeasyPrint:
the workers' entry points here import the writer in the worker. Workers die with the build that
started them, however it ends. This module imports nothing of sopress, so that the head start
costs the command nothing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import os
import signal
import threading
import time
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from sopress.write.jobs import HandoutJob, HandoutResult, PartJob, PartResult


class RefusedResource(BaseException):
    """A resource outside the project, the theme and the bundled fonts: never fetched.

    A BaseException, like WeasyPrint's fatal fetching errors: nothing on the way may swallow it.
    """


class LayoutPool(concurrent.futures.Executor):
    """Layout processes, each its own single-process executor, so that a job can be sent back to
    the worker that holds a layout (a part kept until its page numbers are known: WeasyPrint's
    laid-out documents cannot be pickled). Any other job goes to the least busy worker."""

    def __init__(self, workers: int):
        self._workers: list[concurrent.futures.ProcessPoolExecutor | None] = [None] * max(1, workers)
        self._busy = [0] * len(self._workers)
        self._lock = threading.Lock()
        self._executor(0).submit(os.getpid)  # the first worker starts importing WeasyPrint now

    def submit(self, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        with self._lock:
            worker = min(range(len(self._workers)), key=lambda index: (self._busy[index], index))
        return self.submit_to(worker, fn, *args, **kwargs)

    def submit_to(self, worker: int, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        """Run `fn` in worker number `worker`; the future's `worker` says which it was."""
        with self._lock:
            executor = self._executor(worker)
            self._busy[worker] += 1
        future = executor.submit(fn, *args, **kwargs)
        future.worker = worker  # type: ignore[attr-defined]
        future.add_done_callback(lambda _: self._done(worker))
        return future

    def _executor(self, worker: int) -> concurrent.futures.ProcessPoolExecutor:
        if self._workers[worker] is None:
            head_started = _take_head_start() if worker == 0 else None
            self._workers[worker] = head_started or _new_worker()
        return self._workers[worker]

    def _done(self, worker: int) -> None:
        with self._lock:
            self._busy[worker] -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for executor in self._workers:
            if executor is not None:
                executor.shutdown(wait=wait, cancel_futures=cancel_futures)


def _new_worker() -> concurrent.futures.ProcessPoolExecutor:
    return concurrent.futures.ProcessPoolExecutor(max_workers=1, initializer=_start_worker)


_head_started: concurrent.futures.ProcessPoolExecutor | None = None  # until the first pool takes it


def head_start() -> None:
    """Start the first layout worker now: the first LayoutPool of this process takes it."""
    global _head_started
    _head_started = _new_worker()
    _head_started.submit(os.getpid)  # a ProcessPoolExecutor starts its process with the first job


def _take_head_start() -> concurrent.futures.ProcessPoolExecutor | None:
    global _head_started
    executor, _head_started = _head_started, None
    return executor


def drop_head_start() -> None:
    """End a head-started worker that no build took (nothing to lay out, an error in the sources),
    at once: left to exit normally, it would hold the command until its import is done."""
    executor = _take_head_start()
    if executor is None:
        return
    # The executor's own processes (a private attribute, there since Python 3.2): killed, not waited for.
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.kill()
    executor.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def layout_pool(workers: int) -> Iterator[LayoutPool]:
    """A pool of up to `workers` layout processes; the first is already importing WeasyPrint when this
    returns (the others start with the first layouts: on two cores, a second import would only slow
    the reading down)."""
    pool = LayoutPool(workers)
    try:
        yield pool
    except BaseException:  # a failed or interrupted build does not wait for layouts it will not use
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def lay_out_part(job: PartJob) -> PartResult:
    from sopress.write import pdf

    return pdf.lay_out_part(job)


def draw_part(job: PartJob, numbers: dict[str, str] | None) -> PartResult | None:
    from sopress.write import pdf

    return pdf.draw_part(job, numbers)


def write_handout(job: HandoutJob) -> HandoutResult:
    from sopress.write import pdf

    return pdf.write_handout(job)


def _start_worker() -> None:
    # Ctrl-C reaches the whole foreground job: stopping the build is the parent's to do, not a
    # worker's (an idle one would print a traceback).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    from sopress.write.libraries import libraries_from_ld_cache

    with libraries_from_ld_cache():
        from sopress.write import pdf  # the import is the point: WeasyPrint loads while the parent reads

    pdf.warm_up()
    # A layout allocates millions of objects that live as long as their document (and a worker keeps
    # the documents of parts waiting for page numbers). Collected at Python's default, every 700
    # allocations, they cost about a sixth of a worker's time; every 10,000: Volumes I and II laid
    # out serially took 54-58 s of worker time instead of 63-68 s, for 1% more memory.
    gc.set_threshold(10_000, 10, 10)


def die_with_parent() -> None:
    """A layout worker ends when the build that started it ends, however it ends.

    Killed with SIGKILL (a CI timeout, the out-of-memory killer), a parent cannot stop its workers,
    so each asks the kernel for SIGKILL when its parent goes (Linux), and watches its parent too.
    """
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

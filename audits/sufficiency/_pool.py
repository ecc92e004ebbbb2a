"""Anchor fits on every core: this process and helper processes pull from one queue.

The fits of a learning curve are small: scikit-learn spends most of each in Python
(per split, per tree, per mini-batch), so OpenMP and BLAS threads barely speed them
up, while one full-size fit does use every core. :class:`FitPool` runs fits side by
side instead, one per core, each single-threaded, so the fit seconds it measures are
those of one core, as before.

A helper process is started in the background when the pool opens, forked from a
``forkserver`` that has the model code imported (so it inherits neither this process's
threads and their locks nor an OpenMP runtime that forked children hang in), and takes
work only once it is ready: until then, and whenever it is busy, this process fits the
next task itself, so a pool is never slower than fitting one at a time by more than
starting the helper on another core. The function to map (``measure_anchor`` with
the frame bound in) is pickled once per helper, not once per task. If a helper cannot
start or dies, its tasks run here; if this process dies, its helpers end too.

Helpers (on POSIX, forked from the server) do not run the caller's main script. A
child of the ``forkserver`` and ``spawn`` methods runs it again (as ``__mp_main__``)
unless it is guarded by ``if __name__ == "__main__"``: a plain script that called
``assess`` ran twice (its prints and files doubled, and a warning of leaked semaphores
at exit), and one that opened a :class:`FitPool` itself printed the helper's
traceback. The helpers only call functions of importable modules, so, like joblib's
loky workers, they leave the main module out (a call that fails there, say a model
named ``"__main__:factory"``, runs again in this process).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context, spawn
from multiprocessing.context import BaseContext, ForkServerContext, ForkServerProcess
from typing import Any

from audits.errors import ConfigError

__all__ = ["FitPool", "available_cores", "check_jobs"]

_POLL_SECONDS = 0.01
"""How often an idle helper thread checks whether its process is ready."""

_PARENT_POLL_SECONDS = 0.5
"""How often a helper checks that its parent is alive, where the OS has no pidfd."""

_START_SECONDS = 30.0
"""How long closing a pool waits at most for a helper that is still starting."""

_PRELOAD = ("sklearn.ensemble", "sklearn.neural_network", "audits.models", "audits.sufficiency")
"""Modules the helpers' server imports once, so that helpers start in milliseconds."""

_cache: dict[int, Callable[[Any], Any]] = {}
"""In a helper process: the function last sent, by token."""


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_jobs(n_jobs: object) -> int:
    """``n_jobs`` as a number of processes: None means every available core.

    Raises
    ------
    ConfigError
        Not None and not an integer >= 1.
    """
    if n_jobs is None:
        return available_cores()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ConfigError(f"`n_jobs` must be an integer >= 1; got {n_jobs!r}", reason="n_jobs")
    return n_jobs


def _warm_up(parent: int) -> int:
    """In a new helper: import the model code (there already when forked from the
    server), keep native libraries on one thread, and end with process ``parent``."""
    from threadpoolctl import threadpool_limits

    for name in _PRELOAD:  # scikit-learn's OpenMP runtime is loaded before the limit
        importlib.import_module(name)
    threadpool_limits(1)
    threading.Thread(target=_exit_after, args=(parent,), daemon=True).start()
    return os.getpid()


def _exit_after(parent: int) -> None:
    """In a helper: end this process once ``parent`` has ended.

    A pool's process that is killed (``kill -9``, a cancelled run, the OOM killer)
    cannot close its helpers, and they would wait for work forever, each holding a copy
    of the frame: a helper holds both ends of its own queue, so it never sees the
    parent's end close.
    """
    try:
        handle = os.pidfd_open(parent)
    except (AttributeError, OSError):  # no pidfd here, or the parent has already ended
        while _alive(parent):
            time.sleep(_PARENT_POLL_SECONDS)
    else:
        select.select([handle], [], [])  # readable once the parent has ended
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _call(token: int, blob: bytes | None, item: Any) -> Any:
    """In a helper: apply the function ``token`` (unpickled from ``blob`` when sent) to ``item``."""
    if blob is not None:
        _cache.clear()
        _cache[token] = pickle.loads(blob)
    return _cache[token](item)


_launching = threading.Lock()
"""Held while a helper starts (see :func:`_main_left_out`)."""


@contextlib.contextmanager
def _main_left_out() -> Iterator[None]:
    """While a helper starts: what it is told to prepare leaves out the main module."""
    with _launching:
        prepare = spawn.get_preparation_data

        def without_main(name: str) -> dict[str, Any]:
            data = prepare(name)
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            return data

        spawn.get_preparation_data = without_main
        try:
            yield
        finally:
            spawn.get_preparation_data = prepare


class _HelperProcess(ForkServerProcess):
    """A process forked from the server that does not run the caller's main script."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
        with _main_left_out():
            return ForkServerProcess._Popen(process_obj)


class _HelperContext(ForkServerContext):
    Process = _HelperProcess


def _context() -> BaseContext:
    """Start method of the helpers: forked from a clean server process that has the model
    code imported (about 2 s here, once per process), else spawned (that long each time).
    """
    if "forkserver" not in get_all_start_methods():  # pragma: no cover - not POSIX
        return get_context("spawn")
    context = _HelperContext()
    context.set_forkserver_preload(list(_PRELOAD))
    return context


class _Helper:
    """One helper process, started in the background, and what it has been sent."""

    def __init__(self) -> None:
        self.ready: Future[int] = Future()
        self.executor: ProcessPoolExecutor | None = None
        self.token: int | None = None
        self.broken = False
        self.busy = False
        self._closed = threading.Event()
        threading.Thread(target=self._start, daemon=True).start()

    def _start(self) -> None:
        """Start the process (the first one in a process also starts the server)."""
        try:
            executor = ProcessPoolExecutor(max_workers=1, mp_context=_context())
            pid = executor.submit(_warm_up, os.getpid()).result()
        except BaseException as exc:  # noqa: BLE001 - any failure means: fit here
            self.ready.set_exception(exc)
            return
        self.executor = executor
        if self._closed.is_set():
            executor.shutdown(wait=False, cancel_futures=True)
        self.ready.set_result(pid)

    def run(self, token: int, blob: bytes, item: Any) -> Any:
        """``function(item)`` in the helper, sending the function when it is new there."""
        assert self.executor is not None  # only called once ready
        sent = None if self.token == token else blob
        self.busy = True
        try:
            result = self.executor.submit(_call, token, sent, item).result()
        finally:
            self.busy = False
        self.token = token
        return result

    def close(self) -> None:
        """Stop the process once it has started, without waiting for its work.

        A process still starting is waited for (at most :data:`_START_SECONDS`): one
        that is still unpickling its queues when this process ends, or drops them,
        fails to find their semaphores and prints a traceback on the shared stderr.
        A call still running there (this process failed or was interrupted meanwhile)
        is killed with the process rather than left to finish.
        """
        self._closed.set()
        with contextlib.suppress(BaseException):  # a failed start has nothing to stop
            self.ready.result(timeout=_START_SECONDS)
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            if self.busy:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.ready.result(), signal.SIGTERM)


class FitPool:
    """A ``map`` that spreads its calls over this process and ``n_jobs - 1`` helpers.

    Use as a context manager; :meth:`map` may be called many times while it is open
    (once per learning curve, or once per size under a time budget) and returns results
    in the order of the items.
    While it is open, native thread pools of this process are limited to one thread,
    like the helpers'. A call that fails in a helper (or whose helper died) is run again
    here, so the results and errors are those of this process, also for code that only
    this process sees (a model patched at run time); that helper takes no more work in
    the same :meth:`map` call.

    Parameters
    ----------
    n_jobs : int
        Processes in all, this one included; 1 runs everything here.
    """

    def __init__(self, n_jobs: int) -> None:
        self.n_jobs = check_jobs(n_jobs)
        self._helpers: list[_Helper] = []
        self._stack = contextlib.ExitStack()
        self._last: tuple[Callable[[Any], Any], int, bytes | None] | None = None

    def __enter__(self) -> FitPool:
        if self.n_jobs > 1:
            from threadpoolctl import threadpool_limits

            self._stack.enter_context(threadpool_limits(1))
            self._helpers = [_Helper() for _ in range(self.n_jobs - 1)]
        return self

    def __exit__(self, *exc: object) -> None:
        for helper in self._helpers:
            helper.close()
        self._helpers.clear()
        self._stack.close()

    def _pickled(self, function: Callable[[Any], Any]) -> tuple[int, bytes | None]:
        """A token for ``function`` and its pickle (None when it cannot be pickled).

        The last function is kept with its pickle, so mapping it again pickles nothing
        and its token is not reused by another function.
        """
        if self._last is None or self._last[0] is not function:
            token = 1 if self._last is None else self._last[1] + 1
            try:
                blob: bytes | None = pickle.dumps(function, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, AttributeError, TypeError):
                blob = None
            self._last = (function, token, blob)
        return self._last[1], self._last[2]

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``[function(item) for item in items]``, computed side by side.

        Raises
        ------
        Exception
            The first exception a call raised in this process (the other calls stop
            taking work).
        """
        todo = list(items)
        results: list[Any] = [None] * len(todo)
        token, blob = self._pickled(function) if self._helpers and len(todo) > 1 else (0, None)
        if blob is None:
            return [function(item) for item in todo]
        lock = threading.Lock()
        queue: Iterator[int] = iter(range(len(todo)))
        retry: list[int] = []  # failed in a helper: run again here
        finished = threading.Event()  # this process has taken its last call
        failed = threading.Event()  # a call here raised: nobody takes more

        def take() -> int | None:
            with lock:
                return None if failed.is_set() else next(queue, None)

        def remote(helper: _Helper) -> None:
            while not helper.ready.done():
                if finished.is_set():
                    return
                time.sleep(_POLL_SECONDS)
            if helper.ready.exception() is not None:
                helper.broken = True
                return
            while (i := take()) is not None:
                try:
                    results[i] = helper.run(token, blob, todo[i])
                except BaseException as exc:  # noqa: BLE001 - retried here, see the class
                    helper.broken = isinstance(exc, BrokenProcessPool)
                    retry.append(i)
                    return

        threads = [
            threading.Thread(target=remote, args=(h,), daemon=True)
            for h in self._helpers
            if not h.broken
        ]
        for thread in threads:
            thread.start()
        try:
            while (i := take()) is not None:
                results[i] = function(todo[i])
        except BaseException:
            failed.set()
            finished.set()
            raise  # without waiting for a helper's running call: its result is not needed
        finished.set()
        for thread in threads:
            thread.join()
        for i in retry:
            results[i] = function(todo[i])
        return results

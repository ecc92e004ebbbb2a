"""Stopping at once on SIGTERM or Ctrl-C while a flow (or ``audits forecast``) runs.

In the main thread, Prefect's engine turns SIGTERM into a crash that it reports to the
server, and waits for the running tasks first. When the temporary server has already
gone (``timeout`` and a terminal signal the whole process group), that took over two
minutes here and printed dozens of connection errors. So the command runs the flow in a
worker thread and keeps the main thread for the signals: on SIGTERM or Ctrl-C it deletes
the temporary files of the writes under way, stops the fit helpers and the temporary
Prefect server, prints one line and exits (143 or 130) without waiting for the flow.
Reports are only ever renamed into place once complete, so none is left half-written.

The main thread also watches the temporary server. When it dies under a running flow
(killed, out of memory), Prefect's events worker retried each of the run's events for
about 7 s in turn: the flow wrote its report, then the command hung for minutes printing
connection errors before failing. Now the command ends the same way within a second,
with one line and the internal-error code (3).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn, TypeVar

from audits import _atomic

__all__ = ["EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_TERMINATED", "run_stoppable"]

EXIT_INTERNAL = 3
EXIT_TERMINATED = 128 + signal.SIGTERM
EXIT_INTERRUPTED = 128 + signal.SIGINT

T = TypeVar("T")

_SERVER_POLL_SECONDS = 0.1
"""How often the main thread checks that the temporary Prefect server is alive (a
``waitpid``, so checking often costs nothing): the run ends within this long of its death."""


class _Terminated(BaseException):
    """Raised in the main thread by the SIGTERM handler."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def run_stoppable(call: Callable[[], T]) -> T:
    """Return ``call()``, run in a worker thread that SIGTERM and Ctrl-C end at once.

    Off the main thread (no signals reach it), ``call`` simply runs here.

    Raises
    ------
    BaseException
        Whatever ``call`` raised.
    """
    if threading.current_thread() is not threading.main_thread():
        return call()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="audits-flow", daemon=True)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(_SERVER_POLL_SECONDS)
            if (died := _dead_server_code()) is not None:
                _exit_now(
                    "error: the temporary Prefect server stopped during the run "
                    f"(exit code {died}); the run was abandoned",
                    EXIT_INTERNAL,
                )
    except _Terminated:
        _exit_now("terminated", EXIT_TERMINATED)
    except KeyboardInterrupt:
        _exit_now("interrupted", EXIT_INTERRUPTED)
    finally:
        if previous is not None:  # None: a handler set outside Python, which stays replaced
            signal.signal(signal.SIGTERM, previous)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _temporary_server() -> Any | None:
    """The temporary Prefect server the client starts, if the module was loaded at all."""
    if "prefect.server.api.server" not in sys.modules:
        return None
    from prefect.server.api.server import SubprocessASGIServer

    return SubprocessASGIServer()  # the instance the client started, if any


def _dead_server_code() -> int | None:
    """Exit code of a temporary Prefect server that this process started and that died."""
    server = _temporary_server()
    if server is None or not server.running or server.server_process is None:
        return None
    return server.server_process.poll()


def _exit_now(what: str, code: int) -> NoReturn:
    """Clean up what the flow thread leaves behind and end the process.

    A second signal (a double Ctrl-C) is ignored from here on: it used to interrupt
    this cleanup, and the process then waited minutes on Prefect's services.
    """
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)
    print(f"audits: {what}", file=sys.stderr, flush=True)
    _atomic.remove_pending()
    for child in multiprocessing.active_children():
        child.kill()
    if (server := _temporary_server()) is not None and server.server_process is not None:
        # SIGKILL, not Prefect's stop(): on SIGTERM the server logs a traceback for each
        # database request it cancels, breaking the one-line promise. SQLite survives it.
        server.server_process.kill()
        server.server_process.wait()
    sys.stdout.flush()
    os._exit(code)

"""SIGTERM, Ctrl-C and a dead temporary server end ``audits run`` at once, leaving no process
and no half-written file.

Seen before the fix: ``timeout -s TERM 45 audits run ...`` ended only after 196 s, with 32
"EventsWorker failed to process item" errors and an internal error (exit 3), because
Prefect's engine reported the crash to a temporary server that the signal had already
stopped, and waited for the running fits first.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FORECAST_STARTS = "sufficiency forecast ..."
_PROGRESS = re.compile(r"audits: [a-z -]+ (\.\.\.|done \(\d+\.\d s\))")
_MAIN = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"


def _dataset(path, n=1500):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6))
    label = np.where(x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.7, size=n) > 0, "yes", "no")
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)]).assign(label=label)
    frame.to_parquet(path)
    return path


def _read(stream, lines):
    for line in stream:
        lines.put(line.rstrip("\n"))


def _drain(lines):
    drained = []
    while not lines.empty():
        drained.append(lines.get_nowait())
    return drained


def _group_is_empty(pgid, *, within):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _descendants(pid):
    """Process ids below ``pid`` (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


@contextlib.contextmanager
def _run_until_the_forecast(tmp_path, env):
    """``audits run`` in its own process group, yielded once its fits are under way,
    with a queue of its stderr lines; killed with its group on the way out."""
    out = tmp_path / "out"
    command = [sys.executable, "-c", _MAIN, "run", str(_dataset(tmp_path / "d.parquet"))]
    child = subprocess.Popen(
        [*command, "--target", "label", "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as under a terminal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read, args=(child.stderr, lines), daemon=True)
    reader.start()
    try:
        seen = []
        while FORECAST_STARTS not in (seen or [""])[-1]:
            seen.append(lines.get(timeout=120))
        time.sleep(1.0)  # the fits are under way
        yield child, lines
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        reader.join(timeout=10)


def _check_ended(child, lines, out, *, sent, code, said):
    """``child`` exits ``code`` within 10 s of ``sent``, saying ``said`` after at most the
    progress lines of its stages, leaving no process of its group and no report, results
    or temporary file in ``out``.

    The forecast of the small dataset takes about 2 s, so on a busy machine it can end
    (``sufficiency forecast done (1.6 s)``, seen here) before the signal or the dead
    server is noticed; anything else, a traceback or a client error, fails the test.
    """
    returned = child.wait(timeout=30)
    took = time.monotonic() - sent
    assert _group_is_empty(child.pid, within=5.0)  # its server and fit helpers went with it
    assert returned == code
    assert took < 10.0
    *before, last = _drain(lines)
    assert last == said, [*before, last]
    assert all(_PROGRESS.fullmatch(line) for line in before), before
    written = sorted(p.name for p in out.rglob("*")) if out.exists() else []
    assert not [name for name in written if name.endswith((".html", ".json", ".tmp"))], written


@pytest.mark.parametrize(
    ("signum", "to_group", "own_server", "times", "code", "said"),
    [
        # `kill PID`: only the command gets the signal; its temporary server must be stopped.
        (signal.SIGTERM, False, True, 1, 143, "audits: terminated"),
        # `timeout` and a terminal signal the whole process group.
        (signal.SIGTERM, True, False, 1, 143, "audits: terminated"),
        (signal.SIGINT, True, False, 1, 130, "audits: interrupted"),
        # A double Ctrl-C: seen before, the second one interrupted the cleanup of the
        # first, and the run printed "interrupted" twice and ended 136 s later.
        (signal.SIGINT, True, True, 2, 130, "audits: interrupted"),
    ],
    ids=["term-pid-temporary-server", "term-group", "ctrl-c", "double-ctrl-c"],
)
def test_a_signal_during_the_forecast_ends_the_run_at_once(
    prefect_harness, tmp_path, signum, to_group, own_server, times, code, said
):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home")}
    if not own_server:
        env["PREFECT_API_URL"] = prefect_harness
    with _run_until_the_forecast(tmp_path, env) as (child, lines):
        sent = time.monotonic()
        for _ in range(times):
            if to_group:
                os.killpg(child.pid, signum)
            else:
                child.send_signal(signum)
            time.sleep(0.02)
        _check_ended(child, lines, tmp_path / "out", sent=sent, code=code, said=said)


def test_a_temporary_server_that_dies_ends_the_run_at_once(tmp_path):
    """Seen before: the flow went on, wrote its report, then hung for minutes on
    "EventsWorker failed to process item" errors (one per event, 7 s each)."""
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    with _run_until_the_forecast(tmp_path, env) as (child, lines):
        (server,) = [pid for pid in _descendants(child.pid) if b"uvicorn" in _cmdline(pid)]
        sent = time.monotonic()
        os.kill(server, signal.SIGKILL)
        _check_ended(
            child,
            lines,
            tmp_path / "out",
            sent=sent,
            code=3,
            said="audits: error: the temporary Prefect server stopped during the run "
            "(exit code -9); the run was abandoned",
        )


def _cmdline(pid):
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def test_sigterm_ends_a_forecast_with_its_fit_processes(tmp_path):
    """``audits forecast`` fits its anchors in helper processes (``--jobs 2``); SIGTERM
    ends it with one message and exit 143, its helpers with it, and prints no result."""
    data = _dataset(tmp_path / "d.parquet", n=20_000)
    command = [sys.executable, "-c", _MAIN, "forecast", str(data)]
    child = subprocess.Popen(
        [*command, "--target", "label", "--jobs", "2", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_descendants(child.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)  # resource tracker, fork server and a fit helper have started
        time.sleep(1.0)  # the fits are under way
        assert child.poll() is None, child.stderr.read()
        sent = time.monotonic()
        child.send_signal(signal.SIGTERM)
        stdout, stderr = child.communicate(timeout=30)
        took = time.monotonic() - sent
        assert _group_is_empty(child.pid, within=5.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 143
    assert took < 10.0
    assert stdout == ""
    assert stderr.splitlines()[0] == "audits: terminated", stderr
    assert "Traceback" not in stderr

"""SIGTERM and Ctrl-C end ``audits run`` at once, leaving no process and no half-written file.

Seen before the fix: ``timeout -s TERM 45 audits run ...`` ended only after 196 s, with 32
"EventsWorker failed to process item" errors and an internal error (exit 3), because
Prefect's engine reported the crash to a temporary server that the signal had already
stopped, and waited for the running fits first.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

FORECAST_STARTS = "sufficiency forecast ..."
_MAIN = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"


def _dataset(path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1500, 6))
    label = np.where(x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.7, size=1500) > 0, "yes", "no")
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


@pytest.mark.parametrize(
    ("signum", "to_group", "own_server", "code", "said"),
    [
        # `kill PID`: only the command gets the signal; its temporary server must be stopped.
        (signal.SIGTERM, False, True, 143, "audits: terminated"),
        # `timeout` and a terminal signal the whole process group.
        (signal.SIGTERM, True, False, 143, "audits: terminated"),
        (signal.SIGINT, True, False, 130, "audits: interrupted"),
    ],
    ids=["term-pid-temporary-server", "term-group", "ctrl-c"],
)
def test_a_signal_during_the_forecast_ends_the_run_at_once(
    prefect_harness, tmp_path, signum, to_group, own_server, code, said
):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home")}
    if not own_server:
        env["PREFECT_API_URL"] = prefect_harness
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
        sent = time.monotonic()
        if to_group:
            os.killpg(child.pid, signum)
        else:
            child.send_signal(signum)
        returned = child.wait(timeout=30)
        took = time.monotonic() - sent
        # Its temporary Prefect server and fit helpers went with it.
        assert _group_is_empty(child.pid, within=5.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        reader.join(timeout=10)
    assert returned == code
    assert took < 10.0
    rest = _drain(lines)
    assert rest == [said], rest
    written = sorted(p.name for p in out.rglob("*")) if out.exists() else []
    assert not [name for name in written if name.endswith((".html", ".json", ".tmp"))], written

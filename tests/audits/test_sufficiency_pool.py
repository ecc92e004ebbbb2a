"""FitPool: fits side by side in this process and a helper process, results in order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from functools import partial

import pytest

from audits.errors import ConfigError, DataError
from audits.sufficiency import FitPool
from audits.sufficiency import _pool as pool_module


def slow_pid(seconds: float, item: int) -> tuple[int, int]:
    """``item`` and the process that handled it, after ``seconds``."""
    time.sleep(seconds)
    return item, os.getpid()


def fail_on(bad: int, item: int) -> int:
    if item == bad:
        raise DataError(f"item {item} is bad")
    return item


def ready(pool: FitPool) -> FitPool:
    """``pool`` once its helper process has started (the first start imports the models)."""
    for helper in pool._helpers:
        helper.ready.result(timeout=120)
    return pool


def test_calls_are_spread_over_both_processes_and_come_back_in_order():
    with FitPool(2) as pool:
        out = ready(pool).map(partial(slow_pid, 0.2), range(8))
        again = pool.map(partial(slow_pid, 0.0), range(3))  # a second function, same helper
    assert [item for item, _ in out] == list(range(8))
    pids = {pid for _, pid in out}
    assert os.getpid() in pids and len(pids) == 2
    assert [item for item, _ in again] == [0, 1, 2]


def test_side_by_side_takes_about_half_the_time():
    with FitPool(2) as pool:
        ready(pool)
        started = time.perf_counter()
        pool.map(partial(slow_pid, 0.25), range(8))
        elapsed = time.perf_counter() - started
    assert elapsed < 0.75 * 8 * 0.25  # one at a time: 2.0 s; side by side: about 1.0 s


@pytest.mark.parametrize("bad", [0, 5])
def test_an_error_in_either_process_reaches_the_caller(bad):
    with FitPool(2) as pool, pytest.raises(DataError, match=f"item {bad} is bad"):
        ready(pool).map(partial(fail_on, bad), range(6))


def fail_here(parent: int, item: int) -> int:
    """Fails soon in process ``parent``; elsewhere takes 5 s."""
    if os.getpid() == parent:
        time.sleep(0.2)
        raise DataError("failed here")
    time.sleep(5.0)
    return item


def test_an_error_here_does_not_wait_for_the_helper_s_running_call():
    with FitPool(2) as pool:
        ready(pool)
        started = time.perf_counter()
        with pytest.raises(DataError, match="failed here"):
            pool.map(partial(fail_here, os.getpid()), range(4))
        assert time.perf_counter() - started < 2.0
        (helper,) = pool._helpers
        assert helper.busy
    assert gone(helper.ready.result(), within=3.0)  # the pool's exit killed its 5 s call


def gone(pid: int, *, within: float) -> bool:
    """Whether process ``pid`` ends (or is a zombie: ended, not yet reaped) within ``within`` s."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rpartition(")")[2].split()[0] == "Z":
                    return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.05)
    return False


_ORPHAN = """
import time
from audits.sufficiency import FitPool
with FitPool(2) as pool:
    (helper,) = pool._helpers
    print(helper.ready.result(timeout=120), flush=True)
    time.sleep(60)
"""


def test_helpers_end_when_their_process_is_killed():
    """Killed, the pool's process cannot close its helpers: they notice on their own."""
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True)
    try:
        helper = int(parent.stdout.readline())
        assert not gone(helper, within=0.5)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert gone(helper, within=3.0)
    finally:
        parent.kill()


_SHORT_LIVED = """
import sys, time
from audits.sufficiency import FitPool
with FitPool(2):
    time.sleep(float(sys.argv[1]))
"""


@pytest.mark.parametrize("seconds", [0.6, 0.9, 1.2, 1.5, 1.8])
def test_a_pool_closed_while_its_helper_starts_prints_nothing(seconds):
    """Seen here before the fix: ending 0.8 to 1.7 s after opening printed the helper's
    ``FileNotFoundError`` traceback (its queues' semaphores were gone) on stderr."""
    done = subprocess.run(
        [sys.executable, "-c", _SHORT_LIVED, str(seconds)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stderr == ""


_UNGUARDED = """
import os
from functools import partial
from audits.sufficiency import FitPool
from test_sufficiency_pool import ready, slow_pid
print("script body", flush=True)
with FitPool(2) as pool:
    out = ready(pool).map(partial(slow_pid, 0.2), range(8))
print(len({pid for _, pid in out}), "processes", flush=True)
"""


def test_helpers_do_not_run_the_callers_unguarded_script(tmp_path):
    """A script without ``if __name__ == "__main__"`` ran twice: the helper ran it again
    (as multiprocessing's children of forkserver and spawn do) before taking work."""
    script = tmp_path / "unguarded.py"
    script.write_text(_UNGUARDED)
    here = os.path.dirname(__file__)  # this module, importable by the script and its helper
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.getcwd()])}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["script body", "2 processes"]
    assert done.stderr == ""


def fail_elsewhere(parent: int, item: int) -> tuple[int, int]:
    """Works only in process ``parent``, like a model patched at run time."""
    time.sleep(0.05)
    if os.getpid() != parent:
        raise RuntimeError("not here")
    return item, os.getpid()


def test_calls_that_fail_in_a_helper_are_run_again_here():
    with FitPool(2) as pool:
        out = ready(pool).map(partial(fail_elsewhere, os.getpid()), range(6))
        assert out == [(i, os.getpid()) for i in range(6)]
        assert not pool._helpers[0].broken  # a failing call does not retire the helper


def test_functions_that_cannot_be_pickled_run_here():
    with FitPool(2) as pool:
        assert ready(pool).map(lambda item: (item, os.getpid()), range(4)) == [
            (i, os.getpid()) for i in range(4)
        ]


def test_a_helper_that_cannot_start_leaves_the_work_here(monkeypatch):
    def no_processes():
        raise OSError("no processes here")

    monkeypatch.setattr(pool_module, "_context", no_processes)
    with FitPool(2) as pool:
        out = pool.map(partial(slow_pid, 0.0), range(5))
    assert out == [(i, os.getpid()) for i in range(5)]


def test_one_job_runs_everything_here_without_a_helper():
    with FitPool(1) as pool:
        assert not pool._helpers
        assert pool.map(partial(slow_pid, 0.0), range(3)) == [(i, os.getpid()) for i in range(3)]


@pytest.mark.parametrize("n_jobs", [0, -1, 1.5, "2", True])
def test_bad_n_jobs_is_a_config_error(n_jobs):
    with pytest.raises(ConfigError, match="`n_jobs` must be an integer >= 1"):
        FitPool(n_jobs)

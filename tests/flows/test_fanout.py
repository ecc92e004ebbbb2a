"""fan_out: model fits as task runs of the flow's task runner, results in item order."""

from __future__ import annotations

import threading
import time

import pytest
from prefect import flow

from flows.fanout import fan_out
from flows.runners import make_task_runner


def _slower_first(item: int) -> tuple[int, int]:
    """``item`` squared, and the thread that computed it; early items finish last."""
    time.sleep(0.05 * (4 - item))
    return item * item, threading.get_ident()


def _fails_on_two(item: int) -> int:
    if item == 2:
        raise ValueError("fit 2 broke")
    return item


@flow(task_runner=make_task_runner("threads", max_workers=4))
def _on_threads(function, items):
    return fan_out("fit-test")(function, items)


@flow(task_runner=make_task_runner())
def _sequential(function, items):
    return fan_out("fit-test")(function, items)


def test_results_come_back_in_item_order_from_parallel_threads():
    started = time.perf_counter()
    results = _on_threads(_slower_first, range(4))
    elapsed = time.perf_counter() - started
    assert [square for square, _ in results] == [0, 1, 4, 9]
    assert len({thread for _, thread in results}) > 1  # they ran side by side
    assert elapsed < 10


def test_default_runner_runs_one_fit_at_a_time():
    results = _sequential(_slower_first, range(4))
    assert [square for square, _ in results] == [0, 1, 4, 9]
    assert len({thread for _, thread in results}) == 1


def test_a_failed_fit_fails_the_map_and_no_items_is_no_tasks():
    with pytest.raises(ValueError, match="fit 2 broke"):
        _on_threads(_fails_on_two, range(4))
    assert _on_threads(_fails_on_two, []) == []

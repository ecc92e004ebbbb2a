"""Model fits as Prefect tasks: the ``map_fn`` that fans an audit's fits out.

The audits take a ``map_fn(function, items)`` for their independent model fits:
the folds of the out-of-fold predictions, the (arm, fold) fits of the resampling
what-if, the folds of adversarial validation and the anchor fits of a learning curve
(all of them, or one size at a time under a time budget). :func:`fan_out` gives them
one whose items each become a task run of the flow's task runner: threads of the
flow's process by default, or Dask workers, so one large dataset spreads over a
cluster and every fit shows in the Prefect UI with its timing and its failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from prefect import task, unmapped
from prefect.cache_policies import NONE

__all__ = ["fan_out"]

Item = TypeVar("Item")
Result = TypeVar("Result")


@task(name="fit", cache_policy=NONE)
def _call(function: Callable[[Any], Any], item: Any) -> Any:
    """``function(item)``: one model fit (the enclosing stage's task is what is cached)."""
    return function(item)


def fan_out(
    name: str,
) -> Callable[[Callable[[Item], Result], Iterable[Item]], list[Result]]:
    """A ``map_fn`` that runs each item as a task run called ``name``.

    Parameters
    ----------
    name : str
        Task name shown in the UI, e.g. ``"fit-fold"``.

    Returns
    -------
    callable
        ``map_fn(function, items)`` -> ``[function(item) for item in items]``, the calls
        submitted together to the task runner of the current flow run. The first
        failure is raised once every call has ended.

    Notes
    -----
    Call it inside a flow run, or inside a task that the flow calls directly (not
    ``submit``-ted: with a one-thread runner a submitted task waiting for its own
    fits would wait forever).
    """
    named = _call.with_options(name=name)

    def map_fn(function: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
        futures = named.map(unmapped(function), list(items))
        futures.wait()
        return [future.result() for future in futures]

    return map_fn

"""Task runners: where the tasks of a flow run execute.

The tasks that fan out are the model fits of one dataset (folds, resampling arms,
learning-curve anchors; see :mod:`flows.fanout`) and, in ``audit-many``, the
datasets. ``sequential`` (the default) runs them one at a time in the flow's
process; ``threads`` runs them side by side in a thread pool of that process;
``dask`` sends them to a Dask cluster through ``prefect-dask``: a temporary
``LocalCluster`` of worker processes, or an existing cluster given by its
scheduler address. Dask is imported only when a Dask runner is asked for (``pip
install 'data-sufficiency-audits[dask]'``).

Why ``sequential`` by default: scikit-learn fits hold the GIL for much of their
work or already use every core through OpenMP, so threads buy nothing on one
machine and can cost a lot. Measured with ``audits demo`` (4,454 rows, 2 cores,
mean of 2 runs): one fit at a time 40 s, a 2-thread pool 39 s with
``OMP_NUM_THREADS=1`` and 53 s without it (OpenMP oversubscription). Running fits
one at a time also keeps the fit seconds the forecast measures honest. Spread the
fits over processes or machines with ``dask``.

Tasks that run in Dask worker processes report to the Prefect API of the flow
run's process: set ``PREFECT_API_URL`` to a running server (``prefect server
start``) before using ``dask``; without one, every worker process would start a
temporary server of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audits.errors import ConfigError

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

__all__ = ["RUNNERS", "make_task_runner"]

#: Kinds accepted by :func:`make_task_runner`.
RUNNERS = ("sequential", "threads", "dask")


def make_task_runner(
    kind: str = "sequential",
    *,
    max_workers: int | None = None,
    dask_address: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
) -> TaskRunner[Any]:
    """Build the task runner of a flow run.

    Parameters
    ----------
    kind : {"sequential", "threads", "dask"}, default="sequential"
    max_workers : int, optional
        Threads of the ``threads`` runner (one per core this process may run on when
        None, as :func:`audits.sufficiency.available_cores` counts them).
    dask_address : str, optional
        Scheduler of an existing Dask cluster (``tcp://host:8786``); ``dask`` only.
        When None, ``dask`` starts a temporary ``LocalCluster`` for the flow run.
    n_workers, threads_per_worker : int, default=2, 1
        Size of the temporary ``LocalCluster``.
    processes : bool, default=True
        Workers of the temporary ``LocalCluster`` are processes (True) or threads
        of this process (False: no pickling, no second Prefect API client).

    Returns
    -------
    prefect.task_runners.TaskRunner
        Pass it to ``flow.with_options(task_runner=...)``.

    Raises
    ------
    ConfigError
        Unknown ``kind``, an address without ``dask``, bad sizes, or prefect-dask
        not installed.
    """
    if kind not in RUNNERS:
        raise ConfigError(
            f"`task_runner` must be one of {', '.join(RUNNERS)}; got {kind!r}", reason="bad_runner"
        )
    if dask_address is not None and kind != "dask":
        raise ConfigError(
            f"`dask_address` needs the dask task runner; got runner {kind!r}", reason="bad_runner"
        )
    for name, value in (
        ("max_workers", max_workers),
        ("n_workers", n_workers),
        ("threads_per_worker", threads_per_worker),
    ):
        if value is not None and value < 1:
            raise ConfigError(f"`{name}` must be at least 1; got {value}", reason="bad_runner")
    if kind in ("threads", "sequential"):
        from prefect.task_runners import ThreadPoolTaskRunner

        from audits.sufficiency import available_cores

        if kind == "sequential":
            return ThreadPoolTaskRunner(max_workers=1)
        return ThreadPoolTaskRunner(max_workers=max_workers or available_cores())
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise ConfigError(
            "the dask task runner needs prefect-dask: pip install 'data-sufficiency-audits[dask]'",
            reason="missing_dependency",
        ) from None
    if dask_address is not None:
        if "://" not in dask_address and ":" not in dask_address:
            raise ConfigError(
                f"`dask_address` must look like tcp://host:8786; got {dask_address!r}",
                reason="bad_runner",
            )
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": n_workers,
            "threads_per_worker": threads_per_worker,
            "processes": processes,
            "dashboard_address": ":0",
        }
    )

"""Deployments of a config: one scheduled ``audit-dataset`` deployment per dataset.

Each dataset of the config becomes the deployment ``audit-dataset/<name>`` with its
parameters (:meth:`audits.config.DatasetConfig.flow_parameters`), its schedule (cron
or interval, in its timezone), its ``timeout_seconds`` as the run's timeout, its
concurrency limit (one run at a time by default: a run due while the last one is
still going is skipped), and the chosen task runner. One unscheduled
``audit-many/<config file stem>`` deployment audits them all at once and refreshes
the index. ``audits serve`` serves them from one process;
``prefect.yaml`` declares the same deployments for teams that run work pools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import Flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron, Interval
from prefect.schedules import Schedule as PrefectSchedule
from prefect.task_runners import TaskRunner

from audits.config import AuditsConfig, DatasetConfig, Schedule
from flows.audit_dataset import audit_dataset
from flows.audit_many import audit_many, flow_parameters

__all__ = [
    "COLLISION_STRATEGIES",
    "TAGS",
    "build_deployments",
    "concurrency_limit",
    "make_runner",
    "prefect_schedule",
]

#: Tags of every deployment (filter on them in the UI).
TAGS = ("audits",)

#: Prefect's collision strategy for each ``on_overlap`` of the config.
COLLISION_STRATEGIES = {
    "skip": ConcurrencyLimitStrategy.CANCEL_NEW,
    "queue": ConcurrencyLimitStrategy.ENQUEUE,
}


def prefect_schedule(schedule: Schedule) -> PrefectSchedule:
    """Prefect's schedule for a config schedule (cron or interval, with its timezone)."""
    if schedule.cron is not None:
        return Cron(schedule.cron, timezone=schedule.timezone)
    return Interval(schedule.interval_seconds, timezone=schedule.timezone)


def concurrency_limit(dataset: DatasetConfig) -> ConcurrencyLimitConfig:
    """How many runs of the dataset's deployment may go at once, and what happens to more.

    Enforced by the Prefect server when a run is about to start: with ``on_overlap =
    "skip"`` a run due while the limit is taken is cancelled, with ``"queue"`` it
    waits (state ``AwaitingConcurrencySlot``).
    """
    return ConcurrencyLimitConfig(
        limit=dataset.max_concurrent_runs,
        collision_strategy=COLLISION_STRATEGIES[dataset.on_overlap],
    )


def _specs(
    config: AuditsConfig, task_runner: TaskRunner[Any] | None, only: list[str] | None
) -> list[tuple[Flow[..., Any], dict[str, Any]]]:
    """(flow with its options, deployment keywords) of each deployment of ``config``."""
    options: dict[str, Any] = {} if task_runner is None else {"task_runner": task_runner}
    specs = []
    datasets = config.chosen(only)
    for dataset in datasets:
        specs.append(
            (
                audit_dataset.with_options(timeout_seconds=dataset.timeout_seconds, **options),
                {
                    "name": dataset.name,
                    "parameters": flow_parameters(dataset),
                    "schedule": prefect_schedule(dataset.schedule) if dataset.schedule else None,
                    "tags": [*TAGS, dataset.name],
                    "concurrency_limit": concurrency_limit(dataset),
                    "description": f"Audit of {dataset.path} (target {dataset.target!r}); "
                    f"report in {dataset.out_dir}",
                },
            )
        )
    if config.source and not only:
        source = Path(config.source).resolve()
        specs.append(
            (
                audit_many.with_options(**options),
                {
                    "name": source.stem,
                    "parameters": {"config": str(source)},
                    "tags": list(TAGS),
                    "description": f"Every dataset of {source}, then the index in {config.out_dir}",
                },
            )
        )
    return specs


def build_deployments(
    config: AuditsConfig,
    *,
    task_runner: TaskRunner[Any] | None = None,
    only: list[str] | None = None,
) -> list[RunnerDeployment]:
    """One deployment per dataset, then the ``audit-many`` deployment of the whole config.

    Parameters
    ----------
    config : AuditsConfig
        Loaded from a file (its ``source`` is the ``audit-many`` parameter).
    task_runner : TaskRunner, optional
        Runner of the flow runs (see :func:`flows.runners.make_task_runner`); the
        flows' default thread pools when None.
    only : list of str, optional
        Deploy only these datasets (the ``audit-many`` deployment is then left out).

    Returns
    -------
    list of RunnerDeployment
        For ``deployment.apply()`` (registration only: runs then need a worker or
        :func:`serve_config`, which keeps each flow's timeout and task runner).

    Raises
    ------
    ConfigError
        ``only`` names an unknown dataset, or a dataset sets an option the flow
        does not take.
    """
    return [flow.to_deployment(**keywords) for flow, keywords in _specs(config, task_runner, only)]


def make_runner(
    config: AuditsConfig,
    *,
    task_runner: TaskRunner[Any] | None = None,
    only: list[str] | None = None,
    limit: int | None = None,
) -> Runner:
    """A Prefect ``Runner`` with the deployments of ``config`` added (and registered).

    Unlike ``prefect.serve(*deployments)``, which re-imports each flow from its
    entrypoint and so loses options set with ``with_options``, the runner keeps the
    flow objects: each run gets its dataset's ``timeout_seconds`` and the task runner.

    Parameters
    ----------
    config, task_runner, only
        As for :func:`build_deployments`.
    limit : int, optional
        At most this many flow runs at the same time.

    Returns
    -------
    prefect.runner.Runner
        ``asyncio.run(runner.start())`` serves until interrupted; schedules are paused
        when it stops.
    """
    runner = Runner(name="audits", limit=limit)
    for flow, keywords in _specs(config, task_runner, only):
        runner.add_flow(flow, **keywords)
    return runner

"""``--task-runner`` and ``--dask-address``, shared by ``run``, ``demo`` and ``serve``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from flows.runners import RUNNERS, make_task_runner

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

__all__ = ["add_runner_options", "chosen_runner"]


def add_runner_options(parser: argparse.ArgumentParser) -> None:
    """Register ``--task-runner`` and ``--dask-address`` on ``parser``."""
    parser.add_argument(
        "--task-runner",
        choices=RUNNERS,
        default="sequential",
        help="where model fits (and, with --config, datasets) run: one at a time, on a thread "
        "pool, or on Dask workers (default: %(default)s)",
    )
    parser.add_argument(
        "--dask-address",
        metavar="ADDR",
        help="scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786 "
        "(implies --task-runner dask; default: a temporary local cluster per run)",
    )


def chosen_runner(args: argparse.Namespace) -> TaskRunner[Any]:
    """The task runner the options ask for (see :func:`flows.runners.make_task_runner`)."""
    kind = "dask" if args.dask_address else args.task_runner
    return make_task_runner(kind, dask_address=args.dask_address)

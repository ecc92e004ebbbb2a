"""``audits serve --config FILE``: serve one scheduled deployment per dataset of a config."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from audits.config import check_suites, load_config
from flows.cli._arguments import positive_int
from flows.cli._runner_options import add_runner_options, chosen_runner

__all__ = ["add_parser", "execute"]

_NO_SERVER = (
    "audits: warning: PREFECT_API_URL is not set, so runs go to a temporary server that "
    "disappears when this command stops; for real schedules run `prefect server start` and "
    "export PREFECT_API_URL=http://127.0.0.1:4200/api"
)


def add_parser(subparsers: Any) -> None:
    """Register ``serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="serve scheduled audits of the datasets of a config file",
        description="Build one deployment per dataset of the config (audit-dataset/NAME, with "
        "its schedule and timezone) plus audit-many/STEM for all of them, and serve them from "
        "this process until interrupted. Needs a Prefect server: `prefect server start`, then "
        "PREFECT_API_URL=http://127.0.0.1:4200/api.",
    )
    parser.add_argument(
        "--config", required=True, metavar="FILE", help="datasets config (.toml, .yaml or .yml)"
    )
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="serve only this dataset (repeatable)"
    )
    add_runner_options(parser)
    parser.add_argument(
        "--limit", type=positive_int, metavar="N", help="at most N flow runs at the same time"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the config and list the deployments without serving",
    )
    parser.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    """Load the config, list its deployments, then serve them until interrupted."""
    config = load_config(args.config)
    check_suites(config.chosen(args.only))
    from flows.deployments import build_deployments, make_runner

    task_runner = chosen_runner(args)
    for deployment in build_deployments(config, task_runner=task_runner, only=args.only):
        schedules = [s.schedule for s in deployment.schedules or []]
        when = "; ".join(_describe(s) for s in schedules) or "on demand"
        print(
            f"{deployment.flow_name}/{deployment.name}: {when}{_overlap(deployment)}",
            file=sys.stderr,
        )
    if args.dry_run:
        return 0
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        print(_NO_SERVER, file=sys.stderr)
    served = make_runner(config, task_runner=task_runner, only=args.only, limit=args.limit)
    try:
        asyncio.run(served.start())
    except KeyboardInterrupt:
        print("audits: stopped serving; schedules paused", file=sys.stderr)
    return 0


def _overlap(deployment: Any) -> str:
    """What happens to a run due while earlier ones still go ("" when unlimited)."""
    if deployment.concurrency_limit is None:
        return ""
    from flows.deployments import COLLISION_STRATEGIES

    strategy = deployment.concurrency_options.collision_strategy
    then = "skipped" if strategy == COLLISION_STRATEGIES["skip"] else "queued"
    return f"; at most {deployment.concurrency_limit} run(s) at a time, more are {then}"


def _describe(schedule: Any) -> str:
    cron = getattr(schedule, "cron", None)
    if cron is not None:
        return f"cron {cron!r} ({schedule.timezone})"
    return f"every {schedule.interval.total_seconds():g} s ({schedule.timezone or 'UTC'})"

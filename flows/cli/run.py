"""``audits run PATH --target COL``: run the ``audit-dataset`` flow ad hoc."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from audits.io import read_dataset
from audits.sufficiency import METRICS

__all__ = ["add_parser", "execute"]


def add_parser(subparsers: Any) -> None:
    """Register ``run``."""
    parser = subparsers.add_parser(
        "run",
        help="audit one Parquet dataset",
        description="Run the audit-dataset flow on a Parquet file, folder or URI and write "
        "OUT/report.html and OUT/results.json. Exit 0 when every expectation passes, 1 when "
        "any fails, 2 on bad input.",
    )
    parser.add_argument("path", help="Parquet file, folder of Parquet files, or URI")
    parser.add_argument("--target", required=True, help="label column")
    add_audit_options(parser)
    parser.set_defaults(func=lambda args: execute(args, path=args.path, target=args.target))


def add_audit_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``demo``."""
    parser.add_argument(
        "--out", default="audit-out", metavar="DIR", help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--reference",
        metavar="PATH",
        help="reference dataset (same columns) to measure drift against",
    )
    parser.add_argument(
        "--sample", type=int, metavar="N", help="audit a uniform random sample of N rows"
    )
    parser.add_argument(
        "--labels",
        metavar="A,B,...",
        help="the allowed label set; other labels fail the labelling suite",
    )
    parser.add_argument(
        "--suites", metavar="DIR", help="folder of expectation suites (default: the shipped ones)"
    )
    parser.add_argument(
        "--no-forecast",
        dest="forecast",
        action="store_false",
        help="skip the learning-curve forecast (the slowest stage)",
    )
    parser.add_argument(
        "--metric",
        default="accuracy",
        choices=METRICS,
        help="score of the learning curves (default: %(default)s)",
    )
    parser.add_argument(
        "--target-score",
        type=float,
        metavar="S",
        help="forecast the rows each model needs to reach this score",
    )
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=300.0,
        metavar="B",
        help="wall-time budget of the forecast (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def execute(args: argparse.Namespace, *, path: str, target: str, strict: bool = True) -> int:
    """Check the input cheaply, run the flow, print where the report is; return the exit code.

    With ``strict`` a failed expectation exits 1; ``demo`` is not strict: a completed
    audit exits 0 whatever it found.
    """
    # Pre-flight on the target column alone: bad input fails in a second, before the
    # flow (and a temporary Prefect server) starts.
    read_dataset(path, target=target, columns=[])
    if args.reference:
        read_dataset(args.reference, target=target, columns=[])
    from flows.audit_dataset import audit_dataset

    labels = [x.strip() for x in args.labels.split(",")] if args.labels else None
    outcome = audit_dataset(
        path,
        target,
        args.out,
        reference=args.reference,
        sample=args.sample,
        allowed_labels=labels,
        suite_dir=args.suites,
        forecast=args.forecast,
        metric=args.metric,
        target_score=args.target_score,
        budget_seconds=args.budget_seconds,
        seed=args.seed,
    )
    verdict = (
        "all expectations passed"
        if outcome["success"]
        else (f"{outcome['n_failed']} expectation(s) failed")
    )
    print(
        f"{verdict}\nreport:  {outcome['report']}\nresults: {outcome['results']}", file=sys.stderr
    )
    return 0 if outcome["success"] or not strict else 1

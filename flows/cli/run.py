"""``audits run PATH --target COL``: run the ``audit-dataset`` flow ad hoc."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from audits._atomic import check_output_folder
from audits.errors import ConfigError, about
from audits.io import read_dataset
from audits.models import check_models
from audits.sufficiency import DEFAULT_MODELS, METRICS, check_options
from flows.cli._arguments import model_list, positive_int
from flows.cli._runner_options import add_runner_options, chosen_runner
from flows.cli._stopping import run_stoppable

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

__all__ = ["add_parser", "execute"]


def add_parser(subparsers: Any) -> None:
    """Register ``run``."""
    parser = subparsers.add_parser(
        "run",
        help="audit one Parquet dataset, or every dataset of a config file",
        description="Run the audit-dataset flow on a Parquet file, folder or URI and write "
        "OUT/report.html and OUT/results.json; with --config, run the audit-many flow over "
        "every dataset of the file. Exit 0 when every expectation passes, 1 when any fails "
        "(or, with --config, a dataset's run fails), 2 on bad input.",
    )
    parser.add_argument("path", nargs="?", help="Parquet file, folder of Parquet files, or URI")
    parser.add_argument("--target", help="label column (required with PATH)")
    parser.add_argument(
        "--config", metavar="FILE", help="TOML or YAML file listing datasets (instead of PATH)"
    )
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="with --config: audit only this dataset"
    )
    parser.add_argument(
        "--groups",
        metavar="COL",
        help="column of the entity each row belongs to (customer, patient): not a feature, "
        "and no split puts one group's rows on both sides",
    )
    add_audit_options(parser)
    defaults = {dest: parser.get_default(dest) for dest in _IN_THE_CONFIG}
    parser.set_defaults(func=partial(_dispatch, defaults=defaults))


#: Options of one dataset's audit, which a config file sets per dataset: option name and
#: config key, by argparse destination.
_IN_THE_CONFIG = {
    "out": ("--out", "out_dir"),
    "reference": ("--reference", "reference"),
    "groups": ("--groups", "groups"),
    "sample": ("--sample", "sample"),
    "labels": ("--labels", "allowed_labels"),
    "suites": ("--suites", "suite_dir"),
    "forecast": ("--no-forecast", "forecast = false"),
    "models": ("--models", "models"),
    "metric": ("--metric", "metric"),
    "target_score": ("--target-score", "target_score"),
    "budget_seconds": ("--budget-seconds", "budget_seconds"),
    "seed": ("--seed", "seed"),
}


def _dispatch(args: argparse.Namespace, *, defaults: dict[str, Any]) -> int:
    if args.config:
        if args.path or args.target:
            raise ConfigError("give either PATH --target COL or --config FILE, not both")
        given = [_IN_THE_CONFIG[d] for d, v in defaults.items() if getattr(args, d) != v]
        if given:
            raise ConfigError(
                f"{', '.join(option for option, _ in given)} cannot be used with --config: set "
                f"{', '.join(f'`{key}`' for _, key in given)} in the file instead",
                reason="config_options",
            )
        return execute_config(args.config, only=args.only, task_runner=chosen_runner(args))
    if not args.path or not args.target:
        raise ConfigError("`audits run` needs PATH and --target COL, or --config FILE")
    return execute(args, path=args.path, target=args.target)


def execute_config(config: str, *, only: list[str] | None, task_runner: TaskRunner[Any]) -> int:
    """Run ``audit-many`` over a config file; 0 when every dataset passed, else 1."""
    from audits.config import check_suites, load_config
    from flows.audit_many import DatasetRunsFailed, audit_many

    loaded = load_config(config)  # one-line ConfigError before any flow starts
    for folder in (loaded.out_dir, *(dataset.out_dir for dataset in loaded.chosen(only))):
        check_output_folder(folder)
    check_suites(loaded.chosen(only))
    try:
        summary = run_stoppable(
            lambda: audit_many.with_options(task_runner=task_runner)(config, only=only)
        )
    except DatasetRunsFailed as failed:
        print(f"audits: {failed}", file=sys.stderr)
        return 1
    rows = summary["datasets"]
    failing = [row["name"] for row in rows if row["status"] != "passed"]
    print(
        f"{len(rows) - len(failing)} of {len(rows)} dataset(s) passed"
        + (f"; failing: {', '.join(failing)}" if failing else ""),
        file=sys.stderr,
    )
    return 1 if failing else 0


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
        "--sample", type=positive_int, metavar="N", help="audit a uniform random sample of N rows"
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
        "--models",
        type=model_list,
        default=DEFAULT_MODELS,
        metavar="A,B",
        help="models of the forecast, kinds or package.module:callable import paths; the "
        f"second is the challenger (default: {','.join(DEFAULT_MODELS)})",
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
        help="wall-time budget of the forecast, and another of the resampling what-if "
        "(default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_runner_options(parser)


def _label_set(text: str | None) -> list[str] | None:
    """The ``--labels A,B,...`` list, or None; refused unless 2+ distinct, non-empty labels."""
    if text is None:
        return None
    labels = [label.strip() for label in text.split(",")]
    if len(labels) < 2 or "" in labels or len(set(labels)) != len(labels):
        raise ConfigError(
            f"`--labels` must list at least two distinct, non-empty labels; got {text!r}",
            reason="labels",
        )
    return labels


def execute(args: argparse.Namespace, *, path: str, target: str, strict: bool = True) -> int:
    """Check the input cheaply, run the flow, print where the report is; return the exit code.

    With ``strict`` a failed expectation exits 1; ``demo`` is not strict: a completed
    audit exits 0 whatever it found.
    """
    # Pre-flight on the options and the target column alone: bad input fails in a
    # second, before the flow (and a temporary Prefect server) starts.
    check_options(
        metric=args.metric,
        target_score=args.target_score,
        budget_seconds=args.budget_seconds,
        random_state=args.seed,
    )
    check_models(args.models)
    labels = _label_set(args.labels)
    check_output_folder(args.out)
    read_dataset(path, target=target, columns=[], groups=args.groups)
    if args.reference:
        with about("reference dataset"):
            read_dataset(args.reference, target=target, columns=[], groups=args.groups)
    from audits.gx import load_suites

    load_suites(args.suites)  # a bad suite folder fails now, not after the fits
    from flows.audit_dataset import audit_dataset

    flow = audit_dataset.with_options(task_runner=chosen_runner(args))
    outcome = run_stoppable(
        lambda: flow(
            path,
            target,
            args.out,
            reference=args.reference,
            groups=args.groups,
            sample=args.sample,
            allowed_labels=labels,
            suite_dir=args.suites,
            forecast=args.forecast,
            models=args.models,
            metric=args.metric,
            target_score=args.target_score,
            budget_seconds=args.budget_seconds,
            seed=args.seed,
        )
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

"""``audits forecast PATH --target COL``: how much more data would each model need?

Runs the sufficiency forecast (:func:`audits.sufficiency.assess`) directly, without
Prefect, and prints a readable summary or, with ``--json``, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from audits.errors import ConfigError
from audits.sufficiency import DEFAULT_MODELS
from flows.cli._arguments import model_list

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``forecast``."""
    parser = subparsers.add_parser(
        "forecast",
        help="forecast how much more data a deep and a classical model would need",
        description="Measure learning curves of a classical and a deep model on a Parquet "
        "dataset, extrapolate them with calibrated 90%% intervals, and report the score "
        "at larger sizes, the rows needed for a target score, the size at which the deep "
        "model overtakes the classical one, and the training and serving costs.",
    )
    parser.add_argument("path", help="Parquet file, folder of Parquet files, or URI")
    parser.add_argument("--target", required=True, help="label column")
    parser.add_argument(
        "--at",
        metavar="N1,N2,...",
        help="training sizes to forecast at (default: 1, 2, 5 and 10 times the rows)",
    )
    parser.add_argument("--target-score", metavar="S", help="score to reach, e.g. 0.9")
    parser.add_argument(
        "--metric",
        default="accuracy",
        help="accuracy, balanced_accuracy, macro_f1, roc_auc or log_loss (default: %(default)s)",
    )
    parser.add_argument(
        "--budget-seconds",
        metavar="B",
        help="wall-time budget; larger anchors are skipped when they would not fit",
    )
    parser.add_argument(
        "--models",
        type=model_list,
        default=DEFAULT_MODELS,
        metavar="A,B",
        help="models to compare, kinds or package.module:callable import paths; the second "
        f"is the challenger (default: {','.join(DEFAULT_MODELS)})",
    )
    parser.add_argument(
        "--groups",
        metavar="COL",
        help="column of the entity each row belongs to: validation rows and training "
        "subsets then hold whole groups",
    )
    parser.add_argument(
        "--sample", metavar="N", help="read a uniform random sample of N rows first"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--jobs",
        metavar="N",
        help="processes that fit the anchors side by side, one thread each "
        "(default: one per core; 1: one fit at a time)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def _number(name: str, text: str | None, kind: type) -> Any:
    if text is None:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(
            f"`{name}` must be {'an integer' if kind is int else 'a float'}; got {text!r}",
            reason=name.strip("-"),
        ) from None
    if kind is float and not math.isfinite(value):
        raise ConfigError(f"`{name}` must be finite; got {text!r}", reason=name.strip("-"))
    return value


def _sizes(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = [p.strip().replace("_", "") for p in text.split(",") if p.strip()]
    try:
        return tuple(int(float(p)) if "e" in p.lower() else int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"`--at` must be comma-separated row counts like 10000,100000; got {text!r}",
            reason="at",
        ) from None


def run(args: argparse.Namespace) -> int:
    """Read the dataset, run the forecast, print it; return the exit code."""
    from audits.io import read_dataset
    from audits.models import check_models
    from audits.sufficiency import assess, check_options, render_text
    from flows.cli._stopping import run_stoppable

    options = {
        "metric": args.metric,
        "target_score": _number("--target-score", args.target_score, float),
        "budget_seconds": _number("--budget-seconds", args.budget_seconds, float),
        "random_state": args.seed,
    }
    check_options(**options)  # before the data is read
    models = check_models(args.models)
    sample = _number("--sample", args.sample, int)
    dataset = read_dataset(
        args.path, target=args.target, groups=args.groups, sample=sample, seed=args.seed
    )
    X, y = dataset.labelled()
    at, n_jobs = _sizes(args.at), _number("--jobs", args.jobs, int)
    result = run_stoppable(
        lambda: assess(
            X,
            y,
            models=models,
            at=at,
            n_jobs=n_jobs,
            groups=dataset.labelled_groups(),
            **options,
        )
    )
    if args.json:
        print(json.dumps(result.to_json_dict(), allow_nan=False))
    else:
        print(render_text(result))
    return 0

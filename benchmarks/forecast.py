"""How good is the sufficiency forecast on real data? Forecast from 1/8, check on all.

For every dataset of the catalog with at least ``--min-rows`` rows (target = last
column): hold out a stratified test set, give :func:`audits.sufficiency.assess` one
eighth of the remaining pool, and forecast the score at the full pool size. The truth
is the same ``make_model`` estimator trained on the full pool and scored on the test
set. Two baselines use the same anchors: a plain (unweighted, single-family) pow3
least-squares fit, and the last anchor's score. The forecast's wall time is compared
with one fit on the full pool given the same cores (``--jobs``, every core by default:
the forecast fits its anchors side by side, one process per core, while the full fit
runs on that many threads), and the forecast costs at the pool size (fit seconds,
predict seconds per row, pickled bytes, load seconds) with those of the full fit on one
thread, as the anchors measure them. The script sets the thread counts itself: leave
``OMP_NUM_THREADS`` unset.

Usage::

    python benchmarks/forecast.py                    # datasets in ../shared/datasets
    python benchmarks/forecast.py --seeds 0,1,2      # one split per seed: more pairs
    python benchmarks/forecast.py --datasets-dir DIR --models classical,deep
    python benchmarks/forecast.py --min-rows 3000 --max-rows 15000 --seeds 0,1  # smaller data
    python benchmarks/forecast.py --seeds 0,1,2 --jobs 1  # one core for both sides
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from audits.models import make_model
from audits.sufficiency import assess, fit_curve
from audits.sufficiency._anchors import footprint
from audits.sufficiency._costs import COSTS
from audits.sufficiency._metrics import METRICS, aligned_proba
from audits.sufficiency._pool import check_jobs

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def load(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels (last column) of a Parquet file, see :func:`split_target`."""
    frame = pd.read_parquet(path)
    return split_target(frame, frame.columns[-1])


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels (as text) of ``frame``, with the unlabelled rows dropped."""
    frame = frame[frame[target].notna()].reset_index(drop=True)
    return frame.drop(columns=[target]), frame[target].astype(str)


def truth(
    kind: str,
    X: pd.DataFrame,
    y: pd.Series,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    seed: int,
    *,
    batch: int | None = None,
    jobs: int = 1,
) -> dict[str, float]:
    """``kind`` trained on all of ``X``: test accuracy, and the costs the forecast predicts.

    Returns ``score``, ``fit_seconds``, ``predict_seconds_per_row`` (one ``predict_proba``
    call on the first ``batch`` test rows, all by default: the anchors time their
    scoring call, so give the number of rows that call had), ``model_bytes`` and
    ``load_seconds`` (as the anchors measure them, :func:`footprint`), all on one
    thread like the anchors; and ``wall_fit_seconds``: one more fit on ``jobs`` threads
    (the same fit when ``jobs`` is 1).
    """
    labels = np.unique(np.concatenate([y.to_numpy(), y_test.to_numpy()]))
    codes = np.searchsorted(labels, y.to_numpy())
    with threadpool_limits(1):
        model = make_model(kind, X, random_state=seed)
        started = time.perf_counter()
        model.fit(X, codes)
        fit_seconds = time.perf_counter() - started
        timed = X_test.iloc[: len(X_test) if batch is None else batch]
        started = time.perf_counter()
        proba = aligned_proba(model, timed, len(labels))
        predict_seconds = time.perf_counter() - started
        if len(timed) < len(X_test):  # the score takes every test row, in one call as before
            proba = aligned_proba(model, X_test, len(labels))
        model_bytes, load_seconds = footprint(model)
    wall_fit_seconds = fit_seconds
    if jobs > 1:
        with threadpool_limits(jobs):
            started = time.perf_counter()
            make_model(kind, X, random_state=seed).fit(X, codes)
            wall_fit_seconds = time.perf_counter() - started
    return {
        "score": METRICS["accuracy"].score(np.searchsorted(labels, y_test.to_numpy()), proba),
        "fit_seconds": fit_seconds,
        "predict_seconds_per_row": predict_seconds / len(timed),
        "model_bytes": model_bytes,
        "load_seconds": load_seconds,
        "wall_fit_seconds": wall_fit_seconds,
    }


def baselines(model_result, n_pool: int) -> tuple[float, float]:
    """Plain pow3 least squares on the anchor means, and the last anchor's score."""
    anchors = model_result.anchors
    n = np.array([a.n for a in anchors], dtype=float)
    y = np.array([a.score for a in anchors])
    pow3 = fit_curve(n, y, family="pow3", upper=1.0).predict(np.array([float(n_pool)]))[0]
    return float(pow3), float(y[-1])


def run_dataset(
    path: Path,
    models: tuple[str, ...],
    *,
    fraction: float,
    test_fraction: float,
    seed: int,
    jobs: int,
) -> list[dict]:
    X, y = load(path)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    X_sub, _, y_sub, _ = train_test_split(
        X_pool, y_pool, train_size=fraction, stratify=y_pool, random_state=seed
    )
    rows = []
    for kind in models:
        started = time.perf_counter()
        with threadpool_limits(1):  # one thread per process, as the pool sets with jobs > 1
            result = assess(
                X_sub, y_sub, models=(kind,), at=(len(X_pool),), random_state=seed, n_jobs=jobs
            )
        forecast_seconds = time.perf_counter() - started
        model = result.models[kind]
        (point,) = model.forecast
        (costs,) = model.costs
        scored = result.n_validation + min(result.n_validation, model.anchors[-1].n)
        full = truth(kind, X_pool, y_pool, X_test, y_test, seed, batch=scored, jobs=jobs)
        true_score = full["score"]
        pow3, last = baselines(model, len(X_pool))
        rows.append(
            {
                "dataset": path.stem,
                "seed": seed,
                "model": kind,
                "n_given": len(X_sub),
                "n_forecast": len(X_pool),
                "largest_anchor": model.anchors[-1].n,
                "family": model.family,
                "diagnostics": ",".join(d.code for d in model.diagnostics) or "-",
                "forecast": point.score,
                "low": point.low,
                "high": point.high,
                "truth": true_score,
                "abs_error": abs(point.score - true_score),
                "pow3_abs_error": abs(pow3 - true_score),
                "last_abs_error": abs(last - true_score),
                "covered": point.low <= true_score <= point.high,
                "interval_use": interval_use(point.score, point.low, point.high, true_score),
                "forecast_seconds": forecast_seconds,
                "full_fit_seconds": full["wall_fit_seconds"],
                "jobs": jobs,
                **{f"{cost}_ratio": getattr(costs, cost) / full[cost] for cost in COSTS},
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def interval_use(forecast: float, low: float, high: float, truth: float) -> float:
    """How far ``truth`` lies from ``forecast``, as a share of the interval's half on its side.

    1 at either end of the interval, above 1 outside it. The 90th percentile of the
    uses of calibrated 90 % intervals is about 1; well below 1, they are wider than
    they had to be on these forecasts.
    """
    reach = high - forecast if truth >= forecast else forecast - low
    miss = abs(truth - forecast)
    return miss / reach if reach > 0 else (0.0 if miss == 0 else float("inf"))


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    def one(part: pd.DataFrame) -> dict:
        return {
            "pairs": len(part),
            "median abs err": f"{part.abs_error.median():.4f}",
            "p90 abs err": f"{part.abs_error.quantile(0.9):.4f}",
            "90% coverage": f"{part.covered.mean():.0%}",
            "p90 interval use": f"{part.interval_use.quantile(0.9):.2f}",
            "pow3 median": f"{part.pow3_abs_error.median():.4f}",
            "last median": f"{part.last_abs_error.median():.4f}",
            "median wall ratio": f"{(part.forecast_seconds / part.full_fit_seconds).median():.2f}",
            **{f"{cost} forecast/measured": _spread(part[f"{cost}_ratio"]) for cost in COSTS},
        }

    groups = [{"model": m, **one(p)} for m, p in frame.groupby("model")]
    return pd.DataFrame([*groups, {"model": "all", **one(frame)}])


def _spread(ratios: pd.Series) -> str:
    """Median of forecast/measured ratios, with their 10th and 90th percentiles."""
    low, mid, high = ratios.quantile([0.1, 0.5, 0.9])
    return f"{mid:.2f} ({low:.2f}-{high:.2f})"


def forecast_table(frame: pd.DataFrame, columns: list[str]) -> str:
    """``columns`` of one row per forecast as a Markdown table; ``interval`` is made from
    ``low`` and ``high``, numbers are rounded to 4 digits."""
    intervals = [f"[{lo:.4f}, {hi:.4f}]" for lo, hi in zip(frame.low, frame.high, strict=True)]
    return markdown(frame.assign(interval=intervals)[columns].round(4))


def markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--min-rows", type=int, default=15_000)
    parser.add_argument("--max-rows", type=int, default=None, help="only datasets below this")
    parser.add_argument("--models", default="classical,deep")
    parser.add_argument("--fraction", type=float, default=1 / 8, help="share given (1/8)")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument(
        "--seeds", default="0", help="comma-separated seeds: one split per seed (default: 0)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="cores for the forecast's processes and the full fit's threads (default: all)",
    )
    args = parser.parse_args()
    if "OMP_NUM_THREADS" in os.environ:
        sys.exit("unset OMP_NUM_THREADS: the script sets the thread counts itself (see --jobs)")
    jobs = check_jobs(args.jobs)
    catalog = json.loads((args.datasets_dir / "catalog.json").read_text())["datasets"]
    chosen = sorted(
        (
            d
            for d in catalog
            if d["n_rows"] >= args.min_rows
            and (args.max_rows is None or d["n_rows"] < args.max_rows)
        ),
        key=lambda d: d["n_rows"],
    )
    models = tuple(m.strip() for m in args.models.split(","))
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for entry in chosen:
            rows += run_dataset(
                args.datasets_dir / entry["file"],
                models,
                fraction=args.fraction,
                test_fraction=args.test_fraction,
                seed=seed,
                jobs=jobs,
            )
    frame = pd.DataFrame(rows)
    table = forecast_table(
        frame.assign(wall_ratio=(frame.forecast_seconds / frame.full_fit_seconds).round(2)),
        [
            "dataset",
            "seed",
            "model",
            "n_given",
            "n_forecast",
            "family",
            "diagnostics",
            "forecast",
            "interval",
            "truth",
            "abs_error",
            "pow3_abs_error",
            "last_abs_error",
            "covered",
            "interval_use",
            "forecast_seconds",
            "full_fit_seconds",
            "wall_ratio",
            "fit_seconds_ratio",
            "model_bytes_ratio",
        ],
    )
    print("\n" + table + "\n\n" + markdown(summary(frame)))


if __name__ == "__main__":
    main()

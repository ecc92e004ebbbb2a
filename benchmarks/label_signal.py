"""Does the label-signal check tell random labels from real ones, where the noise count cannot?

For each dataset of the catalog (target = last column, rows without one dropped, larger
ones subsampled to ``--max-rows``), the classical model's 5-fold out-of-fold
probabilities are computed twice, as the product does: on the labels as published, and
on the same labels shuffled at random (every feature-label link broken, the class
counts kept). Reported for both: the out-of-fold ROC AUC that the noise suite's
``expect_label_signal_auc_to_be_at_least`` checks (``audits.labels.WEAK_SIGNAL_AUC``),
and confident learning's estimated noise rate, which the ``noise`` suite checks
against 10%.

Usage::

    python benchmarks/label_signal.py                  # ../shared/datasets, 8,000 rows at most
    python benchmarks/label_signal.py --max-rows 2000 --seed 1
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from label_noise import load_catalog, load_frame  # noqa: E402

from audits.labels import WEAK_SIGNAL_AUC, find_label_noise  # noqa: E402
from audits.models import out_of_fold  # noqa: E402

NOISE_LIMIT = 0.1
"""The noise suite's ``expect_label_noise_rate_to_be_at_most``."""


def measure(X: pd.DataFrame, y: pd.Series, *, seed: int) -> tuple[float, float]:
    """Out-of-fold ROC AUC and estimated noise rate of ``y`` (shape (n_rows,))."""
    noise, _ = find_label_noise(out_of_fold(X, y, random_state=seed))
    return float(noise.signal_auc), noise.noise_rate


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets-dir", type=Path, default=here.parent.parent / "shared" / "datasets"
    )
    parser.add_argument("--max-rows", type=int, default=8_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(args.seed)
    lines = [
        "| dataset | rows | k | AUC | noise | AUC shuffled | noise shuffled |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    for entry in load_catalog(args.datasets_dir):
        frame = load_frame(entry, args.datasets_dir, False)
        frame = frame[frame.iloc[:, -1].notna()]
        if len(frame) > args.max_rows:
            frame = frame.sample(args.max_rows, random_state=args.seed)
        X, y = frame.iloc[:, :-1].reset_index(drop=True), frame.iloc[:, -1].astype(str)
        y = y.reset_index(drop=True)
        if y.nunique() > 200:  # the product refuses such targets
            continue
        real = measure(X, y, seed=args.seed)
        shuffled = measure(X, pd.Series(rng.permutation(y.to_numpy())), seed=args.seed)
        rows.append((real, shuffled))
        name = entry["file"].removesuffix(".parquet")
        lines.append(
            f"| {name} | {len(y)} | {y.nunique()} | {real[0]:.3f} | {real[1]:.3f} "
            f"| {shuffled[0]:.3f} | {shuffled[1]:.3f} |"
        )
        print(f"{name} done", file=sys.stderr, flush=True)
    real_auc = [r[0][0] for r in rows]
    fake_auc, fake_noise = [r[1][0] for r in rows], [r[1][1] for r in rows]
    lines += [
        "",
        f"{len(rows)} datasets. AUC with the real labels {min(real_auc):.3f}-{max(real_auc):.3f}, "
        f"below {WEAK_SIGNAL_AUC} on {sum(a < WEAK_SIGNAL_AUC for a in real_auc)}; shuffled "
        f"{min(fake_auc):.3f}-{max(fake_auc):.3f}, below {WEAK_SIGNAL_AUC} on "
        f"{sum(a < WEAK_SIGNAL_AUC for a in fake_auc)}. Noise estimated on shuffled labels "
        f"{min(fake_noise):.1%}-{max(fake_noise):.1%}, under the suite's {NOISE_LIMIT:.0%} "
        f"(a false pass without the signal check) on {sum(v <= NOISE_LIMIT for v in fake_noise)}.",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

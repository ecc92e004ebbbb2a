"""Regenerate ``report_results.json``, the results the report tests render.

Every number in it is computed by the real audits on a small synthetic dataset with
known flaws: 600 rows, a 4-class target of which one class is rare, 8% of the labels
flipped, 10 duplicated rows, missing cells, and a class label and a column both named
``<script>alert(1)</script>`` (the report must show them as text). Run from the
repository root when a section's shape changes::

    python tests/data/make_report_results.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from audits import _atomic  # noqa: E402
from audits._serde import to_jsonable  # noqa: E402
from audits.drift import audit_drift  # noqa: E402
from audits.gx import load_suites, validate  # noqa: E402
from audits.imbalance import audit_imbalance  # noqa: E402
from audits.io import read_dataset  # noqa: E402
from audits.labels import audit_labels  # noqa: E402
from audits.models import out_of_fold  # noqa: E402
from audits.overview import describe_dataset  # noqa: E402
from audits.quality import audit_quality  # noqa: E402
from audits.results import AuditResults, RunInfo  # noqa: E402

PAYLOAD = "<script>alert(1)</script>"
OUT = Path(__file__).with_name("report_results.json")


def make_frame(seed: int = 0, *, shift: float = 0.0) -> pd.DataFrame:
    """600 rows, 4 classes (one rare, named PAYLOAD), 8% flipped labels, 10 duplicates.

    ``shift`` moves ``x1`` (the reference dataset of the drift audit has ``shift=1``).
    """
    rng = np.random.default_rng(seed)
    n = 590
    classes = np.array(["alpha", "beta", "gamma", PAYLOAD])
    y = rng.choice(4, size=n, p=[0.5, 0.3, 0.15, 0.05])
    centers = rng.normal(scale=2.0, size=(4, 4))
    X = centers[y] + rng.normal(size=(n, 4))
    flip = rng.random(n) < 0.08
    y_given = np.where(flip, (y + rng.integers(1, 4, size=n)) % 4, y)
    X[:, 0] += shift
    frame = pd.DataFrame(X, columns=["x1", "x2", "x3", PAYLOAD])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=n)
    frame.loc[rng.random(n) < 0.05, "x2"] = np.nan
    frame["label"] = classes[y_given]
    return pd.concat([frame, frame.iloc[:10]], ignore_index=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, reference_path = Path(tmp) / "sample.parquet", Path(tmp) / "reference.parquet"
        make_frame().to_parquet(path)
        make_frame(seed=1, shift=1.0).to_parquet(reference_path)
        dataset = read_dataset(str(path), target="label")
        reference = read_dataset(str(reference_path), target="label")
    labelled = dataset.y.notna()
    oof = out_of_fold(dataset.X[labelled], dataset.y[labelled])
    overview = describe_dataset(dataset)
    labels, _ = audit_labels(dataset, oof)
    imbalance = audit_imbalance(dataset.X, dataset.y, oof, n_folds=3)
    quality = audit_quality(dataset)
    drift = audit_drift(dataset, reference, target="label", n_folds=3)
    sections = {"quality": quality, "labels": labels, "imbalance": imbalance, "drift": drift}
    facts = dict(overview.facts())
    for section in sections.values():
        facts.update(section.facts())
    validation = validate(dataset.frame, facts, load_suites(), parameters={"target": "label"})
    run = RunInfo(
        started="2025-01-06T06:00:00+00:00",
        finished="2025-01-06T06:01:30+00:00",
        seconds=90.0,
        stage_seconds={
            "read dataset": 0.4,
            "describe dataset": 0.2,
            "out-of-fold": 12.5,
            "validate suites": 3.1,
        },
        versions={"data-sufficiency-audits": "0.1.0"},
        parameters={"path": "sample.parquet", "target": "label", "sample": None, "seed": 0},
    )
    results = AuditResults(overview=overview, validation=validation, run=run, **sections)
    document = to_jsonable(results)
    document["overview"]["uri"] = "data/sample.parquet"
    _atomic.write_json(OUT, document)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

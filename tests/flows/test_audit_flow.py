"""The audit-dataset flow end to end under one Prefect test server."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from audits.results import load_results
from flows.audit_dataset import audit_dataset
from flows.cli import main

XSS = "<script>alert(1)</script>"


@pytest.fixture
def dataset_path(tmp_path):
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            XSS: rng.choice(["u", "v", XSS], size=n),
            "label": np.where(x > 0.3, "yes", "no"),
        }
    )
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    return path


def test_flow_writes_results_report_and_artifacts(prefect_harness, dataset_path, tmp_path):
    out = tmp_path / "out"
    outcome = audit_dataset(str(dataset_path), "label", str(out))
    assert outcome["success"] is True
    results = load_results(out / "results.json")
    assert results.overview.n_rows == 300
    assert results.overview.class_counts == {
        "no": int((pd.read_parquet(dataset_path)["label"] == "no").sum()),
        "yes": int((pd.read_parquet(dataset_path)["label"] == "yes").sum()),
    }
    page = (out / "report.html").read_text()
    assert XSS not in page
    assert html.escape(XSS) in page or html.escape(XSS, quote=False) in page
    assert "<script" not in page.lower()
    assert not re.search(
        r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", page
    ), "the report must load nothing from the network"

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        keys = {"audit-summary", "audit-expectations", "audit-report"}
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=sorted(keys)))
        )
    assert {a.key for a in artifacts} == keys
    summary = next(a for a in artifacts if a.key == "audit-summary")
    assert summary.type == "markdown" and XSS not in summary.data


def logistic_by_path(X, *, random_state):
    """A model named by import path (``--models``), as a user's own would be."""
    from audits.models import make_model

    return make_model("logistic", X, random_state=random_state)


def test_cli_exit_code_follows_the_suites(prefect_harness, dataset_path, tmp_path, capsys):
    passing = main(["run", str(dataset_path), "--target", "label", "--out", str(tmp_path / "a")])
    own = f"{__name__}:logistic_by_path"
    failing = main(
        [
            "run",
            str(dataset_path),
            "--target",
            "label",
            "--labels",
            "no,maybe",
            "--models",
            f"classical,{own}",
            "--out",
            str(tmp_path / "b"),
        ]
    )
    assert (passing, failing) == (0, 1)
    defaults = json.loads((tmp_path / "a" / "results.json").read_text())
    assert list(defaults["sufficiency"]["models"]) == ["classical", "deep"]
    assert defaults["run"]["parameters"]["models"] == ["classical", "deep"]
    data = json.loads((tmp_path / "b" / "results.json").read_text())
    assert list(data["sufficiency"]["models"]) == ["classical", own]
    assert data["run"]["parameters"]["models"] == ["classical", own]
    assert data["sufficiency"]["crossover"]["challenger"] == own
    in_set = [
        o
        for s in data["validation"]["suites"]
        for o in s["outcomes"]
        if o["type"] == "expect_column_values_to_be_in_set"
    ]
    assert in_set[0]["status"] == "failed"
    assert "Traceback" not in capsys.readouterr().err


def test_too_few_rows_for_a_curve_skip_the_forecast_not_the_audit(
    prefect_harness, dataset_path, tmp_path
):
    small = tmp_path / "small.parquet"
    pd.read_parquet(dataset_path).head(50).to_parquet(small)
    out = tmp_path / "out"
    audit_dataset(str(small), "label", str(out))
    results = load_results(out / "results.json")
    reason = "too few labelled rows for a learning curve: 50; at least 64 are needed"
    assert results.sufficiency is None
    assert results.skipped == {"sufficiency": reason}
    assert results.labels is not None and results.imbalance is not None
    page = (out / "report.html").read_text()
    assert f"Not measured: {reason}" in page
    assert f"Sufficiency not measured: {reason}." in page


def test_grouped_rows_stay_on_one_side_of_every_split(prefect_harness, tmp_path):
    """Each group has one random label and a feature that names it: only mixed splits learn."""
    rng = np.random.default_rng(0)
    person = np.repeat(np.arange(60), 5)
    label = rng.choice(["yes", "no"], size=60)[person]
    frame = pd.DataFrame(
        {"x": rng.normal(size=60)[person] + rng.normal(scale=0.01, size=300), XSS: person}
    )
    path, out = tmp_path / "grouped.parquet", tmp_path / "out"
    frame.assign(label=label).to_parquet(path)
    audit_dataset(str(path), "label", str(out), groups=XSS, budget_seconds=60.0)
    results = load_results(out / "results.json")
    assert (results.overview.groups, results.overview.n_groups) == (XSS, 60)
    assert [c.name for c in results.overview.columns] == ["x"]
    assert results.run.parameters["groups"] == XSS
    assert results.sufficiency.n_groups == 60
    assert results.imbalance.balanced_accuracy < 0.7  # out of fold, on unseen groups
    page = (out / "report.html").read_text()
    assert XSS not in page
    assert f"60 in column {html.escape(XSS)}" in page


def test_forecasts_of_models_named_by_import_path_are_not_cached():
    """The cache key holds this package's code, not the user's module: it would go stale."""
    from prefect.cache_policies import NONE

    from flows.audit_dataset import _forecast_task, sufficiency_task

    assert _forecast_task(("classical", "deep")) is sufficiency_task
    assert sufficiency_task.cache_policy is not NONE
    assert _forecast_task(("classical", "mine.models:net")).cache_policy is NONE

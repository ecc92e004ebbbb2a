"""Labelling checks counted exactly, input errors, and the label facts feeding the suites."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from audits.errors import ConfigError, InputError
from audits.gx import FACT_OF_TYPE, default_suite_dir, load_suites, validate
from audits.io import Dataset, DatasetInfo
from audits.labels import audit_labels, check_labelling


def _frame(labels: list[object], **features: list[object]) -> pd.DataFrame:
    n = len(labels)
    columns = features or {"x": list(range(n))}
    return pd.DataFrame({**columns, "label": pd.Series(labels, dtype=object)})


def test_missing_empty_and_invalid_labels_are_counted_exactly():
    labels = ["a", "b", None, "", "  ", "c", "typo", "typo", np.nan, "a", "b", "A"]
    frame = _frame(labels)
    result = check_labelling(frame[["x"]], frame["label"], allowed_labels=["a", "b", "c"])
    assert result.n_rows == 12
    assert result.n_missing == 2
    assert result.n_empty == 2
    assert result.n_invalid == 3  # "typo" twice and "A"; empty labels are counted as empty
    assert result.invalid_labels == ("typo", "A")
    assert result.n_classes == 7  # a, b, "", "  ", c, typo, A
    without_set = check_labelling(frame[["x"]], frame["label"])
    assert without_set.n_invalid is None and without_set.invalid_labels == ()


def test_allowed_labels_compare_as_text():
    frame = _frame([0, 1, 1, 2, 0])
    result = check_labelling(frame[["x"]], frame["label"], allowed_labels=["0", "1"])
    assert result.n_invalid == 1 and result.invalid_labels == ("2",)


def test_conflicting_labels_are_counted_exactly():
    features = {
        "num": [1.0, 1.0, 1.0, 2.0, 2.0, np.nan, np.nan, 3.0, 3.0, 4.0, 5.0, 1.0],
        "cat": ["u", "u", "u", "v", "v", "w", "w", "x", "x", "y", "z", "u2"],
    }
    labels = ["a", "b", "a", "c", "c", "a", "b", "b", None, "a", "b", "b"]
    # groups by features: rows 0,1,2 (a,b,a: conflict); 3,4 (c,c: agree); 5,6 (NaN
    # equal to NaN; a,b: conflict); 7,8 (the second has no label: no conflict); 9; 10; 11.
    frame = _frame(labels, **features)
    result = check_labelling(frame[["num", "cat"]], frame["label"], max_examples=1)
    assert result.n_conflicting_rows == 5
    assert result.n_conflict_groups == 2
    assert len(result.conflicts) == 1
    largest = result.conflicts[0]
    assert largest.n_rows == 3 and largest.rows == (0, 1, 2)
    assert largest.labels == {"a": 2, "b": 1}
    audit, _ = audit_labels(frame, None, target="label")
    assert audit.facts()["conflicting_label_share"] == pytest.approx(5 / 11)


def test_conflicts_with_unhashable_cells_and_many_rows():
    rng = np.random.default_rng(0)
    n = 5000
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 10, n),
            "b": rng.choice(["p", "q"], n),
            "tags": [[int(v)] for v in rng.integers(0, 2, n)],
        }
    )
    labels = pd.Series(rng.choice(["x", "y"], n), dtype=object)
    result = check_labelling(frame, labels)
    keys = frame.assign(tags=frame["tags"].map(str), label=labels)
    per_group = keys.groupby(["a", "b", "tags"])["label"].nunique()
    sizes = keys.groupby(["a", "b", "tags"]).size()
    assert result.n_conflict_groups == int((per_group > 1).sum())
    assert result.n_conflicting_rows == int(sizes[per_group > 1].sum())


def test_id_like_and_continuous_targets_are_flagged():
    n = 60
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.normal(size=n)})
    ids = check_labelling(X, pd.Series([f"id-{i}" for i in range(n)]))
    assert ids.target_looks_like_id and not ids.target_looks_continuous
    continuous = check_labelling(X, pd.Series(rng.normal(size=n).round(1) + 0.05))
    assert continuous.target_looks_continuous
    as_text = check_labelling(X, pd.Series([f"{v:.3f}" for v in rng.normal(size=n)]))
    assert as_text.target_looks_continuous
    classes = check_labelling(X, pd.Series(rng.choice([0.0, 1.0, 2.0], n)))
    assert not classes.target_looks_like_id and not classes.target_looks_continuous
    half_steps = check_labelling(X, pd.Series(rng.choice(np.arange(1, 5.5, 0.5), n)))
    assert not half_steps.target_looks_continuous
    flags = check_labelling(X, pd.Series(rng.choice([True, False], n)))
    assert not flags.target_looks_continuous


def test_reference_classes_missing_and_new():
    frame = _frame(["a", "b", "a", "d"])
    audit, _ = audit_labels(frame, None, target="label", reference_classes=["a", "b", "c"])
    assert audit.labelling.missing_reference_classes == ("c",)
    assert audit.labelling.new_classes == ("d",)
    assert audit.facts()["n_missing_reference_classes"] == 1.0
    no_reference, _ = audit_labels(frame, None, target="label")
    assert no_reference.facts()["n_missing_reference_classes"] is None


def test_dataset_input_and_bad_arguments():
    frame = _frame(["a", "b", "a", "b"])
    info = DatasetInfo("memory", 4, (), 1, 0, "f")
    audit, _ = audit_labels(Dataset(frame, "label", info), None)
    assert audit.labelling.n_rows == 4
    with pytest.raises(InputError, match="`target`"):
        audit_labels(frame, None)
    with pytest.raises(InputError, match="`target`"):
        audit_labels(frame, None, target="nope")
    with pytest.raises(ConfigError, match="`allowed_labels` must be a list"):
        audit_labels(frame, None, target="label", allowed_labels="ab")
    with pytest.raises(ConfigError, match="`reference_classes` must be a list"):
        audit_labels(frame, None, target="label", reference_classes=3)
    with pytest.raises(ConfigError, match="`max_examples`"):
        audit_labels(frame, None, target="label", max_examples=-1)


def test_every_label_fact_has_a_declared_expectation_in_a_shipped_suite():
    frame = _frame(["a", "b", None, ""])
    audit, _ = audit_labels(frame, None, target="label", reference_classes=["a"])
    declared = set(FACT_OF_TYPE.values())
    assert set(audit.facts()) <= declared
    shipped = {FACT_OF_TYPE.get(e["type"]) for s in load_suites() for e in s.expectations}
    assert set(audit.facts()) <= shipped


def _outcome(result, fact):
    [outcome] = [o for o in result.outcomes if o.column == fact]
    return outcome


def test_label_facts_decide_the_suites_and_thresholds_are_editable(tmp_path):
    folder = tmp_path / "suites"
    shutil.copytree(default_suite_dir(), folder, ignore=shutil.ignore_patterns("*.py", "__*"))
    frame = _frame(["a", "b", "a", "b", "", "a"], x=[1, 1, 2, 3, 4, 5])
    audit, _ = audit_labels(frame, None, target="label", reference_classes=["a", "b"])
    facts = {**audit.facts(), "label_noise_rate": 0.08, "max_class_label_noise_rate": 0.2}
    parameters = {"target": "label"}
    before = validate(frame, facts, load_suites(folder), parameters=parameters)
    assert _outcome(before, "label_noise_rate").status == "passed"
    assert _outcome(before, "max_class_label_noise_rate").status == "passed"
    assert _outcome(before, "n_empty_labels").status == "failed"
    assert _outcome(before, "n_empty_labels").observed == 1.0
    assert _outcome(before, "conflicting_label_share").status == "failed"  # rows 0 and 1
    assert _outcome(before, "target_looks_like_id").status == "passed"
    assert _outcome(before, "n_missing_reference_classes").status == "passed"

    spec = json.loads((folder / "noise.json").read_text())
    for item in spec["expectations"]:
        if item["type"] == "expect_label_noise_rate_to_be_at_most":
            item["kwargs"]["max_value"] = 0.05
    (folder / "noise.json").write_text(json.dumps(spec))
    after = validate(frame, facts, load_suites(folder), parameters=parameters)
    assert _outcome(after, "label_noise_rate").status == "failed"
    assert _outcome(after, "label_noise_rate").threshold == {"max_value": 0.05}


def test_noise_facts_not_computed_are_skipped():
    frame = _frame(["a", "b", "a", "b"])
    audit, _ = audit_labels(frame, None, target="label")
    result = validate(frame, audit.facts(), load_suites(), parameters={"target": "label"})
    assert _outcome(result, "label_noise_rate").status == "skipped"
    assert _outcome(result, "n_missing_reference_classes").status == "skipped"

"""Suites load from JSON, fact expectations are registered, thresholds decide pass/fail."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from audits.errors import SuiteError
from audits.gx import FACT_OF_TYPE, default_suite_dir, load_suites, validate


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": range(8), "label": ["a", "a", "b", "b", "c", None, "a", "b"]})


def _status(result, kind):
    return [o.status for o in result.outcomes if o.type == kind]


def test_shipped_suites_load_with_every_fact_expectation_kept():
    suites = load_suites()
    types = {e["type"] for s in suites for e in s.expectations}
    assert "expect_min_class_count_to_be_at_least" in types
    assert types & set(FACT_OF_TYPE)
    names = {s.name for s in suites}
    assert {"labeling", "imbalance", "quality"} <= names


def test_rows_and_facts_are_validated(frame):
    suites = load_suites()
    facts = {
        "min_class_count": 1.0,
        "n_labelled_rows": 7.0,
        "missing_label_share": 0.125,
        "duplicate_row_share": 0.0,
    }
    result = validate(
        frame, facts, suites, parameters={"target": "label", "allowed_labels": ["a", "b"]}
    )
    assert _status(result, "expect_column_values_to_not_be_null") == ["failed"]
    in_set = [o for o in result.outcomes if o.type == "expect_column_values_to_be_in_set"][0]
    assert in_set.status == "failed"
    assert in_set.observed == 1  # the single "c"
    min_count = [o for o in result.outcomes if o.type == "expect_min_class_count_to_be_at_least"]
    assert min_count[0].status == "failed" and min_count[0].observed == 1.0
    assert min_count[0].threshold == {"min_value": 30}
    assert not result.success


def test_a_column_set_check_reports_the_difference(frame):
    parameters = {"target": "label", "reference_columns": ["x", "gone", "label"]}
    result = validate(frame.assign(new=1), {}, load_suites(), parameters=parameters)
    (columns,) = [o for o in result.outcomes if o.type == "expect_table_columns_to_match_set"]
    assert columns.status == "failed"
    assert columns.observed == "missing: gone; unexpected: new"
    assert columns.threshold["column_set"] == ["x", "gone", "label"]


def test_unconfigured_parameter_and_missing_fact_skip(frame):
    result = validate(frame, {}, load_suites(), parameters={"target": "label"})
    skipped = {o.type: o.detail for o in result.outcomes if o.status == "skipped"}
    assert "allowed_labels" in skipped["expect_column_values_to_be_in_set"]
    assert "not computed" in skipped["expect_min_class_count_to_be_at_least"]


def test_threshold_edited_in_json_flips_the_outcome(tmp_path, frame):
    folder = tmp_path / "suites"
    shutil.copytree(default_suite_dir(), folder, ignore=shutil.ignore_patterns("*.py", "__*"))
    facts = {"min_class_count": 40.0}
    before = validate(frame, facts, load_suites(folder), parameters={"target": "label"})
    assert _status(before, "expect_min_class_count_to_be_at_least") == ["passed"]
    spec = json.loads((folder / "imbalance.json").read_text())
    for item in spec["expectations"]:
        if item["type"] == "expect_min_class_count_to_be_at_least":
            item["kwargs"]["min_value"] = 50
    (folder / "imbalance.json").write_text(json.dumps(spec))
    after = validate(frame, facts, load_suites(folder), parameters={"target": "label"})
    assert _status(after, "expect_min_class_count_to_be_at_least") == ["failed"]


def test_overrides_change_thresholds(frame):
    suites = load_suites(
        overrides={"imbalance": {"expect_min_class_count_to_be_at_least": {"min_value": 1}}}
    )
    result = validate(frame, {"min_class_count": 1.0}, suites, parameters={"target": "label"})
    assert _status(result, "expect_min_class_count_to_be_at_least") == ["passed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"name": "x", "expectations": [{"type": "expect_nonexistent", "kwargs": {}}]}',
            "unknown expectation type",
        ),
        ("{not json", "cannot read suite"),
        ('{"expectations": []}', "must be an object with a 'name'"),
    ],
)
def test_bad_suites_are_rejected_not_silently_dropped(tmp_path, content, message):
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(SuiteError, match=message):
        load_suites(tmp_path)


def test_override_of_unknown_suite_is_an_error():
    with pytest.raises(SuiteError, match="suites are"):
        load_suites(overrides={"nope": {}})

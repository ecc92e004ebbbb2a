"""Drift: none between samples of one distribution; a shifted column and a label shift found."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from audits._serde import from_jsonable, to_jsonable
from audits.drift import DriftAudit, audit_drift, column_drift, population_stability_index
from audits.errors import InputError, TargetError
from audits.gx import load_suites, validate


@pytest.fixture(autouse=True)
def _one_thread():
    """Gradient boosting with several OpenMP threads crawls on a busy, shared machine."""
    with threadpool_limits(1):
        yield


def _sample(n: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n) + shift,
            "z": rng.normal(size=n),
            "colour": pd.array(rng.choice(["red", "green", "blue"], size=n), dtype="string"),
            "flag": rng.random(n) > 0.5,
            "y": rng.choice(["a", "b"], size=n),
        }
    )


def test_samples_of_one_distribution_show_no_drift():
    audit = audit_drift(_sample(600, 0), _sample(600, 1), target="y", n_folds=3)
    assert audit.n_columns_compared == 4
    assert audit.n_drifted_columns == 0
    assert audit.max_psi < 0.1
    assert audit.adversarial.auc == pytest.approx(0.5, abs=0.05)
    assert audit.adversarial.top_columns == ()  # nothing to explain below an AUC of 0.55
    assert audit.adversarial.n_folds == 3
    assert audit.only_in_reference == audit.only_in_current == ()
    assert audit.label_shift_tvd < 0.1


def test_a_shifted_column_is_found():
    audit = audit_drift(_sample(600, 0, shift=1.5), _sample(600, 1), target="y", n_folds=3)
    assert audit.n_drifted_columns == 1
    first = audit.columns[0]
    assert (first.name, first.kind, first.test, first.drifted) == ("x", "numeric", "ks", True)
    assert first.p_value < 1e-10 and first.psi > 0.25
    assert audit.adversarial.auc > 0.75
    assert audit.adversarial.top_columns[0].name == "x"
    facts = audit.facts()
    assert facts["n_drifted_columns"] == 1.0 and facts["adversarial_auc"] > 0.75


def test_shared_rows_do_not_fake_a_difference():
    current = _sample(600, 0)
    audit = audit_drift(current, current.iloc[:300], target="y", n_folds=3)
    assert audit.adversarial.auc == pytest.approx(0.5, abs=0.05)
    same = audit_drift(current, current, target="y", n_folds=3)
    assert same.adversarial.auc == pytest.approx(0.5, abs=1e-12) and same.max_psi == 0.0


def test_too_few_distinct_rows_skip_the_adversarial_validation():
    reference = pd.DataFrame({"x": [1.0] * 50})
    assert audit_drift(reference.assign(x=2.0), reference).adversarial is None


def test_label_shift_is_measured_exactly():
    reference = pd.DataFrame({"x": np.arange(100.0), "y": ["a"] * 50 + ["b"] * 50})
    current = pd.DataFrame({"x": np.arange(100.0), "y": ["a"] * 80 + ["b"] * 10 + ["c"] * 10})
    audit = audit_drift(current, reference, target="y", adversarial=False)
    assert audit.label_shift_tvd == pytest.approx(0.5 * (0.3 + 0.4 + 0.1))
    assert audit.label_shift_p_value < 1e-6
    assert audit.facts()["label_shift_tvd"] == audit.label_shift_tvd
    assert audit.class_shares_reference == {"a": 0.5, "b": 0.5}
    assert audit.class_shares_current == {"a": 0.8, "b": 0.1, "c": 0.1}
    assert (audit.new_classes, audit.vanished_classes) == (("c",), ())
    assert audit.adversarial is None and audit.facts()["adversarial_auc"] is None


def test_label_shift_within_noise_is_not_a_fact():
    reference = pd.DataFrame({"x": np.zeros(40), "y": ["a"] * 20 + ["b"] * 20})
    current = pd.DataFrame({"x": np.zeros(40), "y": ["a"] * 24 + ["b"] * 16})
    audit = audit_drift(current, reference, target="y", adversarial=False)
    assert audit.label_shift_tvd == pytest.approx(0.1)
    assert audit.label_shift_p_value > 0.3
    assert audit.facts()["label_shift_tvd"] == 0.0
    unlabelled = audit_drift(current.assign(y=None), reference, target="y", adversarial=False)
    assert unlabelled.label_shift_tvd is None and unlabelled.facts()["label_shift_tvd"] is None


def test_psi_and_levels_are_exact():
    assert population_stability_index(np.array([50, 50]), np.array([80, 20])) == pytest.approx(
        0.3 * math.log(0.8 / 0.5) + (-0.3) * math.log(0.2 / 0.5)
    )
    assert population_stability_index(np.array([3, 7]), np.array([30, 70])) == 0.0
    reference = pd.Series(["a"] * 40 + ["b"] * 30 + ["c"] * 30)
    current = pd.Series(["b"] * 40 + ["c"] * 30 + ["d"] * 20 + ["e"] * 10)
    drift = column_drift(
        "level", reference, current, reference_kind="categorical", current_kind="categorical"
    )
    assert (drift.kind, drift.test) == ("categorical", "chi2")
    assert (drift.n_new_levels, drift.n_vanished_levels) == (2, 1)
    assert (drift.new_levels, drift.vanished_levels) == (("d", "e"), ("a",))
    assert drift.drifted and drift.p_value < 1e-6


def test_few_valued_numbers_get_a_bin_per_value():
    reference = pd.Series([1] * 90 + [2] * 10)
    drift = column_drift(
        "n", reference, reference * 2, reference_kind="numeric", current_kind="numeric"
    )
    # bins are the values 1, 2 and 4, then missing; deciles would put 2 and 4 with 1
    assert drift.psi == pytest.approx(
        population_stability_index(np.array([90, 10, 0, 0]), np.array([0, 90, 10, 0]))
    )
    assert drift.drifted and drift.test == "ks"


def test_awkward_and_mismatched_columns_are_reported_not_crashed_on():
    rng = np.random.default_rng(3)
    n = 800
    reference = pd.DataFrame(
        {
            "zip": pd.array([f"z{k}" for k in rng.integers(0, 3915, n)], dtype="string"),
            "when": pd.date_range("2020-01-01", periods=n, freq="h", tz="Europe/Berlin"),
            "flag": rng.random(n) > 0.5,
            "becomes_null": rng.normal(size=n),
            "becomes_text": rng.integers(0, 5, n),
            "empty": np.full(n, np.nan),
            "gone": rng.normal(size=n),
            "y": rng.choice(["a", "b"], n),
        }
    )
    current = reference.drop(columns=["gone"]).assign(
        becomes_null=np.nan,
        becomes_text=pd.array([f"t{k}" for k in rng.integers(0, 5, n)], dtype="string"),
        new=1.0,
    )
    audit = audit_drift(current, reference, target="y", n_folds=2, adversarial_rows=300)
    assert audit.only_in_reference == ("gone",)
    assert audit.only_in_current == ("new",)
    by_name = {c.name: c for c in audit.columns}
    assert by_name["zip"].drifted is False and by_name["zip"].psi == 0.0
    assert by_name["when"].kind == "numeric" and by_name["when"].psi == 0.0
    assert by_name["becomes_null"].drifted
    assert by_name["becomes_null"].missing_share_current == 1.0
    assert by_name["becomes_text"].type_changed and by_name["becomes_text"].kind == "categorical"
    assert by_name["becomes_text"].n_new_levels == 5
    assert by_name["empty"].psi == 0.0 and by_name["empty"].test == "none"
    assert audit.n_type_changed_columns == 1
    assert audit.adversarial.n_rows_reference == audit.adversarial.n_rows_current == 300
    assert "300 of 800" in audit.adversarial.note
    assert audit.facts()["n_vanished_columns"] == 1.0
    assert audit.facts()["n_type_changed_columns"] == 1.0
    suites = tuple(s for s in load_suites() if s.name == "drift")
    result = validate(current, audit.facts(), suites, parameters={"target": "y"})
    [changed] = [o for o in result.outcomes if o.column == "n_type_changed_columns"]
    assert (changed.status, changed.observed) == ("failed", 1.0)


def test_column_table_is_capped():
    frame = pd.DataFrame({f"c{k}": np.arange(20.0) for k in range(12)})
    audit = audit_drift(frame, frame, adversarial=False, max_columns=5)
    assert len(audit.columns) == 5 and audit.n_columns_omitted == 7
    assert audit.max_psi == 0.0 and audit.label_shift_tvd is None


def test_result_round_trips_through_json():
    audit = audit_drift(_sample(200, 0), _sample(200, 1), target="y", n_folds=2)
    assert from_jsonable(DriftAudit, to_jsonable(audit)) == audit


def test_bad_input_gets_a_clear_error():
    with pytest.raises(InputError, match="`reference` must be a Dataset or a pandas DataFrame"):
        audit_drift(_sample(10, 0), "ref.parquet")
    with pytest.raises(TargetError, match="`target` must be a column"):
        audit_drift(_sample(10, 0), _sample(10, 1), target="label")


def test_drift_suite_checks_columns_and_facts():
    current, reference = _sample(300, 0, shift=1.5), _sample(300, 1).assign(extra=1)
    audit = audit_drift(current, reference, target="y", n_folds=2)
    suites = tuple(s for s in load_suites() if s.name == "drift")
    result = validate(
        current,
        audit.facts(),
        suites,
        parameters={"target": "y", "reference_columns": list(reference.columns)},
    )
    status = {o.type: o.status for o in result.outcomes}
    assert status == {
        "expect_table_columns_to_match_set": "failed",
        "expect_type_changed_column_count_to_be_at_most": "passed",
        "expect_adversarial_auc_to_be_at_most": "failed",
        "expect_drifted_column_count_to_be_at_most": "failed",
        "expect_label_shift_tvd_to_be_at_most": "passed",
    }

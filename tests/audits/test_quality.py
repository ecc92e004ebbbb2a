"""Feature quality counted exactly on a constructed frame; outliers found at their injected rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits._serde import from_jsonable, to_jsonable
from audits.errors import DataError, InputError
from audits.gx import load_suites, validate
from audits.io import Dataset, DatasetInfo
from audits.overview import describe_dataset
from audits.quality import QualityAudit, audit_quality, count_duplicate_rows


def _frame() -> pd.DataFrame:
    """195 rows with one column per issue, then 5 exact copies of the first 5 rows.

    num     missing in rows 9, 19, ..., 189 (19 of 200)
    empty   all null                               -> all_null
    const   7 everywhere                           -> constant
    near    'b' in row 100 only (199 'a')          -> near_constant
    a_or_na 'a' in 150 rows, missing in 45 (+5)    -> nothing (missing is a value)
    ids     'id<i>', 195 distinct                  -> high_cardinality, id_like
    city    30 levels                              -> nothing (by default)
    mixed   ints, strings and missing values       -> mixed_types
    """
    n = 195
    i = np.arange(n)
    rng = np.random.default_rng(0)
    base = pd.DataFrame(
        {
            "num": np.where(i % 10 == 9, np.nan, rng.normal(size=n)),
            "empty": np.full(n, np.nan),
            "const": np.full(n, 7),
            "near": np.where(i == 100, "b", "a"),
            "a_or_na": pd.array(np.where(i < 150, "a", None), dtype="string"),
            "ids": [f"id{k}" for k in i],
            "city": pd.array([f"c{k % 30}" for k in i], dtype="string"),
            "mixed": pd.Series(
                [k % 5 if k % 3 == 0 else (f"s{k % 5}" if k % 3 == 1 else None) for k in i],
                dtype=object,
            ),
            "flag": i % 2 == 0,
            "when": pd.date_range("2024-03-01", periods=n, freq="h", tz="America/New_York"),
        }
    )
    return pd.concat([base, base.iloc[:5]], ignore_index=True)


def test_issues_are_counted_exactly():
    audit = audit_quality(_frame())
    assert (audit.n_rows, audit.n_columns) == (200, 10)
    by_name = {c.name: c for c in audit.columns}
    assert by_name["empty"].issues == ("all_null",)
    assert by_name["const"].issues == ("constant",)
    assert by_name["near"].issues == ("near_constant",)
    assert by_name["near"].dominant_share == pytest.approx(199 / 200)
    assert by_name["a_or_na"].issues == ()
    assert by_name["a_or_na"].missing_share == pytest.approx(45 / 200)
    assert by_name["ids"].issues == ("high_cardinality", "id_like")
    assert by_name["ids"].n_unique == 195
    assert by_name["city"].issues == ()
    assert by_name["mixed"].issues == ("mixed_types",)
    assert by_name["mixed"].value_kinds == ("number", "text")
    assert by_name["num"].missing_share == pytest.approx(19 / 200)
    for name in ("num", "flag", "when"):
        assert by_name[name].issues == ()
    assert [c.name for c in audit.columns[:5]] == ["empty", "const", "mixed", "ids", "near"]
    assert audit.n_duplicate_rows == audit.n_duplicate_feature_rows == 5
    facts = audit.facts()
    assert facts["max_missing_share"] == 1.0
    assert facts["missing_cell_share"] == pytest.approx((19 + 200 + 45 + 66) / 2000)
    assert facts["n_all_null_columns"] == 1.0
    assert facts["n_constant_columns"] == 1.0
    assert facts["n_near_constant_columns"] == 1.0
    assert facts["n_high_cardinality_columns"] == 1.0
    assert facts["n_mixed_type_columns"] == 1.0


@pytest.mark.parametrize(
    ("name", "values", "id_like"),
    [
        ("customer_id", np.arange(300) // 3, True),  # recurring customers
        ("userId", [f"u{k}" for k in range(300)], True),
        ("ID", np.arange(300).astype(float), True),  # whole numbers stored as floats
        ("idcode", np.arange(300) % 50, True),
        ("paid", np.arange(300) // 3, False),  # "id" inside a word is no id
        ("valid_id", np.arange(300) % 4, False),  # 4 values: too few to group by
        ("patient_id", np.arange(300) / 7, False),  # fractions: a measurement
        ("grid", np.arange(300) % 50, False),
    ],
)
def test_columns_named_like_identifiers(name, values, id_like):
    audit = audit_quality(pd.DataFrame({name: values, "x": np.arange(300) % 7}))
    (column,) = [c for c in audit.columns if c.name == name]
    assert ("id_like" in column.issues) is id_like


def test_infinite_values_are_an_issue_of_their_column():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "ratio": rng.normal(size=100),
            "gap": rng.normal(size=100),
            "count": rng.integers(0, 9, size=100),
            "holes": rng.normal(size=100),
        }
    )
    frame.loc[:2, "ratio"] = np.inf
    frame.loc[5, "gap"] = -np.inf
    frame.loc[:30, "holes"] = np.nan
    audit = audit_quality(frame)
    by_name = {c.name: c for c in audit.columns}
    assert by_name["ratio"].issues == by_name["gap"].issues == ("infinite",)
    assert by_name["count"].issues == by_name["holes"].issues == ()
    assert audit.n_infinite_columns == 2
    assert audit.facts()["n_infinite_columns"] == 2.0


def test_thresholds_are_options():
    audit = audit_quality(_frame(), max_levels=20, near_constant_share=0.999)
    by_name = {c.name: c for c in audit.columns}
    assert by_name["city"].issues == ("high_cardinality",)
    assert by_name["near"].issues == ()


def test_dataset_duplicates_count_the_target_and_features_alone():
    frame = _frame()
    frame["y"] = ["p" if k % 2 == 0 else "q" for k in [*range(195), *range(5)]]
    frame.loc[[195, 196], "y"] = ["q", "p"]  # copies of rows 0 and 1 with another label
    info = DatasetInfo(uri="memory", n_rows=200, columns=(), n_files=1, n_bytes=0, fingerprint="")
    audit = audit_quality(Dataset(frame=frame, target="y", info=info))
    assert audit.n_columns == 10
    assert audit.n_duplicate_rows == 3
    assert audit.n_duplicate_feature_rows == 5


def test_duplicate_rows_of_every_column_kind():
    frame = pd.DataFrame(
        {
            "x": [1.0, np.nan, 1.0, np.nan, 2.0, 1.0],
            "mixed": [1, "1", 1, "1", 1, 1],
            "when": pd.to_datetime(["2024-01-01", None] * 2 + ["2024-01-01"] * 2),
            "cat": pd.Categorical(["a", "b", "a", "b", "a", "a"]),
            "listed": [[1], [2], [1], [2], [1], [1]],  # unhashable: compared as text
        }
    )
    # rows 2, 3 and 5 repeat rows 0 and 1 (missing equals missing); row 4 differs in x
    assert count_duplicate_rows(frame) == 3
    assert count_duplicate_rows(frame.drop(columns="x")) == 4
    info = DatasetInfo(uri="memory", n_rows=6, columns=(), n_files=1, n_bytes=0, fingerprint="")
    frame = frame.drop(columns="listed").assign(y=["p", "q", "p", "q", "p", "q"])
    dataset = Dataset(frame=frame, target="y", info=info)  # lists never load (nested)
    assert describe_dataset(dataset).n_duplicate_rows == 2
    assert audit_quality(dataset).n_duplicate_rows == 2


def test_outlier_share_matches_the_injected_share():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(2000, 5))
    injected = rng.choice(2000, size=100, replace=False)
    values[injected] += rng.choice([-1, 1], size=(100, 5)) * 6
    frame = pd.DataFrame(values, columns=[f"v{k}" for k in range(5)])
    frame["label_like"] = pd.array(rng.choice(["x", "y"], 2000), dtype="string")
    audit = audit_quality(frame)
    assert audit.outlier_share == pytest.approx(0.05, abs=0.01)
    assert audit.n_outlier_rows_checked == 2000
    assert audit.outlier_columns == ("v0", "v1", "v2", "v3", "v4")
    assert len(audit.most_anomalous_rows) == 20
    assert set(audit.most_anomalous_rows) <= set(injected.tolist())
    sampled = audit_quality(frame, outlier_rows=500)
    assert sampled.n_outlier_rows_checked == 500
    assert sampled.outlier_share == pytest.approx(0.05, abs=0.03)


def test_awkward_columns_do_not_crash():
    rng = np.random.default_rng(2)
    n = 5000
    frame = pd.DataFrame(
        {
            "zip": pd.array([f"z{k}" for k in rng.integers(0, 3915, n)], dtype="string"),
            "nested": pd.Series([[k, k + 1] if k % 4 else None for k in range(n)], dtype=object),
            "flag": pd.array(rng.random(n) > 0.5, dtype="boolean"),
            "when": pd.date_range("2020-01-01", periods=n, freq="min", tz="Asia/Tokyo"),
            "empty": pd.Series([None] * n, dtype=object),
        }
    )
    audit = audit_quality(frame)
    by_name = {c.name: c for c in audit.columns}
    assert by_name["zip"].issues == ("high_cardinality",)
    assert by_name["zip"].n_unique > 1000
    assert by_name["nested"].value_kinds == ("list",)
    assert by_name["empty"].issues == ("all_null",)
    assert audit.outlier_share is None and audit.facts()["outlier_share"] is None


def test_column_table_is_capped_but_counts_are_not():
    frame = pd.DataFrame({f"c{k}": np.zeros(30) for k in range(250)})
    audit = audit_quality(frame, max_columns=200)
    assert len(audit.columns) == 200
    assert audit.n_columns_omitted == 50
    assert audit.n_constant_columns == 250


def test_result_round_trips_through_json():
    audit = audit_quality(_frame())
    assert from_jsonable(QualityAudit, to_jsonable(audit)) == audit


def test_bad_input_gets_a_clear_error():
    with pytest.raises(InputError, match="`data` must be a Dataset or a pandas DataFrame"):
        audit_quality([[1, 2]])
    with pytest.raises(DataError, match="at least one row"):
        audit_quality(pd.DataFrame({"a": []}))


def test_quality_suite_fails_on_the_constructed_frame():
    facts = audit_quality(_frame()).facts()
    suites = tuple(s for s in load_suites() if s.name == "quality")
    result = validate(_frame(), facts, suites, parameters={"target": "num"})
    status = {o.type: o.status for o in result.outcomes}
    for kind in (
        "max_missing_share",
        "all_null_column_count",
        "constant_column_count",
        "mixed_type_column_count",
        "high_cardinality_column_count",
    ):
        assert status[f"expect_{kind}_to_be_at_most"] == "failed"
    assert status["expect_outlier_share_to_be_at_most"] == "passed"
    assert status["expect_labelled_row_count_to_be_at_least"] == "skipped"

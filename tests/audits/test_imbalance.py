"""Imbalance numbers on constructed data; the resampling what-if on small synthetic sets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from audits._serde import from_jsonable, to_jsonable
from audits.errors import DataError, InputError, TargetError
from audits.gx import load_suites, validate
from audits.imbalance import ARMS, ImbalanceAudit, audit_imbalance, resampling_what_if
from audits.imbalance._whatif import _oversampling_targets, _summarise, _UnweightedBins
from audits.models import FrameEncoder, OutOfFold


@pytest.fixture(autouse=True)
def _one_thread():
    """Gradient boosting with several OpenMP threads crawls on a busy, shared machine."""
    with threadpool_limits(1):
        yield


def _hand_made() -> tuple[pd.DataFrame, pd.Series, OutOfFold]:
    """60 'a', 30 'b', 10 'c' and 3 unlabelled rows; out-of-fold predictions set by hand.

    Every 'a' is predicted 'a'; 20 'b' are predicted 'b' and 10 'a';
    5 'c' are predicted 'c' and 5 'b'.
    """
    labels = ["a"] * 60 + ["b"] * 30 + ["c"] * 10
    predicted = ["a"] * 60 + ["b"] * 20 + ["a"] * 10 + ["c"] * 5 + ["b"] * 5
    classes = ("a", "b", "c")
    codes = np.array([classes.index(v) for v in labels])
    proba = np.full((100, 3), 0.1)
    proba[np.arange(100), [classes.index(v) for v in predicted]] = 0.8
    oof = OutOfFold(
        proba=proba,
        labels=codes,
        classes=classes,
        fold=np.arange(100) % 5,
        n_folds=5,
        small_classes=(),
        model="hand",
    )
    y = pd.Series(labels + [None] * 3, name="y")
    X = pd.DataFrame({"x": np.arange(103, dtype=float)})
    return X, y, oof


def test_counts_ratio_and_per_class_metrics_are_exact():
    X, y, oof = _hand_made()
    audit = audit_imbalance(X, y, oof, what_if=False)
    assert audit.n_rows == 100
    assert audit.class_counts == {"a": 60, "b": 30, "c": 10}
    assert list(audit.class_counts) == ["a", "b", "c"]
    assert (audit.majority_class, audit.minority_class) == ("a", "c")
    assert audit.imbalance_ratio == 6.0
    assert audit.minority_share == pytest.approx(0.1)
    by_label = {c.label: c for c in audit.classes}
    assert [c.label for c in audit.classes] == ["c", "b", "a"]
    assert by_label["a"].recall == 1.0
    assert by_label["b"].recall == pytest.approx(20 / 30)
    assert by_label["c"].recall == pytest.approx(0.5)
    assert by_label["a"].precision == pytest.approx(60 / 70)
    assert by_label["b"].precision == pytest.approx(20 / 25)
    assert by_label["c"].precision == 1.0
    assert by_label["a"].specificity == pytest.approx(30 / 40)
    assert by_label["c"].specificity == 1.0
    assert by_label["c"].geometric_mean == pytest.approx(math.sqrt(0.5 * 1.0))
    assert audit.balanced_accuracy == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    assert audit.geometric_mean == pytest.approx((1 * 2 / 3 * 0.5) ** (1 / 3))
    assert audit.what_if is None
    facts = audit.facts()
    assert facts["imbalance_ratio"] == 6.0
    assert facts["min_class_recall"] == pytest.approx(0.5)
    assert facts["resampling_gain"] is None


def test_result_round_trips_through_json():
    X, y, oof = _hand_made()
    audit = audit_imbalance(X, y, oof, what_if=False)
    assert from_jsonable(ImbalanceAudit, to_jsonable(audit)) == audit


def test_oof_that_does_not_match_the_labels_is_refused():
    X, y, oof = _hand_made()
    with pytest.raises(InputError, match="`oof` must have one row per labelled row"):
        audit_imbalance(X.iloc[40:], y.iloc[40:], oof, what_if=False)
    shuffled = y.copy()
    shuffled.iloc[[0, 99]] = shuffled.iloc[[99, 0]].to_numpy()
    with pytest.raises(InputError, match="`oof` must be computed on these labels"):
        audit_imbalance(X, shuffled, oof, what_if=False)
    with pytest.raises(InputError, match="`X` must be a pandas DataFrame"):
        audit_imbalance(X.to_numpy(), y, oof, what_if=False)


def test_imbalance_suite_passes_and_fails_on_the_facts():
    X, y, oof = _hand_made()
    facts = audit_imbalance(X, y, oof, what_if=False).facts()
    suites = tuple(s for s in load_suites() if s.name == "imbalance")
    result = validate(
        pd.DataFrame({"y": ["a"]}),
        {**facts, "min_class_count": 10.0},
        suites,
        parameters={"target": "y"},
    )
    status = {o.type: o.status for o in result.outcomes}
    assert status["expect_imbalance_ratio_to_be_at_most"] == "passed"
    assert status["expect_min_class_count_to_be_at_least"] == "failed"
    facts["imbalance_ratio"] = 25.0
    result = validate(pd.DataFrame({"y": ["a"]}), facts, suites, parameters={"target": "y"})
    status = {o.type: o.status for o in result.outcomes}
    assert status["expect_imbalance_ratio_to_be_at_most"] == "failed"


def _imbalanced(
    n: int = 300, minority: float = 0.1, seed: int = 0
) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    y = pd.Series(np.where(np.arange(n) < round(minority * n), "rare", "common"))
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n) + (y == "rare") * 1.0,
            "z": rng.normal(size=n),
            "colour": pd.array(rng.choice(["red", "green", "blue"], size=n), dtype="string"),
            "when": pd.date_range("2021-01-01", periods=n, freq="D", tz="Europe/Paris"),
            "flag": rng.random(n) > 0.5,
            "empty": np.full(n, np.nan),
        }
    )
    X.loc[rng.choice(n, 20, replace=False), "x"] = np.nan
    X.loc[rng.choice(n, 20, replace=False), "colour"] = pd.NA
    return X, y


def test_what_if_runs_every_arm_on_the_same_folds():
    X, y = _imbalanced()
    what_if = resampling_what_if(X, y, n_folds=3, random_state=0)
    assert [a.name for a in what_if.arms] == list(ARMS)
    assert what_if.n_folds == 3 and what_if.n_rows == what_if.n_rows_total == 300
    for arm in what_if.arms:
        assert arm.skipped == ""
        assert len(arm.scores) == 3
        assert all(0.0 <= s <= 1.0 for s in arm.scores)
        assert arm.mean == pytest.approx(np.mean(arm.scores))
    none, *others = what_if.arms
    assert none.gain is None
    for arm in others:
        assert arm.gain == pytest.approx(np.mean(np.subtract(arm.scores, none.scores)))
        assert arm.gain_se >= 0
    assert what_if.arms[3].method.startswith("SMOTENC (k_neighbors=5)")
    assert what_if.best_arm in ARMS[1:]
    assert what_if.best_gain == max(a.gain for a in others)
    assert what_if.recommendation.startswith(("rebalancing helps", "no arm beats"))


def test_audit_runs_the_what_if_when_asked():
    X, y = _imbalanced(n=200)
    codes = (y == "rare").to_numpy().astype(int)
    oof = OutOfFold(
        proba=np.eye(2)[codes],
        labels=np.where(codes == 1, 1, 0),
        classes=("common", "rare"),
        fold=np.arange(200) % 3,
        n_folds=3,
        small_classes=(),
        model="hand",
    )
    audit = audit_imbalance(X, y, oof, n_folds=3)
    assert audit.what_if is not None
    assert audit.facts()["resampling_gain"] == audit.what_if.best_gain


def test_smote_lowers_k_for_small_classes_and_skips_single_rows():
    X, y = _imbalanced(n=120, minority=0.0)
    y = y.copy()
    y.iloc[:3] = "tiny"  # 3 rows: 2 in each training part of 3 folds -> k_neighbors=1
    what_if = resampling_what_if(X, y, n_folds=3, arms=("smote",))
    assert [a.name for a in what_if.arms] == ["none", "smote"]
    assert what_if.arms[1].method.startswith("SMOTENC (k_neighbors=1)")
    y.iloc[:3] = ["lonely", "tiny", "tiny"]  # a single row: nothing to interpolate
    y.iloc[3:5] = "tiny"
    what_if = resampling_what_if(X, y, n_folds=3)
    by_name = {a.name: a for a in what_if.arms}
    assert "k_neighbors=1" in by_name["smote"].method  # 'tiny' has 2 to 4 training rows
    y.iloc[1:5] = "common"
    what_if = resampling_what_if(X, y, n_folds=3)
    by_name = {a.name: a for a in what_if.arms}
    assert "single class" in by_name["smote"].skipped  # 'lonely' misses 2 training folds
    assert by_name["smote"].mean is None
    assert by_name["random_oversampling"].skipped == by_name["smote"].skipped
    assert by_name["class_weight"].skipped == ""


@pytest.mark.parametrize(
    ("columns", "method"), [(["x", "z"], "SMOTE "), (["colour", "flag"], "SMOTEN ")]
)
def test_smote_variant_follows_the_column_kinds(columns, method):
    X, y = _imbalanced(n=150)
    what_if = resampling_what_if(X[columns], y, n_folds=2, arms=("smote",))
    assert what_if.arms[1].method.startswith(method)
    assert what_if.arms[1].skipped == ""


def test_large_data_is_subsampled_keeping_small_classes():
    X, y = _imbalanced(n=3000, minority=0.01)  # 30 rare rows
    what_if = resampling_what_if(X, y, n_folds=2, max_rows=300, arms=("none",))
    assert what_if.n_rows_total == 3000
    assert 290 <= what_if.n_rows <= 330
    assert "stratified sample" in what_if.note
    assert what_if.recommendation == "no rebalancing arm could be compared to no resampling"


def test_what_if_refuses_bad_arguments():
    X, y = _imbalanced(n=50)
    with pytest.raises(InputError, match="`arms` must be among"):
        resampling_what_if(X, y, arms=("undersampling",))
    with pytest.raises(TargetError):
        resampling_what_if(X, pd.Series(["a"] * 50))
    with pytest.raises(DataError, match="a column that is not all missing"):
        resampling_what_if(X[["empty"]], y)
    with pytest.raises(DataError, match="too few rows"):
        resampling_what_if(X.iloc[:3], pd.Series(["a", "b", "a"]), n_folds=5, max_rows=100)
    for budget in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(InputError, match="`budget_seconds` must be a positive number"):
            resampling_what_if(X, y, budget_seconds=budget)


class _FakeClock:
    """A clock that a fit advances by ``seconds`` (twice that for the class-weight arm
    when ``slow_weights``), and a ``map_fn`` that counts its calls."""

    def __init__(self, seconds: float, *, slow_weights: bool = False) -> None:
        self.now, self.seconds, self.slow_weights, self.calls = 0.0, seconds, slow_weights, []

    def __call__(self) -> float:
        return self.now

    def map_fn(self, function, items):
        items = list(items)
        self.calls.append(len(items))
        out = []
        for item in items:
            weighted = "bins" in getattr(item[0], "named_steps", {})
            self.now += self.seconds * (2 if weighted and self.slow_weights else 1)
            out.append(function(item))
        return out


def test_budget_skips_the_arms_predicted_not_to_fit(monkeypatch):
    """300 rows, 30 rare: over-sampling raises them to 270, 1.8 times the rows, so with
    10 s per fit and 3 folds none takes 30 s and each over-sampling arm is predicted at
    54 s."""
    X, y = _imbalanced()
    clock = _FakeClock(10.0)
    monkeypatch.setattr("audits.imbalance._whatif.perf_counter", clock)
    what_if = resampling_what_if(X, y, n_folds=3, budget_seconds=75, map_fn=clock.map_fn)
    arms = {a.name: a for a in what_if.arms}
    assert clock.calls == [3, 3]  # none, then class weights; one arm at a time
    assert len(arms["none"].scores) == len(arms["class_weight"].scores) == 3
    for name in ("random_oversampling", "smote"):
        assert arms[name].scores == ()
        assert arms[name].skipped == (
            "predicted to take 54 s, more than the 15 s left of the what-if's 75 s budget"
        )
    assert what_if.best_arm == "class_weight"

    slow = _FakeClock(10.0, slow_weights=True)  # class weights take twice their prediction
    monkeypatch.setattr("audits.imbalance._whatif.perf_counter", slow)
    what_if = resampling_what_if(X, y, n_folds=3, budget_seconds=200, map_fn=slow.map_fn)
    arms = {a.name: a for a in what_if.arms}
    assert slow.calls == [3, 3, 3] and slow.now == 120.0
    assert arms["smote"].skipped == (
        "predicted to take 108 s, more than the 80 s left of the what-if's 200 s budget"
    )

    short = _FakeClock(10.0)
    monkeypatch.setattr("audits.imbalance._whatif.perf_counter", short)
    what_if = resampling_what_if(X, y, n_folds=3, budget_seconds=1, map_fn=short.map_fn)
    assert short.calls == [3]  # none always runs: it is the baseline
    assert [a.name for a in what_if.arms if a.scores] == ["none"]
    assert what_if.best_arm is None
    assert what_if.recommendation == (
        "no rebalancing arm could be compared to no resampling: predicted to take 30 s, "
        "more than the 0 s left of the what-if's 1 s budget"
    )

    unbounded = _FakeClock(10.0)
    resampling_what_if(X, y, n_folds=3, map_fn=unbounded.map_fn)
    assert unbounded.calls == [12]  # without a budget every fit goes out at once


def test_oversampling_targets_are_capped_with_many_classes():
    few = np.array(["a"] * 100 + ["b"] * 10 + ["c"] * 5)
    assert _oversampling_targets(few) == {"b": 100, "c": 100}
    assert _oversampling_targets(few, min_count=6) == {"b": 100}
    many = np.array([0] * 1000 + [k for k in range(1, 10) for _ in range(10)])
    targets = _oversampling_targets(many)
    assert targets == {k: 327 for k in range(1, 10)}  # 3 * 1090 rows / 10 classes


def test_recommendation_separates_gain_from_noise():
    names = ("none", "class_weight")
    methods = {
        "none": "no resampling",
        "class_weight": 'class_weight="balanced" on unweighted bins',
    }
    clear = {"none": [0.60, 0.61, 0.62, 0.60, 0.61], "class_weight": [0.70, 0.71, 0.72, 0.71, 0.70]}
    _, best, gain, line = _summarise(names, methods, clear, 5)
    assert best == "class_weight"
    assert gain == pytest.approx(0.1)
    assert line == "rebalancing helps: +0.100 balanced accuracy with class weights"
    noisy = {"none": [0.60, 0.70, 0.62, 0.68, 0.61], "class_weight": [0.66, 0.64, 0.70, 0.60, 0.63]}
    _, _, _, line = _summarise(names, methods, noisy, 5)
    assert line.startswith("no arm beats no resampling by more than its noise (best: class weights")
    tiny = {"none": [0.600, 0.610, 0.620], "class_weight": [0.605, 0.615, 0.625]}
    _, _, gain, line = _summarise(names, methods, tiny, 3)
    assert gain == pytest.approx(0.005)  # no noise at all, but too small to recommend
    assert line.startswith("no arm beats no resampling")


def _many_valued(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A numeric column of ``n`` distinct values (some missing), one of 10, and a categorical."""
    rng = np.random.default_rng(seed)
    y = pd.Series(np.where(rng.random(n) < 0.2, "rare", "common"))
    X = pd.DataFrame(
        {
            "many": rng.normal(size=n) + (y == "rare") * 1.0,
            "few": rng.integers(0, 10, size=n).astype(float),
            "colour": rng.choice(["red", "green", "blue"], size=n),
        }
    )
    X.loc[rng.choice(n, 30, replace=False), "many"] = np.nan
    return X, y


def test_unweighted_bins_give_the_trees_their_own_bins():
    X, y = _many_valued()
    encoded = FrameEncoder().fit_transform(X)
    binned = _UnweightedBins().fit_transform(encoded)
    many = binned["many"].to_numpy()
    assert np.array_equal(np.isnan(many), X["many"].isna().to_numpy())
    assert len(np.unique(many[~np.isnan(many)])) == 255
    pd.testing.assert_series_equal(binned["few"], encoded["few"])
    pd.testing.assert_series_equal(binned["colour"], encoded["colour"])
    # Without weights the trees split the binned frame exactly as the raw one.
    trees = HistGradientBoostingClassifier(early_stopping=False, max_iter=30, random_state=0)
    raw = clone(trees).fit(encoded, y).predict_proba(encoded)
    assert np.array_equal(clone(trees).fit(binned, y).predict_proba(binned), raw)


def test_class_weight_arm_places_no_weighted_bin_edges(monkeypatch):
    from sklearn.ensemble._hist_gradient_boosting import binning

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return weighted_percentile(*args, **kwargs)

    weighted_percentile = binning._weighted_percentile
    monkeypatch.setattr(binning, "_weighted_percentile", counted)
    X, y = _many_valued()
    what_if = resampling_what_if(X, y, n_folds=2, arms=("class_weight",))
    assert what_if.arms[1].skipped == "" and len(what_if.arms[1].scores) == 2
    assert calls == []
    # The same weighted trees on the raw column place every edge by a weighted percentile.
    encoded = FrameEncoder().fit_transform(X)
    HistGradientBoostingClassifier(class_weight="balanced", max_iter=5).fit(encoded, y)
    assert len(calls) == 254

"""Anchor schedule, splits, one anchor's measurement, and the metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from audits.errors import ConfigError, DataError
from audits.sufficiency import (
    AnchorTask,
    make_split,
    measure_anchor,
    plan_anchors,
    summarise_anchors,
)
from audits.sufficiency._anchors import anchor_step
from audits.sufficiency._metrics import METRICS, aligned_proba, get_metric


def test_plan_is_geometric_and_ends_at_the_training_pool():
    plan = plan_anchors(10_000, n_classes=3)
    assert plan.n_validation == 2_000
    assert plan.repetitions == 2
    assert plan.sizes == (125, 250, 500, 1_000, 2_000, 4_000, 8_000)  # 8_000 / 64 .. 8_000
    short = plan_anchors(1_000)  # 64 .. 800 spans 12.5 < 16: spaced by sqrt(2)
    assert short.sizes[0] == 64 and short.sizes[-1] == 800
    ratios = np.diff(np.log(short.sizes))
    assert np.all(ratios > 0)
    assert np.allclose(ratios[:-1], np.log(np.sqrt(2)), atol=0.02)


@pytest.mark.parametrize("ratio", [12.0, 15.5, 16.5, 24.0, 40.0, 64.0])
def test_schedule_has_seven_sizes_once_the_backtest_keeps_four_anchors(ratio):
    step = anchor_step(ratio)
    if ratio < 16:
        assert step == pytest.approx(np.sqrt(2))
    else:
        assert step == pytest.approx(min(ratio ** (1 / 6), 2.0))
    plan = plan_anchors(round(64 * ratio / 0.8))  # pool = 64 * ratio
    assert plan.sizes[0] == 64
    assert ratio < 16 or len(plan.sizes) == 7
    ratios = np.diff(np.log(plan.sizes))
    assert np.allclose(ratios[:-1], np.log(step), atol=0.02)
    below = [s for s in plan.sizes if s <= plan.sizes[-1] / 4]
    assert len(below) >= 4  # enough for the backtest of extrapolate


def test_plan_caps_validation_and_rejects_tiny_or_bad_input():
    assert plan_anchors(1_000_000, max_validation=5_000).n_validation == 5_000
    with pytest.raises(DataError, match="learning curve: 40; at least 64 are needed"):
        plan_anchors(40)
    with pytest.raises(DataError, match="of 60 classes: 100 rows leave 0 for training after a "):
        plan_anchors(100, n_classes=60)  # the validation set holds 2 rows per class
    with pytest.raises(ConfigError, match="`repetitions` must be"):
        plan_anchors(1_000, repetitions=0)
    with pytest.raises(ConfigError, match="`validation_fraction` must be"):
        plan_anchors(1_000, validation_fraction=1.5)


def test_split_is_disjoint_nested_and_stratified():
    y = pd.Series(np.repeat(["a", "b", "c"], [700, 250, 50]))
    plan = plan_anchors(len(y), n_classes=3, repetitions=3)
    split = make_split(y, plan=plan, random_state=1)
    assert split.labels == ("a", "b", "c")
    for val, order in zip(split.validation, split.train_order, strict=True):
        assert len(set(val) & set(order)) == 0
        assert len(val) + len(order) == len(y)
        # every class in the first n_classes rows, and prefixes keep the proportions
        assert set(split.codes[order[:3]]) == {0, 1, 2}
        counts = np.bincount(split.codes[order[:200]], minlength=3)
        np.testing.assert_allclose(counts / 200, [0.7, 0.25, 0.05], atol=0.02)
        val_counts = np.bincount(split.codes[val], minlength=3)
        np.testing.assert_allclose(val_counts / len(val), [0.7, 0.25, 0.05], atol=0.02)
    # validation blocks of the repetitions do not overlap
    assert len(set(split.validation[0]) & set(split.validation[1])) == 0


def test_aligned_proba_fills_classes_missing_from_the_subset():
    model = DummyClassifier(strategy="prior").fit(np.zeros((4, 1)), [0, 0, 2, 2])
    proba = aligned_proba(model, np.zeros((2, 1)), 3)
    np.testing.assert_allclose(proba, [[0.5, 0.0, 0.5]] * 2)


def test_metrics_known_answers():
    codes = np.array([0, 0, 1, 1])
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    assert METRICS["accuracy"].score(codes, proba) == pytest.approx(0.75)
    assert METRICS["balanced_accuracy"].score(codes, proba) == pytest.approx(0.75)
    assert METRICS["roc_auc"].score(codes, proba) == pytest.approx(1.0)
    expected = -np.mean(np.log([0.9, 0.4, 0.8, 0.7]))
    assert METRICS["log_loss"].score(codes, proba) == pytest.approx(expected)
    assert METRICS["macro_f1"].score(codes, proba) == pytest.approx(0.7333, abs=1e-3)
    assert not METRICS["log_loss"].higher_is_better
    with pytest.raises(ConfigError, match="`metric` must be one of"):
        get_metric("f2")


def test_measure_anchor_with_a_class_missing_from_the_subset():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["u", "v"], n)})
    y = pd.Series(np.where(X.x > 0, "pos", "neg"))
    y.iloc[:3] = "rare"
    split = make_split(y, plan=plan_anchors(n, n_classes=3), random_state=0)
    task = AnchorTask("logistic", 64, 0)
    # force the subset to miss the rare class: reorder so that rare rows come last
    order = split.train_order[0]
    rare = split.codes[order] == split.labels.index("rare")
    object.__setattr__(split, "train_order", (np.r_[order[~rare], order[rare]],))
    m = measure_anchor(X, split, task, metric="log_loss")
    assert m.size == 64 and m.rep == 0 and m.model == "logistic"
    assert np.isfinite(m.score) and m.score > 0
    assert m.fit_seconds > 0 and m.model_bytes > 0 and m.load_seconds >= 0
    assert m.predict_seconds_per_row > 0
    acc = measure_anchor(X, split, task, metric="accuracy")
    assert acc.score > 0.8  # the rule is learnable from 64 rows
    (anchor,) = summarise_anchors([acc, acc])
    assert anchor.n == 64 and anchor.score == pytest.approx(acc.score)
    assert anchor.score_std == 0.0 and anchor.scores == (acc.score, acc.score)

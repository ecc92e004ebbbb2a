"""assess() end to end on synthetic data whose learning curves are known in shape."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from audits.errors import ConfigError, DataError, InputError, TargetError
from audits.sufficiency import assess, plan_anchors, render_text


def learnable(n=1_500, d=30, seed=0):
    """A noisy linear rule over 30 features: logistic regression needs many rows."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, d)), columns=[f"x{i}" for i in range(d)])
    logits = X.to_numpy() @ rng.normal(size=d) / np.sqrt(d) * 3
    y = np.where(logits + rng.logistic(size=n) * 0.5 > 0, "yes", "no")
    return X, pd.Series(y)


def independent(n=1_500, seed=0):
    """Balanced labels independent of the features: every model scores 0.5 on average.

    (With unbalanced labels accuracy does rise with more rows, up to the majority
    rate, as the model learns to ignore the features.)
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=list("abcde"))
    return X, pd.Series(rng.choice(["a", "b"], size=n))


class Sleeper(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; fitting takes ``per_row`` seconds per row."""

    def __init__(self, per_row: float = 1e-3) -> None:
        self.per_row = per_row

    def fit(self, X, y):
        time.sleep(self.per_row * len(X))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))


def make_sleeper(X, *, random_state=0):
    """``Sleeper`` by import path: helper processes import it too."""
    return Sleeper()


def make_linear(X, *, random_state=0):
    return LogisticRegression(max_iter=500)


def make_tree(X, *, random_state=0):
    return DecisionTreeClassifier(max_depth=6, random_state=random_state)


#: Fast stand-ins for the model kinds, by import path.
SLEEP, LINEAR, TREE = (f"{__name__}:make_{kind}" for kind in ("sleeper", "linear", "tree"))


def test_more_data_helps_on_a_learnable_rule():
    X, y = learnable()
    result = assess(X, y, models=("logistic",), at=(1_500, 15_000))
    model = result.models["logistic"]
    first, last = model.anchors[0], model.anchors[-1]
    assert last.score > first.score + 0.05
    assert last.train_score >= last.score  # the over-fitting gap is visible
    assert "flat" not in {d.code for d in model.diagnostics}
    near, far = model.forecast
    assert far.score >= near.score >= last.score - 0.01
    assert far.high <= 1.0 and near.low < near.score < near.high
    assert model.costs[1].fit_seconds >= model.costs[0].fit_seconds > 0


def test_independent_labels_give_a_flat_diagnosed_curve():
    X, y = independent()
    result = assess(X, y, models=("logistic",), at=(15_000,), target_score=0.9)
    model = result.models["logistic"]
    assert "flat" in {d.code for d in model.diagnostics}
    assert abs(model.forecast[0].score - 0.5) < 0.04
    assert model.forecast[0].low < 0.5 < model.forecast[0].high
    assert model.ceiling < 0.55
    rows = result.rows_for_target["logistic"]
    assert rows.status == "unreachable"
    assert rows.message.startswith("not reachable: the curve levels off at")


def test_budget_skips_anchors_and_bounds_the_time():
    X, y = learnable(n=4_000)
    budget = 4.0
    started = time.perf_counter()
    result = assess(X, y, models=(SLEEP, LINEAR), budget_seconds=budget, n_jobs=1)
    elapsed = time.perf_counter() - started
    slow = result.models[SLEEP]
    assert slow.skipped_sizes, "the sleeping model must have hit the budget"
    assert slow.anchors[-1].n < 3_200
    assert len(slow.anchors) + len(slow.skipped_sizes) == len(plan_anchors(4_000).sizes)
    assert elapsed < budget * 1.25
    assert result.budget_seconds == budget


def test_budget_holds_with_fits_side_by_side():
    X, y = learnable(n=4_000)
    budget = 4.0
    started = time.perf_counter()
    result = assess(X, y, models=(SLEEP,), budget_seconds=budget, n_jobs=2)
    elapsed = time.perf_counter() - started
    (slow,) = result.models.values()
    assert slow.skipped_sizes and slow.anchors[-1].n < 3_200
    assert elapsed < budget * 1.25


def test_json_contract_and_map_fn():
    X, y = learnable(n=1_000)
    calls = []

    def counting_map(fn, tasks):
        tasks = list(tasks)
        calls.append([t.size for t in tasks])
        return map(fn, tasks)

    result = assess(
        X,
        y,
        models=(TREE, LINEAR),
        at=(1_000, 10_000),
        target_score=0.95,
        map_fn=counting_map,
    )
    sizes = plan_anchors(1_000).sizes
    # No budget: every fit in one call, smallest first (2 models x 2 repetitions per size).
    assert calls == [[s for s in sizes for _ in range(4)]]
    measured = [a.n for a in result.models[TREE].anchors]
    assert measured == list(sizes)
    calls.clear()
    budgeted = assess(X, y, models=(TREE, LINEAR), budget_seconds=600, map_fn=counting_map)
    assert calls == [[s] * 4 for s in sizes]  # a budget: one size at a time, smallest first
    assert [a.scores for a in budgeted.models[TREE].anchors] == [
        a.scores for a in result.models[TREE].anchors
    ]
    data = json.loads(json.dumps(result.to_json_dict(), allow_nan=False))
    assert {"models", "rows_for_target", "crossover", "metric", "schema_version"} <= set(data)
    for name in (TREE, LINEAR):
        model = data["models"][name]
        for anchor in model["anchors"]:
            assert {"n", "score", "score_std", "fit_seconds"} <= set(anchor)
        assert isinstance(model["family"], str) and isinstance(model["params"], dict)
        assert [set(p) for p in model["forecast"]] == [{"n", "score", "low", "high"}] * 2
        assert [p["n"] for p in model["forecast"]] == [1_000, 10_000]
        assert set(data["rows_for_target"][name]) >= {"status", "n", "low", "high"}
    assert data["crossover"]["challenger"] == LINEAR
    assert data["crossover"]["status"] in {"ahead", "forecast", "none"}
    text = render_text(result)
    assert LINEAR in text and "crossover:" in text


def test_fits_side_by_side_measure_the_same_curves_as_one_at_a_time():
    X, y = learnable(n=1_200)
    kwargs = {"models": ("logistic", "deep"), "at": (12_000,), "random_state": 3}
    alone = assess(X, y, n_jobs=1, **kwargs)
    both = assess(X, y, n_jobs=2, **kwargs)
    for name in kwargs["models"]:
        one, two = alone.models[name], both.models[name]
        assert [a.scores for a in one.anchors] == [a.scores for a in two.anchors]
        assert [a.train_scores for a in one.anchors] == [a.train_scores for a in two.anchors]
        assert one.forecast == two.forecast
    assert alone.crossover == both.crossover


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "match"),
    [
        ([[1.0]] * 100, [0, 1] * 50, {}, InputError, "`X` must be a pandas DataFrame"),
        (pd.DataFrame({"a": range(100)}), [0, 1] * 40, {}, InputError, "`y` must have one"),
        (pd.DataFrame({"a": range(100)}), [0] * 100, {}, TargetError, "at least two classes"),
        (pd.DataFrame({"a": range(100)}), [0, 1] * 50, {"metric": "f9"}, ConfigError, "metric"),
        (pd.DataFrame({"a": range(100)}), [0, 1] * 50, {"models": ()}, ConfigError, "models"),
        (pd.DataFrame({"a": range(100)}), [0, 1] * 50, {"models": ("svm",)}, ConfigError, "svm"),
        (pd.DataFrame({"a": range(100)}), [0, 1] * 50, {"at": (0,)}, ConfigError, "`at`"),
        (
            pd.DataFrame({"a": range(100)}),
            [0, 1] * 50,
            {"target_score": 1.5},
            ConfigError,
            "`target_score`",
        ),
        (
            pd.DataFrame({"a": range(100)}),
            [0, 1] * 50,
            {"budget_seconds": -1},
            ConfigError,
            "`budget_seconds`",
        ),
        (pd.DataFrame({"a": range(100)}), [0, 1] * 50, {"n_jobs": 0}, ConfigError, "`n_jobs`"),
        (pd.DataFrame({"a": range(100)}), [0, 1] * 50, {"random_state": -1}, ConfigError, "seed"),
        (
            pd.DataFrame({"a": range(100)}),
            [0, 1] * 50,
            {"metric": "log_loss", "target_score": float("inf")},
            ConfigError,
            "`target_score` must be in \\(0, inf\\) for log_loss; got inf",
        ),
        (pd.DataFrame(index=range(100)), [0, 1] * 50, {}, DataError, "no feature columns"),
        (pd.DataFrame({"a": [None] * 100}), [0, 1] * 50, {}, DataError, "all null \\('a'\\)"),
    ],
)
def test_bad_arguments_raise_audit_errors(X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        assess(X, y, **kwargs)


@pytest.mark.parametrize("kind", ["classical", "deep", LINEAR])
def test_a_class_of_one_row_leaves_subsets_of_one_class_scored_by_their_prior(kind):
    """The single "b" row is in a validation set or in a few subsets: the others hold "a"
    alone, which no classifier fits; they predict "a", so they score the share of "a"."""
    X = pd.DataFrame({"x0": np.random.default_rng(0).normal(size=100)})
    y = pd.Series(["a"] * 99 + ["b"])
    result = assess(X, y, models=(kind,), n_jobs=1, at=(1_000,))
    (model,) = result.models.values()
    assert all(s >= 0.9 for a in model.anchors for s in a.scores)
    assert "flat" in {d.code for d in model.diagnostics}

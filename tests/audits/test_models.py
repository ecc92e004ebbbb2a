"""Model families fit on awkward data; out-of-fold predictions are honest."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from audits.errors import ConfigError, DataError
from audits.models import (
    DenseEncoder,
    FrameEncoder,
    check_models,
    column_kinds,
    make_model,
    model_problem,
    out_of_fold,
)


def _awkward(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Signal in ``x``; a 3915-level categorical, a datetime, an all-null and a bool column."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    X = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=n),
            "zip": pd.array([f"z{i}" for i in rng.integers(0, 3915, size=n)], dtype="string"),
            "when": pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC"),
            "empty": np.full(n, np.nan),
            "flag": rng.random(n) > 0.5,
        }
    )
    X.loc[rng.choice(n, 30, replace=False), "x"] = np.nan
    y = pd.Series(np.where(x > 0, "pos", "neg"), name="y")
    return X, y


def test_column_kinds():
    X, _ = _awkward()
    kinds = column_kinds(X)
    assert kinds.numeric == ("x", "noise")
    assert kinds.categorical == ("zip", "flag")
    assert kinds.datetime == ("when",)
    assert kinds.empty == ("empty",)


def test_datetime_parts_do_not_overwrite_a_column_of_the_same_name():
    when = pd.Series(pd.date_range("2021-03-01", periods=4, freq="D", tz="Europe/Paris"))
    X = pd.DataFrame({"t": when, "t__days": [10.0, 20.0, 30.0, 40.0], "t__days_": [1.0] * 4})
    encoder = FrameEncoder().fit(X)
    out = encoder.transform(X)
    names = ["t__days", "t__days_", "t__days__", "t__month", "t__weekday"]
    assert list(out.columns) == list(encoder.get_feature_names_out()) == names
    assert out["t__days"].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert out["t__days__"].diff().iloc[1:].tolist() == [1.0, 1.0, 1.0]
    assert out["t__weekday"].tolist() == [0.0, 1.0, 2.0, 3.0]  # Monday 1 March, in Paris


def test_encoder_caps_levels_and_maps_unseen_to_other():
    X, _ = _awkward(n=5000)
    encoder = FrameEncoder(max_levels=255).fit(X)
    out = encoder.transform(X)
    assert len(out["zip"].cat.categories) == 255
    assert "__other__" in out["zip"].cat.categories
    unseen = encoder.transform(X.head(3).assign(zip=pd.array(["never"] * 3, dtype="string")))
    assert (unseen["zip"] == "__other__").all()
    assert list(out.columns) == list(encoder.get_feature_names_out())


def test_encoder_keeps_the_most_frequent_levels_first_appearance_breaking_ties():
    values = ["b", "a", 1, "1", "a", "b", "c", None, "d", "d"]  # 1 and "1" are one level
    X = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    assert FrameEncoder(max_levels=10).fit(X).levels_["v"] == ["b", "a", "1", "d", "c"]
    capped = FrameEncoder(max_levels=3).fit(X)
    assert capped.levels_["v"] == ["b", "a", "__other__"]
    out = capped.transform(X)["v"]
    assert list(out.astype(object)[:4]) == ["b", "a", "__other__", "__other__"]
    assert out.isna().tolist() == [v is None for v in values]


def test_dense_encoder_imputes_indicates_scales_and_one_hot_encodes():
    levels = ["a", "b", "c", "d"]  # "d" never seen in training
    train = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, 4.0] * 4 + [1.0, 1.0],
            "k": pd.Categorical(list("aaaaaabbbbbcc") + [None] * 5, categories=levels),
        }
    )
    encoder = DenseEncoder(min_frequency=5).fit(train)
    x = np.array([1.0, 3.0, 3.0, 4.0] * 4 + [1.0, 1.0])  # the median, 3, fills the gaps
    gap = np.array([0.0, 1.0, 0.0, 0.0] * 4 + [0.0, 0.0])
    test = train.iloc[[0, 1, 6, 11, 13]].copy()
    test.loc[test.index[3], "k"] = "d"
    out = encoder.transform(test)
    np.testing.assert_allclose(out[:, 0], ((x - x.mean()) / x.std())[[0, 1, 6, 11, 13]])
    np.testing.assert_allclose(out[:, 1], ((gap - gap.mean()) / gap.std())[[0, 1, 6, 11, 13]])
    # a (6 rows), b (5) and missing (5) are frequent; c (2) and the unseen d share the rest
    expected = [[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    np.testing.assert_array_equal(out[:, 2:], expected)
    capped = DenseEncoder(max_levels=2, min_frequency=5).fit(train).transform(test)
    np.testing.assert_array_equal(capped[:, 2:], [[1, 0], [1, 0], [0, 1], [0, 1], [0, 1]])
    no_rest = DenseEncoder(min_frequency=1).fit(train.iloc[:11]).transform(test)
    np.testing.assert_array_equal(no_rest[:, 2:], [[1, 0], [1, 0], [0, 1], [0, 0], [0, 0]])


def test_classical_passes_category_codes_and_predicts_as_with_pandas_categoricals():
    X, y = _awkward(n=2000)
    X["zip"] = X["zip"].where(X.index % 7 > 0)  # missing levels as well
    coded = make_model("classical", X, random_state=0).fit(X, y)
    plain = make_model("classical", X, random_state=0)
    plain.set_params(earlystoppingguard__categorical_codes=False).fit(X, y)
    boosted = coded[-1].estimator_
    encoded = coded[0].get_feature_names_out()
    assert list(encoded[boosted.is_categorical_]) == ["zip", "flag"]
    np.testing.assert_allclose(coded.predict_proba(X), plain.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("kind", ["classical", "logistic", "deep"])
def test_every_family_fits_awkward_data_with_a_single_row_class(kind):
    X, y = _awkward()
    y = y.copy()
    y.iloc[0] = "lonely"
    model = make_model(kind, X, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    accuracy = (model.predict(X) == y).mean()
    assert accuracy > 0.8


@pytest.mark.parametrize("kind", ["classical", "logistic", "deep"])
def test_infinite_values_are_taken_as_missing(kind):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    y = np.where(X.x + 0.3 * rng.normal(size=300) > 0, "a", "b")
    X.loc[:19, "x"] = np.inf
    X.loc[20:29, "z"] = -np.inf
    given = X.copy()
    missing = X.replace([np.inf, -np.inf], np.nan)
    proba = make_model(kind, X, random_state=0).fit(X, y).predict_proba(X)
    pd.testing.assert_frame_equal(X, given)  # the caller's frame is left as it was
    expected = make_model(kind, missing, random_state=0).fit(missing, y).predict_proba(missing)
    np.testing.assert_array_equal(proba, expected)


def _dummy_factory(X, *, random_state):
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="most_frequent", random_state=random_state)


@pytest.mark.parametrize("kind", ["classical", "deep"])
def test_columns_too_sparse_to_split_on_change_nothing(kind):
    """A column with one value (or 19) cannot be split on; HistGradientBoosting used to
    fail when those values all fell in its early-stopping rows."""
    X, y = _awkward(n=400)
    sparse = X.assign(
        rare=np.r_[np.full(399, np.nan), 1.0], few=np.r_[np.full(381, np.nan), 1.0 * np.arange(19)]
    )
    proba = make_model(kind, sparse, random_state=0).fit(sparse, y).predict_proba(sparse)
    expected = make_model(kind, X, random_state=0).fit(X, y).predict_proba(X)
    if kind == "classical":  # the trees are the same; the net has two more inputs
        np.testing.assert_array_equal(proba, expected)
    assert proba.shape == (400, 2)


def test_trees_with_no_column_to_split_on_predict_the_class_prior():
    y = pd.Series(["a"] * 75 + ["b"] * 25)
    X = pd.DataFrame({"rare": np.r_[np.full(99, np.nan), 1.0]})
    proba = make_model("classical", X).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba, np.tile([0.75, 0.25], (100, 1)))
    assert make_model("deep", X).fit(X, y).predict_proba(X).shape == (100, 2)  # it has the
    # missing-value indicator to learn from


def test_trees_stop_early_beside_a_class_of_one_row():
    """21 classes on 200 rows, one of them a single row: the trees keep early stopping
    (on a holdout of the other classes) instead of running all 200 iterations."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 5)), columns=list("abcde"))
    y = pd.Series(rng.integers(0, 20, 200)).astype(str)
    y.iloc[0] = "single"
    model = make_model("classical", X, random_state=0).fit(X, y)
    assert model[-1].estimator_.n_iter_ < 50
    assert model.predict_proba(X).shape == (200, 21)
    assert "single" in model.classes_


NOT_CALLABLE = 3


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("classical", "`models` must be a sequence of distinct model kinds; got 'classical'"),
        ((), "`models` must be a sequence of distinct model kinds; got ()"),
        (("deep", "deep"), "`models` must be a sequence of distinct model kinds"),
        (
            ("classical", "transformer"),
            "`models` entry must be one of classical, logistic, deep or a "
            "'package.module:callable' path; got 'transformer'",
        ),
        (
            ("no_such_module:factory",),
            "`models` entry names an import path that cannot be loaded (ModuleNotFoundError: "
            "No module named 'no_such_module'); got 'no_such_module:factory'",
        ),
        ((f"{__name__}:missing",), f"cannot be loaded (AttributeError: module '{__name__}'"),
        ((":factory",), "cannot be loaded (ValueError: Empty module name)"),
        ((f"{__name__}:NOT_CALLABLE",), "names a int, not a callable"),
    ],
)
def test_check_models_names_the_first_bad_entry(models, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        check_models(models)
    assert "\n" not in str(caught.value)


def test_check_models_accepts_kinds_and_loadable_paths():
    models = ["logistic", f"{__name__}:_dummy_factory"]
    assert check_models(models) == ("logistic", f"{__name__}:_dummy_factory")
    assert model_problem("deep") is None


def test_custom_model_by_import_path():
    X, y = _awkward(n=200)
    model = make_model(f"{__name__}:_dummy_factory", X, random_state=1).fit(X, y)
    assert (model.predict(X) == y.mode()[0]).all()
    with pytest.raises(ConfigError, match="cannot be loaded"):
        make_model("no_such_module:factory", X)
    with pytest.raises(ConfigError, match="must be one of"):
        make_model("transformer", X)
    with pytest.raises(ConfigError, match="'os:getcwd' did not build a model: TypeError: "):
        make_model("os:getcwd", X)  # a callable, but not a factory


def test_out_of_fold_predictions_are_out_of_fold():
    X, y = _awkward(n=800)
    oof = out_of_fold(X, y, n_folds=5)
    assert oof.proba.shape == (800, 2)
    assert oof.classes == ("neg", "pos")
    assert set(np.unique(oof.fold)) == set(range(5))
    accuracy = (oof.predicted == oof.labels).mean()
    assert 0.85 < accuracy < 1.0  # learnable, yet not memorised: x has 30 missing values


def test_out_of_fold_reports_classes_smaller_than_the_folds():
    X, y = _awkward(n=400)
    y = y.copy()
    y.iloc[:2] = "rare"
    oof = out_of_fold(X, y, n_folds=5)
    assert oof.small_classes == ("rare",)
    assert oof.proba.shape == (400, 3)
    np.testing.assert_allclose(oof.proba.sum(axis=1), 1.0)


def test_out_of_fold_rejects_missing_labels():
    X, y = _awkward(n=100)
    with pytest.raises(DataError):
        out_of_fold(X, y.where(y.index > 0), n_folds=5)


def test_out_of_fold_refuses_features_that_are_all_null():
    X, y = _awkward(n=100)
    with pytest.raises(DataError, match="every feature column is all null") as caught:
        out_of_fold(X.assign(**{c: None for c in X.columns}), y, n_folds=5)
    assert caught.value.reason == "no_features"


@pytest.mark.parametrize("n_rows", [300, 3000])
def test_classical_stops_early_below_ten_thousand_rows_too(n_rows):
    """The same model at every learning-curve size: no switch of early stopping at 10k rows."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=n_rows), "noise": rng.normal(size=n_rows)})
    y = (X.x + rng.normal(size=n_rows) > 0).astype(int).to_numpy()  # validation loss levels off
    model = make_model("classical", X, random_state=0).fit(X, y)
    boosted = model[-1].estimator_
    assert boosted.do_early_stopping_
    assert boosted.n_iter_ < 100  # of at most 200


@pytest.mark.parametrize(("n_rows", "batch"), [(64, 8), (1000, 100), (2000, 200), (10_000, 200)])
def test_deep_gets_at_least_about_ten_batches_per_epoch(n_rows, batch):
    """A fixed batch of 200 would give a 64-row subset one optimiser step per epoch."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=n_rows)})
    y = (X.x > 0).astype(int).to_numpy()
    model = make_model("deep", X, random_state=0).fit(X, y)
    net = model[-1].estimator_
    assert net.batch_size == batch
    assert model[-1].estimator.batch_size == "auto"  # the unfitted template is left alone


def test_quick_score_net_trains_exactly_like_scikit_learns():
    """Same validation scores every epoch, so the same stopping epoch and the same weights."""
    from sklearn.neural_network import MLPClassifier

    from audits.models import QuickScoreMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = np.where(X[:, 0] + rng.normal(scale=0.8, size=400) > 0, "a", "b")
    params = {"hidden_layer_sizes": (16,), "early_stopping": True, "random_state": 0}
    plain = MLPClassifier(**params).fit(X, y)
    quick = QuickScoreMLPClassifier(**params).fit(X, y)
    assert quick.n_iter_ == plain.n_iter_ < 200  # stopped early, at the same epoch
    assert quick.validation_scores_ == plain.validation_scores_
    np.testing.assert_array_equal(quick.coefs_[0], plain.coefs_[0])


def test_tree_shape_reads_how_full_the_trees_are():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from audits.models import tree_shape

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(4000, 4)), columns=list("abcd"))
    y = pd.Series(np.where(X.a + X.b**2 + 0.5 * rng.normal(size=4000) > 1, "p", "n"))
    small = tree_shape(make_model("classical", X).fit(X[:100], y[:100]))
    full = tree_shape(make_model("classical", X).fit(X, y))
    assert small is not None and full is not None
    assert small.leaf_fill <= 90 / 20 / 31  # 90 training rows, 20 per leaf, 31 leaves at most
    assert full.leaf_fill > 0.95
    plain = HistGradientBoostingClassifier(max_iter=40, early_stopping=False).fit(X, y)
    assert tree_shape(plain) == (
        1.0,
        pytest.approx(np.mean([t.get_n_leaf_nodes() for (t,) in plain._predictors]) / 31),
    )
    assert tree_shape(make_model("logistic", X).fit(X, y)) is None
    assert tree_shape(make_model("deep", X).fit(X[:300], y[:300])) is None

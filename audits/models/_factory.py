"""The model families: ``make_model("classical" | "logistic" | "deep" | "pkg.mod:fn", X)``."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline

from audits.errors import ConfigError
from audits.models._features import DenseEncoder, FrameEncoder

__all__ = [
    "MODEL_KINDS",
    "EarlyStoppingGuard",
    "QuickScoreMLPClassifier",
    "check_models",
    "make_model",
    "model_problem",
]

MODEL_KINDS = ("classical", "logistic", "deep")

_MIN_BATCH, _MAX_BATCH = 8, 200
#: Optimiser steps per epoch of the deep model below 2,000 rows (see EarlyStoppingGuard).
_BATCHES_PER_EPOCH = 10


class EarlyStoppingGuard(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` so that its early stopping works the same at every size.

    Early stopping holds out a stratified ``validation_fraction`` of the rows; that
    split fails when a class has a single row or the held-out part is smaller than
    the number of classes. Then an estimator that takes its own early-stopping rows
    (``X_val``, as HistGradientBoosting does) gets a stratified holdout of the classes
    of two rows or more, the single rows staying in training: without it, trees on 200
    rows of 21 classes ran all 200 iterations, 21 trees each (1.1 s a fit, against
    0.07 s stopped after 10). Other estimators, or when even that split cannot be made,
    are fitted with ``early_stopping=False``.

    Patience (``n_iter_no_change``) counts epochs. With a fixed batch size an epoch of
    a small subset is one or two optimiser steps, so a net stopped after a dozen
    epochs has barely trained and a learning curve would measure the optimiser, not
    the data. With ``batches_per_epoch`` the guard sets ``batch_size`` to
    ``n_rows // batches_per_epoch`` (between 8 and 200, scikit-learn's default), so
    every size gets at least about that many steps per epoch. The deep model takes
    10: its nets on 2,000 rows or more train on scikit-learn's batches of 200, like
    the full-size net a forecast predicts, and smaller ones get 10 steps per epoch.
    (With 20 the small fits cost twice as much, and the nets on 2,000 to 4,000 rows
    trained on smaller batches than the full-size net.)

    Columns with fewer non-missing values than ``min_samples_leaf`` (where the
    estimator has one) are left out: no split can use them, and HistGradientBoosting
    fails on a column whose values all land in its early-stopping rows. With no
    column left, the guard predicts the class prior.

    With ``categorical_codes`` the pandas categoricals of a frame (the output of
    :class:`FrameEncoder`) reach the estimator as their integer codes, with
    ``categorical_features`` set to their mask. That is the same model:
    HistGradientBoosting would ordinal-encode them itself, but its encoder maps object
    arrays value by value in Python on every fit and predict, which costs more than
    growing the trees on the small subsets of a learning curve.

    Parameters
    ----------
    estimator : classifier
        Has ``early_stopping`` and ``validation_fraction`` parameters
        (``MLPClassifier``, ``HistGradientBoostingClassifier``).
    batches_per_epoch : int, optional
        Only for estimators with a ``batch_size`` parameter; None leaves it alone.
    categorical_codes : bool, default=False
        Only for estimators with a ``categorical_features`` parameter.
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        *,
        batches_per_epoch: int | None = None,
        categorical_codes: bool = False,
    ) -> None:
        self.estimator = estimator
        self.batches_per_epoch = batches_per_epoch
        self.categorical_codes = categorical_codes

    def fit(self, X: object, y: object) -> EarlyStoppingGuard:
        """Fit a clone of ``estimator`` on ``X`` (n_rows, n_features) and ``y`` (n_rows,)."""
        model = clone(self.estimator)
        params = model.get_params()
        labels = np.asarray(y)
        _, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
        n_holdout = int(np.floor((params.get("validation_fraction") or 0.1) * counts.sum()))
        holdout = None
        if params.get("early_stopping") not in (False, None) and (
            counts.min() < 2 or n_holdout < len(counts)
        ):
            if "X_val" in inspect.signature(model.fit).parameters:
                holdout = _holdout(codes, counts, n_holdout, params.get("random_state"))
            if holdout is None:
                model.set_params(early_stopping=False)
        if self.batches_per_epoch is not None:
            batch = int(np.clip(counts.sum() // self.batches_per_epoch, _MIN_BATCH, _MAX_BATCH))
            model.set_params(batch_size=batch)
        values = self._values(X)
        present = np.asarray(pd.notna(values)).sum(axis=0)
        self.columns_ = np.flatnonzero(present >= params.get("min_samples_leaf", 1))
        if not len(self.columns_):  # nothing to split on or learn from: the class prior
            self.estimator_ = DummyClassifier(strategy="prior").fit(values, y)
            self.classes_ = self.estimator_.classes_
            return self
        if self.categorical_codes:
            dtypes = np.asarray(cast(pd.DataFrame, X).dtypes, dtype=object)[self.columns_]
            mask = [isinstance(dtype, pd.CategoricalDtype) for dtype in dtypes]
            model.set_params(categorical_features=mask if any(mask) else None)
        kept = self._kept(values)
        if holdout is None:
            self.estimator_ = model.fit(kept, y)
        else:
            train = np.setdiff1d(np.arange(len(labels)), holdout)
            self.estimator_ = model.fit(
                _rows(kept, train), labels[train], X_val=_rows(kept, holdout), y_val=labels[holdout]
            )
        self.classes_ = self.estimator_.classes_
        return self

    def _values(self, X: object) -> object:
        """``X`` as the estimator takes it, every column (see ``categorical_codes``)."""
        return _with_category_codes(cast(pd.DataFrame, X)) if self.categorical_codes else X

    def _kept(self, values: Any) -> Any:
        """The columns of ``values`` (array or frame) that the estimator is fitted on."""
        if len(self.columns_) == values.shape[1]:
            return values
        return (
            values.iloc[:, self.columns_] if hasattr(values, "iloc") else values[:, self.columns_]
        )

    def _input(self, X: object) -> object:
        """``X`` as the fitted estimator takes it."""
        values = self._values(X)
        return values if isinstance(self.estimator_, DummyClassifier) else self._kept(values)

    def predict(self, X: object) -> np.ndarray:
        """Predicted labels, shape (n_rows,)."""
        return self.estimator_.predict(self._input(X))

    def predict_proba(self, X: object) -> np.ndarray:
        """Predicted probabilities, shape (n_rows, n_classes)."""
        return self.estimator_.predict_proba(self._input(X))


class QuickScoreMLPClassifier(MLPClassifier):
    """``MLPClassifier`` whose early stopping scores the held-out rows without input checks.

    Every epoch, scikit-learn scores the early-stopping rows with ``accuracy_score``,
    whose target checks cost more than the score: on the small subsets of a learning
    curve they were a fifth of a fit. This computes the same accuracy directly, so the
    epochs, the weights and the predictions are those of ``MLPClassifier`` (the deep
    model's forecasts in ``benchmarks/forecast.py`` got 2-16 % faster, median 7 %).
    """

    def _score(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        """Accuracy on the early-stopping rows, as ``MLPClassifier._score`` computes it."""
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=_accuracy
        )


def _accuracy(
    y_true: np.ndarray, y_pred: np.ndarray, *, sample_weight: np.ndarray | None = None
) -> float:
    """Share of ``y_pred`` (n_rows,) equal to ``y_true`` (n_rows,), weighted if asked."""
    return float(np.average(np.asarray(y_true) == np.asarray(y_pred), weights=sample_weight))


def _holdout(
    codes: np.ndarray, counts: np.ndarray, size: int, random_state: object
) -> np.ndarray | None:
    """Early-stopping rows for labels ``codes`` (n_rows,) with a class of a single row.

    A stratified ``size`` of the rows of the classes with two rows or more; the single
    rows stay in training. None when that split cannot be made (fewer rows to hold out
    than such classes).
    """
    candidates = np.flatnonzero(counts[codes] >= 2)
    try:
        _, held = train_test_split(
            candidates, test_size=size, stratify=codes[candidates], random_state=random_state
        )
    except ValueError:
        return None
    return np.sort(held)


def _rows(values: Any, rows: np.ndarray) -> Any:
    """``rows`` of an array or a frame."""
    return values.iloc[rows] if hasattr(values, "iloc") else values[rows]


def _with_category_codes(X: pd.DataFrame) -> np.ndarray:
    """Float array of ``X`` (n_rows, n_features): categoricals as codes, missing as NaN."""
    out = np.empty(X.shape, dtype=float)
    for j in range(X.shape[1]):
        column = X.iloc[:, j]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            out[:, j] = np.where(codes >= 0, codes, np.nan)
        else:
            out[:, j] = column.to_numpy(dtype=float, na_value=np.nan)
    return out


def _one_hot_preprocessor() -> Pipeline:
    """Encoder for models that need dense numbers: impute, scale, one-hot (rare levels grouped)."""
    return make_pipeline(
        FrameEncoder(max_levels=1000, min_frequency=5), DenseEncoder(max_levels=32, min_frequency=5)
    )


def make_model(kind: str, X: pd.DataFrame, *, random_state: int = 0) -> BaseEstimator:
    """Return an unfitted classifier that takes the raw feature DataFrame.

    Parameters
    ----------
    kind : {"classical", "logistic", "deep"} or "package.module:callable"
        ``classical``: histogram gradient-boosted trees with native categoricals
        (at most 255 levels kept, the rest grouped), missing values and early
        stopping at every size (scikit-learn's ``"auto"`` turns it on only above
        10,000 rows, which puts a kink in learning curves that cross that size and
        makes small fits run all 200 iterations).
        ``logistic``: logistic regression on imputed, scaled, one-hot features.
        ``deep``: a multi-layer perceptron (128, 64) on the same features, with
        early stopping and at least about 10 mini-batches per epoch. An import
        path names a callable ``f(X, random_state=...)`` that returns a scikit-learn
        classifier (e.g. a skorch net).
    X : DataFrame of shape (n_rows, n_features)
        Raw features; used only to shape the model (never fitted here).
    random_state : int, default=0
        Seed of every random part.

    Returns
    -------
    estimator
        Unfitted; ``fit(X, y)``, ``predict_proba(X)`` and ``classes_`` work on raw frames.
    """
    if kind == "classical":
        model = HistGradientBoostingClassifier(
            categorical_features="from_dtype",
            early_stopping=True,
            max_iter=200,
            random_state=random_state,
        )
        return make_pipeline(
            FrameEncoder(max_levels=255), EarlyStoppingGuard(model, categorical_codes=True)
        )
    if kind == "logistic":
        return make_pipeline(_one_hot_preprocessor(), LogisticRegression(max_iter=2000))
    if kind == "deep":
        model = QuickScoreMLPClassifier(
            hidden_layer_sizes=(128, 64),
            early_stopping=True,
            max_iter=300,
            n_iter_no_change=10,
            random_state=random_state,
        )
        return make_pipeline(
            _one_hot_preprocessor(), EarlyStoppingGuard(model, batches_per_epoch=_BATCHES_PER_EPOCH)
        )
    problem = model_problem(kind)
    if problem:
        reason = "model_import" if isinstance(kind, str) and ":" in kind else "model_kind"
        raise ConfigError(f"`model` {problem}; got {kind!r}", reason=reason)
    module_name, _, attr = kind.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    try:
        return factory(X, random_state=random_state)
    except Exception as exc:  # noqa: BLE001 - the user's factory may raise anything
        first = next(iter(str(exc).splitlines()), "")
        raise ConfigError(
            f"`model` {kind!r} did not build a model: {type(exc).__name__}: {first}",
            reason="model_factory",
        ) from None


def model_problem(kind: object) -> str | None:
    """What is wrong with ``kind`` as a model name, or None when nothing.

    A built-in kind is fine, and so is an import path ``"package.module:callable"``
    whose module imports and whose callable exists (it is looked up, not called).
    """
    if isinstance(kind, str) and kind in MODEL_KINDS:
        return None
    if not isinstance(kind, str) or ":" not in kind:
        return f"must be one of {', '.join(MODEL_KINDS)} or a 'package.module:callable' path"
    module_name, _, attr = kind.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # noqa: BLE001 - the user's module may raise anything on import
        first = next(iter(str(exc).splitlines()), "")  # a SyntaxError spans lines
        return f"names an import path that cannot be loaded ({type(exc).__name__}: {first})"
    if not callable(factory):
        return f"names a {type(factory).__name__}, not a callable"
    return None


def check_models(models: Sequence[str]) -> tuple[str, ...]:
    """``models`` as a tuple, once each entry passes :func:`model_problem`.

    Called before any data is read, so a typo in a name or an import path fails in a
    second rather than after the audits that come before the forecast.

    Parameters
    ----------
    models : sequence of str
        At least one, each once.

    Returns
    -------
    tuple of str

    Raises
    ------
    ConfigError
        One line naming the first bad entry.
    """
    if isinstance(models, str) or not models or len(set(models)) != len(models):
        raise ConfigError(
            f"`models` must be a sequence of distinct model kinds; got {models!r}",
            reason="models",
        )
    for kind in models:
        problem = model_problem(kind)
        if problem:
            raise ConfigError(f"`models` entry {problem}; got {kind!r}", reason="models")
    return tuple(models)

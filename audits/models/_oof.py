"""Out-of-fold predicted probabilities, computed once and shared by every audit."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from audits.errors import DataError
from audits.io import check_features
from audits.models._factory import make_model

__all__ = ["OutOfFold", "out_of_fold", "stratified_folds"]


@dataclass(frozen=True, eq=False)
class OutOfFold:
    """Out-of-fold predictions of one model family.

    Attributes
    ----------
    proba : ndarray of shape (n_rows, n_classes)
        Probability of each class for each row, from the fold that did not train on it.
    labels : ndarray of shape (n_rows,)
        Given label of each row as an index into ``classes``.
    classes : tuple of str
        Class names, sorted; column order of ``proba``.
    fold : ndarray of shape (n_rows,)
        Fold index of each row.
    n_folds : int
    small_classes : tuple of str
        Classes with fewer rows than ``n_folds``: some folds trained without them,
        so their probabilities are less reliable.
    model : str
        Model family used.
    """

    proba: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    fold: np.ndarray
    n_folds: int
    small_classes: tuple[str, ...]
    model: str

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class index per row, shape (n_rows,)."""
        return self.proba.argmax(axis=1)


def _fold_task(
    X: pd.DataFrame, codes: np.ndarray, n_classes: int, model: str, random_state: int
) -> Callable[[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    def fit_fold(split: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        train, test = split
        estimator = make_model(model, X, random_state=random_state)
        estimator.fit(X.iloc[train], codes[train])
        proba = np.zeros((len(test), n_classes))
        proba[:, np.asarray(estimator.classes_, dtype=int)] = estimator.predict_proba(X.iloc[test])
        return proba

    return fit_fold


def stratified_folds(
    codes: np.ndarray,
    *,
    n_folds: int,
    random_state: int,
    groups: np.ndarray | pd.Series | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold splits that tolerate classes smaller than K.

    Parameters
    ----------
    codes : ndarray of shape (n_rows,)
        Class index of each row.
    n_folds : int
        Lowered to the size of the largest class, and to the number of groups, when
        that is smaller.
    random_state : int
    groups : array-like of shape (n_rows,), optional
        Group of each row: the rows of a group fall in one fold (stratified as far as
        whole groups allow, :class:`~sklearn.model_selection.StratifiedGroupKFold`).

    Returns
    -------
    list of (train, test) index arrays

    Raises
    ------
    DataError
        Fewer than 2 folds possible, or fewer than 2 rows per fold.
    """
    counts = np.bincount(codes)
    k = int(min(n_folds, counts.max()))
    if groups is not None:
        group_codes = pd.factorize(np.asarray(groups))[0]
        k = min(k, int(group_codes.max()) + 1)
    if k < 2 or len(codes) < 2 * k:
        raise DataError(f"too few rows for {n_folds}-fold cross-validation: {len(codes)} rows")
    # Rows of classes smaller than k are pooled into one stratum and spread over the folds.
    strata = np.where(counts[codes] >= k, codes, -1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        if groups is None:
            folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=random_state)
            return list(folds.split(np.zeros(len(codes)), strata))
        grouped = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=random_state)
        return list(grouped.split(np.zeros(len(codes)), strata, group_codes))


def out_of_fold(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    n_folds: int = 5,
    model: str = "classical",
    random_state: int = 0,
    map_fn: Callable[[Callable, Iterable], Iterable] = map,
    groups: np.ndarray | pd.Series | None = None,
) -> OutOfFold:
    """Stratified K-fold out-of-fold probabilities of ``model`` on ``(X, y)``.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
    y : Series of shape (n_rows,)
        Labels, no missing values.
    n_folds : int, default=5
        Lowered to the size of the largest class when that is smaller.
    model : str, default="classical"
        Passed to :func:`audits.models.make_model`.
    random_state : int, default=0
    map_fn : callable, default=map
        ``map_fn(fit_fold, splits)``; pass a parallel map to fan the folds out.
    groups : array-like of shape (n_rows,), optional
        Group of each row: no fold predicts a row of a group it trained on (see
        :func:`stratified_folds`).

    Returns
    -------
    OutOfFold
    """
    check_features(X)
    if y.isna().any():
        raise DataError("`y` must have no missing labels for out-of-fold predictions")
    labels = y.astype(str).to_numpy()
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes, minlength=len(classes))
    if len(classes) < 2:
        raise DataError(f"`y` must have at least 2 classes; got {len(classes)}")
    splits = stratified_folds(codes, n_folds=n_folds, random_state=random_state, groups=groups)
    k = len(splits)
    fold_of_row = np.empty(len(codes), dtype=int)
    for index, (_, test) in enumerate(splits):
        fold_of_row[test] = index
    task = _fold_task(X.reset_index(drop=True), codes, len(classes), model, random_state)
    proba = np.zeros((len(codes), len(classes)))
    for (_, test), fold_proba in zip(splits, map_fn(task, splits), strict=True):
        proba[test] = fold_proba
    return OutOfFold(
        proba=proba,
        labels=codes,
        classes=tuple(str(c) for c in classes),
        fold=fold_of_row,
        n_folds=k,
        small_classes=tuple(str(c) for c in classes[counts < k]),
        model=model,
    )

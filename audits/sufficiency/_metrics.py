"""Scores of a fitted classifier, computed from probabilities aligned to the full class list."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from audits.errors import ConfigError

__all__ = ["METRICS", "Metric", "aligned_proba", "get_metric"]


@dataclass(frozen=True)
class Metric:
    """A validation metric.

    Attributes
    ----------
    name : str
    higher_is_better : bool
    best : float
        Best possible value (1 for the rates, 0 for log loss): the curve's ceiling bound.
    score : callable
        ``score(codes, proba)`` with ``codes`` of shape (n,) (class indices) and
        ``proba`` of shape (n, n_classes); returns a float.
    """

    name: str
    higher_is_better: bool
    best: float
    score: Callable[[np.ndarray, np.ndarray], float]

    @property
    def worst(self) -> float:
        """Worst possible value: 0 for the rates, infinity for log loss."""
        return 0.0 if self.higher_is_better else math.inf


def _accuracy(codes: np.ndarray, proba: np.ndarray) -> float:
    return float(np.mean(proba.argmax(axis=1) == codes))


def _balanced_accuracy(codes: np.ndarray, proba: np.ndarray) -> float:
    pred = proba.argmax(axis=1)
    present = np.unique(codes)
    return float(np.mean([np.mean(pred[codes == c] == c) for c in present]))


def _macro_f1(codes: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    labels = np.unique(codes)
    return float(
        f1_score(codes, proba.argmax(axis=1), labels=labels, average="macro", zero_division=0)
    )


def _roc_auc(codes: np.ndarray, proba: np.ndarray) -> float:
    """Binary AUC, or the one-vs-rest macro average over the classes present."""
    from sklearn.metrics import roc_auc_score

    present = np.unique(codes)
    if proba.shape[1] == 2:
        return float(roc_auc_score(codes == 1, proba[:, 1])) if len(present) == 2 else 0.5
    aucs = [roc_auc_score(codes == c, proba[:, c]) for c in present]
    return float(np.mean(aucs)) if len(present) > 1 else 0.5


def _log_loss(codes: np.ndarray, proba: np.ndarray) -> float:
    clipped = np.clip(proba, 1e-15, 1.0)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(clipped[np.arange(len(codes)), codes])))


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", True, 1.0, _accuracy),
        Metric("balanced_accuracy", True, 1.0, _balanced_accuracy),
        Metric("macro_f1", True, 1.0, _macro_f1),
        Metric("roc_auc", True, 1.0, _roc_auc),
        Metric("log_loss", False, 0.0, _log_loss),
    )
}
"""The supported metrics, by name."""


def get_metric(name: str) -> Metric:
    """Look a metric up by name, raising :class:`~audits.errors.ConfigError` if unknown."""
    if name not in METRICS:
        raise ConfigError(
            f"`metric` must be one of {', '.join(METRICS)}; got {name!r}", reason="metric"
        )
    return METRICS[name]


def aligned_proba(model: object, X: object, n_classes: int) -> np.ndarray:
    """Predicted probabilities with one column per class of the full class list.

    A model trained on a subset that lacks a rare class has fewer columns; the
    missing classes get probability 0.

    Parameters
    ----------
    model : fitted classifier with ``predict_proba`` and ``classes_``
        Trained on class indices (0 .. n_classes - 1), not on the raw labels.
    X : DataFrame of shape (n, n_features)
    n_classes : int
        Number of classes of the whole dataset.

    Returns
    -------
    ndarray of shape (n, n_classes)
    """
    raw = np.asarray(model.predict_proba(X), dtype=float)
    out = np.zeros((raw.shape[0], n_classes))
    out[:, np.asarray(model.classes_, dtype=int)] = raw
    return out

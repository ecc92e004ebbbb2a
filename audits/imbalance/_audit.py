"""Class counts, imbalance ratio and per-class metrics from the shared out-of-fold predictions."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.errors import InputError
from audits.imbalance._input import labelled_groups, labelled_rows
from audits.imbalance._whatif import ResamplingWhatIf, resampling_what_if
from audits.models import OutOfFold

__all__ = ["ClassMetrics", "ImbalanceAudit", "audit_imbalance"]


@dataclass(frozen=True)
class ClassMetrics:
    """One class: its size and how well the out-of-fold model recognises it.

    Attributes
    ----------
    label : str
    count : int
        Labelled rows of the class.
    share : float
        ``count`` over all labelled rows.
    precision, recall, specificity, f1 : float
        One-vs-rest, from the out-of-fold predictions (0 when undefined).
    geometric_mean : float
        ``sqrt(recall * specificity)``.
    """

    label: str
    count: int
    share: float
    precision: float
    recall: float
    specificity: float
    f1: float
    geometric_mean: float


@dataclass(frozen=True)
class ImbalanceAudit:
    """How unequal the classes are and what it costs the model.

    Attributes
    ----------
    n_rows : int
        Labelled rows.
    class_counts : dict of str to int
        Rows per class, largest first.
    majority_class, minority_class : str
    imbalance_ratio : float
        Rows of the largest class over rows of the smallest.
    minority_share : float
        Share of rows in the smallest class.
    classes : tuple of ClassMetrics
        Every class (at most 200, the dataset limit), smallest first.
    balanced_accuracy : float
        Mean per-class recall of the out-of-fold predictions.
    geometric_mean : float
        Geometric mean of the per-class recalls (0 when a class is never recognised).
    model : str
        Model family of the out-of-fold predictions.
    what_if : ResamplingWhatIf or None
        The resampling comparison, when it was run.
    """

    n_rows: int
    class_counts: dict[str, int]
    majority_class: str
    minority_class: str
    imbalance_ratio: float
    minority_share: float
    classes: tuple[ClassMetrics, ...]
    balanced_accuracy: float
    geometric_mean: float
    model: str
    what_if: ResamplingWhatIf | None = None

    def facts(self) -> dict[str, float | None]:
        """The numbers the suites check, by fact name."""
        return {
            "imbalance_ratio": self.imbalance_ratio,
            "minority_share": self.minority_share,
            "balanced_accuracy": self.balanced_accuracy,
            "geometric_mean": self.geometric_mean,
            "min_class_recall": min(c.recall for c in self.classes),
            "resampling_gain": self.what_if.best_gain if self.what_if is not None else None,
        }


def _class_metrics(y: pd.Series, oof: OutOfFold) -> tuple[tuple[ClassMetrics, ...], float, float]:
    from imblearn.metrics import classification_report_imbalanced, geometric_mean_score
    from sklearn.metrics import balanced_accuracy_score

    codes = np.arange(len(oof.classes))
    names = [str(c) for c in codes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report_imbalanced(
            oof.labels,
            oof.predicted,
            labels=codes,
            target_names=names,
            output_dict=True,
            zero_division=0,
        )
        balanced = float(balanced_accuracy_score(oof.labels, oof.predicted))
        gmean = float(geometric_mean_score(oof.labels, oof.predicted, labels=codes))
    counts = y.value_counts()
    rows = [
        ClassMetrics(
            label=label,
            count=int(counts.get(label, 0)),
            share=float(counts.get(label, 0) / len(y)),
            precision=float(report[name]["pre"]),
            recall=float(report[name]["rec"]),
            specificity=float(report[name]["spe"]),
            f1=float(report[name]["f1"]),
            geometric_mean=float(report[name]["geo"]),
        )
        for label, name in zip(oof.classes, names, strict=True)
    ]
    rows.sort(key=lambda c: (c.count, c.label))
    return tuple(rows), balanced, gmean


def audit_imbalance(
    X: pd.DataFrame,
    y: pd.Series,
    oof: OutOfFold,
    *,
    what_if: bool = True,
    n_folds: int = 5,
    what_if_rows: int = 20_000,
    budget_seconds: float | None = None,
    random_state: int = 0,
    map_fn: Callable[[Callable, Iterable], Iterable] = map,
    groups: pd.Series | np.ndarray | None = None,
) -> ImbalanceAudit:
    """Class counts, imbalance ratio, per-class metrics and, optionally, the resampling what-if.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        Raw features (used only by the what-if).
    y : Series of shape (n_rows,)
        Labels; unlabelled rows are dropped (``oof`` must cover the labelled rows).
    oof : OutOfFold
        The shared out-of-fold predictions on the labelled rows, in the same order.
    what_if : bool, default=True
        Run :func:`audits.imbalance.resampling_what_if` (several model fits).
    n_folds : int, default=5
        Folds of the what-if.
    what_if_rows : int, default=20000
        The what-if runs on a stratified sample of about this many rows when there are more.
    budget_seconds : float, optional
        Wall-time budget of the what-if: rebalancing arms predicted not to fit in it are
        skipped (see :func:`audits.imbalance.resampling_what_if`).
    random_state : int, default=0
    map_fn : callable, default=map
        ``map_fn(fit_one, tasks)``; pass a parallel map to fan the what-if fits out.
    groups : array-like of shape (n_rows,), optional
        Group of each row: the what-if's folds keep each group's rows together (the
        out-of-fold predictions ``oof`` should have been grouped the same way).

    Returns
    -------
    ImbalanceAudit

    Raises
    ------
    InputError
        Bad ``X``/``y``, or ``oof`` that does not match the labelled rows.
    """
    groups = labelled_groups(groups, y)
    X, y = labelled_rows(X, y)
    if len(oof.labels) != len(y):
        raise InputError(
            f"`oof` must have one row per labelled row of `y`; got {len(oof.labels)} and {len(y)}"
        )
    if tuple(sorted(y.unique())) != tuple(oof.classes) or not np.array_equal(
        np.asarray(oof.classes, dtype=object)[oof.labels], y.to_numpy(dtype=object)
    ):
        raise InputError("`oof` must be computed on these labels in this order; its labels differ")
    counts = y.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    classes, balanced, gmean = _class_metrics(y, oof)
    return ImbalanceAudit(
        n_rows=len(y),
        class_counts={str(k): int(v) for k, v in counts.items()},
        majority_class=str(counts.index[0]),
        minority_class=str(counts.index[-1]),
        imbalance_ratio=float(counts.iloc[0] / counts.iloc[-1]),
        minority_share=float(counts.iloc[-1] / len(y)),
        classes=classes,
        balanced_accuracy=balanced,
        geometric_mean=gmean,
        model=oof.model,
        what_if=(
            resampling_what_if(
                X,
                y,
                n_folds=n_folds,
                max_rows=what_if_rows,
                random_state=random_state,
                budget_seconds=budget_seconds,
                map_fn=map_fn,
                groups=groups,
            )
            if what_if
            else None
        ),
    )

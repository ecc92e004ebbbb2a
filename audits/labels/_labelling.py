"""Labelling errors that need no model: missing, empty, invalid, conflicting and odd targets."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from audits.labels._result import ConflictGroup, Labelling

__all__ = ["check_labelling"]

#: A numeric target with a fraction part and more distinct values than this is continuous.
CONTINUOUS_MIN_DISTINCT = 20
#: Row ids listed per conflict group.
ROWS_PER_CONFLICT = 20


def _as_text(values: Iterable[object]) -> list[str]:
    return [str(v) for v in values]


def _is_blank(labels: pd.Series) -> np.ndarray:
    """True where a non-null label is a string that is empty once stripped, shape (n_rows,)."""
    text = labels.map(lambda v: v.strip() == "" if isinstance(v, str) else False)
    return text.to_numpy(dtype=bool)


def _feature_groups(X: pd.DataFrame) -> np.ndarray:
    """Group id of each row such that rows share a group iff all their features are equal.

    Exact (no hashing) and O(n_rows) memory: each column is factorised (missing values
    equal to each other) and combined with the groups so far into new groups, one column
    at a time. Unhashable cells (lists, dicts) compare by their ``repr``.
    """
    groups = np.zeros(len(X), dtype=np.int64)
    for index in range(X.shape[1]):
        column = X.iloc[:, index]
        try:
            codes = pd.factorize(column, use_na_sentinel=True)[0]
        except TypeError:
            codes = pd.factorize(column.map(repr), use_na_sentinel=True)[0]
        codes = codes.astype(np.int64) + 1
        groups = pd.factorize(groups * (int(codes.max(initial=0)) + 1) + codes)[0].astype(np.int64)
    return groups


def _conflicts(
    X: pd.DataFrame, labels: pd.Series, rows: np.ndarray, max_examples: int
) -> tuple[int, int, tuple[ConflictGroup, ...]]:
    """Exact count of conflicting rows and groups, and the largest groups."""
    table = pd.DataFrame({"group": _feature_groups(X), "label": labels.to_numpy(), "row": rows})
    n_labels = table.groupby("group", sort=False)["label"].nunique()
    conflicting = n_labels.index[n_labels > 1]
    selected = table[table["group"].isin(conflicting)]
    sizes = selected.groupby("group", sort=False).size().sort_values(ascending=False, kind="stable")
    examples = []
    for group in sizes.index[:max_examples]:
        members = selected[selected["group"] == group]
        counts = members["label"].value_counts()
        examples.append(
            ConflictGroup(
                n_rows=len(members),
                rows=tuple(int(r) for r in members["row"].iloc[:ROWS_PER_CONFLICT]),
                labels={str(k): int(v) for k, v in counts.items()},
            )
        )
    return len(selected), len(conflicting), tuple(examples)


def _looks_continuous(labels: pd.Series) -> bool:
    if labels.dtype == bool:
        return False
    numbers = pd.to_numeric(labels, errors="coerce")
    if numbers.isna().any():
        return False
    values = numbers.to_numpy(dtype=float)
    fractional = bool((values != np.round(values)).any())
    return fractional and len(np.unique(values)) > CONTINUOUS_MIN_DISTINCT


def check_labelling(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    allowed_labels: Iterable[object] | None = None,
    reference_classes: Iterable[object] | None = None,
    max_examples: int = 50,
) -> Labelling:
    """Check the labels themselves, with no model.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        Features; rows with identical values and different labels are conflicts.
    y : Series of shape (n_rows,)
        Labels; may contain nulls.
    allowed_labels : iterable, optional
        The agreed label set; labels are compared as text (``1`` matches ``"1"``).
    reference_classes : iterable, optional
        Classes expected to be present (e.g. those of a reference dataset).
    max_examples : int, default=50
        Cap on the conflict groups and invalid labels listed.

    Returns
    -------
    Labelling
    """
    y = y.reset_index(drop=True)
    labelled = y.notna().to_numpy()
    labels = y[labelled]
    text = pd.Series(_as_text(labels), dtype=object)
    blank = _is_blank(labels)
    distinct = set(text)
    n_invalid, invalid_labels = None, ()
    if allowed_labels is not None:
        outside = text[~blank & ~text.isin(set(_as_text(allowed_labels)))]
        n_invalid = len(outside)
        invalid_labels = tuple(outside.value_counts().index[:max_examples])
    missing_reference = new_classes = None
    if reference_classes is not None:
        reference = set(_as_text(reference_classes))
        missing_reference = tuple(sorted(reference - distinct))
        new_classes = tuple(sorted(distinct - reference))
    n_conflicting, n_groups, conflicts = _conflicts(
        X.reset_index(drop=True)[labelled], text, np.flatnonzero(labelled), max_examples
    )
    return Labelling(
        n_rows=len(y),
        n_missing=int((~labelled).sum()),
        n_empty=int(blank.sum()),
        n_invalid=n_invalid,
        invalid_labels=invalid_labels,
        n_classes=len(distinct),
        n_conflicting_rows=n_conflicting,
        n_conflict_groups=n_groups,
        conflicts=conflicts,
        target_looks_like_id=len(text) > 1 and len(distinct) == len(text),
        target_looks_continuous=_looks_continuous(labels),
        missing_reference_classes=missing_reference,
        new_classes=new_classes,
    )

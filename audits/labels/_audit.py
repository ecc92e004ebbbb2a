"""The label audit: labelling checks on every row, label noise on the labelled rows."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from audits.errors import ConfigError, DataError, InputError
from audits.io import Dataset
from audits.labels._labelling import check_labelling
from audits.labels._noise import find_label_noise, issue_table
from audits.labels._result import LabelAudit
from audits.models import OutOfFold

__all__ = ["audit_labels"]


def _label_set(name: str, value: Iterable[object] | None) -> list[object] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"`{name}` must be a list of labels; got {value!r}")
    return list(value)


def audit_labels(
    data: Dataset | pd.DataFrame,
    oof: OutOfFold | None,
    *,
    target: str | None = None,
    allowed_labels: Iterable[object] | None = None,
    reference_classes: Iterable[object] | None = None,
    max_examples: int = 50,
) -> tuple[LabelAudit, pd.DataFrame]:
    """Audit the labels of a dataset: labelling errors and, given predictions, label noise.

    Parameters
    ----------
    data : Dataset or DataFrame of shape (n_rows, n_features + 1)
        The dataset as read, rows with a missing label included.
    oof : OutOfFold or None
        Out-of-fold probabilities computed on the rows with a non-null label, in frame
        order (``out_of_fold(X[y.notna()], y[y.notna()])``); None skips the noise part.
    target : str, optional
        The label column; required when ``data`` is a DataFrame.
    allowed_labels : iterable, optional
        The agreed label set; labels outside it are counted (compared as text).
    reference_classes : iterable, optional
        Classes that should be present, e.g. those of a reference dataset.
    max_examples : int, default=50
        Cap on the worst rows, conflict groups and invalid labels kept in the result.

    Returns
    -------
    audit : LabelAudit
    issues : DataFrame of shape (n_labelled_rows, 5)
        One row per labelled row: ``row`` (position in the frame), ``given_label``,
        ``suggested_label``, ``label_quality``, ``is_issue``; empty without ``oof``.

    Raises
    ------
    InputError
        ``target`` is missing or not a column.
    ConfigError
        ``allowed_labels`` or ``reference_classes`` is not a list, or ``max_examples``
        is not a non-negative integer.
    DataError
        ``oof`` was not computed on the labelled rows of this dataset.
    """
    if isinstance(data, Dataset):
        frame, target = data.frame, data.target
    else:
        frame = data
    if target is None or target not in frame.columns:
        raise InputError(
            f"`target` must be a column of the data; got {target!r}", reason="target_missing"
        )
    if (
        isinstance(max_examples, bool)
        or not isinstance(max_examples, (int, np.integer))
        or max_examples < 0
    ):
        raise ConfigError(f"`max_examples` must be a non-negative integer; got {max_examples!r}")
    y = frame[target].reset_index(drop=True)
    labelling = check_labelling(
        data.X if isinstance(data, Dataset) else frame.drop(columns=[target]),
        y,
        allowed_labels=_label_set("allowed_labels", allowed_labels),
        reference_classes=_label_set("reference_classes", reference_classes),
        max_examples=int(max_examples),
    )
    if oof is None:
        empty = np.array([], dtype=object)
        return LabelAudit(labelling, None), issue_table(empty, empty, empty, empty, empty)
    rows = np.flatnonzero(y.notna().to_numpy())
    given = y.iloc[rows].astype(str).to_numpy(dtype=object)
    if len(rows) != len(oof.labels) or not np.array_equal(
        np.asarray(oof.classes, dtype=object)[oof.labels], given
    ):
        raise DataError(
            f"`oof` must be computed on the {len(rows)} labelled rows of this dataset, in order; "
            f"got {len(oof.labels)} rows with other labels",
            reason="oof_mismatch",
        )
    noise, issues = find_label_noise(oof, rows=rows, max_examples=int(max_examples))
    return LabelAudit(labelling, noise), issues

"""Input checks shared by the imbalance audit and the resampling what-if."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.errors import InputError, TargetError

__all__ = ["labelled_groups", "labelled_rows"]


def labelled_rows(X: pd.DataFrame, y: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Check ``X`` (n_rows, n_features) and ``y`` (n_rows,) and keep the labelled rows.

    Raises
    ------
    InputError
        ``X`` is not a DataFrame, ``y`` not a Series, or their lengths differ.
    TargetError
        Fewer than 2 classes among the labelled rows.
    """
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"`X` must be a pandas DataFrame; got {type(X).__name__}")
    if not isinstance(y, pd.Series):
        raise InputError(f"`y` must be a pandas Series; got {type(y).__name__}")
    if len(X) != len(y):
        raise InputError(
            f"`X` and `y` must have the same number of rows; got {len(X)} and {len(y)}"
        )
    keep = y.notna().to_numpy()
    X, y = X.loc[keep].reset_index(drop=True), y.loc[keep].astype(str).reset_index(drop=True)
    if y.nunique() < 2:
        raise TargetError(
            f"`y` must have at least 2 classes among labelled rows; got {y.nunique()}",
            reason="single_class",
        )
    return X, y


def labelled_groups(groups: pd.Series | np.ndarray | None, y: pd.Series) -> np.ndarray | None:
    """The groups (n_rows,) of the rows :func:`labelled_rows` keeps, shape (n_labelled,).

    Raises
    ------
    InputError
        ``groups`` has another length than ``y``.
    """
    if groups is None:
        return None
    values = np.asarray(groups)
    if len(values) != len(y):
        raise InputError(
            f"`groups` must have one value per row of `y` ({len(y)}); got {len(values)}"
        )
    return values[y.notna().to_numpy()]

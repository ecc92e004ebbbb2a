"""Feature typing and encoding shared by every model family.

``FrameEncoder`` turns a raw feature DataFrame into one a scikit-learn model can
take: datetimes become numbers (days since epoch, month, weekday), categoricals
keep their ``max_levels - 1`` most frequent levels and group the rest as
``"__other__"``, and all-null columns are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["OTHER", "ColumnKinds", "FrameEncoder", "column_kinds"]

#: The level that stands for every grouped rare or unseen level of a categorical.
OTHER = "__other__"


@dataclass(frozen=True)
class ColumnKinds:
    """Names of the feature columns by kind.

    Attributes
    ----------
    numeric, categorical, datetime, empty : tuple of str
        ``empty`` holds the all-null columns, which no model uses.
    """

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    datetime: tuple[str, ...]
    empty: tuple[str, ...]


def column_kinds(X: pd.DataFrame) -> ColumnKinds:
    """Classify the columns of ``X`` (n_rows, n_features) by kind."""
    numeric, categorical, datetime, empty = [], [], [], []
    for name in X.columns:
        col = X[name]
        if col.isna().all():
            empty.append(name)
        elif pd.api.types.is_bool_dtype(col):
            categorical.append(name)
        elif pd.api.types.is_datetime64_any_dtype(col):
            datetime.append(name)
        elif pd.api.types.is_numeric_dtype(col):
            numeric.append(name)
        else:
            categorical.append(name)
    return ColumnKinds(tuple(numeric), tuple(categorical), tuple(datetime), tuple(empty))


class FrameEncoder(TransformerMixin, BaseEstimator):
    """Make a raw DataFrame model-ready while keeping it a DataFrame.

    Parameters
    ----------
    max_levels : int, default=255
        Most levels a categorical column keeps (the last one is ``"__other__"``).
    min_frequency : int, default=1
        Levels seen fewer times than this in training are grouped as ``"__other__"``.

    Notes
    -----
    The output has the numeric columns as float64, one ``<name>__days``,
    ``<name>__month`` and ``<name>__weekday`` column per datetime, and the
    categoricals as pandas ``category`` dtype with fixed categories (unseen levels
    map to ``"__other__"`` when that level exists, else to missing).
    """

    def __init__(self, *, max_levels: int = 255, min_frequency: int = 1) -> None:
        self.max_levels = max_levels
        self.min_frequency = min_frequency

    def fit(self, X: pd.DataFrame, y: object = None) -> FrameEncoder:
        """Learn column kinds and the kept levels of each categorical."""
        self.kinds_ = column_kinds(X)
        self.levels_: dict[str, list[str]] = {}
        for name in self.kinds_.categorical:
            counts = X[name].dropna().astype(str).value_counts()
            counts = counts[counts >= self.min_frequency]
            keep = list(counts.index[: self.max_levels - 1])
            if len(keep) < X[name].dropna().astype(str).nunique():
                keep.append(OTHER)
            self.levels_[name] = keep
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Encode ``X`` (n_rows, n_features) as described in the class notes."""
        out: dict[str, pd.Series] = {}
        for name in self.kinds_.numeric:
            out[name] = pd.to_numeric(X[name], errors="coerce").astype("float64")
        for name in self.kinds_.datetime:
            col = pd.to_datetime(X[name], errors="coerce")
            if getattr(col.dt, "tz", None) is not None:
                col = col.dt.tz_convert(None)
            days = (col - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            out[f"{name}__days"] = days.astype("float64")
            out[f"{name}__month"] = col.dt.month.astype("float64")
            out[f"{name}__weekday"] = col.dt.weekday.astype("float64")
        for name, levels in self.levels_.items():
            values = X[name].astype("string").astype(object)
            known = values.isin(levels)
            if OTHER in levels:
                values = values.where(known | values.isna(), OTHER)
            else:
                values = values.where(known)
            out[name] = pd.Series(
                pd.Categorical(values, categories=levels), index=X.index, name=name
            )
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns."""
        names = list(self.kinds_.numeric)
        for name in self.kinds_.datetime:
            names += [f"{name}__days", f"{name}__month", f"{name}__weekday"]
        names += list(self.levels_)
        return np.asarray(names, dtype=object)

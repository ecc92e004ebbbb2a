"""Feature typing and encoding shared by every model family.

``FrameEncoder`` turns a raw feature DataFrame into one a scikit-learn model can
take: datetimes become numbers (days since epoch, month, weekday), categoricals
keep their ``max_levels - 1`` most frequent levels and group the rest as
``"__other__"``, and all-null columns are dropped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["OTHER", "ColumnKinds", "DenseEncoder", "FrameEncoder", "column_kinds"]

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


def _factorize_as_text(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of ``column``'s values and the text of each distinct value.

    Returns
    -------
    codes : ndarray of shape (n_rows,)
        Index into ``labels``, -1 for a missing value.
    labels : Index of str
        ``str`` of each distinct value, in order of first appearance (two values may
        share a text, such as ``1`` and ``"1"``).
    """
    codes, uniques = pd.factorize(column)
    return codes, pd.Index([str(u) for u in uniques], dtype=object)  # bytes too, as b'..'


def _as_float(column: pd.Series) -> np.ndarray:
    """``column`` (n_rows,) as float64, with what does not parse as a number missing."""
    parsed = pd.to_numeric(column, errors="coerce")
    return _finite(parsed.to_numpy("float64", na_value=np.nan, copy=True))


def _finite(values: np.ndarray) -> np.ndarray:
    """Float ``values`` (any shape) with ``inf`` and ``-inf`` set missing, in place."""
    values[np.isinf(values)] = np.nan
    return values


def _frequent(counts: np.ndarray, min_frequency: int) -> np.ndarray:
    """Levels seen at least ``min_frequency`` times, most frequent first.

    ``counts`` (shape (n_levels,)) is in order of first appearance, which breaks ties.
    """
    order = np.argsort(-counts, kind="stable")
    return order[counts[order] >= min_frequency]


def _datetime_parts(datetimes: tuple[str, ...], *, taken: set[str]) -> dict[str, list[str]]:
    """Output names of each datetime's days, month and weekday: ``<name>__days`` etc.,
    with ``_`` appended while a name is already a column (or another part)."""
    parts = {}
    for name in datetimes:
        parts[name] = []
        for part in ("days", "month", "weekday"):
            chosen = f"{name}__{part}"
            while chosen in taken:
                chosen += "_"
            taken.add(chosen)
            parts[name].append(chosen)
    return parts


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
    The output has the numeric columns as float64 (``inf`` and ``-inf`` as missing),
    one ``<name>__days``, ``<name>__month`` and ``<name>__weekday`` column per
    datetime (in its own time zone's wall time; ``_`` appended where that name is
    already a column), and the categoricals as pandas ``category`` dtype with fixed
    categories (unseen levels map to ``"__other__"`` when that level exists, else to
    missing).
    """

    def __init__(self, *, max_levels: int = 255, min_frequency: int = 1) -> None:
        self.max_levels = max_levels
        self.min_frequency = min_frequency

    def fit(self, X: pd.DataFrame, y: object = None) -> FrameEncoder:
        """Learn column kinds and the kept levels of each categorical."""
        self.kinds_ = column_kinds(X)
        self.levels_: dict[str, list[str]] = {}
        for name in self.kinds_.categorical:
            codes, labels = _factorize_as_text(X[name])
            counts = np.bincount(codes[codes >= 0], minlength=len(labels))
            if not labels.is_unique:
                merged = pd.Series(counts, index=labels).groupby(level=0, sort=False).sum()
                labels, counts = merged.index, merged.to_numpy()
            kept = _frequent(counts, self.min_frequency)[: self.max_levels - 1]
            keep = [str(v) for v in labels[kept]]
            if len(keep) < len(labels):
                keep.append(OTHER)
            self.levels_[name] = keep
        self.dtypes_ = {
            name: pd.CategoricalDtype(pd.Index(keep, dtype=object))
            for name, keep in self.levels_.items()
        }
        self.parts_ = _datetime_parts(self.kinds_.datetime, taken={str(n) for n in X.columns})
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Encode ``X`` (n_rows, n_features) as described in the class notes."""
        out: dict[str, pd.Series | np.ndarray] = {}
        dtypes = X.dtypes
        numeric = [n for n in self.kinds_.numeric if pd.api.types.is_numeric_dtype(dtypes[n])]
        values = _finite(X[numeric].to_numpy(dtype="float64", na_value=np.nan, copy=True))
        by_name = dict(zip(numeric, values.T, strict=True))
        for name in self.kinds_.numeric:  # a column that is no longer numeric is parsed
            out[name] = by_name[name] if name in by_name else _as_float(X[name])
        for name in self.kinds_.datetime:
            col = pd.to_datetime(X[name], errors="coerce")
            if getattr(col.dt, "tz", None) is not None:  # local wall time: its own weekday
                col = col.dt.tz_localize(None)
            days = (col - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            parts = (days, col.dt.month, col.dt.weekday)
            for part, values in zip(self.parts_[name], parts, strict=True):
                out[part] = values.astype("float64")
        for name, dtype in self.dtypes_.items():
            codes, labels = _factorize_as_text(X[name])
            mapped = dtype.categories.get_indexer(labels)
            if self.levels_[name][-1] == OTHER:
                mapped[mapped < 0] = len(dtype.categories) - 1
            codes = np.where(codes >= 0, mapped[codes], -1)
            out[name] = pd.Series(
                pd.Categorical.from_codes(codes, dtype=dtype, validate=False),
                index=X.index,
                name=name,
            )
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns."""
        names = list(self.kinds_.numeric)
        for name in self.kinds_.datetime:
            names += self.parts_[name]
        names += list(self.levels_)
        return np.asarray(names, dtype=object)


class DenseEncoder(TransformerMixin, BaseEstimator):
    """Dense numbers for models that need them, from the output of :class:`FrameEncoder`.

    Numeric columns: missing values become the training median, every column that had
    missing values in training gets a missing indicator, and all of them are
    standardised (training mean and standard deviation; a constant column is only
    centred). Categorical columns are one-hot encoded: missing counts as a level; a
    level seen at least ``min_frequency`` times in training gets a column of its own
    (the ``max_levels - 1`` most frequent at most, when more would be needed), and
    one more column stands for the rest (rarer levels, and at transform time levels
    absent from training) when training had a rest; else an absent level is all zeros.

    Parameters
    ----------
    max_levels : int, default=32
        Most one-hot columns per categorical, the column of the rest included.
    min_frequency : int, default=5

    Notes
    -----
    The encoding of scikit-learn's ``SimpleImputer(strategy="median",
    add_indicator=True)`` and ``StandardScaler`` on the numeric columns and
    ``OneHotEncoder(handle_unknown="infrequent_if_exist")`` on the categoricals (up to
    the order of the one-hot columns, and which of equally frequent levels a cap
    keeps), done on category codes in NumPy: on the small subsets of a learning curve
    those encoders cost up to a third of the deep model's fit.
    """

    def __init__(self, *, max_levels: int = 32, min_frequency: int = 5) -> None:
        self.max_levels = max_levels
        self.min_frequency = min_frequency

    def fit(self, X: pd.DataFrame, y: object = None) -> DenseEncoder:
        """Learn medians, scales and one-hot columns from ``X`` (n_rows, n_features)."""
        categorical = [isinstance(dtype, pd.CategoricalDtype) for dtype in X.dtypes]
        self.numeric_ = [c for c, is_cat in zip(X.columns, categorical, strict=True) if not is_cat]
        self.categorical_ = [c for c, is_cat in zip(X.columns, categorical, strict=True) if is_cat]
        values = X[self.numeric_].to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column
            self.medians_ = np.nan_to_num(np.nanmedian(values, axis=0), nan=0.0)
        self.indicated_ = missing.any(axis=0)
        dense = self._numeric(values, missing)
        self.mean_ = dense.mean(axis=0)
        std = dense.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        self.slots_ = [
            self._slots(_level_ids(X[name]), len(X[name].cat.categories) + 1)
            for name in self.categorical_
        ]
        return self

    def _numeric(self, values: np.ndarray, missing: np.ndarray) -> np.ndarray:
        filled = np.where(missing, self.medians_, values)
        return np.hstack([filled, missing[:, self.indicated_].astype(float)])

    def _slots(self, ids: np.ndarray, n_ids: int) -> np.ndarray:
        """Output column of each of the ``n_ids`` level ids (the last is "missing"), -1 for none."""
        counts = np.bincount(ids, minlength=n_ids)
        frequent = _frequent(counts, self.min_frequency)
        rest = bool(np.count_nonzero(counts) > len(frequent))
        if len(frequent) + rest > self.max_levels:
            frequent, rest = frequent[: self.max_levels - 1], True
        slots = np.full(len(counts), len(frequent) if rest else -1)
        slots[frequent] = np.arange(len(frequent))
        return slots

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Encode ``X`` (n_rows, n_features) as described in the class docstring.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        values = X[self.numeric_].to_numpy(dtype=float, na_value=np.nan)
        blocks = [(self._numeric(values, np.isnan(values)) - self.mean_) / self.scale_]
        rows = np.arange(len(X))
        for name, slots in zip(self.categorical_, self.slots_, strict=True):
            slot = slots[_level_ids(X[name])]
            block = np.zeros((len(X), slots.max(initial=-1) + 1))
            block[rows[slot >= 0], slot[slot >= 0]] = 1.0
            blocks.append(block)
        return np.hstack(blocks)


def _level_ids(column: pd.Series) -> np.ndarray:
    """Category code of each value, with missing as one more level after the categories."""
    codes = column.cat.codes.to_numpy().astype(np.intp)
    return np.where(codes >= 0, codes, len(column.cat.categories))

"""Feature quality: missingness, constant and high-cardinality columns, mixed types,
duplicate rows and outliers.

Every feature column gets a :class:`ColumnQuality` row with the issues found in it:

``all_null``
    No value at all.
``constant``
    One value in every row (missing counts as a value, so ``"a"`` or missing is not constant).
``mixed_types``
    An ``object`` column holding values of more than one kind (text, number, bool,
    datetime, bytes, ...), e.g. numbers and strings.
``infinite``
    A numeric column holding ``inf`` or ``-inf`` (a division by zero or an overflow
    upstream); the models take such values as missing.
``high_cardinality``
    A categorical (non-numeric, non-datetime, non-bool) column with more than
    ``max_levels`` distinct values, or whose distinct values are more than
    ``max_distinct_share`` of its non-missing values (with at least 20 of them): an
    id, free text or a key rather than a category.
``id_like``
    Named like an identifier (a word of the name is ``id``, ``uuid``, ``idcode``, ...:
    ``customer_id``, ``userId``, ``ID``; not ``paid``), with whole numbers or text and
    at least 5 distinct values. An identifier is no feature; where it names the entity
    of its rows and entities recur, the audit should be run with ``--groups`` on it,
    or rows of one entity land on both sides of every split.
``near_constant``
    Not constant, but one value (missing included) fills at least ``near_constant_share``
    of the rows.

Outliers are rows an ``IsolationForest`` isolates unusually fast, using the numeric
columns (missing values set to the column median): rows whose anomaly score
``2 ** (-mean path length / c(n))`` exceeds ``outlier_score`` (0.6). The forest's own
``contamination="auto"`` cut-off (0.5) flags many ordinary rows of low-dimensional data
(23% of a pure 2-d Gaussian, 2-53% of the rows of the shared real datasets), while 0.6
finds 5.0-5.1% on Gaussian data with 5% injected outliers in 2, 5 and 20 dimensions
and 0-9% on the real datasets.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import numbers
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.errors import DataError, InputError
from audits.io import Dataset
from audits.models import column_kinds

__all__ = ["ISSUES", "ColumnQuality", "QualityAudit", "audit_quality", "count_duplicate_rows"]

#: Issue codes, most severe first.
ISSUES = (
    "all_null",
    "constant",
    "mixed_types",
    "infinite",
    "high_cardinality",
    "id_like",
    "near_constant",
)
#: The distinct-share rule of ``high_cardinality`` needs at least this many values.
_MIN_VALUES_FOR_SHARE = 20
#: Rows flagged as the most anomalous, at most.
_TOP_OUTLIERS = 20
#: Words of a column name that make it ``id_like``.
_ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "uid", "pid", "idcode", "idno", "idnum"})
#: Fewest distinct values of an ``id_like`` column (as many as a grouped split needs).
_MIN_ID_VALUES = 5


@dataclass(frozen=True)
class ColumnQuality:
    """Quality of one feature column.

    Attributes
    ----------
    name, dtype : str
    kind : {"numeric", "categorical", "datetime", "empty"}
        As :func:`audits.models.column_kinds` sees it.
    missing_share : float
        Share of rows with no value.
    n_unique : int
        Distinct non-missing values.
    dominant_share : float
        Share of rows holding the most frequent value (missing counts as a value).
    value_kinds : tuple of str
        Kinds of the values of an ``object`` column (``"text"``, ``"number"``, ...);
        empty for typed columns.
    issues : tuple of str
        Codes from ``ISSUES``, most severe first.
    """

    name: str
    dtype: str
    kind: str
    missing_share: float
    n_unique: int
    dominant_share: float
    value_kinds: tuple[str, ...]
    issues: tuple[str, ...]


@dataclass(frozen=True)
class QualityAudit:
    """Quality of the feature columns and rows.

    Attributes
    ----------
    n_rows, n_columns : int
        Rows and feature columns audited.
    columns : tuple of ColumnQuality
        Most severe first (issues, then missing share), at most ``max_columns`` of them.
    n_columns_omitted : int
        Columns left out of ``columns`` by the cap (all counts below include them).
    max_missing_share : float or None
        Largest missing share of a column (None without columns).
    missing_cell_share : float or None
        Missing feature cells over all feature cells.
    n_all_null_columns, n_constant_columns, n_near_constant_columns : int
    n_high_cardinality_columns, n_mixed_type_columns, n_infinite_columns : int
    n_duplicate_rows : int
        Rows identical to an earlier row (target included when a Dataset was given).
    n_duplicate_feature_rows : int
        Rows whose features are identical to an earlier row's.
    outlier_share : float or None
        Share of the checked rows the isolation forest flags (None without a usable
        numeric column).
    n_outlier_rows_checked : int
        Rows scored (a random sample when there are more than ``outlier_rows``).
    outlier_columns : tuple of str
        Numeric columns the isolation forest used.
    most_anomalous_rows : tuple of int
        Positions (0-based, in the audited frame) of up to 20 most anomalous flagged rows.
    """

    n_rows: int
    n_columns: int
    columns: tuple[ColumnQuality, ...]
    n_columns_omitted: int
    max_missing_share: float | None
    missing_cell_share: float | None
    n_all_null_columns: int
    n_constant_columns: int
    n_near_constant_columns: int
    n_high_cardinality_columns: int
    n_mixed_type_columns: int
    n_duplicate_rows: int
    n_duplicate_feature_rows: int
    outlier_share: float | None
    n_outlier_rows_checked: int
    outlier_columns: tuple[str, ...]
    most_anomalous_rows: tuple[int, ...]
    n_infinite_columns: int = 0  # last, with a default: results written before it still load

    def facts(self) -> dict[str, float | None]:
        """The numbers the suites check, by fact name."""
        return {
            "max_missing_share": self.max_missing_share,
            "missing_cell_share": self.missing_cell_share,
            "n_all_null_columns": float(self.n_all_null_columns),
            "n_constant_columns": float(self.n_constant_columns),
            "n_near_constant_columns": float(self.n_near_constant_columns),
            "n_high_cardinality_columns": float(self.n_high_cardinality_columns),
            "n_mixed_type_columns": float(self.n_mixed_type_columns),
            "n_infinite_columns": float(self.n_infinite_columns),
            "outlier_share": self.outlier_share,
        }


def _value_kind(tp: type) -> str:
    if issubclass(tp, str):
        return "text"
    if issubclass(tp, (bool, np.bool_)):
        return "bool"
    if issubclass(tp, (numbers.Number, decimal.Decimal)):
        return "number"
    if issubclass(tp, (_dt.date, _dt.time, np.datetime64, pd.Timestamp)):
        return "datetime"
    if issubclass(tp, (bytes, bytearray)):
        return "bytes"
    return tp.__name__


def _hashable(col: pd.Series) -> pd.Series:
    """``col``, or its values as text when some are unhashable (lists, arrays, dicts)."""
    if col.dtype != object:
        return col
    try:
        col.nunique()
    except TypeError:
        return col.map(str, na_action="ignore")
    return col


def _column(
    name: str,
    col: pd.Series,
    kind: str,
    *,
    max_levels: int,
    max_distinct_share: float,
    near_constant_share: float,
) -> ColumnQuality:
    n_rows = len(col)
    missing = int(col.isna().sum())
    counts = _hashable(col).value_counts(dropna=False, sort=True)
    n_unique = int(len(counts) - (1 if missing else 0))
    dominant = float(counts.iloc[0] / n_rows)
    value_kinds: tuple[str, ...] = ()
    if col.dtype == object:
        value_kinds = tuple(sorted({_value_kind(t) for t in col.dropna().map(type).unique()}))
    issues = []
    if kind == "empty":
        issues.append("all_null")
    elif len(counts) == 1:
        issues.append("constant")
    if len(value_kinds) > 1:
        issues.append("mixed_types")
    if kind == "numeric" and pd.api.types.is_float_dtype(col) and np.isinf(col).any():
        issues.append("infinite")
    present = n_rows - missing
    if (
        kind == "categorical"
        and not pd.api.types.is_bool_dtype(col)
        and (
            n_unique > max_levels
            or (present >= _MIN_VALUES_FOR_SHARE and n_unique / present > max_distinct_share)
        )
    ):
        issues.append("high_cardinality")
    if n_unique >= _MIN_ID_VALUES and _named_like_an_id(name) and _whole_or_text(col, kind):
        issues.append("id_like")
    if kind != "empty" and len(counts) > 1 and dominant >= near_constant_share:
        issues.append("near_constant")
    return ColumnQuality(
        name=str(name),
        dtype=str(col.dtype),
        kind=kind,
        missing_share=missing / n_rows,
        n_unique=n_unique,
        dominant_share=dominant,
        value_kinds=value_kinds,
        issues=tuple(issues),
    )


def _named_like_an_id(name: object) -> bool:
    """Whether a word of ``name`` (split at non-letters and at camelCase) is in ``_ID_WORDS``."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", str(name))
    return any(word.lower() in _ID_WORDS for word in words)


def _whole_or_text(col: pd.Series, kind: str) -> bool:
    """A text column, or a numeric one whose values are all whole numbers."""
    if kind == "categorical":
        return not pd.api.types.is_bool_dtype(col)
    if kind != "numeric" or pd.api.types.is_bool_dtype(col):
        return False
    values = pd.to_numeric(col.dropna(), errors="coerce")
    return bool(values.notna().all() and np.isfinite(values).all() and (values % 1 == 0).all())


def count_duplicate_rows(frame: pd.DataFrame) -> int:
    """Rows of ``frame`` (n_rows, n_columns) identical to an earlier row.

    Missing values equal each other; columns holding unhashable values (lists, dicts)
    compare as text. Column by column, without turning the frame into Python objects:
    2 million rows of 11 columns take about 2 s (hashing ``frame.astype(object)``
    took 38 s).
    """
    return int(pd.DataFrame({n: _hashable(frame[n]) for n in frame.columns}).duplicated().sum())


def _severity(column: ColumnQuality) -> tuple:
    first = min((ISSUES.index(i) for i in column.issues), default=len(ISSUES))
    return (first, -len(column.issues), -column.missing_share, column.name)


def _outliers(
    X: pd.DataFrame,
    numeric: tuple[str, ...],
    *,
    threshold: float,
    max_rows: int,
    random_state: int,
) -> tuple[float | None, int, tuple[str, ...], tuple[int, ...]]:
    """Isolation-forest outlier share, rows checked, columns used, most anomalous rows."""
    values = X.loc[:, list(numeric)].apply(pd.to_numeric, errors="coerce").astype("float64")
    values = values.replace([np.inf, -np.inf], np.nan)
    used = [c for c in values.columns if values[c].nunique(dropna=True) > 1]
    if not used or len(X) < 2:
        return None, 0, (), ()
    from sklearn.ensemble import IsolationForest

    rows = np.arange(len(X))
    if len(X) > max_rows:
        rows = np.sort(np.random.default_rng(random_state).choice(len(X), max_rows, replace=False))
    sample = values.iloc[rows][used]
    sample = sample.fillna(sample.median()).to_numpy()
    forest = IsolationForest(random_state=random_state).fit(sample)
    scores = -forest.score_samples(sample)
    flagged = np.flatnonzero(scores > threshold)
    worst = flagged[np.argsort(-scores[flagged], kind="stable")[:_TOP_OUTLIERS]]
    return (
        float(len(flagged) / len(rows)),
        len(rows),
        tuple(str(c) for c in used),
        tuple(int(rows[i]) for i in worst),
    )


def audit_quality(
    data: Dataset | pd.DataFrame,
    *,
    max_levels: int = 1000,
    max_distinct_share: float = 0.5,
    near_constant_share: float = 0.99,
    outlier_score: float = 0.6,
    outlier_rows: int = 50_000,
    max_columns: int = 200,
    random_state: int = 0,
) -> QualityAudit:
    """Audit the quality of the feature columns and rows.

    Parameters
    ----------
    data : Dataset or DataFrame of shape (n_rows, n_features)
        A loaded dataset (its features are audited; duplicates also count the target)
        or a feature frame.
    max_levels : int, default=1000
        A categorical column with more distinct values is ``high_cardinality``.
    max_distinct_share : float, default=0.5
        ... and so is one whose distinct values exceed this share of its values.
    near_constant_share : float, default=0.99
        A column whose most frequent value fills this share of rows is ``near_constant``.
    outlier_score : float, default=0.6
        Rows with a higher isolation-forest anomaly score (in 0..1) are outliers.
    outlier_rows : int, default=50000
        The isolation forest scores a random sample of this many rows when there are more.
    max_columns : int, default=200
        Most :class:`ColumnQuality` rows kept (most severe first).
    random_state : int, default=0
        Seed of the sample and the isolation forest.

    Returns
    -------
    QualityAudit

    Raises
    ------
    InputError
        ``data`` is neither a Dataset nor a DataFrame.
    DataError
        No rows.
    """
    if isinstance(data, Dataset):
        X, frame = data.X, data.frame
    elif isinstance(data, pd.DataFrame):
        X = frame = data
    else:
        raise InputError(
            f"`data` must be a Dataset or a pandas DataFrame; got {type(data).__name__}"
        )
    if len(X) == 0:
        raise DataError("`data` must have at least one row; got 0", reason="empty")
    kinds = column_kinds(X)
    kind_of = {name: kind for kind, names in vars(kinds).items() for name in names}
    columns = sorted(
        (
            _column(
                name,
                X[name],
                kind_of[name],
                max_levels=max_levels,
                max_distinct_share=max_distinct_share,
                near_constant_share=near_constant_share,
            )
            for name in X.columns
        ),
        key=_severity,
    )
    n_issue = {issue: sum(issue in c.issues for c in columns) for issue in ISSUES}
    missing = [c.missing_share for c in columns]
    share, checked, used, worst = _outliers(
        X,
        kinds.numeric,
        threshold=outlier_score,
        max_rows=outlier_rows,
        random_state=random_state,
    )
    return QualityAudit(
        n_rows=len(X),
        n_columns=X.shape[1],
        columns=tuple(columns[:max_columns]),
        n_columns_omitted=max(len(columns) - max_columns, 0),
        max_missing_share=max(missing) if missing else None,
        missing_cell_share=float(np.mean(missing)) if missing else None,
        n_all_null_columns=n_issue["all_null"],
        n_constant_columns=n_issue["constant"],
        n_near_constant_columns=n_issue["near_constant"],
        n_high_cardinality_columns=n_issue["high_cardinality"],
        n_mixed_type_columns=n_issue["mixed_types"],
        n_duplicate_rows=count_duplicate_rows(frame),
        n_duplicate_feature_rows=count_duplicate_rows(X),
        outlier_share=share,
        n_outlier_rows_checked=checked,
        outlier_columns=used,
        most_anomalous_rows=worst,
        n_infinite_columns=n_issue["infinite"],
    )

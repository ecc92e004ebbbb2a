"""Per-column drift between a reference and a current sample of one column.

Numeric and datetime columns (datetimes as days since 1970, in UTC) are compared
with the two-sample Kolmogorov-Smirnov test and binned into the reference deciles
(one bin per value when both samples hold at most 20 distinct values);
categorical ones with a chi-square test on their level counts. Both get the
population stability index (PSI) and the Jensen-Shannon distance over the same
bins, with missing values as a bin of their own. Categorical bins are the 20 most
frequent levels (over both samples), the rest pooled.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ColumnDrift", "column_drift", "population_stability_index"]

#: Decile bins for numeric columns.
_N_QUANTILES = 10
#: Categorical levels kept as bins of their own; the rest are pooled.
_N_LEVELS = 20
#: Shares are floored at this value in the PSI, so an empty bin does not give infinity.
_FLOOR = 1e-4
#: Examples of new / vanished levels kept.
_N_EXAMPLES = 5


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column between the reference and the current data.

    Attributes
    ----------
    name : str
    kind : {"numeric", "categorical"}
        How it was compared (datetimes count as numeric; a column numeric in one
        dataset and not in the other is compared as categorical text).
    test : {"ks", "chi2", "none"}
        The test behind ``statistic`` and ``p_value`` (``"none"`` when a side has no value).
    statistic, p_value : float or None
    psi : float
        Population stability index over the bins (0 = same distribution; above 0.25
        is conventionally a significant shift).
    js_distance : float
        Jensen-Shannon distance (base 2, in 0..1) over the same bins.
    missing_share_reference, missing_share_current : float
    n_new_levels, n_vanished_levels : int
        Categorical levels seen only in the current / only in the reference data.
    new_levels, vanished_levels : tuple of str
        Up to 5 examples of each, most frequent first.
    type_changed : bool
        The column's kind (numeric, categorical, datetime) differs between the datasets
        (an all-missing side does not count).
    drifted : bool
        ``psi`` at least the PSI threshold and ``p_value`` below the p threshold.
    """

    name: str
    kind: str
    test: str
    statistic: float | None
    p_value: float | None
    psi: float
    js_distance: float
    missing_share_reference: float
    missing_share_current: float
    n_new_levels: int = 0
    n_vanished_levels: int = 0
    new_levels: tuple[str, ...] = ()
    vanished_levels: tuple[str, ...] = ()
    type_changed: bool = False
    drifted: bool = False


def population_stability_index(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two count (or share) vectors over the same bins, shares floored at 1e-4.

    ``sum((q - p) * ln(q / p))`` with ``p`` the reference and ``q`` the current shares.
    """
    p = np.maximum(np.asarray(reference, float) / max(np.sum(reference), 1), _FLOOR)
    q = np.maximum(np.asarray(current, float) / max(np.sum(current), 1), _FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def _js(reference: np.ndarray, current: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    if reference.sum() == 0 or current.sum() == 0:
        return 1.0 if reference.sum() != current.sum() else 0.0
    return float(jensenshannon(reference, current, base=2))


def _as_number(col: pd.Series) -> pd.Series:
    """Numbers of a numeric, bool or datetime column (datetimes as days since 1970, UTC)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        return (col - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return pd.to_numeric(col, errors="coerce").astype("float64")


def _numeric(reference: pd.Series, current: pd.Series) -> tuple:
    from scipy.stats import ks_2samp

    ref, cur = _as_number(reference), _as_number(current)
    ref_values, cur_values = ref.dropna().to_numpy(), cur.dropna().to_numpy()
    test, statistic, p_value = "none", None, None
    if len(ref_values) and len(cur_values):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "exact calculation unsuccessful": uses asymptotics
            result = ks_2samp(ref_values, cur_values)
        test, statistic, p_value = "ks", float(result.statistic), float(result.pvalue)
    distinct = np.unique(np.concatenate([ref_values, cur_values]))
    if len(distinct) <= _N_LEVELS:
        edges, side, n_bins = distinct, "left", len(distinct) + 1  # one bin per value
    else:
        basis = ref_values if len(ref_values) else cur_values
        edges = np.unique(np.quantile(basis, np.linspace(0, 1, _N_QUANTILES + 1)[1:-1]))
        side, n_bins = "right", len(edges) + 2

    def counts(col: pd.Series, values: np.ndarray) -> np.ndarray:
        """Rows per bin, the last bin being the missing values."""
        bins = np.searchsorted(edges, values, side=side)
        out = np.bincount(bins, minlength=n_bins)
        out[-1] = col.isna().sum()
        return out

    return test, statistic, p_value, counts(ref, ref_values), counts(cur, cur_values), (), ()


def _categorical(reference: pd.Series, current: pd.Series) -> tuple:
    from scipy.stats import chi2_contingency

    ref = reference.dropna().astype(str).value_counts()
    cur = current.dropna().astype(str).value_counts()
    total = ref.add(cur, fill_value=0).sort_values(ascending=False, kind="stable")
    kept = list(total.index[:_N_LEVELS])

    def counts(col: pd.Series, levels: pd.Series) -> np.ndarray:
        head = levels.reindex(kept, fill_value=0).to_numpy()
        pooled = levels.sum() - head.sum()
        return np.concatenate([head, [pooled, col.isna().sum()]]).astype(float)

    ref_counts, cur_counts = counts(reference, ref), counts(current, cur)
    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        test, statistic, p_value = (
            ("chi2", 0.0, 1.0) if table.shape[1] == 1 else ("none", None, None)
        )
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = chi2_contingency(table)
        test, statistic, p_value = "chi2", float(result.statistic), float(result.pvalue)
    new = cur.index.difference(ref.index, sort=False)
    vanished = ref.index.difference(cur.index, sort=False)
    return (
        test,
        statistic,
        p_value,
        ref_counts,
        cur_counts,
        tuple(str(v) for v in cur[new].sort_values(ascending=False, kind="stable").index),
        tuple(str(v) for v in ref[vanished].sort_values(ascending=False, kind="stable").index),
    )


def column_drift(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    *,
    reference_kind: str,
    current_kind: str,
    psi_threshold: float = 0.25,
    p_threshold: float = 0.01,
) -> ColumnDrift:
    """Compare one column of the reference data with the same column of the current data.

    Parameters
    ----------
    name : str
    reference : Series of shape (n_reference,)
    current : Series of shape (n_current,)
    reference_kind, current_kind : {"numeric", "categorical", "datetime", "empty"}
        Kinds from :func:`audits.models.column_kinds` in each dataset.
    psi_threshold : float, default=0.25
    p_threshold : float, default=0.01
        The column has drifted when its PSI is at least ``psi_threshold`` and its test's
        p-value is below ``p_threshold``.

    Returns
    -------
    ColumnDrift
    """
    kinds = {reference_kind, current_kind} - {"empty"}
    numeric = len(kinds) <= 1 and kinds <= {"numeric", "datetime"}
    compare = _numeric if numeric else _categorical
    test, statistic, p_value, ref_counts, cur_counts, new, vanished = compare(reference, current)
    psi = population_stability_index(ref_counts, cur_counts)
    drifted = psi >= psi_threshold and (p_value is None or p_value < p_threshold)
    return ColumnDrift(
        name=str(name),
        kind="numeric" if numeric else "categorical",
        test=test,
        statistic=statistic,
        p_value=p_value,
        psi=psi,
        js_distance=_js(ref_counts, cur_counts),
        missing_share_reference=float(reference.isna().mean()) if len(reference) else 0.0,
        missing_share_current=float(current.isna().mean()) if len(current) else 0.0,
        n_new_levels=len(new),
        n_vanished_levels=len(vanished),
        new_levels=new[:_N_EXAMPLES],
        vanished_levels=vanished[:_N_EXAMPLES],
        type_changed=len(kinds) > 1,
        drifted=bool(drifted),
    )

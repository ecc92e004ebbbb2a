"""Drift of the current data against a reference: per column, in the labels, and overall."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from audits.drift._adversarial import AdversarialValidation, adversarial_validation
from audits.drift._columns import ColumnDrift, column_drift
from audits.errors import InputError, TargetError
from audits.io import Dataset
from audits.models import column_kinds

__all__ = ["DriftAudit", "audit_drift"]


@dataclass(frozen=True)
class DriftAudit:
    """How the current data differs from the reference data.

    Attributes
    ----------
    n_rows_reference, n_rows_current : int
    n_columns_compared : int
        Feature columns present in both datasets.
    columns : tuple of ColumnDrift
        Drifted columns first, then by PSI, at most ``max_columns`` of them.
    n_columns_omitted : int
        Compared columns left out of ``columns`` by the cap (counts include them).
    only_in_reference, only_in_current : tuple of str
        Feature columns that vanished from / are new in the current data.
    n_drifted_columns : int
        Columns with PSI >= ``psi_threshold`` and p-value < ``p_threshold``.
    n_type_changed_columns : int
        Columns whose kind (numeric, categorical, datetime) differs.
    max_psi : float or None
        Largest PSI of a compared column (None when none is compared).
    psi_threshold, p_threshold : float
        The drift rule used.
    target : str or None
    label_shift_tvd : float or None
        Total variation distance between the class shares, ``0.5 * sum |p - q|`` (0 = same
        shares, 1 = no class in common); None unless both datasets have labelled rows.
    label_shift_p_value : float or None
        Chi-square test of equal class shares. Two random halves of a small many-class
        dataset differ by a TVD of 0.11 (32 classes, 950 rows each), so the *fact*
        ``label_shift_tvd`` counts the shift only when this is below ``p_threshold``.
    class_shares_reference, class_shares_current : dict of str to float
        Share of each class among labelled rows.
    new_classes, vanished_classes : tuple of str
        Classes only in the current / only in the reference data.
    adversarial : AdversarialValidation or None
        None when not run or not possible (no shared column).
    """

    n_rows_reference: int
    n_rows_current: int
    n_columns_compared: int
    columns: tuple[ColumnDrift, ...]
    n_columns_omitted: int
    only_in_reference: tuple[str, ...]
    only_in_current: tuple[str, ...]
    n_drifted_columns: int
    n_type_changed_columns: int
    max_psi: float | None
    psi_threshold: float
    p_threshold: float
    target: str | None
    label_shift_tvd: float | None
    label_shift_p_value: float | None
    class_shares_reference: dict[str, float]
    class_shares_current: dict[str, float]
    new_classes: tuple[str, ...]
    vanished_classes: tuple[str, ...]
    adversarial: AdversarialValidation | None

    def facts(self) -> dict[str, float | None]:
        """The numbers the suites check, by fact name.

        ``label_shift_tvd`` is the TVD when the chi-square test finds the class shares
        different (p-value below ``p_threshold``), else 0: a shift within sampling noise.
        """
        significant = (
            self.label_shift_p_value is not None and self.label_shift_p_value < self.p_threshold
        )
        return {
            "adversarial_auc": self.adversarial.auc if self.adversarial is not None else None,
            "max_psi": self.max_psi,
            "n_drifted_columns": float(self.n_drifted_columns),
            "n_vanished_columns": float(len(self.only_in_reference)),
            "n_type_changed_columns": float(self.n_type_changed_columns),
            "label_shift_tvd": (
                None
                if self.label_shift_tvd is None
                else (self.label_shift_tvd if significant else 0.0)
            ),
        }


def _frame(data: Dataset | pd.DataFrame, name: str) -> pd.DataFrame:
    """The columns of ``data`` to compare: all but a Dataset's group column (an id, whose
    values differ between datasets of different entities by design)."""
    if isinstance(data, Dataset):
        return data.frame if data.groups is None else data.frame.drop(columns=[data.groups])
    if isinstance(data, pd.DataFrame):
        return data
    raise InputError(f"`{name}` must be a Dataset or a pandas DataFrame; got {type(data).__name__}")


def _kind_by_column(frame: pd.DataFrame) -> dict[str, str]:
    kinds = column_kinds(frame)
    return {name: kind for kind, names in vars(kinds).items() for name in names}


def _label_shift(
    reference: pd.Series, current: pd.Series
) -> tuple[dict[str, float], dict[str, float], float, float]:
    """Class shares of each side, their total variation distance and the chi-square p-value."""
    from scipy.stats import chi2_contingency

    counts = (
        pd.DataFrame(
            {
                "reference": reference.dropna().astype(str).value_counts(),
                "current": current.dropna().astype(str).value_counts(),
            }
        )
        .fillna(0.0)
        .sort_index()
    )
    shares = counts / counts.sum().where(counts.sum() > 0, 1.0)
    tvd = 0.5 * float((shares["reference"] - shares["current"]).abs().sum())
    table = counts.to_numpy().T
    p_value = 1.0
    if len(counts) > 1 and (table.sum(axis=1) > 0).all():
        p_value = float(chi2_contingency(table).pvalue)

    def positive(side: str) -> dict[str, float]:
        return {str(k): float(v) for k, v in shares[side].items() if counts.at[k, side] > 0}

    return positive("reference"), positive("current"), tvd, p_value


def audit_drift(
    current: Dataset | pd.DataFrame,
    reference: Dataset | pd.DataFrame,
    *,
    target: str | None = None,
    psi_threshold: float = 0.25,
    p_threshold: float = 0.01,
    adversarial: bool = True,
    n_folds: int = 5,
    adversarial_rows: int = 5_000,
    max_columns: int = 200,
    random_state: int = 0,
    map_fn: Callable[[Callable, Iterable], Iterable] = map,
) -> DriftAudit:
    """Compare the current data with a reference dataset.

    Parameters
    ----------
    current, reference : Dataset or DataFrame
        E.g. ``audits.io.read_dataset(reference_uri, target=target)``. Columns in one and
        not the other are reported, not compared.
    target : str, optional
        Label column, excluded from the feature comparison and used for the label shift;
        ``current.target`` by default when ``current`` is a Dataset.
    psi_threshold : float, default=0.25
    p_threshold : float, default=0.01
        A column has drifted when its PSI is at least ``psi_threshold`` and the p-value of
        its test (Kolmogorov-Smirnov or chi-square) is below ``p_threshold``.
    adversarial : bool, default=True
        Run the adversarial validation (``n_folds`` model fits).
    n_folds : int, default=5
    adversarial_rows : int, default=5000
        Rows drawn from each side for the adversarial validation.
    max_columns : int, default=200
        Most :class:`ColumnDrift` rows kept.
    random_state : int, default=0
    map_fn : callable, default=map
        Parallel map for the adversarial folds.

    Returns
    -------
    DriftAudit

    Raises
    ------
    InputError
        An argument is neither a Dataset nor a DataFrame.
    TargetError
        ``target`` is in neither dataset.
    """
    cur, ref = _frame(current, "current"), _frame(reference, "reference")
    if target is None and isinstance(current, Dataset):
        target = current.target
    if target is not None and target not in cur.columns and target not in ref.columns:
        raise TargetError(
            f"`target` must be a column of the current or reference data; got {target!r}",
            reason="target_missing",
        )
    features_cur = [c for c in cur.columns if c != target]
    features_ref = [c for c in ref.columns if c != target]
    shared = [c for c in features_cur if c in set(features_ref)]
    kind_cur, kind_ref = _kind_by_column(cur[shared]), _kind_by_column(ref[shared])
    columns = sorted(
        (
            column_drift(
                name,
                ref[name],
                cur[name],
                reference_kind=kind_ref[name],
                current_kind=kind_cur[name],
                psi_threshold=psi_threshold,
                p_threshold=p_threshold,
            )
            for name in shared
        ),
        key=lambda c: (not c.drifted, -c.psi, c.name),
    )
    shares_ref, shares_cur, tvd, p_value = {}, {}, None, None
    if all(target in side.columns and side[target].notna().any() for side in (cur, ref)):
        shares_ref, shares_cur, tvd, p_value = _label_shift(ref[target], cur[target])
    return DriftAudit(
        n_rows_reference=len(ref),
        n_rows_current=len(cur),
        n_columns_compared=len(shared),
        columns=tuple(columns[:max_columns]),
        n_columns_omitted=max(len(columns) - max_columns, 0),
        only_in_reference=tuple(str(c) for c in features_ref if c not in set(shared)),
        only_in_current=tuple(str(c) for c in features_cur if c not in set(shared)),
        n_drifted_columns=sum(c.drifted for c in columns),
        n_type_changed_columns=sum(c.type_changed for c in columns),
        max_psi=max((c.psi for c in columns), default=None),
        psi_threshold=psi_threshold,
        p_threshold=p_threshold,
        target=target,
        label_shift_tvd=tvd,
        label_shift_p_value=p_value,
        class_shares_reference=shares_ref,
        class_shares_current=shares_cur,
        new_classes=tuple(sorted(set(shares_cur) - set(shares_ref))),
        vanished_classes=tuple(sorted(set(shares_ref) - set(shares_cur))),
        adversarial=(
            adversarial_validation(
                ref[shared],
                cur[shared],
                n_folds=n_folds,
                max_rows=adversarial_rows,
                random_state=random_state,
                map_fn=map_fn,
            )
            if adversarial
            else None
        ),
    )

"""Label noise by confident learning (cleanlab) on the shared out-of-fold probabilities."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from audits.errors import DataError
from audits.labels._result import ClassNoise, LabelIssue, LabelNoise
from audits.models import OutOfFold

__all__ = ["ISSUE_COLUMNS", "find_label_noise", "issue_table"]

#: Columns of the per-row issue table, in order.
ISSUE_COLUMNS = ("row", "given_label", "suggested_label", "label_quality", "is_issue")

_FILTER_BY = "prune_by_noise_rate"
_SCORE = "self_confidence"
METHOD = (
    f"cleanlab confident learning: rows flagged by filter_by={_FILTER_BY!r}, ranked by "
    f"{_SCORE!r} label quality; noise rate = off-diagonal share of the calibrated confident joint"
)


def find_label_noise(
    oof: OutOfFold,
    *,
    rows: np.ndarray | None = None,
    max_examples: int = 50,
) -> tuple[LabelNoise, pd.DataFrame]:
    """Find rows whose given label is probably wrong, and estimate the noise rate.

    Parameters
    ----------
    oof : OutOfFold
        Out-of-fold probabilities over the labelled rows (see
        :func:`audits.models.out_of_fold`).
    rows : ndarray of shape (n_oof_rows,), optional
        Position in the dataset frame of each row of ``oof``; ``0..n-1`` by default.
    max_examples : int, default=50
        Cap on the worst rows kept in the result.

    Returns
    -------
    noise : LabelNoise
    issues : DataFrame of shape (n_oof_rows, 5)
        Columns ``row`` (int), ``given_label`` and ``suggested_label`` (str),
        ``label_quality`` (float in [0, 1]) and ``is_issue`` (bool), in row order.
    """
    from cleanlab.count import compute_confident_joint
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels, proba = oof.labels, oof.proba
    n, k = proba.shape
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    if len(rows) != n:
        raise DataError(f"`rows` must have one position per out-of-fold row ({n}); got {len(rows)}")
    with warnings.catch_warnings():
        # cleanlab warns about small classes; they are reported in the result instead.
        warnings.simplefilter("ignore")
        joint = compute_confident_joint(labels, proba, calibrate=True)
        is_issue = find_label_issues(
            labels, proba, filter_by=_FILTER_BY, confident_joint=joint, n_jobs=1
        )
        quality = get_label_quality_scores(labels, proba, method=_SCORE)
    classes = np.asarray(oof.classes, dtype=object)
    issues = issue_table(rows, classes[labels], classes[proba.argmax(axis=1)], quality, is_issue)
    worst = issues[issues["is_issue"]].sort_values("label_quality", kind="stable")
    noise = LabelNoise(
        n_rows=n,
        n_issues=int(is_issue.sum()),
        noise_rate=float(1.0 - np.trace(joint) / joint.sum()),
        classes=oof.classes,
        joint_counts=tuple(tuple(round(float(v), 2) for v in line) for line in joint),
        per_class=_per_class(oof, joint, labels, is_issue),
        worst=tuple(
            LabelIssue(
                int(r.row), str(r.given_label), str(r.suggested_label), float(r.label_quality)
            )
            for r in worst.head(max_examples).itertuples(index=False)
        ),
        model=oof.model,
        n_folds=oof.n_folds,
        method=METHOD,
    )
    return noise, issues


def issue_table(
    rows: np.ndarray,
    given: np.ndarray,
    suggested: np.ndarray,
    quality: np.ndarray,
    is_issue: np.ndarray,
) -> pd.DataFrame:
    """The per-row issue table with its column types; all arrays of shape (n_rows,)."""
    return pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=np.int64),
            "given_label": pd.Series(given, dtype="string"),
            "suggested_label": pd.Series(suggested, dtype="string"),
            "label_quality": np.asarray(quality, dtype=float),
            "is_issue": np.asarray(is_issue, dtype=bool),
        },
        columns=list(ISSUE_COLUMNS),
    )


def _per_class(
    oof: OutOfFold, joint: np.ndarray, labels: np.ndarray, is_issue: np.ndarray
) -> tuple[ClassNoise, ...]:
    k = len(oof.classes)
    n_rows = np.bincount(labels, minlength=k)
    n_issues = np.bincount(labels[is_issue], minlength=k)
    off_diagonal = joint - np.diag(np.diag(joint))
    small = set(oof.small_classes)
    return tuple(
        ClassNoise(
            label=label,
            n_rows=int(n_rows[i]),
            n_issues=int(n_issues[i]),
            noise_rate=float(off_diagonal[i].sum() / n_rows[i]),
            likely_true_label=(
                oof.classes[int(off_diagonal[i].argmax())] if off_diagonal[i].sum() > 0 else None
            ),
            small=label in small,
        )
        for i, label in enumerate(oof.classes)
    )

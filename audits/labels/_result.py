"""Result types of the label audit: frozen, JSON round-trippable through ``audits._serde``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ClassNoise",
    "ConflictGroup",
    "LabelAudit",
    "LabelIssue",
    "LabelNoise",
    "Labelling",
]

#: Facts of :class:`LabelNoise`, None in :meth:`LabelAudit.facts` when noise was not computed.
NOISE_FACTS = ("label_noise_rate", "max_class_label_noise_rate", "label_signal_auc")

WEAK_SIGNAL_AUC = 0.6
"""Out-of-fold ROC AUC below which the noise estimate is reported as meaningless.

Confident learning counts the labels that the out-of-fold model finds unlikely; when the
features barely predict the label, that count says nothing about wrong labels.
``benchmarks/label_signal.py``: with the labels of the 17 shared datasets shuffled at
random (8,000 rows at most, the classical model), the AUC was 0.46-0.52 while the
estimated noise ranged from 0.6% to 74% (a pass of the noise suite's 10% on 8 of
them); with the real labels the AUC was 0.60 (AER Fertility) to 1.00.
"""


@dataclass(frozen=True)
class LabelIssue:
    """One row whose given label is probably wrong.

    Attributes
    ----------
    row : int
        Position of the row in the dataset frame (0-based, unlabelled rows included).
    given_label : str
    suggested_label : str
        The class the out-of-fold model finds most likely.
    label_quality : float
        In [0, 1]; low means the given label is unlikely (cleanlab's label quality score).
    """

    row: int
    given_label: str
    suggested_label: str
    label_quality: float


@dataclass(frozen=True)
class ClassNoise:
    """Label noise among the rows given one class.

    Attributes
    ----------
    label : str
    n_rows : int
        Rows given this label.
    n_issues : int
        Of those, rows flagged as label issues.
    noise_rate : float
        ``n_issues / n_rows``: estimated share of those rows whose true class is another.
    likely_true_label : str or None
        The class most often suggested for its flagged rows; None when none is flagged.
    small : bool
        True when the class has fewer rows than folds: some folds were trained
        without it, so its estimates are unreliable.
    """

    label: str
    n_rows: int
    n_issues: int
    noise_rate: float
    likely_true_label: str | None
    small: bool


@dataclass(frozen=True)
class LabelNoise:
    """Label noise found by confident learning on the shared out-of-fold probabilities.

    Attributes
    ----------
    n_rows : int
        Rows audited (those with a label).
    n_issues : int
        Rows flagged as label issues.
    noise_rate : float
        ``n_issues / n_rows``: estimated share of audited rows whose given label is not
        their true class (cleanlab's confident-learning count).
    classes : tuple of str
        Class names; the order of ``noise_matrix``.
    noise_matrix : tuple of tuple of int, shape (n_classes, n_classes)
        ``noise_matrix[i][j]``: rows given class ``i`` estimated to be of class ``j``
        (flagged rows counted at their suggested class, the others on the diagonal);
        row ``i`` sums to the rows given ``i``, the off-diagonal to ``n_issues``.
    per_class : tuple of ClassNoise
        One per class, in ``classes`` order.
    worst : tuple of LabelIssue
        The flagged rows with the lowest label quality, worst first (capped).
    model : str
        Model family of the out-of-fold probabilities.
    n_folds : int
    method : str
        How rows were flagged and the rate estimated.
    signal_auc : float or None
        Macro one-vs-rest ROC AUC of the out-of-fold probabilities against the given
        labels (0.5: the features do not predict the label); None in results written
        before it was measured.
    weak_signal : bool
        ``signal_auc`` is below :data:`WEAK_SIGNAL_AUC`: the features barely predict the
        label, and ``noise_rate`` says nothing about wrong labels.
    """

    n_rows: int
    n_issues: int
    noise_rate: float
    classes: tuple[str, ...]
    noise_matrix: tuple[tuple[int, ...], ...]
    per_class: tuple[ClassNoise, ...]
    worst: tuple[LabelIssue, ...]
    model: str
    n_folds: int
    method: str
    signal_auc: float | None = None
    weak_signal: bool = False

    @property
    def small_classes(self) -> tuple[str, ...]:
        """Classes with fewer rows than folds."""
        return tuple(c.label for c in self.per_class if c.small)

    def facts(self) -> dict[str, float | None]:
        """``label_noise_rate``, ``max_class_label_noise_rate`` (small classes left out) and
        ``label_signal_auc``."""
        rates = [c.noise_rate for c in self.per_class if not c.small]
        values = (self.noise_rate, max(rates) if rates else None, self.signal_auc)
        return dict(zip(NOISE_FACTS, values, strict=True))


@dataclass(frozen=True)
class ConflictGroup:
    """Rows with identical features but different labels.

    Attributes
    ----------
    n_rows : int
        Rows in the group.
    rows : tuple of int
        Their positions in the dataset frame (the first ones, capped).
    labels : dict of str to int
        Rows per label within the group, largest first.
    """

    n_rows: int
    rows: tuple[int, ...]
    labels: dict[str, int]


@dataclass(frozen=True)
class Labelling:
    """Labelling errors that need no model: missing, empty, invalid and conflicting labels.

    Attributes
    ----------
    n_rows : int
        Rows in the dataset frame.
    n_missing : int
        Rows whose label is null.
    n_empty : int
        Rows whose label is an empty or blank string.
    n_invalid : int or None
        Rows whose label (compared as text) is outside ``allowed_labels``, missing and
        empty labels not counted; None when no allowed set was given.
    invalid_labels : tuple of str
        The distinct invalid labels, most frequent first (capped).
    n_classes : int
        Distinct non-null labels.
    n_conflicting_rows : int
        Labelled rows that share their exact feature values with a row of another label.
    n_conflict_groups : int
        Distinct feature rows carrying more than one label.
    conflicts : tuple of ConflictGroup
        The largest groups first (capped).
    target_looks_like_id : bool
        Every label is distinct: the column identifies rows rather than classes them.
    target_looks_continuous : bool
        Labels are numbers with a fraction part and many distinct values: a regression
        target, not classes.
    missing_reference_classes : tuple of str or None
        Classes of ``reference_classes`` that no row has; None without a reference.
    new_classes : tuple of str or None
        Classes present but not in ``reference_classes``; None without a reference.
    """

    n_rows: int
    n_missing: int
    n_empty: int
    n_invalid: int | None
    invalid_labels: tuple[str, ...]
    n_classes: int
    n_conflicting_rows: int
    n_conflict_groups: int
    conflicts: tuple[ConflictGroup, ...]
    target_looks_like_id: bool
    target_looks_continuous: bool
    missing_reference_classes: tuple[str, ...] | None
    new_classes: tuple[str, ...] | None

    def facts(self) -> dict[str, float | None]:
        """Counts and flags the ``labeling`` suite checks (flags as 0.0 or 1.0)."""
        labelled = self.n_rows - self.n_missing
        missing_reference = self.missing_reference_classes
        return {
            "n_empty_labels": float(self.n_empty),
            "conflicting_label_share": self.n_conflicting_rows / labelled if labelled else None,
            "target_looks_like_id": float(self.target_looks_like_id),
            "target_looks_continuous": float(self.target_looks_continuous),
            "n_missing_reference_classes": (
                None if missing_reference is None else float(len(missing_reference))
            ),
        }


@dataclass(frozen=True)
class LabelAudit:
    """The label section of the results: labelling checks and, when computed, label noise.

    Attributes
    ----------
    labelling : Labelling
    noise : LabelNoise or None
        None when no out-of-fold probabilities were given.
    """

    labelling: Labelling
    noise: LabelNoise | None

    def facts(self) -> dict[str, float | None]:
        """Facts of both parts; the noise facts are None when noise was not computed."""
        noise = self.noise.facts() if self.noise is not None else dict.fromkeys(NOISE_FACTS)
        return {**self.labelling.facts(), **noise}

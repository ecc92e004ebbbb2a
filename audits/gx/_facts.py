"""Custom expectations over the computed facts (noise rate, imbalance ratio, ...).

Each audit reduces to named numbers, its *facts*. They are validated as a one-row
table whose columns are the fact names, so every fact expectation is a built-in
column-bound expectation with its column fixed. The classes are created, and so
registered with Great Expectations, when this module is imported: that must happen
before any suite is loaded, or Great Expectations silently drops the unknown types.

To add a fact check, add a row to ``DECLARED``.
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from great_expectations.expectations import (  # noqa: E402
    ExpectColumnMaxToBeBetween,
    ExpectColumnMinToBeBetween,
)

__all__ = ["DECLARED", "FACT_OF_TYPE", "expectation_type"]

#: (class name, fact name, bound): ``"max"`` checks ``fact <= max_value``,
#: ``"min"`` checks ``fact >= min_value``.
DECLARED: tuple[tuple[str, str, str], ...] = (
    ("ExpectMinClassCountToBeAtLeast", "min_class_count", "min"),
    ("ExpectLabelledRowCountToBeAtLeast", "n_labelled_rows", "min"),
    ("ExpectMissingLabelShareToBeAtMost", "missing_label_share", "max"),
    ("ExpectDuplicateRowShareToBeAtMost", "duplicate_row_share", "max"),
    # imbalance (audits.imbalance.ImbalanceAudit.facts)
    ("ExpectImbalanceRatioToBeAtMost", "imbalance_ratio", "max"),
    ("ExpectMinorityShareToBeAtLeast", "minority_share", "min"),
    ("ExpectBalancedAccuracyToBeAtLeast", "balanced_accuracy", "min"),
    ("ExpectGeometricMeanToBeAtLeast", "geometric_mean", "min"),
    ("ExpectMinClassRecallToBeAtLeast", "min_class_recall", "min"),
    ("ExpectResamplingGainToBeAtMost", "resampling_gain", "max"),
    # feature quality (audits.quality.QualityAudit.facts)
    ("ExpectMaxMissingShareToBeAtMost", "max_missing_share", "max"),
    ("ExpectMissingCellShareToBeAtMost", "missing_cell_share", "max"),
    ("ExpectAllNullColumnCountToBeAtMost", "n_all_null_columns", "max"),
    ("ExpectConstantColumnCountToBeAtMost", "n_constant_columns", "max"),
    ("ExpectNearConstantColumnCountToBeAtMost", "n_near_constant_columns", "max"),
    ("ExpectHighCardinalityColumnCountToBeAtMost", "n_high_cardinality_columns", "max"),
    ("ExpectMixedTypeColumnCountToBeAtMost", "n_mixed_type_columns", "max"),
    ("ExpectInfiniteValueColumnCountToBeAtMost", "n_infinite_columns", "max"),
    ("ExpectOutlierShareToBeAtMost", "outlier_share", "max"),
    # drift (audits.drift.DriftAudit.facts)
    ("ExpectAdversarialAucToBeAtMost", "adversarial_auc", "max"),
    ("ExpectMaxPsiToBeAtMost", "max_psi", "max"),
    ("ExpectDriftedColumnCountToBeAtMost", "n_drifted_columns", "max"),
    ("ExpectVanishedColumnCountToBeAtMost", "n_vanished_columns", "max"),
    ("ExpectTypeChangedColumnCountToBeAtMost", "n_type_changed_columns", "max"),
    ("ExpectLabelShiftTvdToBeAtMost", "label_shift_tvd", "max"),
    # labels (audits.labels.LabelAudit.facts)
    ("ExpectLabelNoiseRateToBeAtMost", "label_noise_rate", "max"),
    ("ExpectMaxClassLabelNoiseRateToBeAtMost", "max_class_label_noise_rate", "max"),
    ("ExpectLabelSignalAucToBeAtLeast", "label_signal_auc", "min"),
    ("ExpectConflictingLabelShareToBeAtMost", "conflicting_label_share", "max"),
    ("ExpectEmptyLabelCountToBeAtMost", "n_empty_labels", "max"),
    ("ExpectTargetLooksLikeIdToBeAtMost", "target_looks_like_id", "max"),
    ("ExpectTargetLooksContinuousToBeAtMost", "target_looks_continuous", "max"),
    ("ExpectMissingReferenceClassCountToBeAtMost", "n_missing_reference_classes", "max"),
)


def expectation_type(class_name: str) -> str:
    """Snake-case type name GX gives a class, e.g. ``expect_min_class_count_to_be_at_least``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def _declare(class_name: str, fact: str, bound: str) -> type:
    base = ExpectColumnMaxToBeBetween if bound == "max" else ExpectColumnMinToBeBetween
    threshold = "max_value" if bound == "max" else "min_value"
    relation = "at most" if bound == "max" else "at least"
    doc = f"Expect the fact ``{fact}`` to be {relation} ``{threshold}``."
    return type(
        class_name,
        (base,),
        {
            "__annotations__": {"column": str},
            "column": fact,
            "__module__": __name__,
            "__doc__": doc,
        },
    )


FACT_OF_TYPE: dict[str, str] = {}
for _name, _fact, _bound in DECLARED:
    globals()[_name] = _declare(_name, _fact, _bound)
    FACT_OF_TYPE[expectation_type(_name)] = _fact

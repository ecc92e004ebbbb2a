"""Drift of the current data against a reference dataset."""

from audits.drift._adversarial import (
    AdversarialValidation,
    ColumnImportance,
    adversarial_validation,
)
from audits.drift._audit import DriftAudit, audit_drift
from audits.drift._columns import ColumnDrift, column_drift, population_stability_index

__all__ = [
    "AdversarialValidation",
    "ColumnDrift",
    "ColumnImportance",
    "DriftAudit",
    "adversarial_validation",
    "audit_drift",
    "column_drift",
    "population_stability_index",
]

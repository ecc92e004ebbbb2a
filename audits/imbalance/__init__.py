"""Class imbalance: counts, ratios, per-class metrics and what rebalancing would buy."""

from audits.imbalance._audit import ClassMetrics, ImbalanceAudit, audit_imbalance
from audits.imbalance._whatif import ARMS, ResamplingArm, ResamplingWhatIf, resampling_what_if

__all__ = [
    "ARMS",
    "ClassMetrics",
    "ImbalanceAudit",
    "ResamplingArm",
    "ResamplingWhatIf",
    "audit_imbalance",
    "resampling_what_if",
]

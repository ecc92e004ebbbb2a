"""Label audit: label noise by confident learning, and labelling errors that need no model.

``audit_labels(dataset, oof)`` returns a :class:`LabelAudit` (whose ``facts()`` feed the
``noise`` and ``labeling`` suites) and the per-row issue table the flow writes to
``label_issues.parquet``.
"""

from audits.labels._audit import audit_labels
from audits.labels._labelling import check_labelling
from audits.labels._noise import ISSUE_COLUMNS, find_label_noise
from audits.labels._result import (
    NOISE_FACTS,
    WEAK_SIGNAL_AUC,
    ClassNoise,
    ConflictGroup,
    LabelAudit,
    LabelIssue,
    Labelling,
    LabelNoise,
)

__all__ = [
    "ISSUE_COLUMNS",
    "NOISE_FACTS",
    "WEAK_SIGNAL_AUC",
    "ClassNoise",
    "ConflictGroup",
    "LabelAudit",
    "LabelIssue",
    "LabelNoise",
    "Labelling",
    "audit_labels",
    "check_labelling",
    "find_label_noise",
]

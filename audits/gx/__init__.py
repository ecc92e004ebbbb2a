"""Great Expectations: suites from ``expectations/`` validated over rows and computed facts.

Importing this package registers the custom fact expectations, so suites that use
them load intact.
"""

from audits.gx import _facts
from audits.gx._suites import Suite, default_suite_dir, load_suites
from audits.gx._validate import ExpectationOutcome, SuiteOutcome, ValidationResult, validate

FACT_OF_TYPE = _facts.FACT_OF_TYPE

__all__ = [
    "FACT_OF_TYPE",
    "ExpectationOutcome",
    "Suite",
    "SuiteOutcome",
    "ValidationResult",
    "default_suite_dir",
    "load_suites",
    "validate",
]

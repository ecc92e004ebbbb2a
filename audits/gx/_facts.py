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
)


def expectation_type(class_name: str) -> str:
    """Snake-case type name GX gives a class, e.g. ``expect_min_class_count_to_be_at_least``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def _declare(class_name: str, fact: str, bound: str) -> type:
    base = ExpectColumnMaxToBeBetween if bound == "max" else ExpectColumnMinToBeBetween
    threshold = "max_value" if bound == "max" else "min_value"
    doc = f"Expect the fact ``{fact}`` to be {'at most' if bound == 'max' else 'at least'} ``{threshold}``."
    return type(
        class_name,
        (base,),
        {"__annotations__": {"column": str}, "column": fact, "__module__": __name__, "__doc__": doc},
    )


FACT_OF_TYPE: dict[str, str] = {}
for _name, _fact, _bound in DECLARED:
    globals()[_name] = _declare(_name, _fact, _bound)
    FACT_OF_TYPE[expectation_type(_name)] = _fact

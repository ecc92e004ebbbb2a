"""Run the suites with Great Expectations over the rows and over the computed facts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from audits.gx import _facts
from audits.gx._context import make_context
from audits.gx._suites import Suite

__all__ = ["ExpectationOutcome", "SuiteOutcome", "ValidationResult", "validate"]

_THRESHOLD_KEYS = (
    "min_value",
    "max_value",
    "value_set",
    "column_set",
    "exact_match",
    "mostly",
    "strict_min",
    "strict_max",
)


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation.

    Attributes
    ----------
    suite, type : str
    column : str or None
        Data column or fact name it checks.
    status : {"passed", "failed", "skipped", "error"}
    observed : float, str or None
        The fact's value, or the count of unexpected rows.
    threshold : dict of str to object
        The bounds it was checked against (``min_value``, ``max_value``, ``value_set``, ...).
    detail : str
        Why it was skipped or errored, or a short note on the failure.
    """

    suite: str
    type: str
    column: str | None
    status: str
    observed: float | str | None
    threshold: dict[str, Any]
    detail: str = ""


@dataclass(frozen=True)
class SuiteOutcome:
    """All outcomes of one suite."""

    name: str
    outcomes: tuple[ExpectationOutcome, ...]


@dataclass(frozen=True)
class ValidationResult:
    """All suites; ``success`` is True when nothing failed or errored."""

    suites: tuple[SuiteOutcome, ...]

    @property
    def outcomes(self) -> tuple[ExpectationOutcome, ...]:
        """Every outcome of every suite."""
        return tuple(o for s in self.suites for o in s.outcomes)

    def count(self, status: str) -> int:
        """Number of outcomes with this status."""
        return sum(o.status == status for o in self.outcomes)

    @property
    def success(self) -> bool:
        """True when no expectation failed or errored."""
        return self.count("failed") == 0 and self.count("error") == 0


def _resolve(value: Any, parameters: dict[str, Any]) -> tuple[Any, str | None]:
    """Fill ``{"$PARAMETER": name}`` values; return (value, missing parameter name)."""
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        name = value["$PARAMETER"]
        if parameters.get(name) is None:
            return None, name
        return parameters[name], None
    return value, None


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _observed(result: dict[str, Any]) -> float | str | None:
    """The observed value of one GX result as a number or a line of text.

    A column-set check reports the columns missing and unexpected (not the whole list),
    and any other list is joined with commas.
    """
    mismatched = (result.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict):
        parts = [
            f"{label}: {', '.join(map(str, mismatched[key]))}"
            for key, label in (("missing", "missing"), ("unexpected", "unexpected"))
            if mismatched.get(key)
        ]
        return "; ".join(parts) or "no difference"
    if "observed_value" in result:
        value = _jsonable(result["observed_value"])
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return value if isinstance(value, (int, float, str)) or value is None else str(value)
    if "unexpected_count" in result:
        return _jsonable(result["unexpected_count"])
    return None


def validate(
    frame: pd.DataFrame,
    facts: dict[str, float | None],
    suites: tuple[Suite, ...],
    *,
    parameters: dict[str, Any],
) -> ValidationResult:
    """Validate ``suites`` over the rows of ``frame`` and over ``facts``.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        The dataset; row and column expectations run on it.
    facts : dict of str to float or None
        Computed facts; fact expectations run on a one-row table of them. A fact that
        is None or absent (e.g. drift without a reference) skips its expectations.
    suites : tuple of Suite
    parameters : dict
        Values for ``{"$PARAMETER": name}`` kwargs; must hold ``target``.

    Returns
    -------
    ValidationResult
    """
    import great_expectations as gx

    context = make_context()
    source = context.data_sources.add_pandas("audit")
    available = {k: float(v) for k, v in facts.items() if v is not None}
    batches = {
        "rows": source.add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame}),
        "facts": source.add_dataframe_asset("facts")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": pd.DataFrame([available or {"_": 0.0}])}),
    }
    outcomes_by_suite = []
    for suite in suites:
        outcomes: list[ExpectationOutcome] = []
        runnable: dict[str, list[tuple[int, dict[str, Any]]]] = {"rows": [], "facts": []}
        for item in suite.expectations:
            kind = item["type"]
            fact = _facts.FACT_OF_TYPE.get(kind)
            kwargs, missing = {}, None
            for key, raw in item.get("kwargs", {}).items():
                kwargs[key], absent = _resolve(raw, parameters)
                missing = missing or absent
            column = fact or kwargs.get("column")
            threshold = {k: _jsonable(kwargs[k]) for k in _THRESHOLD_KEYS if k in kwargs}
            skip = None
            if missing:
                skip = f"parameter {missing!r} is not configured"
            elif fact is not None and fact not in available:
                skip = f"fact {fact!r} was not computed in this run"
            if skip:
                outcomes.append(
                    ExpectationOutcome(suite.name, kind, column, "skipped", None, threshold, skip)
                )
                continue
            batch = "facts" if fact is not None else item.get("meta", {}).get("batch", "rows")
            runnable[batch].append(
                (len(outcomes), {"type": kind, "kwargs": kwargs, "meta": item.get("meta", {})})
            )
            outcomes.append(
                ExpectationOutcome(suite.name, kind, column, "pending", None, threshold)
            )
        for batch_name, items in runnable.items():
            if not items:
                continue
            gx_suite = gx.ExpectationSuite(
                name=f"{suite.name}-{batch_name}", expectations=[spec for _, spec in items]
            )
            report = batches[batch_name].validate(gx_suite).to_json_dict()
            for (index, _), result in zip(items, report["results"], strict=True):
                previous = outcomes[index]
                info = result.get("exception_info") or {}
                if info.get("raised_exception"):
                    status, detail = "error", str(info.get("exception_message", "")).split("\n")[0]
                else:
                    status, detail = ("passed" if result["success"] else "failed"), ""
                outcomes[index] = ExpectationOutcome(
                    previous.suite,
                    previous.type,
                    previous.column,
                    status,
                    _observed(result.get("result") or {}),
                    previous.threshold,
                    detail,
                )
        outcomes_by_suite.append(SuiteOutcome(suite.name, tuple(outcomes)))
    return ValidationResult(tuple(outcomes_by_suite))

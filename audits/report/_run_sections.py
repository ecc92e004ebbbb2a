"""Sections about the run rather than the data: the checks, the trend across runs, metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from audits.report import _plots
from audits.report._format import (
    DASH,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_seconds,
    fmt_time,
    fmt_value,
    humanize,
    is_number,
    shorten,
)
from audits.report._model import Cell, Section, Table, make_table, num
from audits.report._summary import check_name, dig, failing, outcomes, threshold_text

__all__ = ["expectations_section", "failed_table", "history_section", "run_section"]


def _status(status: Any) -> Cell:
    return Cell(str(status or DASH), f"status status-{status}")


def _observed(outcome: Mapping[str, Any]) -> Cell:
    return num(fmt_value(outcome.get("observed"), width=60))


def failed_table(results: Mapping[str, Any]) -> Table:
    """The failed and errored checks, for the top of the page."""
    return make_table(
        "Failed checks",
        ("Suite", "Check", "Column or fact", "Observed", "Expected", "Note"),
        failing(results),
        lambda o: (
            o.get("suite") or DASH,
            check_name(o),
            o.get("column") or DASH,
            _observed(o),
            threshold_text(o.get("threshold")),
            shorten(o.get("detail") or "", 160),
        ),
        limit=100,
    )


def expectations_section(results: Mapping[str, Any]) -> Section:
    """Every expectation outcome, suite by suite."""
    found = outcomes(results)
    totals: dict[str, int] = {}
    for o in found:
        totals[str(o.get("status"))] = totals.get(str(o.get("status")), 0) + 1
    line = (
        ", ".join(f"{v} {k}" for k, v in totals.items()) + "."
        if totals
        else "No expectations were run."
    )
    table = make_table(
        "Expectations",
        ("Suite", "Check", "Column or fact", "Status", "Observed", "Expected", "Note"),
        found,
        lambda o: (
            o.get("suite") or DASH,
            check_name(o),
            o.get("column") or DASH,
            _status(o.get("status")),
            _observed(o),
            threshold_text(o.get("threshold")),
            shorten(o.get("detail") or "", 160),
        ),
        limit=300,
    )
    return Section("expectations", "All checks", (line,), tables=(table,) if found else ())


def run_section(results: Mapping[str, Any]) -> Section:
    """When and how the run happened: times, fingerprint, versions, parameters, stage timings."""

    def items(key: str) -> list[tuple[str, Any]]:
        value = dig(results, "run", key)
        return [(str(k), v) for k, v in value.items()] if isinstance(value, Mapping) else []

    run = results.get("run") if isinstance(results.get("run"), Mapping) else {}
    facts = (
        ("Started", fmt_time(run.get("started"))),
        ("Finished", fmt_time(run.get("finished"))),
        ("Duration", fmt_seconds(run.get("seconds"))),
        ("Dataset fingerprint", str(dig(results, "overview", "fingerprint") or DASH)),
        ("Results schema version", str(results.get("schema_version") or DASH)),
    )
    stages = items("stage_seconds")
    total = sum(v for _, v in stages if is_number(v))
    tables = (
        make_table(
            "Stage timings",
            ("Stage", "Wall time", "Share"),
            stages,
            lambda kv: (
                kv[0],
                num(fmt_seconds(kv[1])),
                num(fmt_pct(kv[1] / total) if total and is_number(kv[1]) else DASH),
            ),
        ),
        make_table(
            "Versions",
            ("Package", "Version"),
            items("versions"),
            lambda kv: (kv[0], fmt_value(kv[1])),
        ),
        make_table(
            "Parameters",
            ("Parameter", "Value"),
            items("parameters"),
            lambda kv: (kv[0], fmt_value(kv[1], width=160)),
        ),
    )
    return Section("run", "Run", facts=facts, tables=tuple(t for t in tables if t.rows))


_TREND_TITLES: dict[str, tuple[str, Callable[[Any], str]]] = {
    "rows": ("Rows audited", fmt_count),
    "failing_checks": ("Failing checks", fmt_number),
    "label_noise_rate": ("Label noise rate", fmt_pct),
    "imbalance_ratio": ("Imbalance ratio", fmt_number),
    "drift_auc": ("Drift AUC", fmt_number),
    "crossover_rows": ("Rows where the challenger overtakes", fmt_count),
}
_TREND_PREFIXES: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("score_2x_", "{}: forecast at 2x", fmt_number),
    ("score_", "{}: score now", fmt_number),
    ("rows_needed_", "{}: rows for the target", fmt_count),
)
_NOT_TRENDS = frozenset({"checks"})


def _trend_title(column: str) -> tuple[str, Callable[[Any], str]]:
    if column in _TREND_TITLES:
        return _TREND_TITLES[column]
    for prefix, template, fmt in _TREND_PREFIXES:
        if column.startswith(prefix):
            return template.format(column.removeprefix(prefix).capitalize()), fmt
    return humanize(column), fmt_number


def history_section(history: Sequence[Mapping[str, Any]]) -> Section | None:
    """Small line plots of the key numbers across runs; None with fewer than 2 runs.

    Parameters
    ----------
    history : sequence of dict
        Rows of ``history.parquet`` (see :func:`audits.report.summary_row`), oldest first.
    """
    if len(history) < 2:
        return None
    plots = []
    for column in dict.fromkeys(k for row in history for k in row):
        values = [row.get(column) for row in history]
        if column in _NOT_TRENDS or sum(map(is_number, values)) < 2:
            continue
        title, fmt = _trend_title(column)
        last = next(v for v in reversed(values) if is_number(v))
        plots.append(
            _plots.line_chart(
                f"trend-{len(plots)}",
                [_plots.Series("", list(range(1, len(values) + 1)), values)],
                title=f"{title}: {fmt(last)}",
                xlabel="run",
                ylabel="",
                small=True,
            )
        )
    line = f"{len(history)} runs in this report folder, oldest first; the last point is this run."
    return Section("history", "Trend across runs", (line,), plots=tuple(plots))

"""Build each page section from its ``results.json`` dict.

One builder per known section reads the fields it knows; when a section does not have
the shape its builder expects (an older or newer results file), or when the section is
not known at all, :func:`generic_section` shows its numbers and tables as they are.
Nothing here computes a finding: it formats, caps and plots what the results hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from audits.report import _plots
from audits.report._format import (
    DASH,
    fmt_bytes,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_seconds,
    fmt_value,
    humanize,
    is_number,
    shorten,
)
from audits.report._model import Cell, Section, Table, make_table, num
from audits.report._summary import check_name, dig, failing, outcomes, threshold_text

__all__ = [
    "BUILDERS",
    "TITLES",
    "build_section",
    "expectations_section",
    "failed_table",
    "generic_section",
    "history_section",
    "run_section",
]

#: Titles of the known optional sections, in page order.
TITLES = {
    "overview": "Dataset overview",
    "quality": "Data quality",
    "labels": "Labels",
    "imbalance": "Class balance",
    "drift": "Drift",
    "sufficiency": "Is there enough data?",
}
_MAX_GENERIC_TABLES = 12
_MAX_GENERIC_COLUMNS = 10
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _fact(label: str, value: str) -> tuple[str, str]:
    return (label, value)


def _count_and_share(count: Any, total: Any) -> str:
    if not is_number(count):
        return DASH
    share = f" ({fmt_pct(count / total)})" if is_number(total) and total else ""
    return f"{fmt_number(count)}{share}"


def status_cell(status: Any) -> Cell:
    """A status shown as a coloured badge."""
    return Cell(str(status or DASH), f"status status-{status}")


# --- overview ---------------------------------------------------------------------------


def overview_section(data: Mapping[str, Any]) -> Section:
    """Rows, columns and their kinds, missing cells, duplicates, class distribution."""
    n_rows, columns = data["n_rows"], data["columns"]
    counts = [(str(k), v) for k, v in data["class_counts"].items()]
    kinds: dict[str, int] = {}
    for column in columns:
        kinds[column["kind"]] = kinds.get(column["kind"], 0) + 1
    rows_text = fmt_number(n_rows)
    if is_number(data.get("n_rows_total")) and data["n_rows_total"] > n_rows:
        rows_text += f" (sampled from {fmt_number(data['n_rows_total'])})"
    facts = (
        _fact("Dataset", str(data.get("uri", DASH))),
        _fact("Target", str(data.get("target", DASH))),
        _fact("Rows", rows_text),
        _fact("Feature columns", fmt_number(data["n_columns"])),
        _fact("Column kinds", ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())) or DASH),
        _fact("Missing cells", _count_and_share(
            data["n_missing_cells"], n_rows * data["n_columns"])),
        _fact("Duplicate rows", _count_and_share(data["n_duplicate_rows"], n_rows)),
        _fact("Missing labels", _count_and_share(data.get("n_missing_labels"), n_rows)),
        _fact("Classes", fmt_number(len(counts))),
    )
    plot = _plots.bar_chart(
        "overview-classes", counts, title="Class distribution", xlabel="rows",
    )
    by_missing = sorted(columns, key=lambda c: -c["n_missing"])
    tables = (
        make_table(
            "Classes", ("Class", "Rows", "Share"), counts,
            lambda c: (c[0], num(fmt_number(c[1])), num(fmt_pct(c[1] / n_rows))),
        ),
        make_table(
            "Columns, most missing first", ("Column", "Type", "Kind", "Missing", "Distinct"),
            by_missing,
            lambda c: (c["name"], c["dtype"], c["kind"],
                       num(_count_and_share(c["n_missing"], n_rows)), num(fmt_number(c["n_unique"]))),
        ),
    )
    return Section("overview", TITLES["overview"], facts=facts, plots=(plot,), tables=tables)


# --- labels -----------------------------------------------------------------------------


def _labelling_facts(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    n_rows = data["n_rows"]
    facts = [
        _fact("Missing labels", _count_and_share(data["n_missing"], n_rows)),
        _fact("Empty labels", fmt_number(data["n_empty"])),
        _fact("Invalid labels", fmt_number(data.get("n_invalid"))
              if data.get("n_invalid") is not None else "not checked (no allowed labels)"),
        _fact("Rows with conflicting labels", _count_and_share(data["n_conflicting_rows"], n_rows)),
        _fact("Conflict groups", fmt_number(data["n_conflict_groups"])),
    ]
    for key, label in (("missing_reference_classes", "Reference classes missing"),
                       ("new_classes", "Classes not in the reference")):
        if data.get(key) is not None:
            facts.append(_fact(label, ", ".join(map(str, data[key][:20])) or "none"))
    return facts


def _labelling_lines(data: Mapping[str, Any]) -> list[str]:
    lines = []
    if data.get("target_looks_like_id"):
        lines.append("Every label is distinct: the target looks like a row id, not a class.")
    if data.get("target_looks_continuous"):
        lines.append("The labels look like a continuous number (a regression target), "
                     "not classes.")
    if data.get("invalid_labels"):
        shown = ", ".join(shorten(v, 40) for v in data["invalid_labels"][:10])
        lines.append(f"Labels outside the allowed set: {shown}.")
    return lines


def labels_section(data: Mapping[str, Any]) -> Section:
    """Labelling errors, label noise per class, worst label issues, conflicts."""
    labelling, noise = data["labelling"], data.get("noise")
    lines = _labelling_lines(labelling)
    facts = _labelling_facts(labelling)
    plots, tables = [], []
    if noise:
        lines.insert(0, f"About {fmt_pct(noise['noise_rate'])} of the labels look wrong: "
                        f"{fmt_number(noise['n_issues'])} of {fmt_number(noise['n_rows'])} "
                        "rows are flagged.")
        facts += [
            _fact("Estimated label noise", fmt_pct(noise["noise_rate"])),
            _fact("Rows flagged", _count_and_share(noise["n_issues"], noise["n_rows"])),
            _fact("Found with", f"{noise.get('method', DASH)}, {noise.get('model', DASH)} model, "
                               f"{noise.get('n_folds', DASH)}-fold out-of-fold probabilities"),
        ]
        per_class = sorted(noise["per_class"], key=lambda c: -c["noise_rate"])
        plots.append(_plots.bar_chart(
            "labels-noise",
            [(c["label"] + (" (small)" if c.get("small") else ""), c["noise_rate"])
             for c in per_class],
            title="Estimated label noise per class (noisiest first)",
            xlabel="share of the class's rows whose true class is another",
            other=None, value_format=fmt_pct, xlim=(0, 1.0),
        ))
        tables += [
            make_table(
                "Worst label issues (lowest label quality first)",
                ("Row", "Given label", "Suggested label", "Label quality"), noise["worst"],
                lambda i: (num(str(i["row"])), i["given_label"], i["suggested_label"],
                           num(fmt_number(i["label_quality"]))),
            ),
            make_table(
                "Label noise per class",
                ("Class", "Rows", "Flagged", "Noise", "Mostly really"), per_class,
                lambda c: (c["label"] + (" (small: unreliable)" if c.get("small") else ""),
                           num(fmt_number(c["n_rows"])), num(fmt_number(c["n_issues"])),
                           num(fmt_pct(c["noise_rate"])), c.get("likely_true_label") or DASH),
            ),
        ]
    if labelling.get("conflicts"):
        tables.append(make_table(
            "Identical rows with different labels (largest groups)",
            ("Rows", "Labels", "Row ids"), labelling["conflicts"],
            lambda g: (num(fmt_number(g["n_rows"])),
                       ", ".join(f"{k}: {v}" for k, v in list(g["labels"].items())[:10]),
                       shorten(", ".join(map(str, g["rows"])), 80)),
            limit=20,
        ))
    return Section("labels", TITLES["labels"], tuple(lines), tuple(facts), tuple(plots),
                   tuple(tables))


# --- imbalance --------------------------------------------------------------------------


def _plus_minus(value: Any, spread: Any, *, signed: bool = False) -> str:
    if not is_number(value):
        return DASH
    text = f"{value:+.3f}" if signed else fmt_number(value)
    return f"{text} \u00b1 {fmt_number(spread)}" if is_number(spread) else text


def imbalance_section(data: Mapping[str, Any]) -> Section:
    """Imbalance ratio, per-class recall, and the resampling what-if."""
    classes, what_if = data["classes"], data.get("what_if")
    lines = [f"The largest class ({shorten(data['majority_class'], 40)}) has "
             f"{fmt_number(data['imbalance_ratio'])}x the rows of the smallest "
             f"({shorten(data['minority_class'], 40)})."]
    facts = [
        _fact("Imbalance ratio", f"{fmt_number(data['imbalance_ratio'])} : 1"),
        _fact("Smallest class share", fmt_pct(data["minority_share"])),
        _fact("Balanced accuracy", fmt_number(data["balanced_accuracy"])),
        _fact("Geometric mean of recalls", fmt_number(data["geometric_mean"])),
        _fact("Model", str(data.get("model", DASH))),
    ]
    plots = [_plots.bar_chart(
        "imbalance-recall", [(c["label"], c["recall"]) for c in classes],
        title="Recall per class (smallest classes first)",
        xlabel="out-of-fold recall", other=None, value_format=fmt_number, xlim=(0, 1.0),
    )]
    tables = [make_table(
        "Per class, smallest first",
        ("Class", "Rows", "Share", "Precision", "Recall", "F1", "G-mean"), classes,
        lambda c: (c["label"], num(fmt_number(c["count"])), num(fmt_pct(c["share"])),
                   *(num(fmt_number(c[k])) for k in ("precision", "recall", "f1",
                                                      "geometric_mean"))),
    )]
    if what_if:
        arms = what_if["arms"]
        if what_if.get("recommendation"):
            lines.append(f"Resampling what-if: {what_if['recommendation']}.")
        plots.append(_plots.bar_chart(
            "imbalance-whatif", [(a["name"], a["mean"]) for a in arms if a.get("mean") is not None],
            title="Balanced accuracy by way of handling the imbalance",
            xlabel=f"cross-validated balanced accuracy ({what_if['n_folds']} folds, "
                   f"{fmt_count(what_if['n_rows'])} rows)",
            other=None, xlim=(0, 1.0),
        ))
        tables.append(make_table(
            "Resampling what-if", ("Arm", "Method", "Balanced accuracy", "Gain over none", "Note"),
            arms,
            lambda a: (a["name"], a.get("method") or DASH, num(_plus_minus(a["mean"], a["std"])),
                       num(_plus_minus(a.get("gain"), a.get("gain_se"), signed=True)),
                       a.get("skipped") or ""),
        ))
        if what_if.get("note"):
            lines.append(str(what_if["note"]))
    return Section("imbalance", TITLES["imbalance"], tuple(lines), tuple(facts), tuple(plots),
                   tuple(tables))


# --- generic ----------------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _records_table(title: str, records: Sequence[Mapping[str, Any]]) -> Table:
    headers = list(dict.fromkeys(
        k for r in records[:50] for k, v in r.items() if _is_scalar(v)
    ))[:_MAX_GENERIC_COLUMNS]
    return make_table(
        title, [humanize(h) for h in headers], records,
        lambda r: tuple(num(fmt_value(r.get(h))) if is_number(r.get(h))
                        else fmt_value(r.get(h), width=80) for h in headers),
    )


def _generic_tables(title: str, data: Any, depth: int, tables: list[Table]) -> None:
    """Append tables showing ``data`` (a dict or list) to ``tables``."""
    if len(tables) >= _MAX_GENERIC_TABLES or depth > 3:
        return
    if isinstance(data, list):
        records = [r for r in data if isinstance(r, Mapping)]
        if records:
            tables.append(_records_table(title, records))
        return
    items = list(data.items())
    scalars = [(k, v) for k, v in items if _is_scalar(v) or
               (isinstance(v, list) and all(_is_scalar(x) for x in v))]
    if scalars and depth > 0:
        tables.append(make_table(title, ("Name", "Value"), scalars,
                                 lambda kv: (humanize(kv[0]), fmt_value(kv[1], width=120))))
    nested = [(k, v) for k, v in items if (k, v) not in scalars and v]
    if nested and all(isinstance(v, Mapping) and all(map(_is_scalar, v.values()))
                      for _, v in nested):
        tables.append(_records_table(title, [{"name": k, **v} for k, v in nested]))
        return
    for key, value in nested:
        _generic_tables(f"{title} \u203a {humanize(key)}" if depth else humanize(key),
                        value, depth + 1, tables)


def generic_section(key: str, data: Any, *, title: str | None = None) -> Section:
    """Show any section as facts (its top-level numbers and texts) and tables (the rest)."""
    title = title or TITLES.get(key) or humanize(key)
    if not isinstance(data, Mapping):
        return Section(key, title, facts=(_fact("Value", fmt_value(data)),))
    facts = tuple(
        _fact(humanize(k), fmt_value(v, width=120)) for k, v in data.items()
        if _is_scalar(v) or (isinstance(v, list) and all(_is_scalar(x) for x in v))
    )
    tables: list[Table] = []
    _generic_tables(title, data, 0, tables)
    return Section(key, title, facts=facts, tables=tuple(tables))


# --- checks, run, history ---------------------------------------------------------------


def _observed(outcome: Mapping[str, Any]) -> Cell:
    return num(fmt_value(outcome.get("observed"), width=60))


def failed_table(results: Mapping[str, Any]) -> Table:
    """The failed and errored checks, for the top of the page."""
    return make_table(
        "Failed checks", ("Suite", "Check", "Column or fact", "Observed", "Expected", "Note"),
        failing(results),
        lambda o: (o.get("suite") or DASH, check_name(o), o.get("column") or DASH,
                   _observed(o), threshold_text(o.get("threshold")),
                   shorten(o.get("detail") or "", 160)),
        limit=100,
    )


def expectations_section(results: Mapping[str, Any]) -> Section:
    """Every expectation outcome, suite by suite."""
    found = outcomes(results)
    totals: dict[str, int] = {}
    for o in found:
        totals[str(o.get("status"))] = totals.get(str(o.get("status")), 0) + 1
    lines = (", ".join(f"{v} {k}" for k, v in totals.items()) + ".",) if totals else (
        "No expectations were run.",)
    table = make_table(
        "Expectations", ("Suite", "Check", "Column or fact", "Status", "Observed", "Expected",
                         "Note"), found,
        lambda o: (o.get("suite") or DASH, check_name(o), o.get("column") or DASH,
                   status_cell(o.get("status")), _observed(o), threshold_text(o.get("threshold")),
                   shorten(o.get("detail") or "", 160)),
        limit=300,
    )
    return Section("expectations", "All checks", lines, tables=(table,) if found else ())


def run_section(results: Mapping[str, Any]) -> Section:
    """When and how the run happened: times, fingerprint, versions, parameters."""
    run = results.get("run") if isinstance(results.get("run"), Mapping) else {}
    facts = (
        _fact("Started", str(run.get("started") or DASH)),
        _fact("Finished", str(run.get("finished") or DASH)),
        _fact("Duration", fmt_seconds(run.get("seconds"))),
        _fact("Dataset fingerprint", str(dig(results, "overview", "fingerprint") or DASH)),
        _fact("Results schema version", str(results.get("schema_version") or DASH)),
    )
    stages = [(k, v) for k, v in (run.get("stage_seconds") or {}).items()]
    total = sum(v for _, v in stages if is_number(v)) or None
    tables = [
        make_table("Stage timings", ("Stage", "Wall time", "Share"), stages,
                   lambda kv: (kv[0], num(fmt_seconds(kv[1])),
                               num(fmt_pct(kv[1] / total) if total and is_number(kv[1])
                                   else DASH))),
        make_table("Versions", ("Package", "Version"), list((run.get("versions") or {}).items()),
                   lambda kv: (kv[0], fmt_value(kv[1]))),
        make_table("Parameters", ("Parameter", "Value"),
                   list((run.get("parameters") or {}).items()),
                   lambda kv: (kv[0], fmt_value(kv[1], width=160))),
    ]
    return Section("run", "Run", facts=facts, tables=tuple(t for t in tables if t.rows))


_TREND_TITLES = {
    "rows": ("Rows audited", fmt_count),
    "failing_checks": ("Failing checks", fmt_number),
    "label_noise_rate": ("Label noise rate", fmt_pct),
    "imbalance_ratio": ("Imbalance ratio (largest / smallest)", fmt_number),
    "drift_auc": ("Drift AUC", fmt_number),
}
_TREND_PREFIXES = (("score_2x_", "Forecast score at 2x, {}"), ("score_", "Score now, {}"),
                   ("rows_needed_", "Rows needed, {}"))


def _trend_title(column: str) -> tuple[str, Callable[[Any], str]]:
    if column in _TREND_TITLES:
        return _TREND_TITLES[column]
    for prefix, template in _TREND_PREFIXES:
        if column.startswith(prefix):
            fmt = fmt_count if prefix == "rows_needed_" else fmt_number
            return template.format(column.removeprefix(prefix)), fmt
    return humanize(column), fmt_number


def history_section(history: Sequence[Mapping[str, Any]]) -> Section | None:
    """Small line plots of the key numbers across runs; None with fewer than 2 runs."""
    if len(history) < 2:
        return None
    columns = list(dict.fromkeys(k for row in history for k in row))
    plots = []
    for column in columns:
        values = [row.get(column) for row in history]
        if sum(is_number(v) for v in values) < 2 or column == "checks":
            continue
        title, fmt = _trend_title(column)
        last = next(v for v in reversed(values) if is_number(v))
        plots.append(_plots.line_chart(
            f"trend-{len(plots)}",
            [_plots.Series("", list(range(1, len(values) + 1)), values)],
            title=f"{title}: {fmt(last)}", xlabel="run", ylabel="", small=True,
        ))
    lines = (f"{len(history)} runs of this report folder, oldest first; the last point is "
             "this run.",)
    return Section("history", "Trend across runs", lines, plots=tuple(plots))


BUILDERS: dict[str, Callable[[Mapping[str, Any]], Section]] = {
    "overview": overview_section,
    "labels": labels_section,
    "imbalance": imbalance_section,
}


def build_section(key: str, data: Any) -> Section:
    """The section for ``results[key]``: its own builder, or the generic one if the shape is off."""
    builder = BUILDERS.get(key)
    if builder is not None and isinstance(data, Mapping):
        try:
            return builder(data)
        except _SHAPE_ERRORS:
            pass
    return generic_section(key, data)

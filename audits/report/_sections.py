"""Build each dataset section of the page from its ``results.json`` dict.

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
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_value,
    humanize,
    is_number,
    shorten,
)
from audits.report._model import (
    Section,
    Table,
    count_and_share,
    make_table,
    num,
    plus_minus,
)
from audits.report._sufficiency import sufficiency_section
from audits.report._summary import weak_signal_sentence

__all__ = ["BUILDERS", "TITLES", "build_section", "generic_section", "skipped_section"]

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


def _listing(values: Sequence[Any], limit: int = 10) -> str:
    """``"a, b, c"``, shortened, with ``"... (k in all)"`` past ``limit``."""
    shown = ", ".join(shorten(v, 40) for v in values[:limit])
    return shown + (f", \u2026 ({len(values)} in all)" if len(values) > limit else "")


# --- overview ---------------------------------------------------------------------------


def overview_section(data: Mapping[str, Any]) -> Section:
    """Rows, columns and their kinds, missing cells, duplicates, class distribution."""
    n_rows, columns = data["n_rows"], data["columns"]
    counts = [(str(k), v) for k, v in data["class_counts"].items()]
    labelled = sum(v for _, v in counts) or 1
    kinds: dict[str, int] = {}
    for column in columns:
        kinds[column["kind"]] = kinds.get(column["kind"], 0) + 1
    rows_text = fmt_number(n_rows)
    if is_number(data.get("n_rows_total")) and data["n_rows_total"] > n_rows:
        rows_text += f" (sampled from {fmt_number(data['n_rows_total'])})"
    facts = (
        ("Dataset", str(data.get("uri", DASH))),
        ("Target", str(data.get("target", DASH))),
        *(
            [("Groups", f"{fmt_number(data.get('n_groups'))} in column {data['groups']}")]
            if data.get("groups") is not None
            else []
        ),
        ("Rows", rows_text),
        ("Feature columns", fmt_number(data["n_columns"])),
        ("Column kinds", ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())) or DASH),
        ("Missing cells", count_and_share(data["n_missing_cells"], n_rows * data["n_columns"])),
        ("Duplicate rows", count_and_share(data["n_duplicate_rows"], n_rows)),
        ("Missing labels", count_and_share(data.get("n_missing_labels"), n_rows)),
        ("Classes", fmt_number(len(counts))),
    )
    plot = _plots.bar_chart("overview-classes", counts, title="Class distribution", xlabel="rows")
    by_missing = sorted(columns, key=lambda c: -c["n_missing"])
    tables = (
        make_table(
            "Classes",
            ("Class", "Rows", "Share of labelled rows"),
            counts,
            lambda c: (c[0], num(fmt_number(c[1])), num(fmt_pct(c[1] / labelled))),
        ),
        make_table(
            "Columns, most missing first",
            ("Column", "Type", "Kind", "Missing", "Distinct"),
            by_missing,
            lambda c: (
                c["name"],
                c["dtype"],
                c["kind"],
                num(count_and_share(c["n_missing"], n_rows)),
                num(fmt_number(c["n_unique"])),
            ),
        ),
    )
    return Section("overview", TITLES["overview"], facts=facts, plots=(plot,), tables=tables)


# --- quality ----------------------------------------------------------------------------

_COLUMN_ISSUES = (
    ("n_all_null_columns", "all-null"),
    ("n_constant_columns", "constant"),
    ("n_near_constant_columns", "near-constant"),
    ("n_high_cardinality_columns", "high-cardinality"),
    ("n_mixed_type_columns", "mixed-type"),
    ("n_infinite_columns", "infinite-value"),
)


def quality_section(data: Mapping[str, Any]) -> Section:
    """Column issues, missingness, duplicates and outliers."""
    n_rows, columns = data["n_rows"], data["columns"]
    found = [f"{fmt_number(data[k])} {label}" for k, label in _COLUMN_ISSUES if data.get(k)]
    lines = [
        f"Columns with issues: {', '.join(found)}."
        if found
        else "No all-null, constant, high-cardinality, mixed-type or infinite-value columns."
    ]
    if is_number(data.get("outlier_share")):
        lines.append(
            f"{fmt_pct(data['outlier_share'])} of {fmt_number(data['n_outlier_rows_checked'])} "
            f"rows checked look like outliers (isolation forest on "
            f"{len(data.get('outlier_columns') or ())} numeric columns)."
        )
    facts = [
        ("Missing cells", fmt_pct(data.get("missing_cell_share"))),
        ("Most missing column", fmt_pct(data.get("max_missing_share"))),
        ("Duplicate rows", count_and_share(data["n_duplicate_rows"], n_rows)),
        ("Duplicate feature rows", count_and_share(data["n_duplicate_feature_rows"], n_rows)),
        *(
            (f"{label.capitalize()} columns", fmt_number(data.get(k)))
            for k, label in _COLUMN_ISSUES
        ),
        ("Outlier rows", fmt_pct(data.get("outlier_share"))),
    ]
    missing = sorted(
        (c for c in columns if c["missing_share"] > 0), key=lambda c: -c["missing_share"]
    )
    plots = (
        [
            _plots.bar_chart(
                "quality-missing",
                [(c["name"], c["missing_share"]) for c in missing],
                title="Missing values per column (most missing first)",
                xlabel="share of rows missing",
                other=None,
                value_format=fmt_pct,
                xlim=(0, 1.0),
            )
        ]
        if missing
        else []
    )
    table = make_table(
        "Columns, most severe first",
        ("Column", "Type", "Kind", "Missing", "Distinct", "Top value share", "Issues"),
        columns,
        lambda c: (
            c["name"],
            c["dtype"],
            c["kind"],
            num(fmt_pct(c["missing_share"])),
            num(fmt_number(c["n_unique"])),
            num(fmt_pct(c["dominant_share"])),
            ", ".join(i.replace("_", " ") for i in c["issues"]) or DASH,
        ),
    )
    notes = []
    ids = [c["name"] for c in columns if "id_like" in c["issues"]]
    if ids:
        notes.append(
            f"Named like identifiers: {_listing(ids, 5)}. An identifier is no feature; if it "
            "names the entity of each row and entities recur, rerun with --groups "
            f"{ids[0]}, or rows of one entity land on both sides of every split."
        )
    if data.get("n_columns_omitted"):
        notes.append(
            f"{fmt_number(data['n_columns_omitted'])} columns without issues are "
            "not listed in the results; the counts include them."
        )
    if data.get("most_anomalous_rows"):
        notes.append(
            f"Most anomalous rows (0-based positions): {_listing(data['most_anomalous_rows'], 20)}."
        )
    return Section(
        "quality",
        TITLES["quality"],
        tuple(lines),
        tuple(facts),
        tuple(plots),
        (table,),
        tuple(notes),
    )


# --- labels -----------------------------------------------------------------------------


def _labelling_parts(data: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    n_rows = data["n_rows"]
    lines = []
    if data.get("target_looks_like_id"):
        lines.append("Every label is distinct: the target looks like a row id, not a class.")
    if data.get("target_looks_continuous"):
        lines.append("The labels look like a continuous number (a regression target), not classes.")
    if data.get("invalid_labels"):
        lines.append(f"Labels outside the allowed set: {_listing(data['invalid_labels'])}.")
    facts = [
        ("Missing labels", count_and_share(data["n_missing"], n_rows)),
        ("Empty labels", fmt_number(data["n_empty"])),
        (
            "Invalid labels",
            fmt_number(data["n_invalid"])
            if data.get("n_invalid") is not None
            else "not checked (no allowed set)",
        ),
        ("Rows with conflicting labels", count_and_share(data["n_conflicting_rows"], n_rows)),
        ("Conflict groups", fmt_number(data["n_conflict_groups"])),
    ]
    for key, label in (
        ("missing_reference_classes", "Reference classes missing"),
        ("new_classes", "Classes not in the reference"),
    ):
        if data.get(key) is not None:
            facts.append((label, _listing(data[key]) or "none"))
    return lines, facts


def labels_section(data: Mapping[str, Any]) -> Section:
    """Labelling errors, label noise per class, worst label issues, conflicts."""
    labelling, noise = data["labelling"], data.get("noise")
    lines, facts = _labelling_parts(labelling)
    plots, tables, notes = [], [], []
    if noise:
        lines.insert(
            0,
            f"About {fmt_pct(noise['noise_rate'])} of the labels look wrong: "
            f"{fmt_number(noise['n_issues'])} of {fmt_number(noise['n_rows'])} "
            "rows are flagged.",
        )
        facts[:0] = [
            ("Estimated label noise", fmt_pct(noise["noise_rate"])),
            ("Rows flagged", count_and_share(noise["n_issues"], noise["n_rows"])),
        ]
        if (auc := noise.get("signal_auc")) is not None:
            facts.insert(2, ("Out-of-fold ROC AUC (0.5: chance)", fmt_number(auc)))
            if noise.get("weak_signal"):
                lines.insert(1, weak_signal_sentence(auc))
        notes.append(
            f"Found with {noise.get('method', DASH)}; {noise.get('model', DASH)} "
            f"model, {noise.get('n_folds', DASH)}-fold out-of-fold probabilities."
        )
        per_class = sorted(noise["per_class"], key=lambda c: -c["noise_rate"])
        plots.append(
            _plots.bar_chart(
                "labels-noise",
                [
                    (c["label"] + (" (small)" if c.get("small") else ""), c["noise_rate"])
                    for c in per_class
                ],
                title="Estimated label noise per class (noisiest first)",
                xlabel="share of the class's rows whose true class is another",
                other=None,
                value_format=fmt_pct,
                xlim=(0, 1.0),
            )
        )
        tables += [
            make_table(
                "Worst label issues (lowest label quality first)",
                ("Row", "Given label", "Suggested label", "Label quality"),
                noise["worst"],
                lambda i: (
                    num(str(i["row"])),
                    i["given_label"],
                    i["suggested_label"],
                    num(fmt_number(i["label_quality"])),
                ),
                limit=20,
            ),
            make_table(
                "Label noise per class",
                ("Class", "Rows", "Flagged", "Noise", "Mostly really"),
                per_class,
                lambda c: (
                    c["label"] + (" (small: unreliable)" if c.get("small") else ""),
                    num(fmt_number(c["n_rows"])),
                    num(fmt_number(c["n_issues"])),
                    num(fmt_pct(c["noise_rate"])),
                    c.get("likely_true_label") or DASH,
                ),
            ),
        ]
    if labelling.get("conflicts"):
        tables.append(
            make_table(
                "Identical rows with different labels (largest groups)",
                ("Rows", "Labels", "Row positions"),
                labelling["conflicts"],
                lambda g: (
                    num(fmt_number(g["n_rows"])),
                    ", ".join(f"{k}: {v}" for k, v in list(g["labels"].items())[:10]),
                    _listing(g["rows"]),
                ),
                limit=20,
            )
        )
    return Section(
        "labels",
        TITLES["labels"],
        tuple(lines),
        tuple(facts),
        tuple(plots),
        tuple(tables),
        tuple(notes),
    )


# --- imbalance --------------------------------------------------------------------------


def imbalance_section(data: Mapping[str, Any]) -> Section:
    """Imbalance ratio, per-class recall, and the resampling what-if."""
    classes, what_if = data["classes"], data.get("what_if")
    lines = [
        f"The largest class ({shorten(data['majority_class'], 40)}) has "
        f"{fmt_number(data['imbalance_ratio'])}x the rows of the smallest "
        f"({shorten(data['minority_class'], 40)})."
    ]
    facts = [
        ("Imbalance ratio", f"{fmt_number(data['imbalance_ratio'])} : 1"),
        ("Smallest class share", fmt_pct(data["minority_share"])),
        ("Balanced accuracy", fmt_number(data["balanced_accuracy"])),
        ("Geometric mean of recalls", fmt_number(data["geometric_mean"])),
        ("Model", str(data.get("model", DASH))),
    ]
    plots = [
        _plots.bar_chart(
            "imbalance-recall",
            [(c["label"], c["recall"]) for c in classes],
            title="Recall per class (smallest classes first)",
            xlabel="out-of-fold recall",
            other=None,
            xlim=(0, 1.0),
        )
    ]
    tables = [
        make_table(
            "Per class, smallest first",
            ("Class", "Rows", "Share", "Precision", "Recall", "F1", "G-mean"),
            classes,
            lambda c: (
                c["label"],
                num(fmt_number(c["count"])),
                num(fmt_pct(c["share"])),
                *(num(fmt_number(c[k])) for k in ("precision", "recall", "f1", "geometric_mean")),
            ),
        )
    ]
    notes = []
    if what_if:
        arms = what_if["arms"]
        if what_if.get("recommendation"):
            lines.append(f"Resampling what-if: {what_if['recommendation']}.")
        plots.append(
            _plots.bar_chart(
                "imbalance-whatif",
                [(a["name"], a["mean"]) for a in arms if is_number(a.get("mean"))],
                title="Balanced accuracy by way of handling the imbalance",
                xlabel=f"cross-validated balanced accuracy ({what_if['n_folds']} folds, "
                f"{fmt_count(what_if['n_rows'])} rows)",
                other=None,
                xlim=(0, 1.0),
            )
        )
        tables.append(
            make_table(
                "Resampling what-if",
                ("Arm", "Method", "Balanced accuracy", "Gain over none", "Note"),
                arms,
                lambda a: (
                    a["name"],
                    a.get("method") or DASH,
                    num(plus_minus(a["mean"], a["std"])),
                    num(plus_minus(a.get("gain"), a.get("gain_se"), signed=True)),
                    a.get("skipped") or "",
                ),
            )
        )
        if what_if.get("note"):
            notes.append(str(what_if["note"]))
    return Section(
        "imbalance",
        TITLES["imbalance"],
        tuple(lines),
        tuple(facts),
        tuple(plots),
        tuple(tables),
        tuple(notes),
    )


# --- drift ------------------------------------------------------------------------------


def _drift_lines(data: Mapping[str, Any]) -> list[str]:
    lines = []
    adversarial = data.get("adversarial")
    if adversarial:
        lines.append(
            f"A classifier tells current rows from reference rows with AUC "
            f"{plus_minus(adversarial['auc'], adversarial.get('auc_std'))} "
            "(0.5: indistinguishable, 1: fully different)."
        )
    lines.append(
        f"{fmt_number(data['n_drifted_columns'])} of "
        f"{fmt_number(data['n_columns_compared'])} compared columns drifted (PSI "
        f"\u2265 {fmt_number(data['psi_threshold'])} and p < "
        f"{fmt_number(data['p_threshold'])})."
    )
    for key, text in (
        ("only_in_current", "New columns"),
        ("only_in_reference", "Columns no longer present"),
        ("new_classes", "New classes"),
        ("vanished_classes", "Classes no longer present"),
    ):
        if data.get(key):
            lines.append(f"{text}: {_listing(data[key])}.")
    return lines


def drift_section(data: Mapping[str, Any]) -> Section:
    """Adversarial AUC, per-column drift (PSI, tests), label shift."""
    adversarial = data.get("adversarial")
    facts = [
        ("Reference rows", fmt_number(data["n_rows_reference"])),
        ("Current rows", fmt_number(data["n_rows_current"])),
        ("Columns compared", fmt_number(data["n_columns_compared"])),
        ("Drifted columns", fmt_number(data["n_drifted_columns"])),
        ("Columns whose type changed", fmt_number(data["n_type_changed_columns"])),
        ("Largest PSI", fmt_number(data.get("max_psi"))),
        ("Adversarial AUC", fmt_number(adversarial["auc"]) if adversarial else "not run"),
        ("Label shift (TVD)", fmt_number(data.get("label_shift_tvd"))),
    ]
    columns = data["columns"]
    plots = (
        [
            _plots.bar_chart(
                "drift-psi",
                [(c["name"] + (" *" if c.get("drifted") else ""), c["psi"]) for c in columns],
                title="Population stability index per column (* drifted)",
                xlabel="PSI",
                other=None,
            )
        ]
        if columns
        else []
    )
    tables = [
        make_table(
            "Columns, drifted first",
            (
                "Column",
                "Kind",
                "Test",
                "p-value",
                "PSI",
                "JS distance",
                "Missing (ref \u2192 cur)",
                "New / vanished levels",
                "Drifted",
            ),
            columns,
            lambda c: (
                c["name"],
                c["kind"],
                c["test"],
                num(fmt_number(c.get("p_value"))),
                num(fmt_number(c["psi"])),
                num(fmt_number(c["js_distance"])),
                num(
                    f"{fmt_pct(c['missing_share_reference'])} \u2192 "
                    f"{fmt_pct(c['missing_share_current'])}"
                ),
                f"{c.get('n_new_levels', 0)} / {c.get('n_vanished_levels', 0)}",
                "yes" if c.get("drifted") else "no",
            ),
        )
    ]
    notes = []
    if adversarial:
        if adversarial.get("top_columns"):
            tables.append(
                make_table(
                    "Columns that tell the datasets apart",
                    ("Column", "AUC drop when shuffled"),
                    adversarial["top_columns"],
                    lambda c: (c["name"], num(fmt_number(c["auc_drop"]))),
                    limit=20,
                )
            )
        if adversarial.get("note"):
            notes.append(str(adversarial["note"]))
    shares_ref = data.get("class_shares_reference") or {}
    shares_cur = data.get("class_shares_current") or {}
    labels = list(dict.fromkeys([*shares_ref, *shares_cur]))
    if labels:
        tables.append(
            make_table(
                "Class shares",
                ("Class", "Reference", "Current"),
                labels,
                lambda k: (k, num(fmt_pct(shares_ref.get(k))), num(fmt_pct(shares_cur.get(k)))),
            )
        )
    if data.get("n_columns_omitted"):
        notes.append(
            f"{fmt_number(data['n_columns_omitted'])} more compared columns are not "
            "listed in the results; the counts include them."
        )
    return Section(
        "drift",
        TITLES["drift"],
        tuple(_drift_lines(data)),
        tuple(facts),
        tuple(plots),
        tuple(tables),
        tuple(notes),
    )


# --- generic ----------------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _is_flat(value: Any) -> bool:
    return _is_scalar(value) or (isinstance(value, list) and all(map(_is_scalar, value)))


def _records_table(title: str, records: Sequence[Mapping[str, Any]]) -> Table:
    headers = list(dict.fromkeys(k for r in records[:50] for k, v in r.items() if _is_scalar(v)))[
        :_MAX_GENERIC_COLUMNS
    ]
    return make_table(
        title,
        [humanize(h) for h in headers],
        records,
        lambda r: tuple(
            num(fmt_value(r.get(h))) if is_number(r.get(h)) else fmt_value(r.get(h), width=80)
            for h in headers
        ),
    )


def _generic_tables(title: str, data: Any, depth: int, tables: list[Table]) -> None:
    """Append tables showing ``data`` (a dict or a list) to ``tables``."""
    if len(tables) >= _MAX_GENERIC_TABLES or depth > 3:
        return
    if isinstance(data, list):
        records = [r for r in data if isinstance(r, Mapping)]
        if records:
            tables.append(_records_table(title, records))
        return
    flat = [(k, v) for k, v in data.items() if _is_flat(v)]
    nested = [(k, v) for k, v in data.items() if not _is_flat(v) and v]
    if flat and depth > 0:
        tables.append(
            make_table(
                title,
                ("Name", "Value"),
                flat,
                lambda kv: (humanize(kv[0]), fmt_value(kv[1], width=120)),
            )
        )
    if nested and all(
        isinstance(v, Mapping) and all(map(_is_scalar, v.values())) for _, v in nested
    ):
        tables.append(_records_table(title, [{"name": k, **v} for k, v in nested]))
        return
    for key, value in nested:
        _generic_tables(
            f"{title} \u203a {humanize(key)}" if depth else humanize(key), value, depth + 1, tables
        )


def generic_section(key: str, data: Any) -> Section:
    """Show any section as facts (its top-level numbers and texts) and tables (the rest)."""
    title = TITLES.get(key) or humanize(key)
    if not isinstance(data, Mapping):
        return Section(key, title, facts=(("Value", fmt_value(data)),))
    facts = tuple((humanize(k), fmt_value(v, width=120)) for k, v in data.items() if _is_flat(v))
    tables: list[Table] = []
    _generic_tables(title, data, 0, tables)
    return Section(key, title, facts=facts, tables=tuple(tables))


BUILDERS: dict[str, Callable[[Mapping[str, Any]], Section]] = {
    "overview": overview_section,
    "quality": quality_section,
    "labels": labels_section,
    "imbalance": imbalance_section,
    "drift": drift_section,
    "sufficiency": sufficiency_section,
}


def skipped_section(key: str, reason: str) -> Section:
    """The section of an audit that the data did not allow, saying why."""
    return Section(key, TITLES.get(key) or humanize(key), lines=(f"Not measured: {reason}",))


def build_section(key: str, data: Any) -> Section:
    """The section for ``results[key]``: its own builder, or the generic one if the shape is off."""
    builder = BUILDERS.get(key)
    if builder is not None and isinstance(data, Mapping):
        try:
            return builder(data)
        except _SHAPE_ERRORS:
            pass
    return generic_section(key, data)

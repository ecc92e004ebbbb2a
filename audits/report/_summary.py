"""The verdict in plain words, the run's key numbers, and the summaries for Prefect artifacts.

Everything here reads the ``results.json`` dict defensively: a section that is absent,
None or of an unexpected shape contributes nothing instead of failing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audits.report._format import (
    DASH,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    fmt_value,
    humanize,
    interval_text,
    is_number,
    markdown_escape,
)

__all__ = [
    "Verdict",
    "check_name",
    "dig",
    "expectation_rows",
    "failing",
    "outcomes",
    "run_id",
    "skipped_sections",
    "summary_markdown",
    "summary_row",
    "threshold_text",
    "verdict",
    "weak_signal_sentence",
]

FAILING = ("failed", "error")
_BOUNDS = (("min_value", "strict_min", "\u2265", ">"), ("max_value", "strict_max", "\u2264", "<"))


def dig(data: Any, *path: str | int) -> Any:
    """``data[p0][p1]...``, or None as soon as a step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int) and isinstance(data, list) and -len(data) <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, Mapping):
            data = data.get(step)
        else:
            return None
    return data


def _number(data: Any, *path: str | int) -> float | None:
    value = dig(data, *path)
    return float(value) if is_number(value) else None


def outcomes(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every expectation outcome of every suite, in suite order."""
    found = []
    for suite in dig(results, "validation", "suites") or []:
        found.extend(o for o in dig(suite, "outcomes") or [] if isinstance(o, Mapping))
    return found


def failing(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The outcomes that failed or errored."""
    return [o for o in outcomes(results) if o.get("status") in FAILING]


def check_name(outcome: Mapping[str, Any]) -> str:
    """``expect_min_class_count_to_be_at_least`` -> ``min class count to be at least``."""
    kind = str(outcome.get("type") or "")
    return kind.removeprefix("expect_").replace("_", " ")


def threshold_text(threshold: Any) -> str:
    """The bounds of an expectation in words: ``>= 30``, ``<= 0.05``, ``in {a, b}``."""
    if not isinstance(threshold, Mapping):
        return DASH
    parts = []
    for key, strict, sign, strict_sign in _BOUNDS:
        if threshold.get(key) is not None:
            shown = strict_sign if threshold.get(strict) else sign
            parts.append(f"{shown} {fmt_value(threshold[key])}")
    for key, word in (("value_set", "in"), ("column_set", "columns")):
        if key in threshold:
            values = threshold[key]
            shown = ", ".join(fmt_value(v, width=40) for v in (values or [])[:10])
            more = ", \u2026" if values and len(values) > 10 else ""
            parts.append(
                f"{word} {{{shown}{more}}}" if values is not None else f"{word} (not configured)"
            )
    if is_number(threshold.get("mostly")):
        parts.append(f"for {fmt_pct(threshold['mostly'])} of rows")
    return ", ".join(parts) or DASH


def run_id(results: Mapping[str, Any]) -> str:
    """A path-safe id of the run: its start time and the first 8 characters of the fingerprint.

    The same results give the same id, so writing a run twice replaces it.
    """
    started = str(dig(results, "run", "started") or "")
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        stamp = re.sub(r"[^0-9A-Za-z]", "", started)[:15] or "run"
    else:
        moment = moment.astimezone(UTC) if moment.tzinfo is not None else moment
        stamp = moment.strftime("%Y%m%dT%H%M%S")
    fingerprint = re.sub(r"[^0-9A-Za-z]", "", str(dig(results, "overview", "fingerprint") or ""))
    return f"{stamp}-{fingerprint[:8]}" if fingerprint else stamp


def _sufficiency_models(results: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    models = dig(results, "sufficiency", "models")
    if not isinstance(models, Mapping):
        return []
    return [(str(k), v) for k, v in models.items() if isinstance(v, Mapping)]


def _forecast_near(model: Mapping[str, Any], multiple: float) -> Mapping[str, Any] | None:
    """The forecast point within 25% of ``multiple`` times the largest measured size."""
    now = _number(model, "anchors", -1, "n")
    points = [
        p
        for p in dig(model, "forecast") or []
        if _number(p, "n") and _number(p, "score") is not None
    ]
    if not now or not points:
        return None
    best = min(points, key=lambda p: abs(math.log(p["n"] / (now * multiple))))
    return best if abs(math.log(best["n"] / (now * multiple))) <= math.log(1.25) else None


def summary_row(results: Mapping[str, Any]) -> dict[str, Any]:
    """The run's key numbers for the history table (those that exist in this run).

    Returns
    -------
    dict
        ``run_id``, ``time`` (ISO string), ``uri``, ``fingerprint``, ``rows``, ``checks``,
        ``failing_checks``, and when computed ``label_noise_rate``, ``imbalance_ratio``,
        ``drift_auc``, ``crossover_rows``, and per model ``score_<model>`` (at the largest
        measured size), ``score_2x_<model>`` (forecast at twice that) and
        ``rows_needed_<model>`` (for the target score).
    """
    all_outcomes = outcomes(results)
    row: dict[str, Any] = {
        "run_id": run_id(results),
        "time": dig(results, "run", "finished") or dig(results, "run", "started"),
        "uri": dig(results, "overview", "uri"),
        "fingerprint": dig(results, "overview", "fingerprint"),
        "rows": _number(results, "overview", "n_rows"),
        "checks": float(sum(o.get("status") != "skipped" for o in all_outcomes)),
        "failing_checks": float(sum(o.get("status") in FAILING for o in all_outcomes)),
        "label_noise_rate": _number(results, "labels", "noise", "noise_rate"),
        "imbalance_ratio": _number(results, "imbalance", "imbalance_ratio"),
        "drift_auc": _number(results, "drift", "adversarial", "auc"),
        "crossover_rows": _number(results, "sufficiency", "crossover", "n"),
    }
    for name, model in _sufficiency_models(results):
        row[f"score_{name}"] = _number(model, "anchors", -1, "score")
        row[f"score_2x_{name}"] = _number(_forecast_near(model, 2.0), "score")
        row[f"rows_needed_{name}"] = _number(results, "sufficiency", "rows_for_target", name, "n")
    return {k: v for k, v in row.items() if v is not None}


@dataclass(frozen=True)
class Verdict:
    """The answer at the top of the page.

    Attributes
    ----------
    status : {"pass", "fail", "unknown"}
    headline : str
        E.g. ``"Needs attention: 2 of 17 checks fail."``
    lines : tuple of str
        One plain sentence per finding (rows and classes, label noise, sufficiency, ...).
    """

    status: str
    headline: str
    lines: tuple[str, ...]


def _headline(results: Mapping[str, Any]) -> tuple[str, str]:
    all_outcomes = outcomes(results)
    ran = [o for o in all_outcomes if o.get("status") != "skipped"]
    n_failing = sum(o.get("status") in FAILING for o in ran)
    skipped = len(all_outcomes) - len(ran)
    note = f" ({skipped} skipped)" if skipped else ""
    if not ran:
        return "unknown", f"No checks ran{note}."
    if n_failing:
        verb = "fail" if n_failing > 1 else "fails"
        return "fail", f"Needs attention: {n_failing} of {len(ran)} checks {verb}{note}."
    return "pass", f"Clean enough: all {len(ran)} checks pass{note}."


def _dataset_line(results: Mapping[str, Any]) -> str | None:
    rows = _number(results, "overview", "n_rows")
    total = _number(results, "overview", "n_rows_total")
    if rows is None:
        return None
    counts = dig(results, "overview", "class_counts")
    text = f"{fmt_count(rows)} rows"
    if total and total > rows:
        text += f" (a sample of {fmt_count(total)})"
    if isinstance(counts, Mapping) and counts:
        values = [v for v in counts.values() if is_number(v)]
        text += f", {len(counts)} classes"
        if values:
            text += f" (smallest: {fmt_count(min(values))} rows)"
    return text + "."


def weak_signal_sentence(auc: float) -> str:
    """Why a label-noise estimate means little when the features barely predict the label."""
    return (
        f"The features barely predict the label (out-of-fold ROC AUC {fmt_number(auc)}, "
        "where 0.5 is chance): either most labels are wrong or the features lack what "
        "decides them, and the label-noise estimate cannot tell which."
    )


def _labels_line(results: Mapping[str, Any]) -> str | None:
    rate = _number(results, "labels", "noise", "noise_rate")
    if rate is None:
        return None
    auc = _number(results, "labels", "noise", "signal_auc")
    if auc is not None and dig(results, "labels", "noise", "weak_signal") is True:
        return weak_signal_sentence(auc)
    flagged = _number(results, "labels", "noise", "n_issues")
    suffix = f" ({fmt_count(flagged)} rows flagged)" if flagged is not None else ""
    return f"About {fmt_pct(rate)} of labels look wrong{suffix}."


def _imbalance_line(results: Mapping[str, Any]) -> str | None:
    ratio = _number(results, "imbalance", "imbalance_ratio")
    if ratio is None:
        return None
    text = f"The largest class has {fmt_ratio(ratio)} the rows of the smallest"
    advice = dig(results, "imbalance", "what_if", "recommendation")
    return f"{text}; {advice}." if isinstance(advice, str) and advice else f"{text}."


def _model_lines(results: Mapping[str, Any]) -> list[str]:
    lines = []
    for name, model in _sufficiency_models(results):
        now = _number(model, "anchors", -1, "score")
        if now is None:
            continue
        text = f"{name.capitalize()} model: {fmt_number(now)} now"
        at_2x = _forecast_near(model, 2.0)
        if at_2x is not None:
            text += f", {fmt_number(at_2x['score'])} at 2x data"
        lines.append(text + ".")
    return lines


def _cost_ratio(results: Mapping[str, Any], crossover: Mapping[str, Any], cost: str) -> str:
    """``"9x"``: the challenger's cost over the incumbent's at the crossover size."""
    if not is_number(crossover.get("n")):
        return ""
    values = []
    for model in (crossover.get("challenger"), crossover.get("incumbent")):
        curve = dig(results, "sufficiency", "models", str(model), "cost_curves", cost)
        value = _cost_at(curve, float(crossover["n"]))
        if value is None:
            return ""
        values.append(value)
    return fmt_ratio(values[0] / values[1]) if values[1] > 0 else ""


def _cost_at(curve: Any, n: float) -> float | None:
    """A ``cost_curves`` entry at ``n`` rows, as ``CostCurve.predict`` has it; None if malformed."""
    coef, exponent = _number(curve, "coef"), _number(curve, "exponent")
    if coef is None or exponent is None:
        return None
    share, fills = 1.0, dig(curve, "fills")  # "fixed" and "fills": absent from older results
    for fill in fills if isinstance(fills, list) else ():
        fill_share = _cost_at(fill, n)
        if fill_share is None:
            return None
        share *= min(1.0, fill_share)
    return (_number(curve, "fixed") or 0.0) + coef * n**exponent * share


def _crossover_line(results: Mapping[str, Any]) -> str | None:
    crossover = dig(results, "sufficiency", "crossover")
    if not isinstance(crossover, Mapping):
        return None
    challenger = str(crossover.get("challenger", "")).capitalize()
    incumbent = str(crossover.get("incumbent", ""))
    status, level = crossover.get("status"), dig(results, "sufficiency", "level")
    if status == "ahead":
        return f"{challenger} model already scores better than the {incumbent} one."
    if status == "level":
        horizon = fmt_count(crossover.get("horizon"))
        return f"{challenger} model: level with the {incumbent} one up to {horizon} rows."
    if status != "forecast" or not is_number(crossover.get("n")):
        horizon = fmt_count(crossover.get("horizon"))
        return (
            f"{challenger} model: does not catch up with the {incumbent} one within {horizon} rows."
        )
    interval = interval_text(crossover.get("low"), crossover.get("high"), level)
    text = (
        f"{challenger} model: needs about {fmt_count(crossover['n'])} rows"
        f"{f' ({interval})' if interval else ''} to match the {incumbent} one"
    )
    fit, load = (_cost_ratio(results, crossover, c) for c in ("fit_seconds", "load_seconds"))
    if fit and load:
        text += f"; would take {fit} longer to train and {load} longer to load"
    return text + "."


def _target_line(results: Mapping[str, Any]) -> str | None:
    targets = dig(results, "sufficiency", "rows_for_target")
    if not isinstance(targets, Mapping) or not targets:
        return None
    level = dig(results, "sufficiency", "level")
    parts, goal = [], None
    for name, target in targets.items():
        goal = dig(target, "target")
        status = dig(target, "status")
        if status == "reached":
            parts.append(f"{name} already reaches it")
        elif status == "forecast":
            interval = interval_text(dig(target, "low"), dig(target, "high"), level)
            parts.append(
                f"{name} at about {fmt_count(dig(target, 'n'))} rows"
                f"{f' ({interval})' if interval else ''}"
            )
        else:
            parts.append(f"{name} levels off below it")
    return f"Target {fmt_number(goal)}: {'; '.join(parts)}."


def skipped_sections(results: Mapping[str, Any]) -> dict[str, str]:
    """``{section key: reason}`` of the sections ``results`` says were not measured.

    Only sections that are absent or None count; a malformed ``skipped`` entry is none.
    """
    skipped = results.get("skipped")
    if not isinstance(skipped, Mapping):
        return {}
    return {str(k): str(v) for k, v in skipped.items() if results.get(k) is None}


def _skipped_lines(results: Mapping[str, Any]) -> list[str]:
    return [
        f"{humanize(key)} not measured: {reason}."
        for key, reason in skipped_sections(results).items()
    ]


def verdict(results: Mapping[str, Any]) -> Verdict:
    """Compose the verdict from whatever sections ``results`` holds."""
    status, headline = _headline(results)
    lines = [
        _dataset_line(results),
        _labels_line(results),
        _imbalance_line(results),
        *_model_lines(results),
        _crossover_line(results),
        _target_line(results),
        *_skipped_lines(results),
    ]
    return Verdict(status, headline, tuple(line for line in lines if line))


def summary_markdown(results: Mapping[str, Any]) -> str:
    """The verdict and the failed checks as Markdown (for a Prefect markdown artifact).

    Data-derived text (dataset path, suite, column and class names) is escaped.
    """
    found = verdict(results)
    uri = dig(results, "overview", "uri")
    parts = [
        f"# Data audit: {markdown_escape(uri) if uri else 'dataset'}",
        "",
        f"**{markdown_escape(found.headline)}**",
        "",
    ]
    parts.extend(f"- {markdown_escape(line)}" for line in found.lines)
    bad = failing(results)
    if bad:
        parts += [
            "",
            "## Failed checks",
            "",
            "| Suite | Check | Column | Observed | Expected |",
            "| --- | --- | --- | --- | --- |",
        ]
        parts.extend(
            "| "
            + " | ".join(
                markdown_escape(cell)
                for cell in (
                    o.get("suite") or DASH,
                    check_name(o),
                    o.get("column") or DASH,
                    fmt_value(o.get("observed"))
                    if o.get("status") != "error"
                    else f"error: {o.get('detail') or ''}",
                    threshold_text(o.get("threshold")),
                )
            )
            + " |"
            for o in bad
        )
    return "\n".join(parts) + "\n"


def expectation_rows(results: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per expectation outcome, as text (for a Prefect table artifact)."""
    return [
        {
            "suite": str(o.get("suite") or ""),
            "expectation": str(o.get("type") or ""),
            "column": str(o.get("column") or ""),
            "status": str(o.get("status") or ""),
            "observed": fmt_value(o.get("observed")),
            "threshold": threshold_text(o.get("threshold")),
            "detail": str(o.get("detail") or ""),
        }
        for o in outcomes(results)
    ]

"""The sufficiency section: learning curves, forecasts with intervals, rows needed, costs.

Reads the ``sufficiency`` entry of ``results.json`` (``SufficiencyResult``): per model the
measured anchors, the chosen curve family, the forecast points ``{n, score, low, high}``
and the costs; optionally the rows needed for a target score and the crossover of two
models. The fitted curve is drawn through the model's ``band`` (the forecast on a dense
grid from the smallest anchor up) when present, else through its forecast points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audits.report import _plots
from audits.report._format import (
    DASH,
    fmt_bytes,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_seconds,
    interval_text,
    is_number,
)
from audits.report._model import Section, make_table, num, plus_minus

__all__ = ["sufficiency_section"]


def _model_line(name: str, model: Mapping[str, Any], level: Any, best: float) -> str:
    last = model["anchors"][-1]
    ceiling = model["ceiling"]
    shape = (
        f"not levelling off before the best score, {fmt_number(best)}"
        if is_number(ceiling) and abs(ceiling - best) < 1e-6
        else f"levelling off at {fmt_number(ceiling)}"
    )
    text = (
        f"{name}: {fmt_number(last['score'])} at {fmt_count(last['n'])} training rows; "
        f"{model['family']} curve {shape}"
    )
    further = [p for p in model["forecast"] if p["n"] > last["n"]]
    if further:
        far = further[-1]
        text += (
            f", {fmt_number(far['score'])} forecast at {fmt_count(far['n'])} rows "
            f"({interval_text(far['low'], far['high'], level, fmt_number)})"
        )
    return text + "."


def _sizes_text(sizes: list[int]) -> str:
    """``size 3,563 was`` or ``sizes 1,823, 3,563 were``."""
    listed = ", ".join(map(fmt_count, sizes))
    return f"size {listed} was" if len(sizes) == 1 else f"sizes {listed} were"


def _learning_curves(data: Mapping[str, Any]) -> Any:
    level = data.get("level")
    series = []
    for name, model in data["models"].items():
        # The fitted curve on a dense grid when the results carry one, else the forecast points.
        anchors, forecast = model["anchors"], model.get("band") or model["forecast"]
        series.append(
            _plots.Series(
                f"{name}: measured (\u00b1 1 sd)",
                [a["n"] for a in anchors],
                [a["score"] for a in anchors],
                err=[a["score_std"] for a in anchors],
                group=name,
                style="points",
            )
        )
        band = f", {fmt_pct(level).replace('.0%', '%')} band" if is_number(level) else ""
        # The dashed forecast starts from the last measured point when it only looks ahead.
        start = [] if any(p["n"] <= anchors[-1]["n"] for p in forecast) else [anchors[-1]]
        series.append(
            _plots.Series(
                f"{name}: {model['family']} forecast{band}",
                [p["n"] for p in (*start, *forecast)],
                [p["score"] for p in (*start, *forecast)],
                low=[p.get("low") for p in (*start, *forecast)],
                high=[p.get("high") for p in (*start, *forecast)],
                group=name,
                style="dashed",
            )
        )
    references = [_plots.Reference("x", data["n_rows"], "rows now")]
    targets = {t["target"] for t in (data.get("rows_for_target") or {}).values()}
    references += [_plots.Reference("y", t, f"target {fmt_number(t)}") for t in sorted(targets)]
    crossover = data.get("crossover")
    if crossover and is_number(crossover.get("n")):
        references.append(
            _plots.Reference("x", crossover["n"], f"{crossover['challenger']} overtakes")
        )
    return _plots.line_chart(
        "sufficiency-curves",
        series,
        title="Learning curves and forecast",
        xlabel="training rows (log scale)",
        ylabel=str(data.get("metric", "score")),
        references=references,
        logx=True,
    )


def _training_time(data: Mapping[str, Any]) -> Any:
    series = []
    for name, model in data["models"].items():
        series.append(
            _plots.Series(
                f"{name}: measured",
                [a["n"] for a in model["anchors"]],
                [a["fit_seconds"] for a in model["anchors"]],
                group=name,
                style="points",
            )
        )
        series.append(
            _plots.Series(
                f"{name}: forecast",
                [c["n"] for c in model.get("costs") or ()],
                [c["fit_seconds"] for c in model.get("costs") or ()],
                group=name,
                style="dashed",
            )
        )
    return _plots.line_chart(
        "sufficiency-costs",
        series,
        title="Training time",
        xlabel="training rows (log scale)",
        ylabel="seconds (log scale)",
        logx=True,
        logy=True,
        references=[_plots.Reference("x", data["n_rows"], "rows now")],
    )


def _target_row(item: tuple[str, Mapping[str, Any]], level: Any) -> tuple[Any, ...]:
    name, target = item
    return (
        name,
        num(fmt_number(target["target"])),
        target["status"],
        num(fmt_count(target.get("n"))),
        interval_text(target.get("low"), target.get("high"), level) or DASH,
        target.get("message") or "",
    )


#: How far the forecast costs are to be trusted (``benchmarks/forecast.py``, see the README).
COSTS_NOTE = (
    "Forecast costs are curves through the larger measured anchors, timed on this machine "
    "one fit at a time. Checked against real full fits at 8 to 10 times the data: given "
    "1,500 to 25,000 rows, 8 in 10 forecasts of training, predict and load time came within "
    "0.4x to 2x of the measured ones; given 300 to 1,500 rows, the trees' training time, size "
    "and load time ran high (up to about 3x, 7x and 5x)."
)


def sufficiency_section(data: Mapping[str, Any]) -> Section:
    """Learning-curve and cost plots, forecasts, rows for the target, crossover."""
    models, level = data["models"], data.get("level")
    targets = data.get("rows_for_target") or {}
    crossover = data.get("crossover")
    best = 1.0 if data.get("higher_is_better", True) else 0.0  # of the rates; of log loss
    lines = [_model_line(name, model, level, best) for name, model in models.items()]
    lines += [t["message"] for t in targets.values() if t.get("message")]
    if crossover and crossover.get("message"):
        lines.append(crossover["message"])
    budget = data.get("budget_seconds")
    facts = (
        ("Metric", str(data.get("metric", DASH))),
        ("Labelled rows", fmt_number(data["n_rows"])),
        ("Validation rows", fmt_number(data.get("n_validation"))),
        *(
            [("Split by", f"{fmt_number(data['n_groups'])} groups, each on one side")]
            if is_number(data.get("n_groups"))
            else []
        ),
        ("Repetitions", fmt_number(data.get("repetitions"))),
        ("Interval level", fmt_pct(level)),
        (
            "Time spent",
            fmt_seconds(data.get("elapsed_seconds"))
            + (f" of {fmt_seconds(budget)} budget" if is_number(budget) else ""),
        ),
    )
    anchors = [(name, a) for name, m in models.items() for a in m["anchors"]]
    forecasts = [(name, p) for name, m in models.items() for p in m["forecast"]]
    costs = [(name, c) for name, m in models.items() for c in m.get("costs") or ()]
    tables = [
        make_table(
            "Measured learning curves",
            (
                "Model",
                "Training rows",
                "Validation score",
                "Training score",
                "Fit time",
                "Predict time / row",
                "Model size",
                "Load time",
            ),
            anchors,
            lambda r: (
                r[0],
                num(fmt_number(r[1]["n"])),
                num(plus_minus(r[1]["score"], r[1]["score_std"])),
                num(fmt_number(r[1].get("train_score"))),
                num(fmt_seconds(r[1]["fit_seconds"])),
                num(fmt_seconds(r[1].get("predict_seconds_per_row"))),
                num(fmt_bytes(r[1].get("model_bytes"))),
                num(fmt_seconds(r[1].get("load_seconds"))),
            ),
        ),
        make_table(
            "Forecast",
            ("Model", "Training rows", "Score", "Interval"),
            forecasts,
            lambda r: (
                r[0],
                num(fmt_number(r[1]["n"])),
                num(fmt_number(r[1]["score"])),
                num(interval_text(r[1]["low"], r[1]["high"], level, fmt_number)),
            ),
        ),
        make_table(
            "Forecast costs",
            ("Model", "Training rows", "Fit time", "Predict time / row", "Model size", "Load time"),
            costs,
            lambda r: (
                r[0],
                num(fmt_number(r[1]["n"])),
                num(fmt_seconds(r[1]["fit_seconds"])),
                num(fmt_seconds(r[1]["predict_seconds_per_row"])),
                num(fmt_bytes(r[1]["model_bytes"])),
                num(fmt_seconds(r[1]["load_seconds"])),
            ),
        ),
        make_table(
            "Rows for the target score",
            ("Model", "Target", "Status", "Rows", "Interval", "Note"),
            list(targets.items()),
            lambda item: _target_row(item, level),
        ),
    ]
    notes = [
        f"{name}: {d['message']}" for name, m in models.items() for d in m.get("diagnostics") or ()
    ]
    notes += [
        f"{name}: {_sizes_text(m['skipped_sizes'])} not measured (time budget)."
        for name, m in models.items()
        if m.get("skipped_sizes")
    ]
    if costs:
        notes.append(COSTS_NOTE)
    return Section(
        "sufficiency",
        "Is there enough data?",
        tuple(lines),
        facts,
        (_learning_curves(data), _training_time(data)),
        tuple(t for t in tables if t.rows),
        tuple(notes),
    )

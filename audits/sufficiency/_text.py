"""Plain-text rendering of a :class:`SufficiencyResult` for the terminal."""

from __future__ import annotations

from audits.sufficiency._result import ModelForecast, SufficiencyResult

__all__ = ["render_text"]


def _rows(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]


def _model_lines(name: str, model: ModelForecast, level: float) -> list[str]:
    notes = "; ".join(d.message for d in model.diagnostics) or "well behaved"
    lines = [f"{name}: curve {model.family}, ceiling {model.ceiling:.4f} ({notes})"]
    if model.skipped_sizes:
        lines.append(f"  skipped for the time budget: {', '.join(map(_rows, model.skipped_sizes))}")
    lines += _table(
        ("measured n", "score", "std", "train", "fit s"),
        [
            (
                _rows(a.n),
                f"{a.score:.4f}",
                f"{a.score_std:.4f}",
                f"{a.train_score:.4f}",
                f"{a.fit_seconds:.2f}",
            )
            for a in model.anchors
        ],
    )
    lines += _table(
        (
            "forecast n",
            "score",
            f"{level:.0%} interval",
            "fit s",
            "predict us/row",
            "model MB",
            "load s",
        ),
        [
            (
                _rows(p.n),
                f"{p.score:.4f}",
                f"[{p.low:.4f}, {p.high:.4f}]",
                f"{c.fit_seconds:.1f}",
                f"{c.predict_seconds_per_row * 1e6:.1f}",
                f"{c.model_bytes / 1e6:.2f}",
                f"{c.load_seconds:.3f}",
            )
            for p, c in zip(model.forecast, model.costs, strict=True)
        ],
    )
    return lines


def render_text(result: SufficiencyResult) -> str:
    """A readable summary: per model the measured curve, forecasts and costs, then the verdicts.

    Parameters
    ----------
    result : SufficiencyResult

    Returns
    -------
    str
    """
    direction = "higher" if result.higher_is_better else "lower"
    lines = [
        f"sufficiency forecast: {result.metric} ({direction} is better), {result.n_rows:,} rows"
        + ("" if result.n_groups is None else f" in {result.n_groups:,} groups kept apart")
        + f", {result.repetitions} repetitions, {result.elapsed_seconds:.0f} s",
        "",
    ]
    for name, model in result.models.items():
        lines += [*_model_lines(name, model, result.level), ""]
    for name, rows in (result.rows_for_target or {}).items():
        lines.append(f"rows for {rows.target:g} ({name}): {rows.message}")
    if result.crossover is not None:
        lines.append(f"crossover: {result.crossover.message}")
    return "\n".join(lines).rstrip() + "\n"

"""Answers read off extrapolated curves: rows needed for a target score, and crossovers."""

from __future__ import annotations

from functools import partial

import numpy as np

from audits.sufficiency._result import Crossover, Extrapolation, RowsForTarget

__all__ = ["TIE_MARGIN", "crossover", "rows_for_target"]

_GRID_POINTS = 400

TIE_MARGIN = 0.005
"""Score gap below which two forecast curves count as level (half an accuracy point).

Two curves that stay this close over the whole horizon cross by chance: on random
labels, both models flat at 0.50, a 0.001 rise of one curve read as "deep overtakes
classical at about 20,000 rows".
"""


def _grid(start: float, stop: float) -> np.ndarray:
    return np.geomspace(start, max(stop, start * 1.0001), _GRID_POINTS)


def _first(grid: np.ndarray, mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(round(grid[hits[0]])) if len(hits) else None


def rows_for_target(
    extrapolation: Extrapolation, target: float, *, measured: dict[int, float], horizon: float
) -> RowsForTarget:
    """Training rows needed to reach ``target``, with the interval of that size.

    Parameters
    ----------
    extrapolation : Extrapolation
    target : float
        Score to reach.
    measured : dict of int to float
        Measured mean score per size (to report a target already reached).
    horizon : float
        Largest size searched.

    Returns
    -------
    RowsForTarget
        ``n`` is where the forecast reaches the target, ``low`` where the optimistic end
        of the interval does, ``high`` where the pessimistic end does.
    """
    sign = 1.0 if extrapolation.higher_is_better else -1.0
    ceiling = extrapolation.ceiling

    # Every answer below sets status, n, message, and low/high when it has them.
    result = partial(RowsForTarget, target=target, ceiling=ceiling, low=None, high=None)

    reached = [n for n, score in sorted(measured.items()) if sign * (score - target) >= 0]
    if reached:
        return result(
            status="reached",
            n=reached[0],
            message=f"already reached: {measured[reached[0]]:.4f} measured at {reached[0]:,} rows",
        )
    n_last = extrapolation.interval.features.n_last
    grid = _grid(n_last, horizon)[1:]  # beyond the largest measured size, which missed it
    score, low, high = extrapolation.band(grid)
    optimistic, pessimistic = (high, low) if sign > 0 else (low, high)
    n = _first(grid, sign * (score - target) >= 0)
    n_low = _first(grid, sign * (optimistic - target) >= 0)
    n_high = _first(grid, sign * (pessimistic - target) >= 0)
    possible = f" (possible from {n_low:,} rows at the optimistic end)" if n_low else ""
    if sign * (ceiling - target) < 0:
        return result(
            status="unreachable",
            n=None,
            message=f"not reachable: the curve levels off at {ceiling:.4f}{possible}",
            low=n_low,
        )
    if n is None:
        return result(
            status="beyond_horizon",
            n=None,
            message=f"needs more than {horizon:,.0f} rows{possible}",
            low=n_low,
        )
    upper = f"{n_high:,}" if n_high else f"more than {horizon:,.0f}"
    return result(
        status="forecast",
        n=n,
        message=f"about {n:,} rows "
        f"({extrapolation.interval.level:.0%} interval {n_low:,} to {upper})",
        low=n_low,
        high=n_high,
    )


def crossover(
    challenger: Extrapolation,
    incumbent: Extrapolation,
    *,
    names: tuple[str, str],
    n_rows: int,
    factor: float = 100.0,
) -> Crossover:
    """Training size at which ``challenger`` starts scoring better than ``incumbent``.

    The interval combines the two models' forecast intervals as independent errors:
    the difference's lower end is ``d - hypot(challenger's downside, incumbent's upside)``.
    Curves that stay within :data:`TIE_MARGIN` of each other up to the horizon are
    ``level``, whichever is ahead by a hair.

    Parameters
    ----------
    challenger, incumbent : Extrapolation
    names : (str, str)
        Names of the challenger and of the incumbent.
    n_rows : int
        Rows available now.
    factor : float, default=100.0
        Sizes up to ``factor * n_rows`` are searched.

    Returns
    -------
    Crossover
    """
    sign = 1.0 if challenger.higher_is_better else -1.0
    horizon = factor * n_rows
    start = max(challenger.interval.features.n_last, incumbent.interval.features.n_last)
    grid = _grid(start, horizon)
    c_score, c_low, c_high = (sign * v for v in challenger.band(grid))
    i_score, i_low, i_high = (sign * v for v in incumbent.band(grid))
    if sign < 0:
        c_low, c_high, i_low, i_high = c_high, c_low, i_high, i_low
    diff = c_score - i_score
    low_diff = diff - np.hypot(c_score - c_low, i_high - i_score)
    high_diff = diff + np.hypot(c_high - c_score, i_score - i_low)
    ch, inc = names

    result = partial(
        Crossover, challenger=ch, incumbent=inc, horizon=int(horizon), low=None, high=None
    )

    if np.abs(diff).max() < TIE_MARGIN:
        return result(
            status="level",
            n=None,
            message=f"no crossover: {ch} and {inc} stay within {TIE_MARGIN:g} of each other "
            f"up to {horizon:,.0f} rows ({factor:g}x the current data)",
        )
    if diff[0] > 0:
        return result(
            status="ahead",
            n=None,
            message=f"{ch} already scores better than {inc} at {int(start):,} rows "
            f"(forecast {sign * c_score[0]:.4f} vs {sign * i_score[0]:.4f})",
        )
    n = _first(grid, diff > 0)
    n_low = _first(grid, high_diff > 0)
    n_high = _first(grid, low_diff > 0)
    if n is None:
        possible = f"; possible from {n_low:,} rows at the optimistic end" if n_low else ""
        return result(
            status="none",
            n=None,
            message=f"no crossover within {factor:g}x the current data "
            f"({horizon:,.0f} rows){possible}",
            low=n_low,
        )
    upper = f"{n_high:,}" if n_high else f"more than {horizon:,.0f}"
    message = f"{ch} overtakes {inc} at about {n:,} rows (interval {n_low:,} to {upper})"
    if n_high is None and n_low == round(grid[0]):  # the interval is the whole range searched
        message = (
            f"{ch} and {inc} are not told apart: the point forecasts cross at about {n:,} "
            f"rows, but the crossover could be anywhere from {n_low:,} to beyond "
            f"{horizon:,.0f} rows"
        )
    return result(status="forecast", n=n, message=message, low=n_low, high=n_high)

"""What a model costs as the data grow: power laws fitted in log-log space.

A boosted-tree model's size is the exception: it grows with its leaves, which stop
growing once the trees reach their leaf limit, and with its iterations, which stop at
``max_iter``. Its anchors record how full both limits are
(:func:`~audits.models.tree_shape`), and its size follows those shares, each capped
at 1 (:func:`fill_cost_curve`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audits.errors import ConfigError
from audits.sufficiency._result import Anchor, CostCurve, CostForecast

__all__ = [
    "COSTS",
    "FIT_GROWTH",
    "ITERATION_GROWTH",
    "SIZE_COSTS",
    "fill_cost_curve",
    "fit_cost_curve",
    "forecast_costs",
]

COSTS = ("fit_seconds", "predict_seconds_per_row", "model_bytes", "load_seconds")
"""The anchor attributes whose growth is forecast."""

SIZE_COSTS = ("model_bytes",)
"""The costs that follow a tree model's shares of its limits (:func:`fill_cost_curve`).

Forecast over measured size of the full fit (``benchmarks/forecast.py``, median and
10th-90th percentile): 1.15 (0.65-2.62) on 27 forecasts from smaller datasets
(``--min-rows 3000 --max-rows 15000 --seeds 0,1,2``) and 0.67 (0.28-0.83) on the 18 of
the benchmark's own (their iterations grew faster: see :data:`ITERATION_GROWTH`),
against 3.07 (0.68-9.59) and 1.31 (1.00-5.55) with a power law through the same
anchors. Load seconds keep their power law: following the shares (with an iteration
exponent of 0.13), their forecasts were no closer (1.36 and 0.64, against 1.23 and
0.69).
"""

ITERATION_GROWTH = 0.12
"""Exponent of the growth of a HistGradientBoosting model's early-stopped iterations.

``benchmarks/tree_iterations.py``: over 144 R datasets (the calibration datasets of
``benchmarks/model_intervals.py`` outside ``../shared/datasets``, pools of 2,400 to
80,000 rows) and both shares given (a quarter, an eighth), ``log(T_pool / T_last) /
log(n_pool / n_last)`` between the forecast's largest anchor and the whole pool had a
median of 0.122 (mean 0.203, 10th-90th percentile -0.05 to 0.56), much the same for
small and large pools (0.126 below 5,000 rows, 0.130 from 20,000). With it, the size
forecast at the pool over the measured size was 1.01 (0.48-1.63) on those 288
forecasts, against 1.27 (0.65-4.80) with a power law. The 6 datasets of
``benchmarks/forecast.py`` grew faster, at a median of 0.29 (diamonds 0.50-0.61).
"""

FIT_GROWTH = {"deep": "linear"}
"""How the fit seconds of a built-in model grow, where not as a power law.

The deep model's fits on small subsets take 10 mini-batches per epoch whatever their
size (see ``EarlyStoppingGuard``), so fixed costs flatten the log-log slope of its
anchors; beyond 2,000 rows the batches stop growing and every row costs the same.
Forecast over measured seconds of the full fit, median (10th-90th percentile), with a
power law through the deep model's anchors: 0.36 (0.17-0.99) on the 18 deep forecasts
of ``benchmarks/forecast.py --seeds 0,1,2``, 0.38 (0.20-0.61) on the same anchors of 18
from smaller datasets (``--min-rows 3000 --max-rows 15000 --seeds 0,1``); with a fixed
cost plus a cost per row: 0.82 (0.48-1.46) and 0.62 (0.37-1.63). For the trees the
line was no better (1.28 and 2.79, against the power law's 0.77 and 1.27), so they
keep the power law.
"""


def fit_cost_curve(
    sizes: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    *,
    min_exponent: float = 0.0,
    max_exponent: float = 2.0,
    growth: str = "power",
) -> CostCurve:
    """Fit ``value = coef * n**exponent``, or ``fixed + coef * n``, to the larger anchors.

    Fixed overheads dominate the small anchors and flatten the log-log slope there,
    so only the larger half (at least two sizes) is used.

    Parameters
    ----------
    sizes : array-like of shape (m,)
        Training-set sizes, increasing.
    values : array-like of shape (m,)
        Positive costs measured at those sizes.
    min_exponent, max_exponent : float, default=0.0, 2.0
        Range the exponent of the power law is clipped to.
    growth : {"power", "linear"}, default="power"
        ``power``: a power law in log-log space. ``linear``: a least-squares line
        with a fixed cost and a cost per row, neither negative.

    Returns
    -------
    CostCurve
    """
    n = np.asarray(sizes, dtype=float)
    v = np.maximum(np.asarray(values, dtype=float), 1e-12)
    if len(n) == 0:
        return CostCurve(coef=0.0, exponent=0.0)
    keep = _larger_half(len(n))
    if growth == "linear":
        return _line(n[keep], v[keep])
    if growth != "power":
        raise ConfigError(f"`growth` must be 'power' or 'linear'; got {growth!r}", reason="growth")
    log_n, log_v = np.log(n[keep]), np.log(v[keep])
    if len(log_n) < 2 or np.ptp(log_n) == 0:
        exponent = min(max(1.0, min_exponent), max_exponent)
    else:
        exponent = float(np.clip(np.polyfit(log_n, log_v, 1)[0], min_exponent, max_exponent))
    coef = float(np.exp(np.mean(log_v - exponent * log_n)))
    return CostCurve(coef=coef, exponent=exponent)


def fill_cost_curve(
    sizes: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    *,
    tree_fill: Sequence[float] | np.ndarray,
    leaf_fill: Sequence[float] | np.ndarray,
) -> CostCurve:
    """Fit ``value = fixed + coef * min(1, T(n)) * min(1, L(n))`` to a tree model's anchors.

    The cost grows with the model's leaves: ``fixed`` and ``coef`` (the cost at both
    limits) come from a least-squares line through the larger anchors against the
    measured ``tree_fill * leaf_fill``. ``L`` is a power law of the leaf share
    (exponent in [0, 1], fitted like :func:`fit_cost_curve`), capped at 1 where the
    trees reach their leaf limit: below about 1,500 rows a HistGradientBoosting tree
    has fewer than its 31 leaves, so a power law through such anchors overshoots once
    they are full. ``T``, the share of ``max_iter`` that early stopping runs, grows as
    ``n ** ITERATION_GROWTH`` through the larger anchors: a power law fitted to their
    iteration counts did not foretell the counts of larger fits (see
    :data:`ITERATION_GROWTH`).

    Parameters
    ----------
    sizes, values : array-like of shape (m,)
        As for :func:`fit_cost_curve`.
    tree_fill, leaf_fill : array-like of shape (m,)
        Shares of the iteration and leaf limits at those sizes, in (0, 1].

    Returns
    -------
    CostCurve
        With ``exponent`` 0 and ``(T, L)`` as its fills.
    """
    n = np.asarray(sizes, dtype=float)
    v = np.asarray(values, dtype=float)
    trees, leaves = (np.asarray(f, dtype=float) for f in (tree_fill, leaf_fill))
    if len(n) == 0:
        return CostCurve(coef=0.0, exponent=0.0)
    keep = _larger_half(len(n))
    line = _line((trees * leaves)[keep], v[keep])
    fills = (
        fit_cost_curve(n, trees, min_exponent=ITERATION_GROWTH, max_exponent=ITERATION_GROWTH),
        fit_cost_curve(n, leaves, max_exponent=1.0),
    )
    return CostCurve(coef=line.coef, exponent=0.0, fixed=line.fixed, fills=fills)


def _larger_half(m: int) -> slice:
    """The larger half of ``m`` increasing anchors, at least two where there are."""
    return slice(m // 2 if m >= 4 else max(m - 2, 0), None)


def _line(n: np.ndarray, v: np.ndarray) -> CostCurve:
    """Least-squares ``fixed + coef * n`` through ``(n, v)`` (shape (k,)), both terms >= 0."""
    if len(n) < 2 or np.ptp(n) == 0:  # one size: in proportion, as the power law does
        return CostCurve(coef=float(np.mean(v / n)), exponent=1.0)
    slope = float(np.polyfit(n, v, 1)[0])
    if slope <= 0.0:
        return CostCurve(coef=0.0, exponent=1.0, fixed=float(np.mean(v)))
    fixed = float(np.mean(v - slope * n))
    if fixed < 0.0:  # through the origin instead
        return CostCurve(coef=float(n @ v / (n @ n)), exponent=1.0)
    return CostCurve(coef=slope, exponent=1.0, fixed=fixed)


def forecast_costs(
    anchors: Sequence[Anchor], sizes: Sequence[int], *, fit_growth: str = "power"
) -> tuple[dict[str, CostCurve], tuple[CostForecast, ...]]:
    """Fit a cost curve per cost and evaluate them at ``sizes``.

    Parameters
    ----------
    anchors : sequence of Anchor
        One model's measured anchors, increasing in ``n``.
    sizes : sequence of int
        Sizes to forecast at.
    fit_growth : {"power", "linear"}, default="power"
        Form of the fit-seconds curve (see :data:`FIT_GROWTH`); the other costs
        follow power laws, except the :data:`SIZE_COSTS` of anchors that record their
        tree shares (:func:`fill_cost_curve`).

    Returns
    -------
    curves : dict of str to CostCurve
        Keyed by the names in :data:`COSTS`.
    forecasts : tuple of CostForecast
        One per size.
    """
    n = [a.n for a in anchors]
    trees, leaves = [a.tree_fill for a in anchors], [a.leaf_fill for a in anchors]
    shaped = None not in trees and None not in leaves

    def curve(cost: str) -> CostCurve:
        values = [getattr(a, cost) for a in anchors]
        if shaped and cost in SIZE_COSTS:
            return fill_cost_curve(n, values, tree_fill=trees, leaf_fill=leaves)
        return fit_cost_curve(n, values, growth=fit_growth if cost == "fit_seconds" else "power")

    curves = {c: curve(c) for c in COSTS}
    forecasts = tuple(
        CostForecast(n=int(s), **{c: curves[c].predict(s) for c in COSTS}) for s in sizes
    )
    return curves, forecasts

"""What a model costs as the data grow: power laws fitted in log-log space."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audits.errors import ConfigError
from audits.sufficiency._result import Anchor, CostCurve, CostForecast

__all__ = ["COSTS", "FIT_GROWTH", "fit_cost_curve", "forecast_costs"]

COSTS = ("fit_seconds", "predict_seconds_per_row", "model_bytes", "load_seconds")
"""The anchor attributes whose growth is forecast."""

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
    keep = slice(len(n) // 2 if len(n) >= 4 else max(len(n) - 2, 0), None)
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
        follow power laws.

    Returns
    -------
    curves : dict of str to CostCurve
        Keyed by the names in :data:`COSTS`.
    forecasts : tuple of CostForecast
        One per size.
    """
    n = [a.n for a in anchors]
    curves = {
        c: fit_cost_curve(
            n,
            [getattr(a, c) for a in anchors],
            growth=fit_growth if c == "fit_seconds" else "power",
        )
        for c in COSTS
    }
    forecasts = tuple(
        CostForecast(n=int(s), **{c: curves[c].predict(s) for c in COSTS}) for s in sizes
    )
    return curves, forecasts

"""What a model costs as the data grow: power laws fitted in log-log space."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audits.sufficiency._result import Anchor, CostCurve, CostForecast

__all__ = ["COSTS", "fit_cost_curve", "forecast_costs"]

COSTS = ("fit_seconds", "predict_seconds_per_row", "model_bytes", "load_seconds")
"""The anchor attributes whose growth is forecast."""


def fit_cost_curve(
    sizes: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    *,
    min_exponent: float = 0.0,
    max_exponent: float = 2.0,
) -> CostCurve:
    """Fit ``value = coef * n**exponent`` to the larger half of the anchors.

    Fixed overheads dominate the small anchors and flatten the log-log slope there,
    so only the larger half (at least two sizes) is used.

    Parameters
    ----------
    sizes : array-like of shape (m,)
        Training-set sizes, increasing.
    values : array-like of shape (m,)
        Positive costs measured at those sizes.
    min_exponent, max_exponent : float, default=0.0, 2.0
        Range the exponent is clipped to.

    Returns
    -------
    CostCurve
    """
    n = np.asarray(sizes, dtype=float)
    v = np.maximum(np.asarray(values, dtype=float), 1e-12)
    if len(n) == 0:
        return CostCurve(coef=0.0, exponent=0.0)
    keep = slice(len(n) // 2 if len(n) >= 4 else max(len(n) - 2, 0), None)
    log_n, log_v = np.log(n[keep]), np.log(v[keep])
    if len(log_n) < 2 or np.ptp(log_n) == 0:
        exponent = min(max(1.0, min_exponent), max_exponent)
    else:
        exponent = float(np.clip(np.polyfit(log_n, log_v, 1)[0], min_exponent, max_exponent))
    coef = float(np.exp(np.mean(log_v - exponent * log_n)))
    return CostCurve(coef=coef, exponent=exponent)


def forecast_costs(
    anchors: Sequence[Anchor], sizes: Sequence[int]
) -> tuple[dict[str, CostCurve], tuple[CostForecast, ...]]:
    """Fit a cost curve per cost and evaluate them at ``sizes``.

    Parameters
    ----------
    anchors : sequence of Anchor
        One model's measured anchors, increasing in ``n``.
    sizes : sequence of int
        Sizes to forecast at.

    Returns
    -------
    curves : dict of str to CostCurve
        Keyed by the names in :data:`COSTS`.
    forecasts : tuple of CostForecast
        One per size.
    """
    n = [a.n for a in anchors]
    curves = {c: fit_cost_curve(n, [getattr(a, c) for a in anchors]) for c in COSTS}
    forecasts = tuple(
        CostForecast(n=int(s), **{c: curves[c].predict(s) for c in COSTS}) for s in sizes
    )
    return curves, forecasts

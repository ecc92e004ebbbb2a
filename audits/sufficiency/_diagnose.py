"""Shape checks of a measured learning curve: flat, peaking, non-monotone, noisy."""

from __future__ import annotations

import numpy as np

from audits.sufficiency._result import Diagnostic

__all__ = ["FALLBACK_CODES", "MIN_ANCHORS", "diagnose"]

MIN_ANCHORS = 5
"""Fewer distinct sizes than this are not extrapolated (the last value is used)."""

FALLBACK_CODES = frozenset({"too_few_anchors"})
"""Diagnostics after which the curve is not extrapolated: the forecast is the last value.

Flat, peaking, non-monotone and noisy curves are still fitted (the families cannot
decline, so a flat or peaking curve gives a flat forecast) but flagged, and flagged
curves get wider intervals: on LCDB, falling back to the last value for them was worse
than the fitted curve (median error 1.85 against 1.56 accuracy points for flat curves).
"""

_MIN_GAIN = 0.002
_MIN_DROP = 0.005


def diagnose(
    n: np.ndarray, mean: np.ndarray, se: np.ndarray, *, fit_rmse: float
) -> tuple[Diagnostic, ...]:
    """Check the shape of a learning curve before extrapolating it.

    Parameters
    ----------
    n : ndarray of shape (m,)
        Distinct sizes, increasing.
    mean : ndarray of shape (m,)
        Mean score at each size, oriented so that higher is better.
    se : ndarray of shape (m,)
        Standard error of each mean (0 when there was one repetition).
    fit_rmse : float
        Root mean squared residual of the best fitted family.

    Returns
    -------
    tuple of Diagnostic
        Empty when the curve looks fit for extrapolation.
    """
    m = len(n)
    if m < MIN_ANCHORS:
        return (
            Diagnostic(
                "too_few_anchors",
                f"only {m} training sizes were measured (at least {MIN_ANCHORS} are needed "
                "to extrapolate); the forecast is the last measured score",
            ),
        )
    out: list[Diagnostic] = []
    third = max(1, m // 3)
    gain = float(mean[-third:].mean() - mean[:third].mean())
    gain_se = float(np.sqrt(np.sum(se[-third:] ** 2) + np.sum(se[:third] ** 2)) / third)
    if gain < max(2.0 * gain_se, _MIN_GAIN):
        out.append(
            Diagnostic(
                "flat",
                f"the score barely changes from {n[0]:,.0f} to {n[-1]:,.0f} rows (change "
                f"{gain:+.4f}, standard error {gain_se:.4f}): more data of this kind is "
                "unlikely to help much",
            )
        )
    peak = int(np.argmax(mean))
    drop = float(mean[peak] - mean[-1])
    pair_se = float(np.hypot(se[peak], se[-1]))
    if peak < m - 2 and drop > max(2.0 * pair_se, 2.0 * fit_rmse, _MIN_DROP):
        out.append(
            Diagnostic(
                "peaking",
                f"the score peaks at {n[peak]:,.0f} rows and falls by {drop:.4f} by "
                f"{n[-1]:,.0f} rows; the fitted curve cannot fall, so intervals are wider",
            )
        )
    steps = mean[:-1] - mean[1:]
    step_se = np.hypot(se[:-1], se[1:])
    drops = int(np.sum(steps > np.maximum(2.0 * step_se, _MIN_DROP)))
    if drops >= max(2, (m - 1) // 4):
        out.append(
            Diagnostic(
                "non_monotone",
                f"the score falls between {drops} of {m - 1} consecutive sizes; "
                "intervals are wider",
            )
        )
    if gain > 0 and fit_rmse > 0.25 * gain and not out:
        out.append(
            Diagnostic(
                "noisy",
                f"the curve's scatter around the fit ({fit_rmse:.4f}) is large against its "
                f"rise ({gain:.4f}); intervals are wider",
            )
        )
    return tuple(out)

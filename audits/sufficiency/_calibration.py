"""Forecast intervals calibrated on real learning curves (LCDB).

How far a forecast lands from the truth was measured on LCDB 0.1.0 by
``benchmarks/curve_families.py``, which extrapolated about 1,700 learning curves
(gradient boosting, random forest, logistic regression, MLP) from anchors up to a
cut-off to every larger measured size. Two things were learned from those residuals
(``truth - forecast``, in score units, higher-is-better orientation):

1. a *scale*: ``log|residual|`` regressed on features of the curve (noise of the
   last anchor, scatter of the fit, forecast gain over the last anchor, extrapolation
   ratio, headroom to the best score, size of the last anchor, irregular shape), and
2. per extrapolation-ratio bin, quantiles of ``residual / scale``.

An interval is then ``forecast + scale * [q_low, q_high]``, skewed upwards: on LCDB
the truth lies above the fitted curve more often than below. The point forecast is
the fitted curve itself, not shifted by ``scale * q_median``. On LCDB that shift
helped each learner a little from anchors up to 10 % of the largest size (MLP 2.77
against 3.04 accuracy points) but not the median over all curves (1.96 against 1.95;
from 25 %: 1.25 against 1.21), and it lowered the 90th percentile (9.9 against 10.8
from 10 %); on the product's own early-stopped models, whose curves level off sooner
than LCDB's, it made the forecasts worse (``benchmarks/forecast.py``: median
absolute error 0.0063 shifted against 0.0041, 90th percentile 0.0241 against
0.0275). The fitted numbers live in
:mod:`audits.sufficiency._calibration_data`, written by the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audits.errors import ConfigError
from audits.sufficiency._result import FEATURES

__all__ = ["Calibration", "load_calibration"]


@dataclass(frozen=True)
class Calibration:
    """The calibrated interval model.

    Attributes
    ----------
    coef : tuple of float
        Scale regression coefficients, one per name in :data:`FEATURES`.
    ratios : tuple of float
        Representative extrapolation ratio of each bin, increasing.
    probs : tuple of float
        Probabilities of the stored quantiles, increasing, containing 0.5.
    quantiles : tuple of tuple of float
        ``quantiles[i][j]``: quantile ``probs[j]`` of ``residual / scale`` in bin ``i``.
    max_ratio : float
        Largest extrapolation ratio seen in calibration.
    source : str
        Where the numbers come from.
    """

    coef: tuple[float, ...]
    ratios: tuple[float, ...]
    probs: tuple[float, ...]
    quantiles: tuple[tuple[float, ...], ...]
    max_ratio: float
    source: str

    def quantile_curve(self, prob: float) -> tuple[float, ...]:
        """Quantile ``prob`` of the scaled residual in each ratio bin (one per ratio)."""
        if not self.probs[0] <= prob <= self.probs[-1]:
            raise ConfigError(
                f"`level` must leave tails inside [{self.probs[0]}, {self.probs[-1]}]; "
                f"got a tail at {prob:.3f}",
                reason="level",
            )
        return tuple(float(np.interp(prob, self.probs, row)) for row in self.quantiles)


def load_calibration() -> Calibration:
    """The committed calibration (see ``benchmarks/curve_families.py``)."""
    from audits.sufficiency._calibration_data import CALIBRATION

    return Calibration(
        coef=tuple(CALIBRATION["coef"][name] for name in FEATURES),
        ratios=tuple(CALIBRATION["ratios"]),
        probs=tuple(CALIBRATION["probs"]),
        quantiles=tuple(tuple(row) for row in CALIBRATION["quantiles"]),
        max_ratio=float(CALIBRATION["max_ratio"]),
        source=str(CALIBRATION["source"]),
    )

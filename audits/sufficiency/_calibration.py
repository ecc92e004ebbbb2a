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

The built-in ``classical`` and ``deep`` models have their own interval model:
``benchmarks/model_intervals.py`` measured their forecast residuals on real datasets
that ``benchmarks/forecast.py`` does not use (R datasets of up to 100,000 rows: 119
for the classical model, 137 for the deep one; forecasts from a quarter and an eighth
of each pool, 60 to 20,000 rows given), refitted the scale regression on them (the
extrapolation ratio's coefficient kept from LCDB) and fitted a factor per end of LCDB's
quantile curves (:mod:`audits.sufficiency._model_calibration_data`). Cross-fitted by
dataset, their 90 % intervals contain the truth 88.2 % (classical) and 89.4 % (deep)
of the time, against 89.5 % and 84.3 % for LCDB's intervals on the same forecasts.
The factors were fitted for the 90 % level; other levels scale LCDB's quantile curves
by the same factors. Other models (an import path) keep LCDB's intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

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

    def refitted(
        self, *, coef: tuple[float, ...], low: float, high: float, source: str
    ) -> Calibration:
        """The same ratio table with scale coefficients ``coef`` and each end rescaled.

        Negative quantiles are multiplied by ``low`` and positive ones by ``high`` (both
        > 0, so the quantiles stay ordered).
        """
        if not (low > 0 and high > 0) or len(coef) != len(self.coef):
            raise ConfigError(
                f"a refitted calibration needs {len(self.coef)} coefficients and factors "
                f"> 0; got {len(coef)} coefficients, low={low!r}, high={high!r}",
                reason="calibration",
            )
        quantiles = tuple(
            tuple(q * (low if q < 0 else high) for q in row) for row in self.quantiles
        )
        return replace(self, coef=tuple(coef), quantiles=quantiles, source=source)


def load_calibration(model: str | None = None) -> Calibration:
    """The committed calibration: LCDB's, or the one refitted for a built-in ``model`` kind.

    Parameters
    ----------
    model : str, optional
        A model kind of :func:`audits.models.make_model`; the kinds that
        ``benchmarks/model_intervals.py`` calibrated get their refitted scale and end
        factors, any other (or None) LCDB's intervals as fitted by
        ``benchmarks/curve_families.py``.

    Returns
    -------
    Calibration
    """
    from audits.sufficiency._calibration_data import CALIBRATION
    from audits.sufficiency._model_calibration_data import MODEL_CALIBRATION

    lcdb = Calibration(
        coef=tuple(CALIBRATION["coef"][name] for name in FEATURES),
        ratios=tuple(CALIBRATION["ratios"]),
        probs=tuple(CALIBRATION["probs"]),
        quantiles=tuple(tuple(row) for row in CALIBRATION["quantiles"]),
        max_ratio=float(CALIBRATION["max_ratio"]),
        source=str(CALIBRATION["source"]),
    )
    own = cast(dict[str, dict[str, Any]], MODEL_CALIBRATION["models"]).get(str(model))
    if own is None:
        return lcdb
    return lcdb.refitted(
        coef=tuple(float(own["coef"][name]) for name in FEATURES),
        low=float(own["low"]),
        high=float(own["high"]),
        source=f"{MODEL_CALIBRATION['source']} for {model!r}, on {lcdb.source}",
    )

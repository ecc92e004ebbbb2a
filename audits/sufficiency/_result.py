"""Frozen result types of the sufficiency forecast (JSON through :mod:`audits._serde`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audits._serde import to_jsonable
from audits.sufficiency._curves import CurveFit

__all__ = [
    "SCHEMA_VERSION",
    "Anchor",
    "CostCurve",
    "CostForecast",
    "Crossover",
    "Diagnostic",
    "Extrapolation",
    "ForecastPoint",
    "FEATURES",
    "GAIN_EPS",
    "IntervalModel",
    "ModelForecast",
    "RowsForTarget",
    "ScaleFeatures",
    "SufficiencyResult",
]

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class Anchor:
    """One measured point of a learning curve (repetitions averaged).

    Attributes
    ----------
    n : int
        Training rows.
    score, score_std : float
        Mean and standard deviation of the validation score over repetitions.
    scores : tuple of float
        The validation score of each repetition.
    train_score : float
        Mean score on the training rows (``train_score - score`` is the over-fitting gap).
    train_scores : tuple of float
        The training score of each repetition.
    fit_seconds : float
        Mean fit wall time.
    predict_seconds_per_row : float
        Mean ``predict_proba`` wall time per row.
    model_bytes : int
        Mean size of the pickled model.
    load_seconds : float
        Mean unpickling time.
    tree_fill, leaf_fill : float, optional
        For a boosted-tree model, its mean shares of the iteration and the leaf
        limits (see :func:`~audits.models.tree_shape`); None for other models.
    """

    n: int
    score: float
    score_std: float
    scores: tuple[float, ...]
    train_score: float
    train_scores: tuple[float, ...]
    fit_seconds: float
    predict_seconds_per_row: float
    model_bytes: int
    load_seconds: float
    tree_fill: float | None = None
    leaf_fill: float | None = None


@dataclass(frozen=True)
class ForecastPoint:
    """Forecast score at ``n`` training rows with its interval ``[low, high]``."""

    n: int
    score: float
    low: float
    high: float


@dataclass(frozen=True)
class Diagnostic:
    """Something notable about a curve: a stable ``code`` and a one-line ``message``.

    Codes: ``too_few_anchors``, ``flat``, ``peaking``, ``non_monotone``, ``noisy``,
    ``beyond_calibration``.
    """

    code: str
    message: str


FEATURES = (
    "intercept",
    "log_se",
    "log_rmse",
    "log_gain",
    "log_ratio",
    "log_headroom",
    "log_n_last",
    "irregular",
)
"""Terms of the interval scale regression, in the order of its coefficients."""

GAIN_EPS = 1e-3
"""Added to absolute gains and residuals before taking logs."""


@dataclass(frozen=True)
class ScaleFeatures:
    """What the interval scale of one curve depends on, besides the size asked for.

    Attributes
    ----------
    se : float
        Standard error of the last anchor's mean score.
    rmse : float
        Weighted RMS residual of the fitted curve.
    headroom : float
        Distance from the last anchor's score to the best possible score.
    n_last : float
        Largest measured size.
    irregular : bool
        Whether a diagnostic was raised.
    """

    se: float
    rmse: float
    headroom: float
    n_last: float
    irregular: bool

    def design(self, gain: np.ndarray, ratio: np.ndarray) -> np.ndarray:
        """Regression terms (see :data:`FEATURES`) for forecast gains over the last anchor
        and extrapolation ratios, both of shape (k,); returns shape (k, len(FEATURES))."""
        gain = np.asarray(gain, dtype=float)
        ones = np.ones_like(gain)
        return np.column_stack(
            [
                ones,
                ones * np.log(max(self.se, 1e-4)),
                ones * np.log(max(self.rmse, 1e-4)),
                np.log(np.abs(gain) + GAIN_EPS),
                np.log(np.maximum(np.asarray(ratio, dtype=float), 1.0)),
                ones * np.log(max(self.headroom, 1e-3)),
                ones * np.log(self.n_last),
                ones * float(self.irregular),
            ]
        )


@dataclass(frozen=True)
class IntervalModel:
    """Calibrated forecast intervals of one curve (see :mod:`._calibration`).

    At ``n`` rows, with ``ratio = max(n / n_last, 1)`` and ``gain`` the fitted curve's
    rise from ``n_last`` to ``n``, ``scale = exp(design(gain, ratio) @ coef)``, and in the
    higher-is-better orientation the forecast is ``curve(n)`` with interval
    ``curve(n) + scale * [low(ratio), high(ratio)]``; ``low`` and ``high`` are
    interpolated in ``log(ratio)`` (constant past the last ratio). The interval is
    skewed upwards (real curves more often beat their extrapolation than fall short
    of it); the point forecast is not shifted with it, see :mod:`._calibration`.

    Attributes
    ----------
    level : float
        Nominal coverage.
    features : ScaleFeatures
    coef : tuple of float
        Scale regression coefficients.
    ratios : tuple of float
        Extrapolation ratios of the quantile table, increasing.
    low, high : tuple of float
        Lower and upper quantiles of the scaled residual at each ratio.
    best, worst : float
        The ends of the metric's range; forecasts are clipped to it.
    """

    level: float
    features: ScaleFeatures
    coef: tuple[float, ...]
    ratios: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    best: float
    worst: float


@dataclass(frozen=True)
class Extrapolation:
    """A learning curve extrapolated to larger sizes, with calibrated intervals.

    Attributes
    ----------
    family : str
        Chosen family (``pow3``, ``pow4``, ``mmf4``, ``wbl4`` or ``last``).
    params : dict of str to float
        The family's standard parameters.
    forecast : tuple of ForecastPoint
        One per requested size.
    ceiling : float
        Score the curve levels off at with unlimited data.
    diagnostics : tuple of Diagnostic
        Empty when the curve is well behaved.
    backtest : dict of str to float
        Mean absolute error of each family when fitted on the smaller anchors and
        scored on the larger ones (``nan`` where it could not be run).
    curve : CurveFit
        The fitted curve itself.
    interval : IntervalModel
        How the intervals are computed at any size.
    higher_is_better : bool
    """

    family: str
    params: dict[str, float]
    forecast: tuple[ForecastPoint, ...]
    ceiling: float
    diagnostics: tuple[Diagnostic, ...]
    backtest: dict[str, float]
    curve: CurveFit
    interval: IntervalModel
    higher_is_better: bool = True

    @property
    def codes(self) -> tuple[str, ...]:
        """The diagnostic codes."""
        return tuple(d.code for d in self.diagnostics)

    def points(self, sizes: Any) -> tuple[ForecastPoint, ...]:
        """:meth:`band` at ``sizes`` as forecast points (sizes rounded to rows)."""
        n = np.atleast_1d(np.asarray(sizes, dtype=float))
        return tuple(
            ForecastPoint(int(round(k)), float(s), float(lo), float(hi))
            for k, s, lo, hi in zip(n, *self.band(n), strict=True)
        )

    def band(self, sizes: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Forecast and interval at any sizes.

        Parameters
        ----------
        sizes : array-like of shape (k,)

        Returns
        -------
        score, low, high : ndarray of shape (k,)
        """
        n = np.atleast_1d(np.asarray(sizes, dtype=float))
        sign = self.curve.sign
        oriented, design = self._oriented_and_design(n)
        low, high = (sign * (oriented + offset) for offset in self._offsets(n, design))
        if sign < 0:
            low, high = high, low
        lo_end, hi_end = sorted((self.interval.worst, self.interval.best))
        return (
            np.clip(sign * oriented, lo_end, hi_end),
            np.clip(low, lo_end, hi_end),
            np.clip(high, lo_end, hi_end),
        )

    def offsets(self, sizes: Any) -> tuple[np.ndarray, np.ndarray]:
        """Ends of the interval around the curve, before clipping to the metric's range.

        Parameters
        ----------
        sizes : array-like of shape (k,)

        Returns
        -------
        low, high : ndarray of shape (k,)
            ``scale * low(ratio)`` (<= 0 for a nominal level of 50 % or more) and
            ``scale * high(ratio)``, in the higher-is-better orientation: the interval
            of the oriented forecast ``f`` is ``[f + low, f + high]``.
        """
        n = np.atleast_1d(np.asarray(sizes, dtype=float))
        return self._offsets(n, self._oriented_and_design(n)[1])

    def scale_design(self, sizes: Any) -> np.ndarray:
        """Terms of the interval scale regression (see :data:`FEATURES`) at ``sizes``.

        Parameters
        ----------
        sizes : array-like of shape (k,)

        Returns
        -------
        ndarray of shape (k, len(FEATURES))
        """
        return self._oriented_and_design(np.atleast_1d(np.asarray(sizes, dtype=float)))[1]

    def _oriented_and_design(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The oriented curve at ``n`` (k,) and the scale terms there (k, len(FEATURES))."""
        features = self.interval.features
        oriented = self.curve.sign * self.curve.predict(n)
        at_last = self.curve.sign * self.curve.predict(np.array([features.n_last]))[0]
        ratio = np.maximum(n / features.n_last, 1.0)
        return oriented, features.design(oriented - at_last, ratio)

    def _offsets(self, n: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`offsets` at ``n`` (k,) from the scale terms ``design`` there."""
        iv = self.interval
        scale = np.exp(design @ np.asarray(iv.coef))
        log_ratio = np.log(np.maximum(n / iv.features.n_last, 1.0))
        low, high = (scale * np.interp(log_ratio, np.log(iv.ratios), q) for q in (iv.low, iv.high))
        return low, high


@dataclass(frozen=True)
class CostCurve:
    """``value = fixed + coef * n ** exponent * prod(min(1, f(n)) for f in fills)``.

    Attributes
    ----------
    coef, exponent, fixed : float
        The power law (or line, with ``exponent`` 1).
    fills : tuple of CostCurve
        Power laws of the shares of a model's limits that the cost grows with, each
        capped at 1 (see :func:`~audits.sufficiency.forecast_costs`); empty for a plain
        power law.
    """

    coef: float
    exponent: float
    fixed: float = 0.0
    fills: tuple[CostCurve, ...] = ()

    def predict(self, n: float) -> float:
        """Cost at ``n`` rows."""
        share = float(np.prod([min(1.0, fill.predict(n)) for fill in self.fills]))
        return float(self.fixed + self.coef * float(n) ** self.exponent * share)


@dataclass(frozen=True)
class CostForecast:
    """Forecast costs of a model trained on ``n`` rows."""

    n: int
    fit_seconds: float
    predict_seconds_per_row: float
    model_bytes: float
    load_seconds: float


@dataclass(frozen=True)
class RowsForTarget:
    """Training rows a model needs to reach a target score.

    Attributes
    ----------
    target : float
    status : str
        ``reached`` (already reached at a measured size), ``forecast`` (``n`` with the
        interval ``[low, high]``; ``high`` is ``None`` when the pessimistic side does not
        reach the target within the horizon) or ``unreachable`` (the curve levels off
        below the target; ``low`` may still give the optimistic size).
    n, low, high : int or None
    ceiling : float
        Where the curve levels off.
    message : str
        One line for people.
    """

    target: float
    status: str
    n: int | None
    low: int | None
    high: int | None
    ceiling: float
    message: str


@dataclass(frozen=True)
class Crossover:
    """Training size at which ``challenger`` overtakes ``incumbent``.

    Attributes
    ----------
    challenger, incumbent : str
        Model names (by default ``deep`` and ``classical``).
    status : str
        ``ahead`` (the challenger already scores better at the largest measured size),
        ``forecast`` (``n`` with interval ``[low, high]``, ``high`` ``None`` when not
        certain within the horizon), ``none`` (no crossover within ``horizon`` rows) or
        ``level`` (the curves stay within ``TIE_MARGIN`` of each other up to ``horizon``).
    n, low, high : int or None
    horizon : int
        Largest size searched (100 times the rows available).
    message : str
    """

    challenger: str
    incumbent: str
    status: str
    n: int | None
    low: int | None
    high: int | None
    horizon: int
    message: str


@dataclass(frozen=True)
class ModelForecast:
    """Everything measured and forecast for one model.

    Attributes
    ----------
    anchors : tuple of Anchor
        Measured learning curve.
    family : str
        Chosen curve family.
    params : dict of str to float
        Its parameters.
    forecast : tuple of ForecastPoint
        Score and interval at each requested size.
    ceiling : float
    diagnostics : tuple of Diagnostic
    backtest : dict of str to float
        Backtest error of each family.
    costs : tuple of CostForecast
        At each requested size.
    cost_curves : dict of str to CostCurve
        The fitted cost power laws.
    band : tuple of ForecastPoint
        The forecast and its interval on a log-spaced grid from the smallest anchor to
        the largest requested size (for plots: a renderer needs no curve maths).
    skipped_sizes : tuple of int
        Planned sizes not measured because the time budget would have run out.
    """

    anchors: tuple[Anchor, ...]
    family: str
    params: dict[str, float]
    forecast: tuple[ForecastPoint, ...]
    ceiling: float
    diagnostics: tuple[Diagnostic, ...]
    backtest: dict[str, float]
    costs: tuple[CostForecast, ...]
    cost_curves: dict[str, CostCurve]
    band: tuple[ForecastPoint, ...] = ()
    skipped_sizes: tuple[int, ...] = ()


@dataclass(frozen=True)
class SufficiencyResult:
    """The sufficiency forecast of one dataset.

    Attributes
    ----------
    metric : str
    higher_is_better : bool
    level : float
        Nominal coverage of the intervals.
    n_rows : int
        Labelled rows the forecast was given.
    n_validation : int
        Validation rows per repetition.
    repetitions : int
    models : dict of str to ModelForecast
    rows_for_target : dict of str to RowsForTarget, or None
        Per model, when a target score was given.
    crossover : Crossover or None
        When two models were compared.
    elapsed_seconds : float
    budget_seconds : float or None
    n_groups : int or None
        Groups kept apart by the splits, when the rows were grouped.
    schema_version : str
    """

    metric: str
    higher_is_better: bool
    level: float
    n_rows: int
    n_validation: int
    repetitions: int
    models: dict[str, ModelForecast]
    rows_for_target: dict[str, RowsForTarget] | None
    crossover: Crossover | None
    elapsed_seconds: float
    budget_seconds: float | None = None
    n_groups: int | None = None
    schema_version: str = field(default=SCHEMA_VERSION)

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (the ``sufficiency`` entry of ``results.json``)."""
        return to_jsonable(self)

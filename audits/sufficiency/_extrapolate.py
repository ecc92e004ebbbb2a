"""Extrapolate a measured learning curve: choose a family by backtesting, check the
curve's shape, and put calibrated intervals around the forecast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from audits.errors import ConfigError, InputError
from audits.sufficiency._calibration import Calibration, load_calibration
from audits.sufficiency._curves import FAMILIES, CurveFit, fit_curve
from audits.sufficiency._diagnose import FALLBACK_CODES, MIN_ANCHORS, diagnose
from audits.sufficiency._result import (
    Diagnostic,
    Extrapolation,
    IntervalModel,
    ScaleFeatures,
)

__all__ = [
    "DEFAULT_FAMILIES",
    "Anchors",
    "aggregate",
    "ceiling_bound",
    "extrapolate",
    "scale_features",
    "select_curve",
]

DEFAULT_FAMILIES = ("pow3", "pow4", "mmf4", "wbl4")
"""Families tried, the first being the default that another must clearly beat."""

WINDOW = 64.0
"""Anchors smaller than ``n_last / WINDOW`` are not fitted (they say little about the far end)."""

BACKTEST_RATIO = 4.0
"""Backtests fit anchors up to ``n_last / BACKTEST_RATIO`` and score the larger ones."""

BACKTEST_ANCHORS = 4
"""A backtest needs at least this many anchors to fit."""

SWITCH_FACTOR = 1.5
"""Another family replaces the default only if its backtest error is this many times smaller."""

_SE_FLOOR = 0.003


@dataclass(frozen=True, eq=False)
class Anchors:
    """Measured scores aggregated per distinct size, oriented so that higher is better.

    Attributes
    ----------
    n : ndarray of shape (m,)
        Distinct sizes, increasing.
    mean : ndarray of shape (m,)
        Mean oriented score.
    se : ndarray of shape (m,)
        Standard error of each mean (estimated from the other sizes with one repetition).
    sign : float
        +1 if higher scores are better, else -1 (``mean = sign * score``).
    """

    n: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    sign: float

    @property
    def weights(self) -> np.ndarray:
        """Inverse-variance least-squares weights, shape (m,)."""
        return 1.0 / (self.se**2 + _SE_FLOOR**2)

    def window(self, upto: float, *, span: float = WINDOW) -> Anchors:
        """The anchors with ``upto / span <= n <= upto``."""
        keep = (self.n <= upto * (1 + 1e-9)) & (self.n >= upto / span * (1 - 1e-9))
        return Anchors(self.n[keep], self.mean[keep], self.se[keep], self.sign)


def aggregate(sizes: Sequence[float], scores: Sequence[float], *, sign: float = 1.0) -> Anchors:
    """Average repeated measurements per size.

    Parameters
    ----------
    sizes : array-like of shape (m,)
        Training-set sizes; may repeat.
    scores : array-like of shape (m,) or (m, r)
        One score per size, or ``r`` repetitions per size (``nan`` for a missing one).
    sign : float, default=1.0
        +1 if higher scores are better, else -1.

    Returns
    -------
    Anchors
    """
    try:
        n, y = np.asarray(sizes, dtype=float), np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise InputError("`sizes` and `scores` must be numbers") from None
    if n.ndim != 1 or len(n) == 0:
        raise InputError(f"`sizes` must be a non-empty 1-D array; got shape {n.shape}")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != len(n):
        raise InputError(
            f"`scores` must have shape ({len(n)},) or ({len(n)}, r); got {np.shape(scores)}"
        )
    if not np.all(np.isfinite(n)) or np.any(n < 1):
        raise InputError("`sizes` must be finite row counts >= 1")
    if np.any(np.isinf(y)) or not np.any(np.isfinite(y)):
        raise InputError("`scores` must be finite (nan marks a missing repetition)")
    unique = np.unique(n[np.isfinite(y).any(axis=1)])
    mean, se, count = (np.empty(len(unique)) for _ in range(3))
    for i, size in enumerate(unique):
        values = y[n == size].ravel()
        values = values[np.isfinite(values)]
        mean[i] = values.mean()
        count[i] = len(values)
        se[i] = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.nan
    known = np.isfinite(se)
    se[~known] = se[known].max() if known.any() else 0.0
    return Anchors(unique, sign * mean, se, float(sign))


def _check_range(values: object, *, low: float, high: float, name: str) -> None:
    """Raise InputError when a finite value of ``values`` lies outside ``[low, high]``."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size and (finite.min() < low or finite.max() > high):
        raise InputError(
            f"`{name}` must lie between the metric's worst and best scores, {low:g} and "
            f"{high:g}; got {finite.min():g} to {finite.max():g}"
        )


def _backtest(anchors: Anchors, family: str, upper: float) -> float:
    """Mean absolute error on the larger anchors of a fit to the smaller ones."""
    cut = anchors.n[-1] / BACKTEST_RATIO
    train = anchors.n <= cut * (1 + 1e-9)
    if train.sum() < BACKTEST_ANCHORS or (~train).sum() < 1:
        return float("nan")
    fit = fit_curve(
        anchors.n[train],
        anchors.mean[train],
        family=family,
        weights=anchors.weights[train],
        upper=upper,
    )
    return float(np.mean(np.abs(fit.predict(anchors.n[~train]) - anchors.mean[~train])))


def ceiling_bound(anchors: Anchors, train: Anchors | None, *, best: float) -> float:
    """Largest asymptote allowed (oriented): the best score, or the training score.

    While the training score falls with more rows (the model memorises less), the
    validation curve rises towards the limit the training curve falls to, so the
    training score at the largest size, plus two standard errors, bounds the ceiling
    (never below a measured validation score). A training score that rose over the last
    factor :data:`BACKTEST_RATIO` of sizes (an under-fitted, early-stopped model)
    bounds nothing.
    """
    upper = anchors.sign * best
    if train is None:
        return upper
    last = np.flatnonzero(train.n == anchors.n[-1])
    earlier = np.flatnonzero(train.n <= anchors.n[-1] / BACKTEST_RATIO * (1 + 1e-9))
    if len(last) == 0 or len(earlier) == 0:
        return upper
    i, j = last[0], earlier[-1]
    if train.mean[i] > train.mean[j]:
        return upper
    bound = float(train.mean[i] + 2.0 * train.se[i])
    return min(upper, max(bound, float(anchors.mean.max())))


def select_curve(
    anchors: Anchors,
    *,
    best: float,
    families: Sequence[str] = DEFAULT_FAMILIES,
    train: Anchors | None = None,
) -> tuple[CurveFit, dict[str, float], tuple[Diagnostic, ...], float]:
    """Fit the families, choose one by backtest, and check the curve's shape.

    Parameters
    ----------
    anchors : Anchors
        Already windowed.
    best : float
        Best possible score (bounds the asymptote).
    families : sequence of str
        Candidates; the first is kept unless another backtests :data:`SWITCH_FACTOR`
        times better.
    train : Anchors, optional
        Training scores; the one at the largest size bounds the asymptote too.

    Returns
    -------
    curve : CurveFit
        In the metric's own orientation (``sign`` set); ``last`` after a fallback.
    backtest : dict of str to float
        Backtest error per family (``nan`` when there were too few anchors).
    diagnostics : tuple of Diagnostic
    rmse : float
        Weighted RMS residual of the best fitted family (of the last value if none).
    """
    upper = ceiling_bound(anchors, train, best=best)
    last = fit_curve(anchors.n, anchors.mean, family="last")
    if len(anchors.n) < MIN_ANCHORS:
        diagnostics = diagnose(anchors.n, anchors.mean, anchors.se, fit_rmse=last.rmse)
        return _orient(last, anchors.sign), {}, diagnostics, last.rmse
    backtest = {f: _backtest(anchors, f, upper) for f in families}
    chosen = families[0]
    errors = {f: e for f, e in backtest.items() if np.isfinite(e)}
    if errors:
        contender = min(errors, key=errors.__getitem__)
        if not np.isfinite(backtest[chosen]) or (
            errors[contender] * SWITCH_FACTOR < backtest[chosen]
        ):
            chosen = contender
    fit = fit_curve(anchors.n, anchors.mean, family=chosen, weights=anchors.weights, upper=upper)
    diagnostics = diagnose(anchors.n, anchors.mean, anchors.se, fit_rmse=fit.rmse)
    if FALLBACK_CODES.intersection(d.code for d in diagnostics):
        return _orient(last, anchors.sign), backtest, diagnostics, fit.rmse
    return _orient(fit, anchors.sign), backtest, diagnostics, fit.rmse


def _orient(fit: CurveFit, sign: float) -> CurveFit:
    """Turn a fit of oriented scores into one that predicts the metric itself."""
    return replace(fit, sign=sign)


def scale_features(
    anchors: Anchors, *, rmse: float, best: float, diagnostics: Sequence[Diagnostic]
) -> ScaleFeatures:
    """The curve's terms of the interval scale (see :class:`ScaleFeatures`)."""
    return ScaleFeatures(
        se=float(anchors.se[-1]),
        rmse=float(rmse),
        headroom=abs(anchors.sign * best - float(anchors.mean[-1])),
        n_last=float(anchors.n[-1]),
        irregular=any(d.code != "beyond_calibration" for d in diagnostics),
    )


def _check_options(at: Sequence[float], level: float) -> np.ndarray:
    sizes = np.atleast_1d(np.asarray(at, dtype=float))
    if sizes.ndim != 1 or len(sizes) == 0 or not np.all(np.isfinite(sizes)) or np.any(sizes < 1):
        raise ConfigError(f"`at` must be one or more row counts >= 1; got {at!r}", reason="at")
    if not 0.5 <= level <= 0.95:
        raise ConfigError(f"`level` must be in [0.5, 0.95]; got {level!r}", reason="level")
    return sizes


def extrapolate(
    sizes: Sequence[float],
    scores: Sequence[float],
    *,
    at: Sequence[float],
    level: float = 0.9,
    higher_is_better: bool = True,
    best: float | None = None,
    worst: float | None = None,
    families: Sequence[str] = DEFAULT_FAMILIES,
    train_scores: Sequence[float] | None = None,
    calibration: Calibration | None = None,
) -> Extrapolation:
    """Forecast the score at larger training sizes from measured learning-curve anchors.

    The anchors (within a factor :data:`WINDOW` of the largest) are fitted by each family
    with inverse-variance weighted, bounded least squares (ceiling at most ``best``, and
    at most the training score when that is falling); the family is chosen by
    backtesting (fit on anchors up to a quarter of the largest, score the rest; pow3
    unless another is :data:`SWITCH_FACTOR` times better). Flat, peaking, non-monotone
    and noisy curves are flagged (and get wider intervals); fewer than five sizes are
    not extrapolated: the forecast is the last measured score. The intervals come from
    the residuals of this same procedure on real learning curves (LCDB by default; the
    built-in models' own with ``calibration=load_calibration(kind)``, as
    :func:`~audits.sufficiency.assess` does), as a function of the extrapolation ratio
    ``n / n_last`` and of the curve's noise, headroom, size and shape; the point
    forecast is the chosen curve (see :mod:`._calibration`).

    Parameters
    ----------
    sizes : array-like of shape (m,)
        Training-set sizes of the anchors; repeated sizes are repetitions.
    scores : array-like of shape (m,) or (m, r)
        Measured scores, or ``r`` repetitions per size (``nan`` marks a missing one).
    at : array-like of shape (k,)
        Sizes to forecast at.
    level : float, default=0.9
        Nominal coverage of the intervals, in [0.5, 0.95].
    higher_is_better : bool, default=True
        False for losses.
    best : float, optional
        Best possible score; 1.0 by default when higher is better, else 0.0.
    worst : float, optional
        Worst possible score; 0.0 by default when higher is better, else infinity.
    families : sequence of str, default=("pow3", "pow4", "mmf4", "wbl4")
        Candidate families (see :data:`~audits.sufficiency.FAMILIES`); the first is the
        default a backtest must clearly beat.
    train_scores : array-like of shape (m,) or (m, r), optional
        Scores on the training rows, shaped like ``scores``. The validation curve rises
        towards the limit the training curve falls to, so the training score at the
        largest size caps the ceiling; this curbs runaway extrapolations.
    calibration : Calibration, optional
        The committed LCDB calibration by default (``load_calibration()``).

    Returns
    -------
    Extrapolation

    Raises
    ------
    InputError
        Malformed sizes or scores.
    ConfigError
        Bad ``at``, ``level`` or family name.
    """
    targets = _check_options(at, level)
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        raise ConfigError(
            f"`families` must be names among {', '.join(FAMILIES)}; got {list(families)!r}",
            reason="families",
        )
    sign = 1.0 if higher_is_better else -1.0
    best = (1.0 if higher_is_better else 0.0) if best is None else float(best)
    worst = (0.0 if higher_is_better else float("inf")) if worst is None else float(worst)
    cal = load_calibration() if calibration is None else calibration
    measured = aggregate(sizes, scores, sign=sign)
    anchors = measured.window(measured.n[-1])
    train = None if train_scores is None else aggregate(sizes, train_scores, sign=sign)
    for name, values in (("scores", scores), ("train_scores", train_scores)):
        if values is not None:
            _check_range(values, low=min(best, worst), high=max(best, worst), name=name)
    curve, backtest, diagnostics, rmse = select_curve(
        anchors, best=best, families=families, train=train
    )
    n_last = float(anchors.n[-1])
    features = scale_features(anchors, rmse=rmse, best=best, diagnostics=diagnostics)
    if targets.max() / n_last > cal.max_ratio:
        diagnostics += (
            Diagnostic(
                "beyond_calibration",
                f"forecasts beyond {cal.max_ratio:.0f} times the largest anchor "
                f"({n_last:,.0f} rows) use the widest calibrated intervals, extended",
            ),
        )
    tail = (1.0 - level) / 2.0
    interval = IntervalModel(
        level=level,
        features=features,
        coef=cal.coef,
        ratios=cal.ratios,
        low=cal.quantile_curve(tail),
        high=cal.quantile_curve(1.0 - tail),
        best=best,
        worst=worst,
    )
    result = Extrapolation(
        family=curve.family,
        params=curve.params,
        forecast=(),
        ceiling=float("nan"),
        diagnostics=diagnostics,
        backtest=backtest,
        curve=curve,
        interval=interval,
        higher_is_better=higher_is_better,
    )
    points = result.points(targets)
    return replace(result, forecast=points, ceiling=curve.ceiling)

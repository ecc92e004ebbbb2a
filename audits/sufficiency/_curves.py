"""Learning-curve families and their robust least-squares fit.

Every family with an asymptote is written in one shape,

    score(n) = A - G * h(n / n_ref; theta),    G >= 0, A <= upper,

where ``h`` decreases from about 1 towards 0 as ``n`` grows, ``A`` is the ceiling
(the score with unlimited data), ``G`` how far the curve still has to climb, and
``n_ref`` the largest measured size (sizes are scaled by it so that the shape
parameters ``theta`` live on the same scale for every dataset). For fixed ``theta``
the fit is linear in ``(A, G)`` under two box constraints, solved in closed form;
``theta`` is searched on a grid and then refined, from the best few grid points, by
a coarse-to-fine search whose windows shrink around the best point so far (every
level one vectorised solve; the refinement ends about ``4**-7`` grid steps from a
local optimum).

The families (standard parameterisations, ``n`` in rows):

``pow3``  ``a - b * n**-c``                       inverse power law with asymptote
``pow4``  ``a - b * (n + d)**-c``                 shifted power law
``mmf4``  ``(a*b + c * n**d) / (b + n**d)``       Morgan-Mercer-Flodin
``wbl4``  ``c - (c - a) * exp(-b * n**d)``        Weibull
``last``  ``value``                               the last measured score (baseline)

Scores are oriented so that higher is better before fitting; a metric where lower
is better (log loss) is negated on the way in and out, so its standard parameters
describe the curve of the metric itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FAMILIES", "CurveFit", "fit_curve"]

FloatArray = np.ndarray


@dataclass(frozen=True)
class _Family:
    """One curve family: the decreasing shape ``h`` and its parameter space.

    Parameters
    ----------
    name : str
        Family name used in results.
    h : callable
        ``h(x, theta)`` with ``x`` of shape (m,) and ``theta`` of shape (k, p); returns (k, m).
    grid : tuple of tuple of float
        Candidate values of each shape parameter (the search grid is their product).
    bounds : tuple of (float, float)
        Bounds of each shape parameter for the refinement.
    standard : callable
        ``standard(A, G, theta, n_ref)`` -> dict of the standard parameters.
    """

    name: str
    h: Callable[[FloatArray, FloatArray], FloatArray]
    grid: tuple[tuple[float, ...], ...]
    bounds: tuple[tuple[float, float], ...]
    standard: Callable[[float, float, tuple[float, ...], float], dict[str, float]]

    def theta_grid(self) -> FloatArray:
        """All grid points, shape (k, p)."""
        mesh = np.meshgrid(*[np.asarray(g, dtype=float) for g in self.grid], indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)


def _col(theta: FloatArray, j: int) -> FloatArray:
    return theta[:, j : j + 1]


def _h_pow3(x: FloatArray, theta: FloatArray) -> FloatArray:
    return x[None, :] ** -_col(theta, 0)


def _h_pow4(x: FloatArray, theta: FloatArray) -> FloatArray:
    shift = _col(theta, 1)
    return ((x[None, :] + shift) / (1.0 + shift)) ** -_col(theta, 0)


def _h_mmf4(x: FloatArray, theta: FloatArray) -> FloatArray:
    ratio = np.log(x[None, :]) - _col(theta, 0)
    return 1.0 / (1.0 + np.exp(np.clip(_col(theta, 1) * ratio, -700.0, 700.0)))


def _h_wbl4(x: FloatArray, theta: FloatArray) -> FloatArray:
    ratio = np.log(x[None, :]) - _col(theta, 0)
    return np.exp(-np.exp(np.clip(_col(theta, 1) * ratio, -700.0, 700.0)))


def _std_pow3(a: float, g: float, theta: tuple[float, ...], n_ref: float) -> dict[str, float]:
    (c,) = theta
    return {"a": a, "b": g * n_ref**c, "c": c}


def _std_pow4(a: float, g: float, theta: tuple[float, ...], n_ref: float) -> dict[str, float]:
    c, shift = theta
    return {"a": a, "b": g * (n_ref * (1.0 + shift)) ** c, "c": c, "d": shift * n_ref}


def _std_mmf4(a: float, g: float, theta: tuple[float, ...], n_ref: float) -> dict[str, float]:
    log_half, d = theta
    return {"a": a - g, "b": float((np.exp(log_half) * n_ref) ** d), "c": a, "d": d}


def _std_wbl4(a: float, g: float, theta: tuple[float, ...], n_ref: float) -> dict[str, float]:
    log_scale, d = theta
    return {"a": a - g, "b": float((np.exp(log_scale) * n_ref) ** -d), "c": a, "d": d}


_ZOOM_POINTS, _ZOOM_SHRINK, _ZOOM_LEVELS, _ZOOM_MAX_STEPS = 9, 4.0, 7, 40
"""Coarse-to-fine search: points per dimension, window shrink factor, shrinks, most steps."""

_EXPONENTS = tuple(np.round(np.geomspace(0.02, 3.0, 40), 5))
_LOG_SCALES = tuple(np.round(np.linspace(np.log(1e-4), np.log(1e2), 31), 6))
_SHAPES = tuple(np.round(np.geomspace(0.1, 4.0, 16), 5))

FAMILIES: dict[str, _Family] = {
    f.name: f
    for f in (
        _Family("pow3", _h_pow3, (_EXPONENTS,), ((0.005, 5.0),), _std_pow3),
        _Family(
            "pow4",
            _h_pow4,
            (_EXPONENTS[::2], (0.0, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)),
            ((0.005, 5.0), (0.0, 10.0)),
            _std_pow4,
        ),
        _Family("mmf4", _h_mmf4, (_LOG_SCALES, _SHAPES), ((-14.0, 9.0), (0.05, 6.0)), _std_mmf4),
        _Family("wbl4", _h_wbl4, (_LOG_SCALES, _SHAPES), ((-14.0, 9.0), (0.05, 6.0)), _std_wbl4),
    )
}
"""The fitted families with an asymptote, by name (``last`` is handled apart)."""


@dataclass(frozen=True)
class CurveFit:
    """A fitted curve in the oriented form ``sign * (A - G * h(n / n_ref; theta))``.

    Attributes
    ----------
    family : str
        ``"pow3"``, ``"pow4"``, ``"mmf4"``, ``"wbl4"`` or ``"last"``.
    asymptote : float
        ``A``, the oriented ceiling (for ``last``: the last measured score, oriented).
    gain : float
        ``G >= 0`` (0 for ``last``).
    theta : tuple of float
        Shape parameters in scaled units (empty for ``last``).
    n_ref : float
        Size the rows were scaled by (the largest measured size).
    sign : float
        +1 when higher scores are better, -1 otherwise.
    rmse : float
        Weighted root mean squared residual of the fit, in score units.
    """

    family: str
    asymptote: float
    gain: float
    theta: tuple[float, ...]
    n_ref: float
    sign: float
    rmse: float

    def predict(self, sizes: FloatArray) -> FloatArray:
        """Score predicted at ``sizes`` (rows), shape (m,) -> (m,)."""
        sizes = np.asarray(sizes, dtype=float)
        if self.family == "last":
            return np.full(sizes.shape, self.sign * self.asymptote)
        x = sizes.ravel() / self.n_ref
        h = FAMILIES[self.family].h(x, np.asarray([self.theta]))[0]
        return (self.sign * (self.asymptote - self.gain * h)).reshape(sizes.shape)

    @property
    def ceiling(self) -> float:
        """Score the curve levels off at with unlimited data."""
        return self.sign * self.asymptote

    @property
    def params(self) -> dict[str, float]:
        """Parameters of the family's standard form (see the module docstring)."""
        if self.family == "last":
            return {"value": self.sign * self.asymptote}
        return FAMILIES[self.family].standard(
            self.sign * self.asymptote, self.sign * self.gain, self.theta, self.n_ref
        )


def _solve_linear(
    h: FloatArray, y: FloatArray, w: FloatArray, upper: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Best ``(A, G)`` for each row of ``h`` under ``G >= 0`` and ``A <= upper``.

    Parameters
    ----------
    h : ndarray of shape (k, m)
    y, w : ndarray of shape (m,)
        Oriented scores and weights (summing to 1).
    upper : float
        Largest allowed asymptote.

    Returns
    -------
    asymptote, gain, sse : ndarray of shape (k,)
    """
    sw = w.sum()
    my = w @ y
    mh = h @ w
    mhh = (h * h) @ w
    mhy = h @ (w * y)
    var_h = mhh - mh * mh / sw
    cov = mhy - mh * my / sw
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(var_h > 1e-300, -cov / var_h, 0.0)
    candidates = [(my / sw + slope * mh / sw, slope)]
    candidates.append((np.full_like(mh, min(my / sw, upper)), np.zeros_like(mh)))
    with np.errstate(divide="ignore", invalid="ignore"):
        g_top = np.where(mhh > 1e-300, (upper * mh - mhy) / mhh, 0.0)
    candidates.append((np.full_like(mh, upper), np.maximum(g_top, 0.0)))
    best_a = best_g = best_sse = None
    for a, g in candidates:
        resid = y[None, :] - (a[:, None] - g[:, None] * h)
        sse = (resid * resid) @ w
        feasible = (g >= 0.0) & (a <= upper + 1e-12)
        sse = np.where(feasible, sse, np.inf)
        if best_sse is None:
            best_a, best_g, best_sse = a, g, sse
        else:
            better = sse < best_sse
            best_a = np.where(better, a, best_a)
            best_g = np.where(better, g, best_g)
            best_sse = np.where(better, sse, best_sse)
    return best_a, best_g, best_sse


def _neighbour_steps(family: _Family, theta: FloatArray) -> FloatArray:
    """Half-width of the first zoom window around grid points, shape (k, p).

    In each dimension, the larger gap from the point's grid value to its neighbours
    (grids need not be evenly spaced), so the window reaches the next grid points.
    """
    steps = np.empty_like(theta)
    for j, grid in enumerate(family.grid):
        values = np.asarray(grid, dtype=float)
        gaps = np.diff(values)
        i = np.clip(np.searchsorted(values, theta[:, j]), 0, len(values) - 1)
        below = np.where(i > 0, gaps[np.maximum(i - 1, 0)], 0.0)
        above = np.where(i < len(values) - 1, gaps[np.minimum(i, len(gaps) - 1)], 0.0)
        steps[:, j] = np.maximum(below, above)
    return steps


def _refine(
    family: _Family, x: FloatArray, y: FloatArray, w: FloatArray, upper: float, starts: FloatArray
) -> tuple[float, float, FloatArray, float]:
    """Coarse-to-fine search of the shape parameters from several grid points at once.

    Around each start a window reaching the neighbouring grid points is searched on
    a :data:`_ZOOM_POINTS`-per-dimension grid (clipped to the family's bounds). The
    best point becomes the next centre: of a window :data:`_ZOOM_SHRINK` times
    smaller when it lies inside the window, of the same window moved when it lies on
    the edge (the optimum is further out, possibly beyond the grid), until every start
    has shrunk :data:`_ZOOM_LEVELS` times or :data:`_ZOOM_MAX_STEPS` steps are done.
    The linear parameters are profiled out (variable projection), so each step is one
    vectorised solve over every candidate of every start.

    Parameters
    ----------
    starts : ndarray of shape (k, p)
        Grid points to start from.

    Returns
    -------
    asymptote, gain, theta, sse
        Of the best point found.
    """
    lo = np.array([b[0] for b in family.bounds])
    hi = np.array([b[1] for b in family.bounds])
    p = starts.shape[1]
    offsets = np.linspace(-1.0, 1.0, _ZOOM_POINTS)
    mesh = np.stack(
        [m.ravel() for m in np.meshgrid(*([offsets] * p), indexing="ij")], axis=1
    )  # (q, p)
    centres, steps = starts.astype(float), _neighbour_steps(family, starts)
    shrinks = np.zeros(len(centres), dtype=int)
    for _ in range(_ZOOM_MAX_STEPS):
        active = shrinks < _ZOOM_LEVELS
        if not active.any():
            break
        candidates = np.clip(centres[:, None, :] + steps[:, None, :] * mesh[None], lo, hi)
        _, _, sse = _solve_linear(family.h(x, candidates.reshape(-1, p)), y, w, upper)
        best = np.argmin(sse.reshape(len(centres), -1), axis=1)
        moved = candidates[np.arange(len(centres)), best]
        # On the window's edge (and not held by a bound) the optimum lies further out:
        # move the window there; otherwise it is inside: shrink around the best point.
        edge = np.any((np.abs(mesh[best]) == 1.0) & (moved > lo) & (moved < hi), axis=1)
        centres = np.where(active[:, None], moved, centres)
        shrink = active & ~edge
        steps = np.where(shrink[:, None], steps / _ZOOM_SHRINK, steps)
        shrinks += shrink
    a, g, sse = _solve_linear(family.h(x, centres), y, w, upper)
    k = int(np.argmin(sse))
    return float(a[k]), float(g[k]), centres[k], float(sse[k])


def fit_curve(
    sizes: FloatArray,
    scores: FloatArray,
    *,
    family: str,
    weights: FloatArray | None = None,
    upper: float = np.inf,
    n_starts: int = 3,
) -> CurveFit:
    """Fit one family to (mean) scores measured at distinct sizes.

    Parameters
    ----------
    sizes : array-like of shape (m,)
        Distinct training-set sizes, increasing.
    scores : array-like of shape (m,)
        Score at each size, oriented so that higher is better.
    family : str
        A key of :data:`FAMILIES` or ``"last"``.
    weights : array-like of shape (m,), optional
        Non-negative least-squares weights; equal by default.
    upper : float, default=inf
        Largest allowed asymptote (the best possible oriented score).
    n_starts : int, default=3
        Number of best grid points the bounded refinement starts from.

    Returns
    -------
    CurveFit
        With ``sign=1``; set ``sign=-1`` (:func:`dataclasses.replace`) to predict a
        metric that was negated to orient it.
    """
    x_n = np.asarray(sizes, dtype=float)
    y = np.asarray(scores, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    n_ref = float(x_n.max())
    if family == "last":
        last = x_n == n_ref
        value = float(np.average(y[last], weights=w[last]))
        rmse = float(np.sqrt(w @ (y - value) ** 2))
        return CurveFit("last", value, 0.0, (), n_ref, 1.0, rmse)
    fam = FAMILIES[family]
    x = x_n / n_ref
    grid = fam.theta_grid()
    a, g, sse = _solve_linear(fam.h(x, grid), y, w, upper)
    order = np.argsort(sse)[: max(1, n_starts)]
    a_best, g_best, theta_best, sse_best = _refine(fam, x, y, w, upper, grid[order])
    return CurveFit(
        family,
        a_best,
        g_best,
        tuple(float(t) for t in theta_best),
        n_ref,
        1.0,
        float(np.sqrt(max(sse_best, 0.0))),
    )

"""Options of a forecast that can be checked before any data is read."""

from __future__ import annotations

import math

import numpy as np

from audits.errors import ConfigError
from audits.sufficiency._metrics import Metric, get_metric

__all__ = ["MAX_SEED", "check_options", "target_score_problem"]

MAX_SEED = 2**32 - 1
"""Largest random seed: NumPy's and scikit-learn's seeds are 32-bit unsigned integers."""


def check_options(
    *,
    metric: str = "accuracy",
    target_score: float | None = None,
    budget_seconds: float | None = None,
    random_state: int = 0,
) -> Metric:
    """Check the data-independent options of :func:`assess`; return the metric.

    The flow and the command line call it first, so a bad option fails in a second,
    before any data is read or any model fitted.

    Parameters
    ----------
    metric : str, default="accuracy"
        A name in :data:`audits.sufficiency.METRICS`.
    target_score : float, optional
        Finite, in ``(0, 1]`` for the rates and ``(0, inf)`` for log loss.
    budget_seconds : float, optional
        Finite and > 0.
    random_state : int, default=0
        From 0 to :data:`MAX_SEED`.

    Returns
    -------
    Metric

    Raises
    ------
    ConfigError
        One line naming the option.
    """
    spec = get_metric(metric)
    problem = None if target_score is None else target_score_problem(spec, target_score)
    if problem:
        raise ConfigError(f"`target_score` {problem}; got {target_score!r}", reason="target_score")
    if budget_seconds is not None and not (
        _is_number(budget_seconds) and math.isfinite(budget_seconds) and budget_seconds > 0
    ):
        raise ConfigError(
            f"`budget_seconds` must be a positive number of seconds; got {budget_seconds!r}",
            reason="budget_seconds",
        )
    if not (_is_number(random_state, integer=True) and 0 <= random_state <= MAX_SEED):
        raise ConfigError(
            f"the random seed must be an integer from 0 to {MAX_SEED}; got {random_state!r}",
            reason="seed",
        )
    return spec


def target_score_problem(metric: Metric, target_score: object) -> str | None:
    """What is wrong with ``target_score`` as a score of ``metric``, or None when nothing.

    A score must be finite and reachable: in ``(0, 1]`` for the rates (``0`` is the
    worst score, which every model reaches) and in ``(0, inf)`` for log loss.
    """
    low, high = sorted((metric.worst, metric.best))
    if _is_number(target_score) and math.isfinite(target_score) and low < target_score <= high:
        return None
    span = f"({low:g}, {high:g}]" if metric.higher_is_better else f"({metric.best:g}, inf)"
    return f"must be in {span} for {metric.name}"


def _is_number(value: object, *, integer: bool = False) -> bool:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    return isinstance(value, kinds) and not isinstance(value, bool)

"""The whole sufficiency forecast of one dataset: measure, extrapolate, cost, compare."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from audits.errors import ConfigError, InputError, TargetError
from audits.io import check_features, check_groups
from audits.sufficiency._anchors import (
    DEFAULT_REPETITIONS,
    AnchorMeasurement,
    AnchorPlan,
    AnchorTask,
    Split,
    make_split,
    measure_anchor,
    plan_anchors,
    summarise_anchors,
)
from audits.sufficiency._calibration import load_calibration
from audits.sufficiency._costs import FIT_GROWTH, fit_cost_curve, forecast_costs
from audits.sufficiency._extrapolate import extrapolate
from audits.sufficiency._options import check_options
from audits.sufficiency._pool import FitPool, check_jobs
from audits.sufficiency._result import ModelForecast, SufficiencyResult
from audits.sufficiency._verdicts import crossover, rows_for_target

__all__ = ["DEFAULT_MODELS", "assess", "measure_within_budget", "plan_curves"]

MapFn = Callable[[Callable[[AnchorTask], AnchorMeasurement], Iterable[AnchorTask]], Iterable]

DEFAULT_MODELS = ("classical", "deep")
"""Models a forecast compares unless told otherwise; the second is the challenger."""

DEFAULT_AT = (1, 2, 5, 10)
"""Default forecast sizes, as multiples of the rows available."""

MAX_AT = 10**12
"""Largest size a forecast is asked for (a trillion rows; beyond it sizes overflow)."""

HORIZON = 100.0
"""Rows needed and crossovers are searched up to this many times the rows available."""

_BAND_POINTS = 25
_ANALYSIS_SHARE, _ANALYSIS_SECONDS = 0.1, 2.0
"""Of a time budget, this share (at most this many seconds) is kept for the curve fits."""


def _check_inputs(X: Any, y: Any) -> tuple[pd.DataFrame, pd.Series]:
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"`X` must be a pandas DataFrame; got {type(X).__name__}")
    check_features(X)
    if len(y) != len(X):
        raise InputError(f"`y` must have one label per row of `X` ({len(X)}); got {len(y)}")
    y = pd.Series(np.asarray(y), index=X.index) if not isinstance(y, pd.Series) else y
    missing = int(y.isna().sum())
    if missing:
        raise TargetError(f"`y` must not have missing labels; got {missing}")
    if y.nunique() < 2:
        raise TargetError(f"`y` must have at least two classes; got {y.nunique()}")
    return X.reset_index(drop=True), y.reset_index(drop=True)


def _check_options(
    models: Sequence[str],
    at: Sequence[int] | None,
    n_rows: int,
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    from audits.models import check_models

    models = check_models(models)
    sizes = tuple(m * n_rows for m in DEFAULT_AT) if at is None else tuple(at)
    if not sizes or any(
        isinstance(s, bool) or not isinstance(s, int | np.integer) or not 1 <= s <= MAX_AT
        for s in sizes
    ):
        raise ConfigError(
            f"`at` must be one or more row counts from 1 to {MAX_AT:.0e}; got {at!r}", reason="at"
        )
    return models, tuple(sorted({int(s) for s in sizes}))


def _check_groups(groups: Any, n_rows: int) -> np.ndarray | None:
    """``groups`` as an array of shape (n_rows,), or None; see :func:`assess`."""
    if groups is None:
        return None
    values = np.asarray(groups)
    if values.shape != (n_rows,):
        raise InputError(
            f"`groups` must have one value per row of `X` ({n_rows}); got {len(values)}"
        )
    check_groups(values)
    return values


def plan_curves(
    y: pd.Series | np.ndarray,
    *,
    groups: pd.Series | np.ndarray | None = None,
    min_size: int = 64,
    validation_fraction: float = 0.2,
    max_validation: int = 20_000,
    repetitions: int = DEFAULT_REPETITIONS,
    random_state: int = 0,
) -> tuple[AnchorPlan, Split]:
    """The anchor sizes and the splits of :func:`assess`, without any fit.

    Parameters
    ----------
    y : Series or ndarray of shape (n_rows,)
        Labels, no missing values.
    groups : array-like of shape (n_rows,), optional
        See :func:`assess`; with groups the sizes end at the smallest training pool
        that whole-group validation blocks leave.
    min_size, validation_fraction, max_validation, repetitions, random_state
        As for :func:`assess`.

    Returns
    -------
    plan : AnchorPlan
    split : Split

    Raises
    ------
    DataError
        Too few rows for a learning curve, or unusable ``groups`` (a missing value,
        fewer than ``audits.io.MIN_GROUPS``).
    InputError
        ``groups`` of another length than ``y``.
    """
    n_classes = int(pd.Series(np.asarray(y)).nunique())
    plan = plan_anchors(
        len(y),
        n_classes=n_classes,
        min_size=min_size,
        validation_fraction=validation_fraction,
        max_validation=max_validation,
        repetitions=repetitions,
    )
    group_of = _check_groups(groups, len(y))
    split = make_split(y, plan=plan, random_state=random_state, groups=group_of)
    if group_of is not None:
        plan = _fitted_to_split(plan, split, n_classes=n_classes, min_size=min_size)
    return plan, split


def _fitted_to_split(
    plan: AnchorPlan, split: Split, *, n_classes: int, min_size: int
) -> AnchorPlan:
    """``plan`` with its sizes ending at the smallest training pool of a grouped ``split``.

    Whole groups make the validation blocks a little larger or smaller than planned,
    and the pools with them; ``n_validation`` becomes the smallest block.
    """
    pool = min(len(order) for order in split.train_order)
    resized = plan_anchors(
        len(split.codes),
        n_classes=n_classes,
        min_size=min_size,
        validation_fraction=plan.n_validation / len(split.codes),
        max_validation=plan.n_validation,
        repetitions=plan.repetitions,
        max_size=pool,
    )
    return AnchorPlan(resized.sizes, min(len(v) for v in split.validation), plan.repetitions)


def _predicted_seconds(done: Sequence[AnchorMeasurement], size: int) -> float:
    """Wall time one more fit at ``size`` is expected to take, from the smaller ones.

    A power law in log-log space on the mean task time per size, with an exponent of
    at least 1 (fits do not get cheaper per row), so the guess errs on the long side.
    """
    if not done:
        return 0.0
    per_size: dict[int, list[float]] = {}
    for m in done:
        per_size.setdefault(m.size, []).append(m.task_seconds)
    sizes = sorted(per_size)
    return fit_cost_curve(
        sizes, [float(np.mean(per_size[s])) for s in sizes], min_exponent=1.0
    ).predict(size)


def measure_within_budget(
    X: pd.DataFrame,
    split: Split,
    plan: AnchorPlan,
    *,
    models: Sequence[str],
    metric: str,
    deadline: float | None,
    map_fn: MapFn = map,
    random_state: int = 0,
) -> tuple[dict[str, list[AnchorMeasurement]], dict[str, tuple[int, ...]]]:
    """Measure the planned anchors, skipping what would overrun a deadline.

    Sizes are measured smallest first. Without a deadline every fit goes through one
    ``map_fn`` call, so a process that fits side by side with others takes the next
    fit as soon as it is free (and a helper process that starts cold spends that on
    the small fits, not on the large ones whose times the cost curves extrapolate).
    With a deadline, before each size each model's fit time there is predicted
    from its smaller anchors, and a model whose repetitions would not finish before
    ``deadline`` (``time.perf_counter()`` clock) stops there; the fits of one size,
    over models and repetitions, go through ``map_fn`` together.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
    split : Split
    plan : AnchorPlan
    models : sequence of str
    metric : str
    deadline : float or None
        No limit when None.
    map_fn : callable, default=map
        ``map_fn(function, tasks)`` returns the measurements of the tasks, like ``map``.
    random_state : int, default=0

    Returns
    -------
    measurements : dict of str to list of AnchorMeasurement
        By size, then repetition.
    skipped : dict of str to tuple of int
        Planned sizes each model did not measure.
    """
    run = partial(measure_anchor, X, split, metric=metric, random_state=random_state)
    done: dict[str, list[AnchorMeasurement]] = {m: [] for m in models}
    skipped: dict[str, tuple[int, ...]] = {m: () for m in models}
    rounds = [plan.sizes] if deadline is None else [(size,) for size in plan.sizes]
    active = list(models)
    for i, sizes in enumerate(rounds):
        if deadline is not None and i > 0:
            planned = 0.0
            for model in list(active):
                cost = plan.repetitions * _predicted_seconds(done[model], sizes[0])
                if time.perf_counter() + planned + cost > deadline:
                    active.remove(model)
                    skipped[model] = plan.sizes[i:]
                else:
                    planned += cost
            if not active:
                break
        tasks = [
            AnchorTask(m, size, r)
            for size in sizes
            for m in active
            for r in range(plan.repetitions)
        ]
        for measurement in map_fn(run, tasks):
            done[measurement.model].append(measurement)
    return done, skipped


def assess(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    metric: str = "accuracy",
    at: Sequence[int] | None = None,
    target_score: float | None = None,
    budget_seconds: float | None = None,
    level: float = 0.9,
    repetitions: int = DEFAULT_REPETITIONS,
    min_size: int = 64,
    validation_fraction: float = 0.2,
    max_validation: int = 20_000,
    random_state: int = 0,
    map_fn: MapFn | None = None,
    n_jobs: int | None = None,
    groups: pd.Series | np.ndarray | None = None,
) -> SufficiencyResult:
    """Forecast how each model's score grows with more rows, and what it costs.

    Learning curves are measured on nested stratified subsets (geometric sizes, see
    :func:`~audits.sufficiency.plan_anchors`; several repetitions), extrapolated
    with :func:`extrapolate` (intervals calibrated on the model kind's own forecasts for
    the built-in kinds, on LCDB's learners for others), and read off for the score at
    the ``at`` sizes, the rows needed for ``target_score``, and the size at which the
    second model overtakes the first.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        Raw features.
    y : Series or ndarray of shape (n_rows,)
        Labels, no missing values, at least two classes.
    models : sequence of str, default=("classical", "deep")
        Model kinds for :func:`audits.models.make_model`; a crossover is reported for
        the second overtaking the first.
    metric : str, default="accuracy"
        ``accuracy``, ``balanced_accuracy``, ``macro_f1``, ``roc_auc`` or ``log_loss``.
    at : sequence of int, optional
        Training sizes to forecast at; 1, 2, 5 and 10 times ``n_rows`` by default.
    target_score : float, optional
        Score whose required rows are forecast for each model.
    budget_seconds : float, optional
        Wall-time budget of the whole forecast: an anchor is skipped when its predicted
        fit time would not fit in what is left (the smallest is always measured).
    level : float, default=0.9
        Nominal coverage of the intervals.
    repetitions : int, default=DEFAULT_REPETITIONS
        Fits per size (2).
    min_size : int, default=64
        Smallest training subset.
    validation_fraction : float, default=0.2
        Share of the rows held out for validation (at most ``max_validation``).
    max_validation : int, default=20_000
    random_state : int, default=0
    map_fn : callable, optional
        ``map_fn(function, tasks)`` runs anchor fits (Prefect ``task.map`` results, a
        cluster's map, ...): all of them in one call, or one size per call with a
        ``budget_seconds``. By default a :class:`~audits.sufficiency.FitPool` of
        ``n_jobs`` processes.
    n_jobs : int, optional
        Processes that fit anchors side by side when ``map_fn`` is None, this one
        included, each on one thread: every available core by default, 1 for one fit
        at a time in this process (on as many threads as the libraries take).
    groups : array-like of shape (n_rows,), optional
        Group of each row (a customer, a patient): validation rows and training
        subsets then hold whole groups (see :func:`~audits.sufficiency.make_split`),
        so the curves measure the score on groups never trained on, and the sizes
        grow by adding groups, as a dataset of more entities would.

    Returns
    -------
    SufficiencyResult

    Raises
    ------
    InputError, TargetError, DataError, ConfigError
        Bad data or options, with a one-line message.
    """
    started = time.perf_counter()
    X, y = _check_inputs(X, y)
    jobs = check_jobs(n_jobs)
    spec = check_options(
        metric=metric,
        target_score=target_score,
        budget_seconds=budget_seconds,
        random_state=random_state,
    )
    models, sizes = _check_options(models, at, len(y))
    plan, split = plan_curves(
        y,
        groups=groups,
        min_size=min_size,
        validation_fraction=validation_fraction,
        max_validation=max_validation,
        repetitions=repetitions,
        random_state=random_state,
    )
    deadline = None
    if budget_seconds is not None:
        reserve = min(_ANALYSIS_SHARE * budget_seconds, _ANALYSIS_SECONDS)
        deadline = started + budget_seconds - reserve
    with FitPool(1 if map_fn is not None else jobs) as pool:
        measured, skipped = measure_within_budget(
            X,
            split,
            plan,
            models=models,
            metric=metric,
            deadline=deadline,
            map_fn=pool.map if map_fn is None else map_fn,
            random_state=random_state,
        )
    forecasts, extrapolations = {}, {}
    for model in models:
        anchors = summarise_anchors(measured[model])
        ext = extrapolate(
            [a.n for a in anchors for _ in a.scores],
            [s for a in anchors for s in a.scores],
            at=sizes,
            train_scores=[s for a in anchors for s in a.train_scores],
            level=level,
            higher_is_better=spec.higher_is_better,
            best=spec.best,
            worst=spec.worst,
            calibration=load_calibration(model),
        )
        curves, costs = forecast_costs(anchors, sizes, fit_growth=FIT_GROWTH.get(model, "power"))
        extrapolations[model] = ext
        forecasts[model] = ModelForecast(
            anchors=anchors,
            family=ext.family,
            params=ext.params,
            forecast=ext.forecast,
            ceiling=ext.ceiling,
            diagnostics=ext.diagnostics,
            backtest=ext.backtest,
            costs=costs,
            cost_curves=curves,
            band=ext.points(np.geomspace(anchors[0].n, max(sizes), _BAND_POINTS)),
            skipped_sizes=skipped[model],
        )
    rows = None
    if target_score is not None:
        rows = {
            m: rows_for_target(
                extrapolations[m],
                float(target_score),
                measured={a.n: a.score for a in forecasts[m].anchors},
                horizon=HORIZON * len(y),
            )
            for m in models
        }
    cross = None
    if len(models) >= 2:
        cross = crossover(
            extrapolations[models[1]],
            extrapolations[models[0]],
            names=(models[1], models[0]),
            n_rows=len(y),
            factor=HORIZON,
        )
    return SufficiencyResult(
        metric=metric,
        higher_is_better=spec.higher_is_better,
        level=level,
        n_rows=len(y),
        n_validation=plan.n_validation,
        repetitions=plan.repetitions,
        n_groups=None if groups is None else int(pd.Series(np.asarray(groups)).nunique()),
        models=forecasts,
        rows_for_target=rows,
        crossover=cross,
        elapsed_seconds=time.perf_counter() - started,
        budget_seconds=None if budget_seconds is None else float(budget_seconds),
    )

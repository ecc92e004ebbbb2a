"""Learning-curve measurement: the anchor schedule, the splits, and one fit per anchor.

Each function is pure and works on one piece, so that an orchestrator can run the
fits of :func:`measure_anchor` as separate tasks: :func:`plan_anchors` chooses the
sizes, :func:`make_split` the validation rows and the nested training subsets,
:func:`measure_anchor` fits one model on one subset, and :func:`summarise_anchors`
averages the repetitions.
"""

from __future__ import annotations

import math
import pickle
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.errors import ConfigError, DataError
from audits.sufficiency._extrapolate import BACKTEST_ANCHORS, BACKTEST_RATIO, WINDOW
from audits.sufficiency._metrics import aligned_proba, get_metric
from audits.sufficiency._result import Anchor

__all__ = [
    "COARSE_STEP",
    "DEFAULT_REPETITIONS",
    "FINE_STEP",
    "LOAD_REPEATS",
    "N_SIZES",
    "AnchorMeasurement",
    "AnchorPlan",
    "AnchorTask",
    "Split",
    "anchor_step",
    "footprint",
    "make_split",
    "measure_anchor",
    "plan_anchors",
    "summarise_anchors",
]


FINE_STEP = math.sqrt(2.0)
"""Ratio between consecutive sizes of a short schedule (LCDB's own spacing)."""

COARSE_STEP = 2.0
"""Largest ratio between consecutive sizes."""

N_SIZES = 7
"""Sizes of a schedule that spans enough (see :func:`anchor_step`)."""

DEFAULT_REPETITIONS = 2
"""Fits per size (each with its own validation rows, subset order and model seed)."""

LOAD_REPEATS = 3
"""Unpickling times per fitted model; :func:`footprint` keeps the fastest."""


def anchor_step(ratio: float) -> float:
    """Ratio between consecutive sizes for a schedule from ``n`` to ``ratio * n`` rows.

    Fits of small subsets cost about as much as larger ones (fixed costs, and more
    epochs or boosting rounds before early stopping), so the number of fits, not the
    rows, sets the price of a forecast. A schedule has :data:`N_SIZES` sizes, spaced
    by ``ratio ** (1 / (N_SIZES - 1))`` (between :data:`FINE_STEP` and
    :data:`COARSE_STEP`), whenever that leaves the backtest of ``extrapolate`` its
    ``BACKTEST_ANCHORS`` anchors up to ``1 / BACKTEST_RATIO`` of the largest
    (``ratio >= 16``); a shorter one is spaced by :data:`FINE_STEP`.
    ``benchmarks/curve_families.py`` picks LCDB's sizes by the same rule before it
    calibrates the intervals.

    Parameters
    ----------
    ratio : float
        Largest size divided by the smallest.

    Returns
    -------
    float
    """
    steps = N_SIZES - 1
    enough = BACKTEST_RATIO ** (steps / (steps - (BACKTEST_ANCHORS - 1)))
    if ratio < enough * (1 - 1e-9):
        return FINE_STEP
    return float(np.clip(ratio ** (1 / steps), FINE_STEP, COARSE_STEP))


@dataclass(frozen=True)
class AnchorPlan:
    """Sizes of the training subsets and of the validation set.

    Attributes
    ----------
    sizes : tuple of int
        Increasing training-set sizes, a geometric schedule ending at the training pool.
    n_validation : int
        Rows held out for validation in each repetition.
    repetitions : int
        Number of repetitions (different validation rows, subsets and model seeds).
    """

    sizes: tuple[int, ...]
    n_validation: int
    repetitions: int


@dataclass(frozen=True)
class AnchorTask:
    """One fit to run: ``model`` trained on the first ``size`` rows of repetition ``rep``."""

    model: str
    size: int
    rep: int


@dataclass(frozen=True)
class AnchorMeasurement:
    """What one fit measured.

    Attributes
    ----------
    model : str
    size : int
    rep : int
    score : float
        Validation score.
    train_score : float
        Score on (up to ``n_validation`` of) the training rows; the gap to ``score``
        shows over-fitting.
    fit_seconds : float
    predict_seconds_per_row : float
        Wall time of one ``predict_proba`` call on the validation rows and the scored
        training rows, divided by their number.
    model_bytes : int
        Size of the pickled fitted model.
    load_seconds : float
        Time to unpickle it (the fastest of :data:`LOAD_REPEATS`, see :func:`footprint`).
    task_seconds : float
        Wall time of the whole measurement (fit, scoring, pickling).
    tree_fill, leaf_fill : float, optional
        For a boosted-tree model, its shares of the iteration and the leaf limits
        (see :func:`~audits.models.tree_shape`); None for other models.
    """

    model: str
    size: int
    rep: int
    score: float
    train_score: float
    fit_seconds: float
    predict_seconds_per_row: float
    model_bytes: int
    load_seconds: float
    task_seconds: float
    tree_fill: float | None = None
    leaf_fill: float | None = None


@dataclass(frozen=True, eq=False)
class Split:
    """Validation rows and nested, stratified training orders, one of each per repetition.

    Attributes
    ----------
    codes : ndarray of shape (n_rows,)
        Class index of every row (into ``labels``).
    labels : tuple of str
        The class labels, sorted.
    validation : tuple of ndarray
        Row positions of the validation set of each repetition.
    train_order : tuple of ndarray
        Row positions of the training pool of each repetition, in an order whose every
        prefix is stratified: the training subset of size ``s`` is its first ``s`` rows.
    """

    codes: np.ndarray
    labels: tuple[str, ...]
    validation: tuple[np.ndarray, ...]
    train_order: tuple[np.ndarray, ...]

    @property
    def n_classes(self) -> int:
        """Number of classes in the whole dataset."""
        return len(self.labels)


def plan_anchors(
    n_rows: int,
    *,
    n_classes: int = 2,
    min_size: int = 64,
    step: float | None = None,
    validation_fraction: float = 0.2,
    max_validation: int = 20_000,
    repetitions: int = DEFAULT_REPETITIONS,
    max_size: int | None = None,
) -> AnchorPlan:
    """Choose the training-set sizes and the validation size.

    Parameters
    ----------
    n_rows : int
        Labelled rows available.
    n_classes : int, default=2
        Number of classes (the validation set holds at least two rows of each).
    min_size : int, default=64
        Smallest training subset (lowered for small datasets, never below 16).
    step : float, optional
        Ratio between consecutive sizes; by default :func:`anchor_step` of the span.
        The smallest size is at least the largest over ``WINDOW`` (smaller anchors
        say little about the far end of the curve, and the extrapolation ignores them).
    validation_fraction : float, default=0.2
        Share of the rows held out for validation, at most ``max_validation`` rows.
    max_validation : int, default=20_000
    repetitions : int, default=DEFAULT_REPETITIONS
    max_size : int, optional
        Largest training subset; the whole training pool by default.

    Returns
    -------
    AnchorPlan
    """
    _check_int("n_rows", n_rows, low=1)
    _check_int("repetitions", repetitions, low=1)
    _check_int("min_size", min_size, low=2)
    if not 0.0 < validation_fraction < 1.0:
        raise ConfigError(
            f"`validation_fraction` must be in (0, 1); got {validation_fraction!r}",
            reason="validation_fraction",
        )
    if step is not None and not step > 1.0:
        raise ConfigError(f"`step` must be > 1; got {step!r}", reason="anchor_step")
    n_validation = int(min(max_validation, max(round(validation_fraction * n_rows), 2 * n_classes)))
    pool = n_rows - n_validation
    if max_size is not None:
        _check_int("max_size", max_size, low=2)
        pool = min(pool, max_size)
    smallest = max(16, min(min_size, pool // 8), math.ceil(pool / WINDOW))
    if n_rows < 64:
        raise DataError(
            f"too few labelled rows for a learning curve: {n_rows}; at least 64 are needed",
            reason="too_few_rows",
        )
    if pool < smallest:
        raise DataError(
            f"too few labelled rows for a learning curve of {n_classes} classes: {n_rows} rows "
            f"leave {max(pool, 0)} for training after a validation set of {n_validation}, "
            f"fewer than the smallest training size ({smallest})",
            reason="too_few_rows",
        )
    step = anchor_step(pool / smallest) if step is None else step
    n_steps = math.floor(math.log(pool / smallest) / math.log(step) + 1e-9)
    sizes = {round(smallest * step**k) for k in range(n_steps + 1)} | {pool}
    if len(sizes) > 1 and pool / max(s for s in sizes if s < pool) < step**0.5:
        sizes.discard(max(s for s in sizes if s < pool))
    return AnchorPlan(tuple(sorted(sizes)), n_validation, repetitions)


def _check_int(name: str, value: object, *, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigError(f"`{name}` must be an integer >= {low}; got {value!r}", reason=name)


def _stratified_order(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions ``0..len(codes)-1`` ordered so that every prefix is stratified.

    Rows of each class are shuffled and spread evenly over [0, 1); sorting by that key
    interleaves the classes in proportion. One row of each class goes first, so every
    prefix at least as long as the number of classes holds all of them.
    """
    key = np.empty(len(codes))
    for c in np.unique(codes):
        members = np.flatnonzero(codes == c)
        spread = (np.arange(len(members)) + rng.random()) / len(members)
        key[rng.permutation(members)] = spread
        key[members[np.argmin(key[members])]] = -1.0 - rng.random()
    return np.argsort(key, kind="stable")


def make_split(
    y: pd.Series | np.ndarray,
    *,
    plan: AnchorPlan,
    random_state: int = 0,
    groups: pd.Series | np.ndarray | None = None,
) -> Split:
    """Hold out stratified validation rows and order the rest, per repetition.

    The validation sets of the repetitions are consecutive blocks of one stratified
    order of all rows, so they are disjoint while the data allow; each repetition's
    training pool gets its own stratified order, and its training subsets are
    prefixes of that order (nested across sizes).

    With ``groups``, the same holds for whole groups: the orders are stratified
    orders of the groups (by each group's most frequent class), each group's rows
    together, so no group has rows on both sides of a validation split, and a
    training subset holds whole groups but the last. A validation block ends at the
    group boundary nearest to ``plan.n_validation`` rows.

    Parameters
    ----------
    y : Series or ndarray of shape (n_rows,)
        Labels (no missing values).
    plan : AnchorPlan
    random_state : int, default=0
    groups : array-like of shape (n_rows,), optional
        Group of each row (any hashable values, no missing value).

    Returns
    -------
    Split
    """
    labels, codes = np.unique(np.asarray(y).astype(str), return_inverse=True)
    rng = np.random.default_rng(random_state)
    n_rows, n_val = len(codes), plan.n_validation
    if groups is None:

        def ordered(rows: np.ndarray) -> np.ndarray:
            return rows[_stratified_order(codes[rows], rng)]

        def block(order: np.ndarray, start: int) -> np.ndarray:
            return order[(start + np.arange(n_val)) % n_rows]

    else:
        group_of = pd.factorize(np.asarray(groups))[0]

        def ordered(rows: np.ndarray) -> np.ndarray:
            return _grouped_order(codes, group_of, rows, rng)

        def block(order: np.ndarray, start: int) -> np.ndarray:
            return _group_block(order, group_of, start, n_val)

    order = ordered(np.arange(n_rows))
    blocks = [block(order, rep * n_val) for rep in range(plan.repetitions)]
    pools = [np.setdiff1d(np.arange(n_rows), b) for b in blocks]
    return Split(
        codes,
        tuple(str(v) for v in labels),
        tuple(np.sort(b) for b in blocks),
        tuple(ordered(pool) for pool in pools),
    )


def _grouped_order(
    codes: np.ndarray, group_of: np.ndarray, rows: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``rows`` (shape (k,)) ordered group by group, the groups in a stratified order.

    A group's class for the stratification is its most frequent one; its rows follow
    each other in a random order.
    """
    groups, local = np.unique(group_of[rows], return_inverse=True)
    counts = np.zeros((len(groups), int(codes.max()) + 1), dtype=int)
    np.add.at(counts, (local, codes[rows]), 1)
    rank = np.empty(len(groups), dtype=int)
    rank[_stratified_order(counts.argmax(axis=1), rng)] = np.arange(len(groups))
    return rows[np.lexsort((rng.random(len(rows)), rank[local]))]


def _group_block(order: np.ndarray, group_of: np.ndarray, start: int, size: int) -> np.ndarray:
    """Rows of ``order`` (all rows, shape (n_rows,), grouped) from the group holding
    position ``start`` on, cyclically, ending at the group boundary nearest to ``size``
    rows (at least one whole group)."""
    n_rows = len(order)
    firsts = np.flatnonzero(np.r_[True, np.diff(group_of[order]) != 0])  # each group's start
    begin = firsts[np.searchsorted(firsts, start % n_rows, side="right") - 1]
    ends = np.append(np.sort((firsts - begin) % n_rows)[1:], n_rows)
    return np.roll(order, -begin)[: int(ends[np.argmin(np.abs(ends - size))])]


def measure_anchor(
    X: pd.DataFrame,
    split: Split,
    task: AnchorTask,
    *,
    metric: str = "accuracy",
    random_state: int = 0,
) -> AnchorMeasurement:
    """Fit ``task.model`` on one training subset and measure score, time and size.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        Raw features (the model does its own preprocessing).
    split : Split
    task : AnchorTask
        Which model, subset size and repetition.
    metric : str, default="accuracy"
        See :data:`~audits.sufficiency.METRICS`.
    random_state : int, default=0
        Base seed; the model gets ``random_state + task.rep``.

    Returns
    -------
    AnchorMeasurement
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.exceptions import ConvergenceWarning

    from audits.models import make_model, tree_shape

    started = time.perf_counter()
    scorer = get_metric(metric).score
    rows = split.train_order[task.rep][: task.size]
    val = split.validation[task.rep]
    X_train, y_train = X.iloc[rows], split.codes[rows]
    # A subset of one class (a class of one or two rows in all) teaches nothing but that
    # class, and classifiers refuse it (or, like HistGradientBoosting, misreport it).
    model = (
        make_model(task.model, X, random_state=random_state + task.rep)
        if len(np.unique(y_train)) > 1
        else DummyClassifier(strategy="prior")
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        # a small subset of many classes: the labels are classes whatever sklearn guesses
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        t0 = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - t0
    seen = rows[: len(val)]
    scored = np.concatenate([val, seen])
    t0 = time.perf_counter()
    proba = aligned_proba(model, X.iloc[scored], split.n_classes)
    predict_seconds = time.perf_counter() - t0
    model_bytes, load_seconds = footprint(model)
    shape = tree_shape(model)
    return AnchorMeasurement(
        model=task.model,
        size=task.size,
        rep=task.rep,
        score=scorer(split.codes[val], proba[: len(val)]),
        train_score=scorer(split.codes[seen], proba[len(val) :]),
        fit_seconds=fit_seconds,
        predict_seconds_per_row=predict_seconds / len(scored),
        model_bytes=model_bytes,
        load_seconds=load_seconds,
        task_seconds=time.perf_counter() - started,
        tree_fill=None if shape is None else shape.tree_fill,
        leaf_fill=None if shape is None else shape.leaf_fill,
    )


def footprint(model: object, *, loads: int = LOAD_REPEATS) -> tuple[int, float]:
    """Pickled size of ``model`` in bytes, and the best of ``loads`` unpickling times.

    One load takes milliseconds, so a single timing is at the mercy of a garbage
    collection or a busy core; the fastest of a few is the model's own cost.
    """
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    seconds = []
    for _ in range(loads):
        started = time.perf_counter()
        pickle.loads(blob)
        seconds.append(time.perf_counter() - started)
    return len(blob), min(seconds)


def summarise_anchors(measurements: Iterable[AnchorMeasurement]) -> tuple[Anchor, ...]:
    """Average the repetitions of each size (one model's measurements) into anchors.

    Parameters
    ----------
    measurements : iterable of AnchorMeasurement
        All of one model.

    Returns
    -------
    tuple of Anchor
        One per size, increasing.
    """
    by_size: dict[int, list[AnchorMeasurement]] = {}
    for m in measurements:
        by_size.setdefault(m.size, []).append(m)
    anchors = []
    for size in sorted(by_size):
        group = by_size[size]
        scores = np.array([m.score for m in group])
        train = np.array([m.train_score for m in group])

        def mean(attr: str, group: list[AnchorMeasurement] = group) -> float:
            return float(np.mean([getattr(m, attr) for m in group]))

        shaped = all(m.tree_fill is not None for m in group)

        anchors.append(
            Anchor(
                n=size,
                score=float(scores.mean()),
                score_std=float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
                scores=tuple(float(s) for s in scores),
                train_score=float(train.mean()),
                train_scores=tuple(float(t) for t in train),
                fit_seconds=mean("fit_seconds"),
                predict_seconds_per_row=mean("predict_seconds_per_row"),
                model_bytes=round(mean("model_bytes")),
                load_seconds=mean("load_seconds"),
                tree_fill=mean("tree_fill") if shaped else None,
                leaf_fill=mean("leaf_fill") if shaped else None,
            )
        )
    return tuple(anchors)

"""What would rebalancing buy? Cross-validated balanced accuracy with and without it.

Every arm is the classical model of :func:`audits.models.make_model`, scored on the
same stratified folds:

``none``
    The model as it is.
``class_weight``
    The same model with ``class_weight="balanced"``, its numeric columns binned first as
    the model bins them without weights (:class:`_UnweightedBins`).
``random_oversampling``
    ``RandomOverSampler`` between the feature encoder and the model.
``smote``
    SMOTE (numeric features only), SMOTENC (numeric and categorical) or SMOTEN
    (categorical only) on the encoded features, missing values imputed first since
    nearest neighbours cannot use them.

Over-sampling raises every smaller class to the size of the largest one, unless that
would more than triple the training rows (many classes); then each smaller class is
raised to at most ``3 * n_rows / n_classes`` rows.

Under a time budget the arms run one after the other, ``none`` first, and an arm is
skipped when its predicted seconds would not fit in what is left: ``none``'s seconds
times the arm's growth of the training rows, times the largest ratio of measured to
predicted seconds among the arms already run. A fit's cost grows with its columns
more than with its rows (on 666 rows of 1,500 numeric columns the what-if took 74 s on
2 cores, on 2,000 rows 94-99 s), so a sample of fewer rows would not bound it.

The recommendation names the arm with the largest mean gain over ``none`` when that
gain is at least 0.01 and more than twice its standard error (corrected for the
overlap of the training folds); otherwise no arm beats ``none`` beyond its noise.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from time import perf_counter

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone

from audits.errors import DataError, InputError
from audits.imbalance._input import labelled_groups, labelled_rows
from audits.models import OTHER, column_kinds, make_model, stratified_folds

__all__ = ["ARMS", "ResamplingArm", "ResamplingWhatIf", "resampling_what_if"]

ARMS = ("none", "class_weight", "random_oversampling", "smote")
_LABELS = {
    "class_weight": "class weights",
    "random_oversampling": "random oversampling",
}
#: Over-sampling never makes the training rows more than this many times larger.
_MAX_GROWTH = 3.0
#: Classes are kept whole down to this many rows when the what-if data is subsampled.
_MIN_SAMPLED_CLASS = 50
#: Smallest gain in balanced accuracy worth recommending.
_MIN_GAIN = 0.01
#: Bins of a numeric column in HistGradientBoosting (its ``max_bins`` default).
_MAX_BINS = 255
_MISSING = "__missing__"


@dataclass(frozen=True)
class ResamplingArm:
    """Cross-validated balanced accuracy of one way of handling the imbalance.

    Attributes
    ----------
    name : str
        One of ``ARMS``.
    method : str
        What was run, e.g. ``"SMOTENC (k_neighbors=5)"``.
    scores : tuple of float
        Balanced accuracy on each fold (empty when skipped).
    mean, std : float or None
        Over the folds.
    gain : float or None
        Mean per-fold difference to the ``none`` arm.
    gain_se : float or None
        Standard error of ``gain``, corrected for the overlap of the training sets
        (Nadeau and Bengio): ``sqrt((1/k + 1/(k-1)) * var(differences))``.
    skipped : str
        Why the arm was not run; empty when it was.
    """

    name: str
    method: str
    scores: tuple[float, ...]
    mean: float | None
    std: float | None
    gain: float | None = None
    gain_se: float | None = None
    skipped: str = ""


@dataclass(frozen=True)
class ResamplingWhatIf:
    """Balanced accuracy with no resampling, class weights, random over-sampling and SMOTE.

    Attributes
    ----------
    arms : tuple of ResamplingArm
        In the order of ``ARMS``.
    n_rows : int
        Rows the what-if ran on.
    n_rows_total : int
        Labelled rows available.
    n_folds : int
    best_arm : str or None
        The rebalancing arm with the largest mean gain (None when none ran).
    best_gain : float or None
        Its gain over ``none``.
    recommendation : str
        One line, e.g. ``"rebalancing helps: +0.041 balanced accuracy with class weights"``.
    note : str
        How the data was subsampled, if it was.
    """

    arms: tuple[ResamplingArm, ...]
    n_rows: int
    n_rows_total: int
    n_folds: int
    best_arm: str | None
    best_gain: float | None
    recommendation: str
    note: str = ""


class _FillMissing(TransformerMixin, BaseEstimator):
    """Fill missing values of an encoded frame (the output of ``FrameEncoder``).

    Numeric columns get the training median; categorical ones the grouped-levels
    level ``"__other__"`` when they have it (a new level would exceed the 255 levels
    the trees take), else a new ``"__missing__"`` level.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> _FillMissing:
        """Learn the median of each numeric column of ``X`` (n_rows, n_features)."""
        numeric = X.select_dtypes("number")
        self.medians_ = numeric.median().fillna(0.0).to_dict()
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` (n_rows, n_features) with no missing values."""
        out = X.copy()
        for name in out.columns:
            if name in self.medians_:
                out[name] = out[name].fillna(self.medians_[name])
            else:
                col = out[name]
                level = OTHER if OTHER in col.cat.categories else _MISSING
                if level not in col.cat.categories:
                    col = col.cat.add_categories(level)
                out[name] = col.fillna(level)
        return out


class _UnweightedBins(TransformerMixin, BaseEstimator):
    """Bin the numeric columns of an encoded frame as HistGradientBoosting does unweighted.

    With sample weights (which ``class_weight`` becomes), scikit-learn 1.9 places each of
    the 254 bin edges of a column with more than 255 distinct values by a weighted
    percentile of its own; that made a fit of the trees 6-15 times slower than the same
    fit without weights on 4,000-16,000 rows of 20-200 columns, and about 70 times on
    480 rows of 1,500 columns (the whole what-if then took 10 minutes), nearly all of
    it in binning. This step replaces such a column by the index of its bin under the
    unweighted edges (the percentiles the model without weights takes), so the trees get
    at most 255 distinct values and bin them as they are: the class-weight arm splits on
    the bins of ``none`` and differs from it only by the weights, as in LightGBM, whose
    binning ignores weights.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> _UnweightedBins:
        """Learn the bin edges of each numeric column of ``X`` (n_rows, n_features)."""
        probs = np.linspace(0, 100, _MAX_BINS + 1)[1:-1]
        self.edges_: dict[str, np.ndarray] = {}
        for name in X.select_dtypes("number").columns:
            values = X[name].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            if len(np.unique(values)) > _MAX_BINS:
                edges = np.percentile(values, probs, method="averaged_inverted_cdf")
                self.edges_[name] = np.unique(edges)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` (n_rows, n_features) with each binned column as its bin indices (NaN kept)."""
        out = X.copy()
        for name, edges in self.edges_.items():
            values = out[name].to_numpy(dtype=float)
            bins = np.searchsorted(edges, values, side="left").astype(float)
            out[name] = np.where(np.isnan(values), np.nan, bins)
        return out


def _oversampling_targets(y: np.ndarray, *, min_count: int = 1) -> dict[object, int]:
    """Rows each smaller class is raised to (classes below ``min_count`` rows are left)."""
    counts = Counter(np.asarray(y).tolist())
    largest = max(counts.values())
    n_rows = sum(counts.values())
    cap = largest
    if largest * len(counts) > _MAX_GROWTH * n_rows:
        cap = max(int(_MAX_GROWTH * n_rows / len(counts)), 1)
    return {
        label: max(count, min(largest, cap))
        for label, count in counts.items()
        if min_count <= count < min(largest, cap)
    }


def _row_growth(name: str, codes: np.ndarray) -> float:
    """Training rows of arm ``name`` over those of ``none`` (over-sampling adds rows)."""
    if name not in ("random_oversampling", "smote"):
        return 1.0
    counts = Counter(codes.tolist())
    added = sum(target - counts[label] for label, target in _oversampling_targets(codes).items())
    return (len(codes) + added) / len(codes)


def _smallest_resampled_class(codes: np.ndarray, splits: list) -> int | None:
    """Fewest training rows of a class SMOTE would interpolate, over all folds (>= 2)."""
    smallest = None
    for train, _ in splits:
        targets = _oversampling_targets(codes[train], min_count=2)
        counts = Counter(codes[train].tolist())
        for label in targets:
            smallest = counts[label] if smallest is None else min(smallest, counts[label])
    return smallest


def _with_step(base: BaseEstimator, *steps: tuple[str, BaseEstimator]) -> BaseEstimator:
    """``base`` (a pipeline) with ``steps`` inserted before its final estimator."""
    from imblearn.pipeline import Pipeline

    return Pipeline([*base.steps[:-1], *steps, base.steps[-1]])


def _arm_estimator(
    name: str, X: pd.DataFrame, codes: np.ndarray, splits: list, random_state: int
) -> tuple[BaseEstimator | None, str]:
    """The estimator of arm ``name`` and what it is, or (None, why it cannot run)."""
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC, RandomOverSampler

    base = make_model("classical", X, random_state=random_state)
    if name == "none":
        return base, "no resampling"
    if name == "class_weight":
        keys = [k for k in base.get_params() if k.split("__")[-1] == "class_weight"]
        if not keys:
            return None, "the classical model has no class_weight parameter"
        weighted = _with_step(base, ("bins", _UnweightedBins())).set_params(**{keys[0]: "balanced"})
        return weighted, 'class_weight="balanced" on unweighted bins'
    if any(len(np.unique(codes[train])) < 2 for train, _ in splits):
        return None, "a training fold holds a single class; there is nothing to resample"
    if name == "random_oversampling":
        sampler = RandomOverSampler(
            sampling_strategy=_oversampling_targets, random_state=random_state
        )
        return _with_step(base, ("sampler", sampler)), "RandomOverSampler"
    smallest = _smallest_resampled_class(codes, splits)
    if smallest is None:
        single = bool(_oversampling_targets(codes))
        return None, (
            "every smaller class has a single training row in some fold; SMOTE needs 2"
            if single
            else "the classes are already balanced"
        )
    k_neighbors = min(5, smallest - 1)
    kinds = column_kinds(X)
    if not kinds.categorical:
        label, make_sampler = "SMOTE", SMOTE
    elif kinds.numeric or kinds.datetime:
        label, make_sampler = "SMOTENC", partial(SMOTENC, categorical_features="auto")
    else:
        label, make_sampler = "SMOTEN", SMOTEN
    sampler = make_sampler(
        sampling_strategy=partial(_oversampling_targets, min_count=k_neighbors + 1),
        k_neighbors=k_neighbors,
        random_state=random_state,
    )
    method = f"{label} (k_neighbors={k_neighbors}), missing values imputed first"
    return _with_step(base, ("fill", _FillMissing()), ("sampler", sampler)), method


def _subsample(y: pd.Series, max_rows: int, random_state: int) -> np.ndarray:
    """Row positions of a stratified sample of about ``max_rows`` rows.

    Every class is sampled at the same rate, but keeps at least
    ``min(its size, 50)`` rows so that small classes stay usable.
    """
    rate = max_rows / len(y)
    rng = np.random.default_rng(random_state)
    keep = []
    for _, positions in sorted(y.groupby(y, sort=True).indices.items()):
        size = min(len(positions), max(round(rate * len(positions)), _MIN_SAMPLED_CLASS))
        keep.append(rng.choice(positions, size=size, replace=False))
    return np.sort(np.concatenate(keep))


def _fit_score(
    X: pd.DataFrame, codes: np.ndarray, task: tuple[BaseEstimator, np.ndarray, np.ndarray]
) -> float:
    from sklearn.metrics import balanced_accuracy_score

    estimator, train, test = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = clone(estimator).fit(X.iloc[train], codes[train])
        return float(balanced_accuracy_score(codes[test], fitted.predict(X.iloc[test])))


def _summarise(
    names: tuple[str, ...], methods: dict[str, str], scores: dict[str, list[float]], k: int
) -> tuple[tuple[ResamplingArm, ...], str | None, float | None, str]:
    baseline = np.asarray(scores.get("none", []))
    arms = []
    for name in names:
        if name not in scores:
            arms.append(ResamplingArm(name, "", (), None, None, skipped=methods[name]))
            continue
        values = np.asarray(scores[name])
        gain = se = None
        if name != "none" and len(baseline):
            diff = values - baseline
            gain = float(diff.mean())
            se = float(math.sqrt((1 / k + 1 / (k - 1)) * diff.var(ddof=1)))
        arms.append(
            ResamplingArm(
                name,
                methods[name],
                tuple(float(v) for v in values),
                float(values.mean()),
                float(values.std(ddof=1)),
                gain,
                se,
            )
        )
    ran = [a for a in arms if a.gain is not None]
    if not ran:
        why = next((f": {a.skipped}" for a in arms if a.skipped), "")
        return (
            tuple(arms),
            None,
            None,
            f"no rebalancing arm could be compared to no resampling{why}",
        )
    best = max(ran, key=lambda a: a.gain)
    label = _LABELS.get(best.name, best.method.split(" ")[0])
    if best.gain >= _MIN_GAIN and best.gain > 2 * best.gain_se:
        line = f"rebalancing helps: {best.gain:+.3f} balanced accuracy with {label}"
    else:
        line = (
            f"no arm beats no resampling by more than its noise (best: {label}, "
            f"{best.gain:+.3f} +- {best.gain_se:.3f})"
        )
    return tuple(arms), best.name, best.gain, line


def _fit_arms(
    fit_score: Callable[[tuple], float],
    tasks: dict[str, list[tuple]],
    *,
    growth: dict[str, float],
    budget_seconds: float | None,
    map_fn: Callable[[Callable, Iterable], Iterable],
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """The fold scores of each arm, and why arms were skipped for the budget.

    ``tasks`` maps each arm, ``none`` first, to its (estimator, train, test) fits and
    ``growth`` to its :func:`_row_growth`. Without a budget every fit goes to ``map_fn``
    at once, the widest fan-out; with one, the arms go one at a time and an arm
    predicted not to fit in what is left is skipped (see the module docstring).
    """
    if budget_seconds is None:
        flat = [(name, task) for name, arm in tasks.items() for task in arm]
        scores: dict[str, list[float]] = {}
        for (name, _), score in zip(flat, map_fn(fit_score, [t for _, t in flat]), strict=True):
            scores.setdefault(name, []).append(score)
        return scores, {}
    scores, skipped = {}, {}
    started = perf_counter()
    none_seconds, slowdown = 0.0, 1.0
    for name, arm in tasks.items():
        predicted = none_seconds * growth[name] * slowdown
        left = budget_seconds - (perf_counter() - started)
        if name != "none" and predicted > left:
            skipped[name] = (
                f"predicted to take {predicted:.0f} s, more than the {max(left, 0.0):.0f} s "
                f"left of the what-if's {budget_seconds:g} s budget"
            )
            continue
        begun = perf_counter()
        scores[name] = list(map_fn(fit_score, arm))
        seconds = perf_counter() - begun
        if name == "none":
            none_seconds = seconds
        elif predicted > 0:
            slowdown = max(slowdown, seconds * slowdown / predicted)
    return scores, skipped


def resampling_what_if(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    arms: tuple[str, ...] = ARMS,
    n_folds: int = 5,
    max_rows: int = 20_000,
    random_state: int = 0,
    budget_seconds: float | None = None,
    map_fn: Callable[[Callable, Iterable], Iterable] = map,
    groups: pd.Series | np.ndarray | None = None,
) -> ResamplingWhatIf:
    """Cross-validated balanced accuracy of the classical model under each rebalancing arm.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        Raw features.
    y : Series of shape (n_rows,)
        Labels; unlabelled rows are dropped.
    arms : tuple of str, default=ARMS
        Which arms to run; ``"none"`` is always run, as the baseline.
    n_folds : int, default=5
        Stratified folds, the same for every arm (fewer when the largest class is smaller).
    max_rows : int, default=20000
        Run on a stratified sample of about this many rows when there are more
        (each class keeps at least ``min(its size, 50)`` rows).
    random_state : int, default=0
        Seed of the sample, the folds, the samplers and the model.
    budget_seconds : float, optional
        Wall-time budget: the arms then run one at a time, and an arm predicted not to
        fit in what is left is skipped (``none`` always runs; see the module docstring).
        By default every fit is handed to ``map_fn`` at once.
    map_fn : callable, default=map
        ``map_fn(fit_score, tasks)`` over (arm, fold) fits; pass a parallel map to fan out.
    groups : array-like of shape (n_rows,), optional
        Group of each row: the folds keep each group's rows together.

    Returns
    -------
    ResamplingWhatIf

    Raises
    ------
    InputError
        Unknown arm, bad ``X``/``y``, ``max_rows`` or ``budget_seconds``.
    DataError
        Too few rows for two folds.
    """
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise InputError(f"`arms` must be among {', '.join(ARMS)}; got {', '.join(unknown)}")
    if max_rows < 2 * n_folds:
        raise InputError(f"`max_rows` must be at least {2 * n_folds}; got {max_rows}")
    if budget_seconds is not None and not 0 < budget_seconds < math.inf:
        raise InputError(f"`budget_seconds` must be a positive number; got {budget_seconds!r}")
    group_of = labelled_groups(groups, y)
    X, y = labelled_rows(X, y)
    kinds = column_kinds(X)
    if not (kinds.numeric or kinds.categorical or kinds.datetime):
        raise DataError("`X` must have a column that is not all missing", reason="no_features")
    n_total = len(y)
    note = ""
    if n_total > max_rows:
        rows = _subsample(y, max_rows, random_state)
        X, y = X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)
        group_of = None if group_of is None else group_of[rows]
        note = (
            f"stratified sample of {len(y)} of {n_total} labelled rows "
            f"(classes under {_MIN_SAMPLED_CLASS} rows kept whole)"
        )
    _, codes = np.unique(y.to_numpy(dtype=str), return_inverse=True)
    splits = stratified_folds(codes, n_folds=n_folds, random_state=random_state, groups=group_of)
    names = ("none", *[a for a in ARMS if a in arms and a != "none"])
    methods: dict[str, str] = {}
    tasks = {}
    for name in names:
        estimator, methods[name] = _arm_estimator(name, X, codes, splits, random_state)
        if estimator is not None:
            tasks[name] = [(estimator, train, test) for train, test in splits]
    scores, skipped = _fit_arms(
        partial(_fit_score, X, codes),
        tasks,
        growth={name: _row_growth(name, codes) for name in tasks},
        budget_seconds=budget_seconds,
        map_fn=map_fn,
    )
    methods.update(skipped)
    arm_results, best, gain, line = _summarise(names, methods, scores, len(splits))
    return ResamplingWhatIf(
        arms=arm_results,
        n_rows=len(y),
        n_rows_total=n_total,
        n_folds=len(splits),
        best_arm=best,
        best_gain=gain,
        recommendation=line,
        note=note,
    )

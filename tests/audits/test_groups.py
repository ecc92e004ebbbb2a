"""Grouped rows: every split keeps a group's rows on one side.

The data leak by construction: each group has one label, drawn at random, and a
feature that tells its rows apart from other groups'. A model can only learn which
group a row belongs to, so on groups it never saw it scores at chance (0.5), while a
split that puts rows of one group on both sides scores far above it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.errors import DataError, InputError
from audits.imbalance import resampling_what_if
from audits.io import read_dataset
from audits.labels import audit_labels
from audits.models import out_of_fold, stratified_folds
from audits.sufficiency import assess
from audits.sufficiency._anchors import make_split, plan_anchors

N_GROUPS, PER_GROUP = 300, 8


@pytest.fixture(scope="module")
def leaky() -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(N_GROUPS), PER_GROUP)
    centre = rng.normal(size=(N_GROUPS, 2))
    label = rng.integers(0, 2, N_GROUPS)
    X = pd.DataFrame(
        centre[groups] + rng.normal(scale=0.02, size=(len(groups), 2)), columns=["a", "b"]
    )
    y = pd.Series(np.where(label[groups] == 1, "yes", "no"))
    return X, y, groups


def _uneven_groups(n_rows: int, seed: int) -> np.ndarray:
    """Groups of 1 to 30 rows, shuffled over the rows."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 31, size=n_rows)
    return rng.permutation(np.repeat(np.arange(n_rows), sizes)[:n_rows])


def test_split_keeps_every_group_on_one_side():
    rng = np.random.default_rng(1)
    n_rows = 2_000
    groups = _uneven_groups(n_rows, 1)
    y = rng.choice(["a", "b", "c"], size=n_rows, p=[0.6, 0.3, 0.1])
    plan = plan_anchors(n_rows, n_classes=3)
    split = make_split(y, plan=plan, random_state=3, groups=groups)
    largest_group = np.bincount(groups).max()
    for validation, order in zip(split.validation, split.train_order, strict=True):
        assert not set(groups[validation]) & set(groups[order])
        assert len(validation) + len(order) == n_rows
        assert abs(len(validation) - plan.n_validation) <= largest_group / 2
        # a prefix holds whole groups but its last: the groups come one after another
        starts = np.flatnonzero(np.diff(groups[order]) != 0) + 1
        assert len(starts) + 1 == len(set(groups[order]))
    first, second = split.validation
    assert not set(groups[first]) & set(groups[second])


def test_one_row_groups_give_validation_blocks_of_the_planned_size():
    """Group boundaries after every row: the blocks end exactly at ``n_validation``."""
    y = np.random.default_rng(2).choice(["a", "b"], size=500)
    plan = plan_anchors(500)
    split = make_split(y, plan=plan, random_state=4, groups=np.arange(500))
    first, second = split.validation
    assert len(first) == len(second) == plan.n_validation
    assert not set(first) & set(second)
    assert sorted(np.concatenate([first, split.train_order[0]])) == list(range(500))


def test_grouped_folds_hold_whole_groups():
    groups = _uneven_groups(600, 5)
    codes = np.random.default_rng(5).integers(0, 2, 600)
    folds = stratified_folds(codes, n_folds=5, random_state=0, groups=groups)
    assert len(folds) == 5
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
    few = stratified_folds(codes, n_folds=5, random_state=0, groups=np.arange(600) % 3)
    assert len(few) == 3  # lowered to the number of groups


def test_out_of_fold_accuracy_is_chance_on_unseen_groups(leaky):
    X, y, groups = leaky
    mixed = out_of_fold(X, y, random_state=0)
    grouped = out_of_fold(X, y, random_state=0, groups=groups)
    assert (mixed.predicted == mixed.labels).mean() > 0.85
    assert abs((grouped.predicted == grouped.labels).mean() - 0.5) < 0.08


def test_what_if_folds_keep_groups_apart(leaky):
    X, y, groups = leaky
    kwargs = {"arms": ("none",), "random_state": 0}
    mixed = resampling_what_if(X, y, **kwargs).arms[0].mean
    grouped = resampling_what_if(X, y, groups=groups, **kwargs).arms[0].mean
    assert mixed > 0.85
    assert abs(grouped - 0.5) < 0.08


def test_learning_curve_on_unseen_groups_shows_no_gain(leaky):
    """Mixed rows show a curve climbing to 0.9; whole groups show that nothing is learnt."""
    X, y, groups = leaky
    kwargs = {"models": ("classical",), "n_jobs": 1, "random_state": 0}
    mixed = assess(X, y, **kwargs)
    grouped = assess(X, y, groups=groups, **kwargs)
    assert mixed.models["classical"].anchors[-1].score > 0.85
    assert mixed.n_groups is None
    assert grouped.n_groups == N_GROUPS
    scores = [a.score for a in grouped.models["classical"].anchors]
    assert max(abs(s - 0.5) for s in scores) < 0.1
    (point, *_) = grouped.models["classical"].forecast
    assert point.score < 0.62
    largest = grouped.models["classical"].anchors[-1].n
    assert largest <= len(y) - grouped.n_validation


@pytest.mark.parametrize(
    ("groups", "error", "message"),
    [
        (np.arange(10), InputError, "one value per row"),
        (np.where(np.arange(N_GROUPS * PER_GROUP) < 5, None, 1), DataError, "5 missing values"),
        (np.arange(N_GROUPS * PER_GROUP) % 4, DataError, "has 4 groups"),
    ],
    ids=["length", "missing", "too-few"],
)
def test_assess_refuses_unusable_groups(leaky, groups, error, message):
    X, y, _ = leaky
    with pytest.raises(error, match=message):
        assess(X, y, models=("classical",), groups=groups, n_jobs=1)


def test_read_dataset_keeps_the_group_column_out_of_the_features(tmp_path, leaky):
    X, y, groups = leaky
    path = tmp_path / "data.parquet"
    X.assign(person=groups.astype(str), label=y.where(np.arange(len(y)) % 50 != 0)).to_parquet(path)
    dataset = read_dataset(str(path), target="label", groups="person")
    assert list(dataset.X.columns) == ["a", "b"]
    features, labels = dataset.labelled()
    assert list(features.columns) == ["a", "b"]
    assert len(dataset.labelled_groups()) == len(labels) == int(y.notna().sum()) - len(y) // 50
    assert read_dataset(str(path), target="label").labelled_groups() is None


@pytest.mark.parametrize(
    ("groups", "frame_groups", "error", "message"),
    [
        ("nobody", None, InputError, "group column 'nobody' not found"),
        ("label", None, InputError, "cannot be the target"),
        ("person", lambda g: np.where(np.arange(len(g)) == 7, None, g), DataError, "1 missing"),
        ("person", lambda g: g % 3, DataError, "3 groups"),
    ],
    ids=["missing-column", "the-target", "missing-values", "too-few"],
)
def test_read_dataset_refuses_unusable_group_columns(
    tmp_path, leaky, groups, frame_groups, error, message
):
    X, y, person = leaky
    values = person if frame_groups is None else frame_groups(person)
    path = tmp_path / "data.parquet"
    X.assign(person=pd.Series(values, dtype=object).astype("string"), label=y).to_parquet(path)
    with pytest.raises(error, match=message):
        read_dataset(str(path), target="label", groups=groups)


def test_conflicting_labels_are_found_across_groups(tmp_path):
    """Two persons with the same features and different labels conflict, whoever they are."""
    rows = 40
    frame = pd.DataFrame(
        {
            "x": np.arange(rows) % 20,
            "person": np.arange(rows),
            "label": np.where(np.arange(rows) < 20, "a", "b"),
        }
    )
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    audit, _ = audit_labels(read_dataset(str(path), target="label", groups="person"), None)
    assert audit.labelling.n_conflicting_rows == rows

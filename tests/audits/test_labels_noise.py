"""Label noise: injected flips of known size are found, and odd class layouts do not crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits._serde import from_jsonable, to_jsonable
from audits.errors import DataError
from audits.gx import load_suites, validate
from audits.labels import ISSUE_COLUMNS, LabelAudit, audit_labels, find_label_noise
from audits.labels._noise import signal_auc
from audits.models import OutOfFold, out_of_fold

N_ROWS = 900
N_FLIPS = 90


@pytest.fixture(scope="module")
def noisy_blobs() -> tuple[pd.DataFrame, np.ndarray]:
    """Three far-apart Gaussian blobs; exactly 90 of 900 labels moved to another class."""
    rng = np.random.default_rng(0)
    true = np.repeat(np.arange(3), N_ROWS // 3)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = pd.DataFrame(centers[true] + rng.normal(size=(N_ROWS, 2)), columns=["x1", "x2"])
    X["colour"] = rng.choice(["red", "blue"], size=N_ROWS)
    given = true.copy()
    flipped = rng.choice(N_ROWS, size=N_FLIPS, replace=False)
    given[flipped] = (true[flipped] + rng.integers(1, 3, size=N_FLIPS)) % 3
    frame = X.assign(label=np.array(["ant", "bee", "cat"], dtype=object)[given])
    is_flip = np.zeros(N_ROWS, dtype=bool)
    is_flip[flipped] = True
    return frame, is_flip


@pytest.fixture(scope="module")
def noisy_audit(noisy_blobs):
    frame, _ = noisy_blobs
    oof = out_of_fold(frame.drop(columns="label"), frame["label"], model="logistic")
    return audit_labels(frame, oof, target="label")


def test_injected_noise_is_found(noisy_blobs, noisy_audit):
    _, is_flip = noisy_blobs
    audit, issues = noisy_audit
    flagged = issues["is_issue"].to_numpy()
    recall = (flagged & is_flip).sum() / N_FLIPS
    precision = (flagged & is_flip).sum() / flagged.sum()
    assert recall >= 0.9
    assert precision >= 0.9
    assert abs(audit.noise.noise_rate - N_FLIPS / N_ROWS) <= 0.02
    assert audit.noise.n_issues == flagged.sum()
    assert audit.facts()["label_noise_rate"] == pytest.approx(flagged.mean())


def test_issue_table_and_worst_rows(noisy_blobs, noisy_audit):
    frame, _ = noisy_blobs
    audit, issues = noisy_audit
    assert tuple(issues.columns) == ISSUE_COLUMNS
    assert len(issues) == N_ROWS
    assert issues["row"].tolist() == list(range(N_ROWS))
    assert (issues["given_label"].to_numpy() == frame["label"].to_numpy()).all()
    flagged = issues[issues["is_issue"]]
    assert (flagged["suggested_label"] != flagged["given_label"]).all()
    worst = audit.noise.worst
    assert len(worst) == min(50, len(flagged))
    qualities = [w.label_quality for w in worst]
    assert qualities == sorted(qualities)
    assert qualities[-1] <= flagged["label_quality"].nsmallest(len(worst)).max()


def test_noise_matrix_and_per_class_are_consistent(noisy_audit):
    audit, issues = noisy_audit
    noise = audit.noise
    matrix = np.array(noise.noise_matrix)
    assert matrix.shape == (3, 3)
    assert matrix.sum() == N_ROWS
    assert matrix.sum() - np.trace(matrix) == noise.n_issues
    for i, cls in enumerate(noise.per_class):
        assert cls.n_rows == matrix[i].sum() == (issues["given_label"] == cls.label).sum()
        assert cls.noise_rate == pytest.approx(cls.n_issues / cls.n_rows)
        assert not cls.small
    assert audit.facts()["max_class_label_noise_rate"] == max(c.noise_rate for c in noise.per_class)


def test_pair_noise_shows_in_the_matrix():
    """Class a -> b flips land in row b, column a of the noise matrix."""
    rng = np.random.default_rng(1)
    n = 600
    true = np.repeat([0, 1, 2], n // 3)
    proba = np.full((n, 3), 0.025)
    proba[np.arange(n), true] = 0.95
    given = true.copy()
    flipped = rng.choice(np.flatnonzero(true == 0), size=40, replace=False)
    given[flipped] = 1
    oof = OutOfFold(proba, given, ("a", "b", "c"), np.arange(n) % 5, 5, (), "test")
    noise, issues = find_label_noise(oof)
    assert noise.noise_matrix[1][0] == 40
    assert noise.n_issues == 40
    assert set(np.flatnonzero(issues["is_issue"])) == set(flipped)
    assert noise.per_class[1].likely_true_label == "a"
    assert noise.per_class[2].likely_true_label is None


def test_missing_labels_are_left_out_and_rows_keep_frame_positions(noisy_blobs):
    frame, _ = noisy_blobs
    frame = frame.head(300).copy()
    frame.loc[[5, 17, 200], "label"] = None
    labelled = frame["label"].notna()
    oof = out_of_fold(
        frame[labelled].drop(columns="label"), frame.loc[labelled, "label"], model="logistic"
    )
    audit, issues = audit_labels(frame, oof, target="label")
    assert audit.labelling.n_missing == 3
    assert audit.noise.n_rows == 297
    assert not {5, 17, 200} & set(issues["row"])
    assert issues["row"].iloc[5] == 6


def test_single_row_and_small_classes_are_reported_not_crashed():
    rng = np.random.default_rng(2)
    n = 200
    X = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    y = pd.Series(np.where(X["x"] > 0, "big", "other"), dtype=object)
    y.iloc[0] = "lonely"
    y.iloc[[1, 2, 3]] = "few"
    oof = out_of_fold(X, y, model="logistic")
    audit, issues = audit_labels(X.assign(y=y), oof, target="y")
    small = {c.label: c for c in audit.noise.per_class if c.small}
    assert set(small) == {"lonely", "few"}
    assert audit.noise.small_classes == ("few", "lonely")
    assert small["lonely"].n_rows == 1
    rates = [c.noise_rate for c in audit.noise.per_class if not c.small]
    assert audit.facts()["max_class_label_noise_rate"] == max(rates)
    assert len(issues) == n


def test_two_hundred_classes():
    rng = np.random.default_rng(3)
    k, per_class, n_flips = 200, 20, 200
    true = np.repeat(np.arange(k), per_class)
    n = len(true)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), true] += 7.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    given = true.copy()
    flipped = rng.choice(n, size=n_flips, replace=False)
    given[flipped] = (true[flipped] + rng.integers(1, k, size=n_flips)) % k
    classes = tuple(f"c{i:03d}" for i in range(k))
    oof = OutOfFold(proba, given, classes, np.arange(n) % 5, 5, (), "test")
    noise, issues = find_label_noise(oof, max_examples=7)
    assert len(noise.noise_matrix) == k and len(noise.per_class) == k
    assert len(noise.worst) == 7
    flagged = issues["is_issue"].to_numpy()
    assert flagged[flipped].sum() / flagged.sum() >= 0.95
    # With few rows per class, confident learning undercounts (per-class thresholds are
    # noisy): here it finds about two thirds of the flips.
    assert 0.5 * n_flips / n <= noise.noise_rate <= 1.1 * n_flips / n


def _oof(proba, labels):
    proba = np.asarray(proba, dtype=float)
    k = proba.shape[1]
    return OutOfFold(
        proba, np.asarray(labels), tuple("abcd"[:k]), np.arange(len(labels)) % 2, 2, (), "t"
    )


def test_signal_auc_known_answers():
    labels = [0, 0, 1, 1]
    assert signal_auc(_oof([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]], labels)) == 1.0
    assert signal_auc(_oof([[0.1, 0.9], [0.4, 0.6], [0.7, 0.3], [0.8, 0.2]], labels)) == 0.0
    assert signal_auc(_oof([[0.5, 0.5]] * 4, labels)) == 0.5
    # 3 classes: a ranked perfectly (1); b above the a rows, tied with the c rows
    # ((2 + 2 / 2) / 4 = 0.75), and c likewise: mean 5/6.
    three = [[0.8, 0.1, 0.1], [0.8, 0.1, 0.1], [0.1, 0.45, 0.45], [0.1, 0.45, 0.45]]
    three += [[0.1, 0.45, 0.45], [0.1, 0.45, 0.45]]
    assert signal_auc(_oof(three, [0, 0, 1, 1, 2, 2])) == pytest.approx(5 / 6)


def test_shuffled_labels_are_weak_signal_not_clean_labels(noisy_blobs, noisy_audit):
    """Random labels: confident learning's count means nothing; the signal check fails."""
    frame, _ = noisy_blobs
    shuffled = frame.assign(label=np.random.default_rng(5).permutation(frame["label"].to_numpy()))
    oof = out_of_fold(shuffled.drop(columns="label"), shuffled["label"], model="logistic")
    weak, _ = audit_labels(shuffled, oof, target="label")
    strong, _ = noisy_audit
    assert abs(weak.noise.signal_auc - 0.5) < 0.06 and weak.noise.weak_signal
    # 10% of the labels flipped, far-apart blobs: the ranking of the other 90% is perfect.
    assert strong.noise.signal_auc > 0.85 and not strong.noise.weak_signal
    statuses = {}
    for name, audit in (("weak", weak), ("strong", strong)):
        result = validate(frame, audit.facts(), load_suites(), parameters={"target": "label"})
        [outcome] = [o for o in result.outcomes if o.column == "label_signal_auc"]
        assert outcome.observed == pytest.approx(audit.noise.signal_auc)
        statuses[name] = outcome.status
    assert statuses == {"weak": "failed", "strong": "passed"}


def test_result_round_trips_through_json(noisy_audit):
    audit, _ = noisy_audit
    assert from_jsonable(LabelAudit, to_jsonable(audit)) == audit


def test_without_oof_only_labelling_is_audited(noisy_blobs):
    frame, _ = noisy_blobs
    audit, issues = audit_labels(frame, None, target="label")
    assert audit.noise is None
    assert issues.empty and tuple(issues.columns) == ISSUE_COLUMNS
    facts = audit.facts()
    assert set(facts) >= {"label_noise_rate", "max_class_label_noise_rate", "label_signal_auc"}
    assert facts["label_noise_rate"] is None and facts["max_class_label_noise_rate"] is None
    assert facts["label_signal_auc"] is None


def test_oof_of_other_rows_is_rejected(noisy_blobs):
    frame, _ = noisy_blobs
    small = frame.head(100)
    oof = out_of_fold(small.drop(columns="label"), small["label"], model="logistic")
    with pytest.raises(DataError, match="labelled rows"):
        audit_labels(frame.head(120), oof, target="label")
    shuffled = small.iloc[::-1].reset_index(drop=True)
    with pytest.raises(DataError, match="in order"):
        audit_labels(shuffled, oof, target="label")

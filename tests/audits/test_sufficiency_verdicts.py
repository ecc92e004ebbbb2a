"""Rows for a target score and crossovers, read off curves with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from audits.sufficiency import crossover, extrapolate, rows_for_target

SIZES = np.round(64 * np.sqrt(2) ** np.arange(11)).astype(int)  # 64 .. 2048


def curve(a, b, *, sd=0.002, seed=0):
    rng = np.random.default_rng(seed)
    mean = a - b * SIZES.astype(float) ** -0.5
    return extrapolate(SIZES, mean[:, None] + rng.normal(0, sd, (len(SIZES), 3)), at=[len(SIZES)])


def test_rows_for_a_reachable_target():
    ext = curve(0.95, 3.0)  # reaches 0.91 at (3 / 0.04) ** 2 = 5,625 rows
    rows = rows_for_target(ext, 0.91, measured={}, horizon=1e6)
    assert rows.status == "forecast"
    assert rows.low <= 5_625 <= rows.high
    assert 5_625 / 2 < rows.n < 5_625 * 2
    assert rows.message.startswith("about")


def test_the_optimistic_end_is_never_a_size_already_measured_short_of_the_target():
    ext = curve(0.80, 1.0)  # 0.778 at 2,048 rows
    last = ext.interval.features.n_last
    score, _, high = ext.band(np.array([last]))
    target = float(score[0] + high[0]) / 2  # within the interval at the last size
    rows = rows_for_target(ext, target, measured={int(last): float(score[0])}, horizon=1e6)
    assert rows.status in {"unreachable", "forecast"}
    assert rows.low is not None and rows.low > last


def test_target_above_the_ceiling_is_unreachable():
    ext = curve(0.80, 1.0)
    rows = rows_for_target(ext, 0.97, measured={}, horizon=1e6)
    assert rows.status == "unreachable"
    assert rows.n is None
    assert rows.message.startswith("not reachable: the curve levels off at 0.7")
    assert rows.ceiling == pytest.approx(0.80, abs=0.02)


def test_target_already_reached_at_a_measured_size():
    ext = curve(0.92, 1.5)
    rows = rows_for_target(ext, 0.70, measured={64: 0.69, 128: 0.75}, horizon=1e6)
    assert (rows.status, rows.n) == ("reached", 128)


def test_crossover_of_two_known_curves():
    incumbent = curve(0.85, 1.0, seed=1)
    challenger = curve(0.95, 7.0, seed=2)  # equal at (6 / 0.1) ** 2 = 3,600 rows
    cross = crossover(challenger, incumbent, names=("deep", "classical"), n_rows=2_500)
    assert cross.status == "forecast"
    assert cross.low <= 3_600 <= (cross.high or np.inf)
    assert 3_600 / 2 < cross.n < 3_600 * 2
    assert cross.horizon == 250_000
    assert cross.message.startswith(f"deep overtakes classical at about {cross.n:,} rows")


def test_a_crossover_whose_interval_is_the_whole_range_is_not_told_apart():
    """0.86 - 2/sqrt(n) against 0.85 - 1/sqrt(n): equal at 10,000 rows, but after 2,048
    rows the curves differ by less than their intervals all the way to 100x."""
    challenger, incumbent = curve(0.86, 2.0, sd=0.005, seed=2), curve(0.85, 1.0, sd=0.005, seed=1)
    cross = crossover(challenger, incumbent, names=("deep", "classical"), n_rows=2_500)
    assert (cross.status, cross.low, cross.high) == ("forecast", 2_048, None)
    assert cross.message == (
        f"deep and classical are not told apart: the point forecasts cross at about "
        f"{cross.n:,} rows, but the crossover could be anywhere from 2,048 to beyond "
        "250,000 rows"
    )


def test_no_crossover_within_100x_and_already_ahead():
    weak = curve(0.70, 1.0, seed=3)
    strong = curve(0.90, 1.0, seed=4)
    none = crossover(weak, strong, names=("deep", "classical"), n_rows=2_500)
    assert none.status == "none"
    assert none.message.startswith("no crossover within 100x the current data (250,000 rows)")
    assert ")(" not in none.message and ") (" not in none.message  # one aside, not two
    ahead = crossover(strong, weak, names=("deep", "classical"), n_rows=2_500)
    assert ahead.status == "ahead"


def test_level_curves_have_no_crossover_whichever_is_ahead_by_a_hair():
    """Two draws of one curve cross by chance: that is no crossover (TIE_MARGIN)."""
    first, second = curve(0.85, 1.0, seed=5), curve(0.85, 1.0, seed=6)
    for challenger, incumbent in ((first, second), (second, first)):
        level = crossover(challenger, incumbent, names=("deep", "classical"), n_rows=2_500)
        assert (level.status, level.n, level.low, level.high) == ("level", None, None, None)
        assert level.message == (
            "no crossover: deep and classical stay within 0.005 of each other up to "
            "250,000 rows (100x the current data)"
        )
    ahead = crossover(curve(0.86, 1.0, seed=5), second, names=("deep", "classical"), n_rows=2_500)
    assert ahead.status == "ahead"  # by 0.01: more than the margin

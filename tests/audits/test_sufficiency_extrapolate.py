"""extrapolate(): known curves land inside the intervals, shapes are diagnosed."""

from __future__ import annotations

import numpy as np
import pytest

from audits._serde import from_jsonable, to_jsonable
from audits.errors import ConfigError, InputError
from audits.sufficiency import Extrapolation, extrapolate

SIZES = np.round(128 * np.sqrt(2) ** np.arange(11)).astype(int)  # 128 .. 4096


def noisy(curve, *, sd=0.004, reps=3, seed=0):
    rng = np.random.default_rng(seed)
    return curve(SIZES)[:, None] + rng.normal(0, sd, (len(SIZES), reps))


def pow3(n):
    return 0.92 - 1.5 * np.asarray(n, dtype=float) ** -0.5


def test_known_power_law_is_forecast_within_bounds():
    at = [8_192, 40_960]
    ext = extrapolate(SIZES, noisy(pow3), at=at)
    for point, n in zip(ext.forecast, at, strict=True):
        assert point.low <= pow3(n) <= point.high
        assert abs(point.score - pow3(n)) < 0.01
        assert point.low < point.score < point.high <= 1.0
    assert ext.diagnostics == ()
    assert ext.family in {"pow3", "pow4", "mmf4", "wbl4"}
    assert ext.ceiling == pytest.approx(0.92, abs=0.02)
    assert set(ext.backtest) == {"pow3", "pow4", "mmf4", "wbl4"}


def test_the_point_is_the_chosen_curve_and_the_interval_is_skewed_upwards():
    """Real curves beat their extrapolation more often than not: the interval says so."""
    at = [8_192, 40_960]
    ext = extrapolate(SIZES, noisy(pow3), at=at)
    np.testing.assert_allclose([p.score for p in ext.forecast], ext.curve.predict(np.array(at)))
    for point in ext.forecast:
        assert point.high - point.score > 1.5 * (point.score - point.low) > 0


def test_intervals_widen_with_the_extrapolation_ratio():
    ext = extrapolate(SIZES, noisy(pow3), at=[4_096 * r for r in (2, 8, 32, 100)])
    widths = [p.high - p.low for p in ext.forecast]
    assert widths == sorted(widths)
    assert ext.codes == ()


def test_repeated_sizes_equal_a_two_dimensional_scores_array():
    scores = noisy(pow3, seed=3)
    wide = extrapolate(SIZES, scores, at=[20_000])
    long = extrapolate(np.repeat(SIZES, 3), scores.ravel(), at=[20_000])
    assert wide.forecast == long.forecast


def test_flat_curve_is_diagnosed_and_forecast_flat():
    scores = noisy(lambda n: np.full(len(n), 0.61), sd=0.01, seed=1)
    ext = extrapolate(SIZES, scores, at=[40_960])
    assert "flat" in ext.codes
    (point,) = ext.forecast
    assert abs(point.score - 0.61) < 0.02
    assert point.low < 0.61 < point.high
    assert abs(ext.ceiling - 0.61) < 0.03


def test_peaking_curve_is_diagnosed():
    def peak(n):
        x = np.log2(np.asarray(n, dtype=float) / 128)
        return 0.8 - 0.004 * (x - 2) ** 2

    ext = extrapolate(SIZES, noisy(peak, sd=0.002), at=[8_192])
    assert "peaking" in ext.codes


def test_too_few_anchors_fall_back_to_the_last_value():
    ext = extrapolate([100, 200, 400], [0.6, 0.7, 0.75], at=[4_000])
    assert ext.codes == ("too_few_anchors",)
    assert ext.family == "last"
    assert ext.params == {"value": pytest.approx(0.75)}
    assert ext.forecast[0].low < ext.forecast[0].high


def test_loss_curves_are_handled_with_lower_is_better():
    def loss(n):
        return 0.3 + 4.0 * np.asarray(n, dtype=float) ** -0.5

    ext = extrapolate(SIZES, noisy(loss), at=[40_960], higher_is_better=False)
    (point,) = ext.forecast
    assert 0.0 <= point.low <= loss(40_960) <= point.high
    assert point.score < loss(4_096)
    assert ext.ceiling == pytest.approx(0.3, abs=0.03)


def test_beyond_calibration_is_flagged():
    ext = extrapolate(SIZES, noisy(pow3), at=[4_096 * 1_000])
    assert "beyond_calibration" in ext.codes


def test_result_round_trips_through_json():
    ext = extrapolate(SIZES, noisy(pow3), at=[10_000, 50_000])
    again = from_jsonable(Extrapolation, to_jsonable(ext))
    assert again.forecast == ext.forecast
    np.testing.assert_allclose(again.band([1e5])[1], ext.band([1e5])[1])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"at": [0]}, ConfigError, "`at` must be"),
        ({"at": [1_000], "level": 0.99}, ConfigError, "`level` must be"),
        ({"at": [1_000], "families": ("pow9",)}, ConfigError, "`families` must be"),
    ],
)
def test_bad_options_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        extrapolate(SIZES, noisy(pow3), **kwargs)


def test_bad_anchors_raise():
    with pytest.raises(InputError, match="`scores` must have shape"):
        extrapolate([1, 2, 3], [0.5, 0.6], at=[10])
    with pytest.raises(InputError, match="`sizes` must be finite"):
        extrapolate([0, 2, 3], [0.5, 0.6, 0.7], at=[10])
    with pytest.raises(InputError, match="`scores` must be finite"):
        extrapolate([1, 2, 3], [0.5, np.inf, 0.7], at=[10])
    with pytest.raises(InputError, match="`sizes` and `scores` must be numbers"):
        extrapolate([1, 2, 3], ["a", "b", "c"], at=[10])
    sizes = [64, 128, 256, 512, 1024]
    with pytest.raises(InputError, match="worst and best scores, 0 and 1; got 0.5 to 1.2"):
        extrapolate(sizes, [0.5, 0.6, 0.8, 1.0, 1.2], at=[2048])
    with pytest.raises(InputError, match="`train_scores` must lie between"):
        extrapolate(sizes, [0.5] * 5, train_scores=[-0.1] * 5, at=[2048])
    with pytest.raises(InputError, match="0 and inf; got -0.2 to 0.6"):
        extrapolate(sizes, [0.6, 0.5, 0.4, 0.3, -0.2], at=[2048], higher_is_better=False)


def test_a_falling_training_curve_caps_the_ceiling():
    def rising(n):  # log-linear: unbounded by itself, pow3 runs to the best score
        return 0.60 + 0.02 * np.log2(np.asarray(n, dtype=float) / 128)

    def falling(n):
        return 0.90 - 0.01 * np.log2(np.asarray(n, dtype=float) / 128)

    free = extrapolate(SIZES, noisy(rising, sd=0.002), at=[400_000])
    capped = extrapolate(
        SIZES, noisy(rising, sd=0.002), at=[400_000], train_scores=noisy(falling, sd=0.002)
    )
    assert capped.ceiling <= falling(4_096) + 0.01 < free.ceiling
    assert capped.forecast[0].score < free.forecast[0].score
    # a training score that still rises (an under-fitted model) bounds nothing
    still_rising = extrapolate(
        SIZES, noisy(rising, sd=0.002), at=[400_000], train_scores=noisy(rising, sd=0.002) + 0.05
    )
    assert still_rising.ceiling == pytest.approx(free.ceiling)

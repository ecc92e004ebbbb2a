"""Interval calibration: LCDB's, and refitted ones for the built-in model kinds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import audits.sufficiency._model_calibration_data as model_data
from audits.errors import ConfigError
from audits.sufficiency import assess, extrapolate
from audits.sufficiency._calibration import load_calibration
from audits.sufficiency._result import FEATURES

SIZES = 64.0 * 2.0 ** np.arange(8)


@pytest.fixture
def factors(monkeypatch):
    """``classical``: LCDB's scale, half of its lower reach and a quarter of its upper one."""
    coef = dict(zip(FEATURES, load_calibration().coef, strict=True))
    table = {
        "source": "test",
        "level": 0.9,
        "models": {
            "classical": {"coef": coef, "low": 0.5, "high": 0.25, "pairs": 1, "datasets": 1}
        },
    }
    monkeypatch.setattr(model_data, "MODEL_CALIBRATION", table)


def test_a_built_in_kind_scales_each_end_of_lcdb(factors):
    lcdb, own = load_calibration(), load_calibration("classical")
    np.testing.assert_allclose(
        own.quantile_curve(0.05), np.multiply(lcdb.quantile_curve(0.05), 0.5)
    )
    np.testing.assert_allclose(
        own.quantile_curve(0.95), np.multiply(lcdb.quantile_curve(0.95), 0.25)
    )
    assert (own.coef, own.ratios, own.probs) == (lcdb.coef, lcdb.ratios, lcdb.probs)
    assert "for 'classical'" in own.source


def test_other_models_keep_lcdb(factors):
    assert load_calibration("pkg.module:make") == load_calibration()
    assert load_calibration("deep") == load_calibration()


def test_a_refit_needs_every_coefficient_and_positive_factors():
    lcdb = load_calibration()
    with pytest.raises(ConfigError, match="factors"):
        lcdb.refitted(coef=lcdb.coef, low=0.0, high=1.0, source="x")
    with pytest.raises(ConfigError, match="coefficients"):
        lcdb.refitted(coef=lcdb.coef[:-1], low=1.0, high=1.0, source="x")


def test_refitted_coefficients_change_the_scale():
    """An intercept larger by log 2 doubles both ends' distance from the forecast."""
    lcdb = load_calibration()
    wider = lcdb.refitted(
        coef=(lcdb.coef[0] + np.log(2.0), *lcdb.coef[1:]), low=1.0, high=1.0, source="x"
    )
    scores = 0.9 - 0.3 * SIZES**-0.5 + np.random.default_rng(0).normal(0, 0.003, len(SIZES))
    base, twice = (extrapolate(SIZES, scores, at=[20_000], calibration=c) for c in (lcdb, wider))
    np.testing.assert_allclose(twice.offsets([20_000]), np.multiply(base.offsets([20_000]), 2.0))


def test_the_committed_factors_cover_the_default_models():
    table = model_data.MODEL_CALIBRATION
    assert table["level"] == 0.9
    for kind in ("classical", "deep"):
        entry = table["models"][kind]
        assert set(entry["coef"]) == set(FEATURES)
        assert entry["low"] > 0 and entry["high"] > 0 and entry["datasets"] >= 100


def test_assess_puts_the_models_own_intervals_around_the_same_forecast(factors):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1_200, 4)), columns=list("abcd"))
    noise = rng.random(1_200) < 0.2  # accuracy stays near 0.8: the intervals are not clipped
    y = pd.Series(np.where((X.a + X.b > 0) ^ noise, "yes", "no"))
    model = assess(X, y, models=("classical",), at=(12_000,)).models["classical"]
    lcdb = extrapolate(
        [a.n for a in model.anchors for _ in a.scores],
        [s for a in model.anchors for s in a.scores],
        train_scores=[s for a in model.anchors for s in a.train_scores],
        at=(12_000,),
        calibration=load_calibration(),
    )
    (own,), (base,) = model.forecast, lcdb.forecast
    assert 0.05 < base.low < base.high < 0.95
    assert own.score == pytest.approx(base.score, abs=1e-12)
    assert own.score - own.low == pytest.approx(0.5 * (base.score - base.low), rel=1e-9)
    assert own.high - own.score == pytest.approx(0.25 * (base.high - base.score), rel=1e-9)

"""Curve families and their fit: known parameters are recovered, bounds hold."""

from __future__ import annotations

import numpy as np
import pytest

from audits.sufficiency import FAMILIES, fit_curve

SIZES = np.round(64 * np.sqrt(2) ** np.arange(11))  # 64 .. 2048


@pytest.mark.parametrize(
    ("family", "truth"),
    [
        ("pow3", lambda n: 0.9 - 2.0 * n**-0.5),
        ("pow4", lambda n: 0.85 - 3.0 * (n + 200.0) ** -0.6),
        ("mmf4", lambda n: (0.3 * 500.0 + 0.92 * n**0.8) / (500.0 + n**0.8)),
        ("wbl4", lambda n: 0.88 - (0.88 - 0.4) * np.exp(-0.02 * n**0.6)),
    ],
)
def test_each_family_extrapolates_its_own_noiseless_curve(family, truth):
    fit = fit_curve(SIZES, truth(SIZES), family=family, upper=1.0)
    far = np.array([20_480.0])
    assert fit.family == family
    assert fit.rmse < 1e-3
    assert abs(fit.predict(far)[0] - truth(far)[0]) < 0.005


def test_pow3_recovers_known_parameters():
    fit = fit_curve(SIZES, 0.9 - 2.0 * SIZES**-0.5, family="pow3", upper=1.0)
    params = fit.params
    assert params["a"] == pytest.approx(0.9, abs=2e-3)
    assert params["b"] == pytest.approx(2.0, rel=0.05)
    assert params["c"] == pytest.approx(0.5, abs=0.01)
    assert fit.ceiling == pytest.approx(0.9, abs=2e-3)


@pytest.mark.parametrize("exponent", [0.01, 4.0])
def test_the_refinement_leaves_the_grid_for_an_optimum_beyond_it(exponent):
    """The pow3 grid spans exponents 0.02 to 3; the bounds allow 0.005 to 5."""
    gap = 0.3 * (SIZES / SIZES[0]) ** -exponent
    fit = fit_curve(SIZES, 0.9 - gap, family="pow3", upper=1.0)
    assert fit.params["c"] == pytest.approx(exponent, rel=0.02)
    assert fit.rmse < 1e-4


def test_asymptote_respects_the_upper_bound_and_gain_is_non_negative():
    rising = 0.999 - 5.0 * SIZES**-0.2  # would extrapolate past 1 without the bound
    for family in FAMILIES:
        fit = fit_curve(SIZES, rising, family=family, upper=0.995)
        assert fit.asymptote <= 0.995 + 1e-9
        assert fit.gain >= 0.0
    falling = 0.8 + 0.001 * np.log(SIZES)[::-1]
    assert fit_curve(SIZES, falling, family="pow3", upper=1.0).gain == pytest.approx(0.0)


def test_last_is_the_weighted_mean_at_the_largest_size():
    sizes = np.array([10.0, 20.0, 20.0])
    fit = fit_curve(sizes, np.array([0.5, 0.7, 0.8]), family="last")
    assert fit.predict(np.array([1e6]))[0] == pytest.approx(0.75)
    assert fit.params == {"value": pytest.approx(0.75)}


def test_standard_parameters_reproduce_the_fitted_curve():
    n = SIZES
    formulas = {
        "pow3": lambda p: p["a"] - p["b"] * n ** -p["c"],
        "pow4": lambda p: p["a"] - p["b"] * (n + p["d"]) ** -p["c"],
        "mmf4": lambda p: (p["a"] * p["b"] + p["c"] * n ** p["d"]) / (p["b"] + n ** p["d"]),
        "wbl4": lambda p: p["c"] - (p["c"] - p["a"]) * np.exp(-p["b"] * n ** p["d"]),
    }
    y = 0.9 - 2.0 * n**-0.5 + 0.002 * np.sin(n)
    for family, formula in formulas.items():
        fit = fit_curve(n, y, family=family, upper=1.0)
        np.testing.assert_allclose(formula(fit.params), fit.predict(n), atol=1e-9)

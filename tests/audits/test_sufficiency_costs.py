"""Cost curves: known power laws and lines are recovered; footprints keep the fastest load."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from audits.errors import ConfigError
from audits.sufficiency import (
    ITERATION_GROWTH,
    CostCurve,
    fill_cost_curve,
    fit_cost_curve,
    forecast_costs,
)
from audits.sufficiency._anchors import footprint
from audits.sufficiency._result import Anchor

SIZES = np.array([250.0, 500, 1000, 2000, 4000, 8000])


def _anchor(n: float, **costs: float | None) -> Anchor:
    """An anchor of ``n`` rows scoring 0.8 with the given costs (and tree shares)."""
    return Anchor(
        n=int(n),
        score=0.8,
        score_std=0.0,
        scores=(0.8,),
        train_score=0.9,
        train_scores=(0.9,),
        **costs,
    )


def test_a_power_law_is_recovered_from_the_larger_half():
    values = 2e-4 * SIZES**1.3
    values[:3] *= 5  # fixed costs swamp the small anchors: ignored
    curve = fit_cost_curve(SIZES, values)
    assert curve.exponent == pytest.approx(1.3)
    assert curve.coef == pytest.approx(2e-4)
    assert curve.predict(80_000) == pytest.approx(2e-4 * 80_000**1.3)


def test_a_line_keeps_the_fixed_cost_that_flattens_a_power_law():
    values = 0.2 + 1e-4 * SIZES  # 0.2 s per fit, then 0.1 ms per row
    line = fit_cost_curve(SIZES, values, growth="linear")
    assert (line.fixed, line.coef, line.exponent) == pytest.approx((0.2, 1e-4, 1.0))
    assert line.predict(80_000) == pytest.approx(8.2)
    power = fit_cost_curve(SIZES, values)
    assert power.exponent < 0.8
    assert power.predict(80_000) < 0.7 * 8.2  # what the deep model's forecasts suffered


def test_a_line_never_goes_negative():
    falling = fit_cost_curve(SIZES, 3.0 - 1e-4 * SIZES, growth="linear")
    assert (falling.coef, falling.fixed) == (0.0, pytest.approx(np.mean(3.0 - 1e-4 * SIZES[3:])))
    steep = fit_cost_curve(SIZES, np.maximum(1e-3 * SIZES - 1.5, 0.1), growth="linear")
    assert steep.fixed == 0.0 and steep.coef > 0
    assert steep.predict(0) == 0.0
    single = fit_cost_curve([1000], [0.5], growth="linear")  # one size: in proportion
    assert single.predict(4000) == pytest.approx(2.0)
    with pytest.raises(ConfigError, match="`growth` must be"):
        fit_cost_curve(SIZES, SIZES, growth="cubic")


def test_forecast_costs_draws_only_the_fit_seconds_as_a_line():
    anchors = [
        _anchor(
            n,
            fit_seconds=0.2 + 1e-4 * n,
            predict_seconds_per_row=1e-6 * n**0.5,
            model_bytes=round(1000 + 10 * n),
            load_seconds=1e-3,
        )
        for n in SIZES
    ]
    curves, (cost,) = forecast_costs(anchors, [80_000], fit_growth="linear")
    assert curves["fit_seconds"] == CostCurve(
        coef=pytest.approx(1e-4), exponent=1.0, fixed=pytest.approx(0.2)
    )
    assert cost.fit_seconds == pytest.approx(8.2)
    assert curves["predict_seconds_per_row"].exponent == pytest.approx(0.5)
    assert curves["predict_seconds_per_row"].fixed == 0.0
    assert cost.load_seconds == pytest.approx(1e-3)


def test_footprint_keeps_the_fastest_of_its_loads(monkeypatch):
    import time

    import audits.sufficiency._anchors as anchors

    delays = iter([0.06, 0.01, 0.03])
    monkeypatch.setattr(anchors.pickle, "loads", lambda blob: time.sleep(next(delays)))
    size, seconds = footprint({"weights": list(range(100))}, loads=3)
    assert size > 100
    assert 0.01 <= seconds < 0.03


def _tree_anchors(sizes: np.ndarray, *, tree_growth: float = ITERATION_GROWTH) -> list[Anchor]:
    """Anchors of a boosted-tree model whose leaves fill up at 1,500 rows (sizes (m,))."""
    tree_fill = 0.1 * (sizes / 1000) ** tree_growth
    leaf_fill = np.minimum(1.0, sizes / 1500)
    return [
        _anchor(
            n,
            fit_seconds=1e-4 * n,
            predict_seconds_per_row=1e-6,
            model_bytes=round(5000 + 400_000 * t * leaf),
            load_seconds=1e-4 + 0.02 * t * leaf,
            tree_fill=float(t),
            leaf_fill=float(leaf),
        )
        for n, t, leaf in zip(sizes, tree_fill, leaf_fill, strict=True)
    ]


SMALL = np.array([125.0, 175, 250, 350, 500, 700, 1000])  # the leaves still growing


def test_a_tree_models_size_stops_growing_with_its_leaves():
    true_bytes = 5000 + 400_000 * 0.1 * 80**ITERATION_GROWTH  # full leaves at 80,000 rows
    curves, (cost,) = forecast_costs(_tree_anchors(SMALL), [80_000])
    assert cost.model_bytes == pytest.approx(true_bytes, rel=1e-4)  # bytes are rounded
    assert len(curves["model_bytes"].fills) == 2
    assert curves["fit_seconds"].fills == curves["load_seconds"].fills == ()
    plain = fit_cost_curve(SMALL, [a.model_bytes for a in _tree_anchors(SMALL)])
    assert plain.predict(80_000) > 10 * true_bytes  # what a power law through them says


def test_a_tree_models_iterations_grow_at_the_measured_rate_up_to_max_iter():
    """The anchors' own iteration trend is not extrapolated; ``max_iter`` caps the rest."""
    steep = forecast_costs(_tree_anchors(SMALL, tree_growth=0.8), [80_000])[0]["model_bytes"]
    (trees, leaves) = steep.fills
    assert trees.exponent == ITERATION_GROWTH and leaves.exponent == pytest.approx(1.0)
    curve = fill_cost_curve(SMALL, [1.0] * 7, tree_fill=SMALL / 2000, leaf_fill=SMALL / 1000)
    assert curve.fills[0].predict(1e9) > 1  # beyond max_iter: capped at 1
    assert curve.predict(1e9) == pytest.approx(curve.predict(1e8))


def test_anchors_without_tree_shares_keep_the_power_law():
    anchors = [replace(a, tree_fill=None) for a in _tree_anchors(SIZES)]
    curves, _ = forecast_costs(anchors, [80_000])
    assert curves["model_bytes"].fills == ()
    assert curves["model_bytes"] == fit_cost_curve(SIZES, [a.model_bytes for a in anchors])

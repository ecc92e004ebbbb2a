"""The PyTorch example of a model named by import path (``examples/skorch_net.py``).

torch and skorch are no dependencies of the product: without them these tests are
reported as skipped, and ``.ci/run`` installs both to run them.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch", reason="needs torch and skorch: pip install -e '.[torch]'")
pytest.importorskip("skorch", reason="needs torch and skorch: pip install -e '.[torch]'")

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def skorch_net(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import skorch_net

    return skorch_net


def _frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """``y`` is "yes" exactly when ``x + (z == "b") > 0.5``; ``w`` is noise, with gaps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.choice(["a", "b", "c"], size=n)
    w = rng.normal(size=n)
    w[rng.random(n) < 0.1] = np.nan
    X = pd.DataFrame({"x": x, "z": z, "w": w})
    return X, pd.Series(np.where(x + (z == "b") > 0.5, "yes", "no"))


def test_the_net_learns_a_known_rule_and_survives_a_pickle(skorch_net):
    X, y = _frame(600)
    threads = torch.get_num_threads()
    model = skorch_net.make_net(X, random_state=3).fit(X[:400], y[:400])
    assert torch.get_num_threads() == threads  # its one thread was given back
    proba = model.predict_proba(X[400:])
    assert proba.shape == (200, 2) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert list(model.classes_) == ["no", "yes"]
    assert (model.predict(X[400:]) == y[400:].to_numpy()).mean() > 0.9
    np.testing.assert_allclose(pickle.loads(pickle.dumps(model)).predict_proba(X[400:]), proba)
    again = skorch_net.make_net(X, random_state=3).fit(X[:400], y[:400])
    np.testing.assert_allclose(again.predict_proba(X[400:]), proba)  # seeded


def test_a_class_of_one_row_trains_without_early_stopping(skorch_net):
    X, y = _frame(60)
    y = y.copy()
    y.iloc[0] = "rare"
    model = skorch_net.TorchMLP(max_epochs=7).fit(X, y)
    assert len(model.net_.history) == 7  # every epoch: no stratified split to stop on
    assert model.predict_proba(X).shape == (60, 3)


def test_the_forecast_measures_it_by_import_path(skorch_net):
    from audits.sufficiency import assess

    X, y = _frame(400)
    result = assess(X, y, models=("logistic", "skorch_net:make_net"), n_jobs=1, at=(800,))
    net = result.models["skorch_net:make_net"]
    assert [a.n for a in net.anchors] == [a.n for a in result.models["logistic"].anchors]
    assert net.anchors[-1].score > 0.85  # the rule is learnable from a few hundred rows
    (point,) = net.forecast
    assert point.low <= point.score <= point.high
    assert result.crossover.challenger == "skorch_net:make_net"

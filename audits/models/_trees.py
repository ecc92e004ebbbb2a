"""How close a fitted boosted-tree model comes to its limits on trees and leaves.

A HistGradientBoosting tree has at most ``max_leaf_nodes`` leaves and at least
``min_samples_leaf`` rows per leaf, so on small training sets its leaves grow in
proportion to the rows and its pickled size with them; once the trees are full, the
size grows only with the number of iterations that early stopping keeps, up to
``max_iter``. The sufficiency forecast reads both shares from the anchors' models to
forecast the size of a model trained on more rows (see
:func:`~audits.sufficiency.forecast_costs`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

__all__ = ["TreeShape", "tree_shape"]


class TreeShape(NamedTuple):
    """Shares of a fitted model's limits: of ``max_iter`` and of ``max_leaf_nodes``."""

    tree_fill: float
    leaf_fill: float


def tree_shape(model: object) -> TreeShape | None:
    """The :class:`TreeShape` of a fitted HistGradientBoosting model, or None.

    Parameters
    ----------
    model : estimator
        Fitted; a ``HistGradientBoostingClassifier`` with a leaf limit, possibly the
        last step of a pipeline and wrapped in an ``estimator_`` attribute (as
        :class:`~audits.models.EarlyStoppingGuard` does). Anything else gives None.

    Returns
    -------
    TreeShape or None
        ``tree_fill``: iterations run over ``max_iter``; ``leaf_fill``: mean leaves per
        tree over ``max_leaf_nodes``; both in ``(0, 1]``.
    """
    while isinstance(model, Pipeline) or hasattr(model, "estimator_"):
        model = model[-1] if isinstance(model, Pipeline) else model.estimator_
    if not isinstance(model, HistGradientBoostingClassifier) or not model.max_leaf_nodes:
        return None
    # The fitted trees have no public accessor; ``_predictors`` is one list per iteration.
    leaves = [tree.get_n_leaf_nodes() for per_class in model._predictors for tree in per_class]
    return TreeShape(
        tree_fill=model.n_iter_ / model.max_iter,
        leaf_fill=float(np.mean(leaves)) / model.max_leaf_nodes,
    )

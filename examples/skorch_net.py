"""A PyTorch net as a model of the sufficiency forecast, through skorch.

Not part of the product: torch and skorch are never its dependencies. Install them
beside it (``pip install -e '.[torch]'``, or the CPU build of torch first:
``pip install torch --index-url https://download.pytorch.org/whl/cpu``), then name
the factory by import path::

    PYTHONPATH=examples audits forecast data.parquet --target y \\
        --models classical,skorch_net:make_net

or ``models = ["classical", "skorch_net:make_net"]`` under a dataset of a config file.
The forecast calls ``make_net(X, random_state=...)`` once per anchor fit and fits
what it returns on the raw feature frame, so the estimator brings its own
preprocessing: here the product's encoders (the built-in deep model's), then a
two-hidden-layer net with early stopping on a stratified tenth of the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit
from torch import nn

from audits.models import DenseEncoder, FrameEncoder

__all__ = ["TorchMLP", "make_net"]


def make_net(X: pd.DataFrame, *, random_state: int = 0) -> TorchMLP:
    """The factory the forecast calls: an unfitted :class:`TorchMLP`.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        Raw features; not used to shape this net (it sizes itself when fitted).
    random_state : int, default=0
        Seed of the weights, the batches and the early-stopping split.
    """
    return TorchMLP(random_state=random_state)


class _Net(nn.Module):
    """Dense layers with ReLU between them; the last one gives one logit per class."""

    def __init__(self, n_inputs: int, n_classes: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for width in hidden:
            layers += [nn.Linear(n_inputs, width), nn.ReLU()]
            n_inputs = width
        layers.append(nn.Linear(n_inputs, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.layers(X)


class TorchMLP(ClassifierMixin, BaseEstimator):
    """A skorch net on the product's dense encoding of a raw feature frame.

    Parameters
    ----------
    hidden : tuple of int, default=(128, 64)
        Widths of the hidden layers.
    max_epochs : int, default=200
    patience : int, default=10
        Epochs without a lower validation loss before training stops.
    lr : float, default=1e-3
        Adam's learning rate.
    n_threads : int, default=1
        Torch threads while fitting and predicting. A net this small gains little from
        more, and the forecast fits several side by side: with torch's default (one
        per core) a fit of 3,000 rows took 51 s here instead of 2.8 s on a busy machine.
    random_state : int, default=0

    Notes
    -----
    Like the built-in deep model, a subset of fewer than 2,000 rows trains on batches
    of a tenth of its rows (at least 8), so that its epochs are about 10 optimiser
    steps whatever its size; a subset whose stratified tenth cannot hold every class
    trains for ``max_epochs`` without early stopping.
    """

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (128, 64),
        max_epochs: int = 200,
        patience: int = 10,
        lr: float = 1e-3,
        n_threads: int = 1,
        random_state: int = 0,
    ) -> None:
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr = lr
        self.n_threads = n_threads
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: object) -> TorchMLP:
        """Fit on ``X`` (n_rows, n_features) and labels ``y`` (n_rows,)."""
        self.encoder_ = make_pipeline(
            FrameEncoder(max_levels=1000, min_frequency=5),
            DenseEncoder(max_levels=32, min_frequency=5),
        )
        dense = self.encoder_.fit_transform(X).astype(np.float32)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        counts = np.bincount(codes)
        stops = counts.min() >= 2 and len(codes) // 10 >= len(counts)
        torch.manual_seed(self.random_state)
        self.net_ = NeuralNetClassifier(
            _Net,
            module__n_inputs=dense.shape[1],
            module__n_classes=len(self.classes_),
            module__hidden=tuple(self.hidden),
            criterion=nn.CrossEntropyLoss,  # on logits; predict_proba applies the softmax
            optimizer=torch.optim.Adam,
            lr=self.lr,
            batch_size=int(np.clip(len(codes) // 10, 8, 200)),
            max_epochs=self.max_epochs,
            train_split=ValidSplit(0.1, stratified=True, random_state=self.random_state)
            if stops
            else None,
            callbacks=[EarlyStopping(patience=self.patience, load_best=True)] if stops else [],
            iterator_train__shuffle=True,
            verbose=0,
        )
        with self._threads():
            self.net_.fit(dense, codes.astype(np.int64))
        return self

    @contextmanager
    def _threads(self) -> Iterator[None]:
        before = torch.get_num_threads()
        torch.set_num_threads(self.n_threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes), in the order of ``classes_``."""
        dense = self.encoder_.transform(X).astype(np.float32)
        with self._threads():
            return self.net_.predict_proba(dense)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted labels, shape (n_rows,)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

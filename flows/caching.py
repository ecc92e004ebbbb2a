"""Cache of expensive tasks, keyed by the data they see, their configuration and the code.

A scheduled rerun on unchanged data should not refit dozens of models. A task
decorated with ``cache_policy=DATASET_CACHE`` gets a key made of

* the **content** of every :class:`~audits.io.Dataset`, DataFrame or Series among
  its inputs (a hash of the loaded rows, their column names and dtypes, and the
  target), so a relabelled row, a new file or a different sample is a different
  key. The Parquet fingerprint of :class:`~audits.io.DatasetInfo` is not enough:
  it hashes footers and sizes, which stay the same when two labels are swapped, and
  it describes the whole dataset while a task may see a sample of it;
* every other input by value (model kind, folds, seed, ...);
* the task's source and the source of the ``audits`` package plus the versions of
  the libraries that compute results, so a code change is a cache miss.

The key holds no path, run id or date: a rerun on the same data, whether
scheduled or by hand, hits the cache, and the result is read back (pickled) from
Prefect's local result storage, ``$PREFECT_HOME/storage`` unless
``PREFECT_LOCAL_STORAGE_PATH`` says otherwise. Delete that folder to empty the
cache. With Dask, workers on other machines need that folder shared, or a remote
result storage block.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from prefect.cache_policies import TASK_SOURCE, CachePolicy
from prefect.context import TaskRunContext
from prefect.utilities.hashing import hash_objects

from audits import io as audits_io
from audits.io import Dataset

__all__ = [
    "DATASET_CACHE",
    "DatasetInputs",
    "code_key",
    "dataset_cache",
    "dataset_key",
    "frame_key",
]

#: Libraries whose version changes computed results.
_LIBRARIES = (
    "data-sufficiency-audits",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "imbalanced-learn",
    "cleanlab",
    "scipy",
)

_keys: weakref.WeakKeyDictionary[Dataset, str] = weakref.WeakKeyDictionary()
_keys_lock = threading.Lock()


def frame_key(frame: pd.DataFrame | pd.Series) -> str:
    """SHA-256 of a frame's values, index, column names and dtypes.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns) or Series of shape (n_rows,)

    Returns
    -------
    str
        64 hex digits; equal for equal frames, different when any cell, name or
        dtype differs (up to hash collisions).
    """
    table = frame.to_frame() if isinstance(frame, pd.Series) else frame
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(n), str(t)] for n, t in table.dtypes.items()]).encode())
    for position in range(table.shape[1]):
        column = table.iloc[:, position]
        try:
            hashed = pd.util.hash_pandas_object(column, index=True)
        except TypeError:  # unhashable cells (lists, dicts from nested Parquet types)
            hashed = pd.util.hash_pandas_object(column.astype(str), index=True)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def dataset_key(dataset: Dataset) -> str:
    """Content key of a loaded dataset (computed once per object, then remembered).

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    str
        :func:`frame_key` of its rows combined with its target and group columns.
    """
    with _keys_lock:
        known = _keys.get(dataset)
    if known is None:
        columns = (
            dataset.target if dataset.groups is None else f"{dataset.target}\0{dataset.groups}"
        )
        known = hashlib.sha256(f"{columns}\0{frame_key(dataset.frame)}".encode()).hexdigest()
        with _keys_lock:
            _keys[dataset] = known
    return known


def _stable(value: Any) -> Any:
    """``value`` with data replaced by content keys, ready for ``hash_objects``."""
    if isinstance(value, Dataset):
        return {"dataset": dataset_key(value)}
    if isinstance(value, pd.DataFrame | pd.Series):
        return {"frame": frame_key(value)}
    if isinstance(value, dict):
        return {str(k): _stable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stable(v) for v in value]
    return value


@cache
def code_key() -> str:
    """Hash of the ``audits`` package's source and of the versions in ``_LIBRARIES``."""
    digest = hashlib.sha256()
    root = Path(audits_io.__file__).parent  # the package's folder, its source files below
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            continue
    return digest.hexdigest()


@dataclass
class DatasetInputs(CachePolicy):
    """Key of a task run: its inputs, with datasets and frames hashed by content.

    Attributes
    ----------
    exclude : tuple of str
        Inputs left out of the key (callables such as a ``map_fn``, a progress
        callback, an output path that does not change the result).
    """

    exclude: tuple[str, ...] = field(default=())

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        """Hash of the stable inputs and of :func:`code_key`."""
        stable = {
            name: _stable(value)
            for name, value in sorted((inputs or {}).items())
            if name not in self.exclude
        }
        return hash_objects(stable, code_key(), raise_on_failure=True)


def dataset_cache(*, exclude: tuple[str, ...] = ()) -> CachePolicy:
    """The cache policy for expensive tasks: :class:`DatasetInputs` + the task's source.

    Parameters
    ----------
    exclude : tuple of str, default=()
        Input names left out of the key.

    Returns
    -------
    CachePolicy
        For ``@task(cache_policy=...)``; Prefect then persists the task's result.

    Examples
    --------
    >>> @task(name="out-of-fold", cache_policy=dataset_cache(exclude=("map_fn",)))
    ... def oof_task(dataset, model, n_folds, seed, map_fn=map): ...
    """
    return DatasetInputs(exclude=tuple(exclude)) + TASK_SOURCE


#: :func:`dataset_cache` with every input in the key.
DATASET_CACHE = dataset_cache()

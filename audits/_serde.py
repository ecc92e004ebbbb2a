"""Turn frozen result dataclasses into JSON-compatible data and back.

Result types are plain frozen dataclasses whose fields are built from ``int``,
``float``, ``str``, ``bool``, ``None``, tuples, dicts with string keys, and other
result dataclasses. ``to_jsonable`` maps them to dicts and lists (non-finite floats
become ``None``); ``from_jsonable`` rebuilds them from the type hints, so an old
``results.json`` can be read back into the same objects.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, TypeVar

import numpy as np

__all__ = ["from_jsonable", "to_jsonable"]

T = TypeVar("T")


def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` (dataclass, tuple, dict, numpy scalar, ...) to JSON-compatible data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from JSON-compatible ``data``.

    Parameters
    ----------
    tp : type or typing construct
        The declared type, e.g. a result dataclass or ``tuple[float, ...]``.
    data : object
        What ``json.load`` returned for it.
    """
    if data is None:
        return None
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        kwargs = {
            f.name: from_jsonable(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.name in data
        }
        return tp(**kwargs)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return from_jsonable(options[0], data)
        for option in options:
            try:
                return from_jsonable(option, data)
            except (TypeError, KeyError, ValueError):
                continue
        return data
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data, strict=True))
    if origin in (list, typing.Sequence):
        return [from_jsonable(args[0], v) for v in data]
    if origin is dict or origin is typing.Mapping:
        return {k: from_jsonable(args[1], v) for k, v in data.items()}
    if tp is float:
        return float(data)
    if tp is int and isinstance(data, bool):
        raise TypeError("bool is not int")
    return data

"""Turn frozen result dataclasses into JSON-compatible data and back.

Result types are plain frozen dataclasses whose fields are built from ``int``,
``float``, ``str``, ``bool``, ``None``, tuples, dicts with string keys, and other
result dataclasses. ``to_jsonable`` maps them to dicts and lists (non-finite floats
become ``None``); ``from_jsonable`` rebuilds them from the type hints, so an old
``results.json`` can be read back into the same objects.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
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
        What ``json.load`` returned for it. ``None`` is accepted for numbers (non-finite
        floats are written as ``null``) and optional fields, not for a required text or
        section; keys a dataclass does not know are ignored.

    Raises
    ------
    TypeError
        ``data`` does not have the shape of ``tp``: a value of the wrong kind, or a
        required field missing. The message names where (``overview.n_rows``).
    """
    return _rebuild(tp, data, "")


#: JSON kinds of the leaf types (a bool is not an int, an int is a float).
_LEAVES: dict[Any, tuple[type, ...]] = {
    str: (str,),
    bool: (bool,),
    int: (int,),
    float: (int, float),
}


def _mismatch(where: str, expected: str, data: Any) -> TypeError:
    return TypeError(f"{where or 'the document'} must be {expected}; got {type(data).__name__}")


def _rebuild(tp: Any, data: Any, where: str) -> Any:
    if data is None and (tp is str or (dataclasses.is_dataclass(tp) and isinstance(tp, type))):
        raise TypeError(f"{where or 'the document'} must not be null")  # not Optional
    if data is None or tp is Any:
        return data
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(data, dict):
            raise _mismatch(where, "an object", data)
        hints = typing.get_type_hints(tp)
        fields = dataclasses.fields(tp)
        missing = [
            f.name
            for f in fields
            if f.name not in data
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise TypeError(f"{where or 'the document'} lacks {', '.join(missing)}")
        prefix = f"{where}." if where else ""
        return tp(
            **{
                f.name: _rebuild(hints[f.name], data[f.name], prefix + f.name)
                for f in fields
                if f.name in data
            }
        )
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        for option in options[:-1]:
            with contextlib.suppress(TypeError):
                return _rebuild(option, data, where)
        return _rebuild(options[-1], data, where)
    if origin in (tuple, list, typing.Sequence):
        if not isinstance(data, list):
            raise _mismatch(where, "a list", data)
        if origin is not tuple or (len(args) == 2 and args[1] is Ellipsis):
            items = zip(itertools.repeat(args[0]), data)
        elif len(args) == len(data):
            items = zip(args, data, strict=True)
        else:
            raise TypeError(f"{where} must be a list of {len(args)} items; got {len(data)}")
        rebuilt = [_rebuild(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(items)]
        return tuple(rebuilt) if origin is tuple else rebuilt
    if origin in (dict, typing.Mapping):
        if not isinstance(data, dict):
            raise _mismatch(where, "an object", data)
        return {k: _rebuild(args[1], v, f"{where}.{k}") for k, v in data.items()}
    kinds = _LEAVES.get(tp)
    if kinds is not None:
        if not isinstance(data, kinds) or (tp is not bool and isinstance(data, bool)):
            raise _mismatch(where, f"a {tp.__name__}", data)
        return float(data) if tp is float else data
    return data

"""Load expectation suites (Great Expectations JSON) and resolve their parameters.

A suite file is GX's own JSON: ``{"name": ..., "expectations": [{"type": ...,
"kwargs": {...}, "meta": {...}}]}``. A kwarg written ``{"$PARAMETER": "name"}`` is
filled from the run's parameters (``target`` is always there; ``allowed_labels`` when
configured). An expectation whose parameter is not given is skipped, with the
reason reported, rather than run against a guess.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from audits.errors import SuiteError
from audits.gx import _facts

__all__ = ["Suite", "default_suite_dir", "load_suites"]


@dataclass(frozen=True)
class Suite:
    """One suite as read from disk, before parameters are filled in.

    Attributes
    ----------
    name : str
    expectations : tuple of dict
        Each ``{"type", "kwargs", "meta"}`` as in the file.
    path : str
    """

    name: str
    expectations: tuple[dict[str, Any], ...]
    path: str = field(default="")


def default_suite_dir() -> Path:
    """The suites shipped with the product (the ``expectations`` folder)."""
    return Path(str(resources.files("expectations")))


def _known_types() -> set[str]:
    from great_expectations.expectations.registry import list_registered_expectation_implementations

    return set(list_registered_expectation_implementations()) | set(_facts.FACT_OF_TYPE)


def load_suites(
    directory: str | Path | None = None,
    *,
    overrides: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> tuple[Suite, ...]:
    """Read every ``*.json`` suite in ``directory`` and apply threshold overrides.

    Parameters
    ----------
    directory : path, optional
        Folder of suite files; the shipped ``expectations`` folder by default.
    overrides : dict, optional
        ``{suite name: {expectation type: {kwarg: value}}}``, e.g.
        ``{"imbalance": {"expect_min_class_count_to_be_at_least": {"min_value": 50}}}``.

    Raises
    ------
    SuiteError
        Unreadable JSON, a suite without a name, an unknown expectation type, or an
        override naming a suite or expectation that does not exist.
    """
    folder = Path(directory) if directory is not None else default_suite_dir()
    files = sorted(folder.glob("*.json"))
    if not files:
        raise SuiteError(f"no expectation suites (*.json) in {folder}", reason="no_suites")
    known = _known_types()
    suites = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SuiteError(f"cannot read suite {path}: {exc}", reason="suite_json") from None
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SuiteError(f"suite {path} must be an object with a 'name'", reason="suite_json")
        expectations = data.get("expectations", [])
        for item in expectations:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in known:
                raise SuiteError(
                    f"suite {path.name}: unknown expectation type {kind!r}",
                    reason="unknown_expectation",
                )
        suites.append(Suite(data["name"], tuple(expectations), str(path)))
    return _apply_overrides(tuple(suites), overrides or {})


def _apply_overrides(
    suites: tuple[Suite, ...], overrides: dict[str, dict[str, dict[str, Any]]]
) -> tuple[Suite, ...]:
    by_name = {s.name: s for s in suites}
    for suite_name, per_type in overrides.items():
        if suite_name not in by_name:
            raise SuiteError(
                f"override names suite {suite_name!r}; suites are: {', '.join(sorted(by_name))}",
                reason="unknown_suite",
            )
        expectations = [copy.deepcopy(e) for e in by_name[suite_name].expectations]
        for kind, kwargs in per_type.items():
            matches = [e for e in expectations if e["type"] == kind]
            if not matches:
                types = [e["type"] for e in expectations]
                close = difflib.get_close_matches(str(kind), types, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; it has: {', '.join(types)}"
                raise SuiteError(
                    f"override names {kind!r}, which suite {suite_name!r} does not have{hint}",
                    reason="unknown_expectation",
                )
            for expectation in matches:
                expectation.setdefault("kwargs", {}).update(kwargs)
        by_name[suite_name] = Suite(suite_name, tuple(expectations), by_name[suite_name].path)
    return tuple(by_name[s.name] for s in suites)

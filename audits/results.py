"""The results of one audit run: frozen, typed, written to ``results.json``.

``results.json`` is the contract between the audits and the report: the report is
rendered from it alone, so an old file can be re-rendered. ``schema_version`` changes
when a field is renamed or removed (adding an optional section does not).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audits import _atomic
from audits._serde import from_jsonable, to_jsonable
from audits.drift import DriftAudit
from audits.errors import InputError
from audits.gx import ValidationResult
from audits.imbalance import ImbalanceAudit
from audits.labels import LabelAudit
from audits.overview import DatasetOverview
from audits.quality import QualityAudit
from audits.sufficiency import SufficiencyResult

__all__ = [
    "SCHEMA_VERSION",
    "AuditResults",
    "RunInfo",
    "computed_part",
    "load_results",
    "read_results",
    "save_results",
]

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class RunInfo:
    """When and how the run happened.

    Attributes
    ----------
    started, finished : str
        ISO 8601 UTC timestamps.
    seconds : float
        Wall time of the whole run.
    stage_seconds : dict of str to float
        Wall time of each stage.
    versions : dict of str to str
        Versions of the product and its main libraries.
    parameters : dict of str to object
        The options the run was started with.
    """

    started: str
    finished: str
    seconds: float
    stage_seconds: dict[str, float]
    versions: dict[str, str]
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditResults:
    """Everything one audit found; sections that were not computed are None.

    ``skipped`` maps a section left out because of the data (e.g. ``sufficiency``
    when there are too few rows for a learning curve) to the one-line reason.
    """

    overview: DatasetOverview
    validation: ValidationResult
    run: RunInfo
    quality: QualityAudit | None = None
    labels: LabelAudit | None = None
    imbalance: ImbalanceAudit | None = None
    drift: DriftAudit | None = None
    sufficiency: SufficiencyResult | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION

    @property
    def success(self) -> bool:
        """True when every expectation passed (skipped ones do not count)."""
        return self.validation.success


def save_results(results: AuditResults, path: str | os.PathLike[str]) -> Path:
    """Write ``results`` as JSON to ``path`` atomically."""
    return _atomic.write_json(path, to_jsonable(results))


def read_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a ``results.json`` and check it against this version's schema.

    Returns
    -------
    dict
        The document as written, unknown keys included (a newer version's optional
        sections), once every known section has the shape :class:`AuditResults` needs.

    Raises
    ------
    InputError
        The file is missing, not JSON, of another schema version, or a section is
        missing or of the wrong shape (the message names where).
    """
    document = _read_document(path)
    _rebuild(document, path)
    return document


def load_results(path: str | os.PathLike[str]) -> AuditResults:
    """Read a ``results.json`` written by :func:`save_results`.

    Raises
    ------
    InputError
        As :func:`read_results`.
    """
    return _rebuild(_read_document(path), path)


def _read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read results file {path}: {exc}", reason="results") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise InputError(
            f"results file {path} has schema_version {version!r}; this version reads "
            f"{SCHEMA_VERSION!r}",
            reason="schema_version",
        )
    return data


def _rebuild(document: dict[str, Any], path: str | os.PathLike[str]) -> AuditResults:
    try:
        return from_jsonable(AuditResults, document)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"results file {path} does not match schema {SCHEMA_VERSION}: {exc}",
            reason="results",
        ) from None


#: Keys of a results document that hold measured costs, not computed results.
_MEASURED = frozenset({"run", "cost_curves", "model_bytes"})


def computed_part(document: Any, *, digits: int = 9) -> Any:
    """What a run computed, without what it measured: for comparing two runs.

    Drops the run's metadata (times, paths, versions) and the measured costs of the
    sufficiency section (every ``*seconds*`` key, pickled model sizes, the cost curves
    fitted to them): they change from run to run and from process to process (a model
    pickled in a Dask worker came out 34 bytes longer in 50 kB). Floats are rounded
    to ``digits`` significant digits: a BLAS may sum in another order elsewhere.

    Parameters
    ----------
    document : dict
        A parsed ``results.json``.
    digits : int, default=9

    Returns
    -------
    dict
        Equal for two runs that computed the same results.
    """
    if isinstance(document, dict):
        return {
            key: computed_part(value, digits=digits)
            for key, value in document.items()
            if key not in _MEASURED and "seconds" not in key
        }
    if isinstance(document, list):
        return [computed_part(value, digits=digits) for value in document]
    if isinstance(document, float):
        return float(f"{document:.{digits}g}")
    return document

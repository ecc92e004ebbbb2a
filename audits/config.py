"""Typed configuration of scheduled audits: which datasets, how, when and where to.

A config file (TOML or YAML) lists datasets; a ``defaults`` section gives the
options they share. Loading resolves relative paths against the file's folder and
checks everything that can be checked without reading data, so that a typo fails
when the file is loaded, with the key's path in a one-line :class:`ConfigError`,
not at 6 a.m. inside a scheduled run. The result is plain frozen data: it never
imports prefect, and :meth:`DatasetConfig.flow_parameters` passes straight into
the ``audit-dataset`` flow.

Example (TOML)::

    out_dir = "audit-out"                     # index.html and summary.json go here

    [defaults]
    schedule = { cron = "0 6 * * 1-5", timezone = "Europe/Paris" }
    timeout_seconds = 1800                    # a run still going is stopped

    [[datasets]]
    name = "credit"
    path = "data/credit.parquet"              # relative to this file; or s3://...
    target = "Status"
    allowed_labels = ["good", "bad"]
    [datasets.suite_overrides.imbalance.expect_min_class_count_to_be_at_least]
    min_value = 50
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from audits.errors import ConfigError, about

__all__ = [
    "AuditsConfig",
    "DatasetConfig",
    "DatasetOptions",
    "Schedule",
    "check_suites",
    "load_config",
    "parse_config",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CRON_ALIASES = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
#: (name, lowest, highest, names of the values from ``lowest`` on) of the five cron fields.
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
#: Flow parameters passed only when the config sets them (else the flow's defaults).
_OPTIONAL_PARAMETERS = (
    "reference",
    "groups",
    "suite_overrides",
    "forecast",
    "models",
    "metric",
    "target_score",
    "budget_seconds",
)
_CRON_HELP = "5 fields (minute hour day-of-month month day-of-week) or @hourly/@daily/..."


def _distinct(value: tuple[str, ...] | None, item: str) -> tuple[str, ...] | None:
    """``value`` once no entry repeats (ValueError naming the repeated ones)."""
    repeated = sorted({entry for entry in value or () if value.count(entry) > 1})
    if repeated:
        raise ValueError(f"must list each {item} once; repeated: {', '.join(repeated)}")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.index(text) + low if text in names else None


def _cron_item_ok(item: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    """One comma-separated item: ``*``, ``a``, ``a-b``, each optionally ``/step``."""
    span, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        return False
    if span == "*":
        return True
    first, dash, last = span.partition("-")
    start = _cron_value(first, low, names)
    stop = _cron_value(last, low, names) if dash else start
    return start is not None and stop is not None and low <= start <= stop <= high


def _check_cron(expression: str) -> str:
    """Return ``expression`` normalised if it is a cron expression Prefect accepts.

    Accepted: five fields (``*``, numbers, ``a-b`` ranges, ``/step``, comma lists,
    month and weekday names) or an alias (``@daily``, ``@hourly``, ...).

    Raises
    ------
    ValueError
        Wrong number of fields or a field out of range.
    """
    text = " ".join(expression.split()).lower()
    if text in _CRON_ALIASES:
        return text
    fields = text.split(" ")
    if len(fields) != len(_CRON_FIELDS):
        raise ValueError(f"must be a cron expression of {_CRON_HELP}")
    for value, (label, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        if not all(_cron_item_ok(item, low, high, names) for item in value.split(",")):
            raise ValueError(
                f"must be a cron expression of {_CRON_HELP}; its {label} field {value!r} "
                f"is not within {low}-{high}"
            )
    return text


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class Schedule(_Frozen):
    """When a dataset is audited: a cron expression or a fixed interval, in a timezone.

    Attributes
    ----------
    cron : str, optional
        E.g. ``"0 6 * * 1-5"`` (06:00 on weekdays).
    interval_seconds : int, optional
        Seconds between two runs. Exactly one of ``cron`` and ``interval_seconds``.
    timezone : str, default="UTC"
        IANA name (``"Europe/Paris"``); cron times and daylight saving follow it.
    """

    cron: str | None = None
    interval_seconds: int | None = Field(default=None, gt=0, strict=True)
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        return None if value is None else _check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        if value not in _timezones():
            raise ValueError("must be an IANA timezone name such as 'Europe/Paris' or 'UTC'")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        if (self.cron is None) == (self.interval_seconds is None):
            raise ValueError("must set exactly one of `cron` and `interval_seconds`")
        return self


class DatasetOptions(_Frozen):
    """Options a dataset may set and the ``defaults`` section may give to all of them.

    Attributes
    ----------
    target : str, optional
        Label column.
    reference : str, optional
        Parquet file, folder or URI of the reference data that drift is measured against.
    groups : str, optional
        Column of the entity each row belongs to (a customer, a patient): not a feature,
        and every split keeps a group's rows on one side.
    schedule : Schedule, optional
        None: the dataset is audited only when run by hand.
    suite_overrides : dict
        ``{suite name: {expectation type: {kwarg: value}}}``, as
        :func:`audits.gx.load_suites` takes them. Merged with the defaults' per
        expectation, the dataset's values winning.
    suite_dir : str, optional
        Folder of expectation suites; the shipped ones by default.
    allowed_labels : tuple of str, optional
        The agreed label set.
    sample : int, optional
        Audit a uniform random sample of this many rows.
    seed : int, default=0
    forecast : bool, optional
        Measure and extrapolate the learning curves (the flow's default: yes).
    models : tuple of str, optional
        Models of the forecast, the second the challenger (the flow's default:
        classical and deep): kinds of :func:`audits.models.make_model` or
        ``"package.module:callable"`` import paths, which must load when the file is read.
    metric : str, optional
        Score of the learning curves (the flow's default: accuracy).
    target_score : float, optional
        Forecast the rows each model needs to reach this score.
    budget_seconds : float, optional
        Wall-time budget of the forecast, and another of the resampling what-if: larger
        anchors and rebalancing arms are skipped to keep them (the flow's default when
        not set).
    timeout_seconds : float, optional
        Hard limit of one audit run of the dataset: a run still going after it is
        stopped and marked failed (the other datasets go on).
    max_concurrent_runs : int, default=1
        Runs of the dataset's deployment allowed at the same time.
    on_overlap : {"skip", "queue"}, default="skip"
        A run due while ``max_concurrent_runs`` runs are still going is cancelled
        (``skip``: scheduled audits do not pile up when one runs longer than the
        interval) or waits for a free slot (``queue``).
    """

    target: str | None = Field(default=None, min_length=1)
    reference: str | None = Field(default=None, min_length=1)
    groups: str | None = Field(default=None, min_length=1)
    schedule: Schedule | None = None
    suite_overrides: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    suite_dir: str | None = Field(default=None, min_length=1)
    allowed_labels: tuple[str, ...] | None = Field(default=None, min_length=2)
    sample: int | None = Field(default=None, gt=0, strict=True)
    seed: int = Field(default=0, ge=0, le=2**32 - 1, strict=True)  # sufficiency.MAX_SEED
    forecast: bool | None = Field(default=None, strict=True)
    models: tuple[str, ...] | None = Field(default=None, min_length=1)
    metric: str | None = None
    target_score: float | None = Field(default=None, allow_inf_nan=False, strict=True)
    budget_seconds: float | None = Field(default=None, gt=0, allow_inf_nan=False, strict=True)
    timeout_seconds: float | None = Field(default=None, gt=0, allow_inf_nan=False, strict=True)
    max_concurrent_runs: int = Field(default=1, ge=1, strict=True)
    on_overlap: Literal["skip", "queue"] = "skip"

    @field_validator("allowed_labels")
    @classmethod
    def _distinct_labels(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return _distinct(value, "label")

    @field_validator("models")
    @classmethod
    def _loadable_models(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        from audits.models import model_problem

        for kind in _distinct(value, "model") or ():
            problem = model_problem(kind)
            if problem:
                raise ValueError(f"entry {kind!r} {problem}")
        return value

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        from audits.sufficiency import METRICS

        if value is not None and value not in METRICS:
            raise ValueError(f"must be one of {', '.join(METRICS)}")
        return value


class DatasetConfig(DatasetOptions):
    """One dataset to audit (its options merged with the defaults).

    Attributes
    ----------
    name : str
        Unique; letters, digits, ``_.-``; names the deployment and the output folder.
    path : str
        Parquet file, folder or URI. Relative paths are relative to the config file.
    target : str
    out_dir : str
        Folder of this dataset's ``results.json`` and report; in a config file,
        ``<out_dir of the config>/<name>`` unless set.
    """

    name: str
    path: str = Field(min_length=1)
    target: str = Field(min_length=1)
    out_dir: str = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "must be 1-64 letters, digits, '_', '.' or '-', not starting "
                "with a punctuation mark"
            )
        return value

    @field_validator("target_score")
    @classmethod
    def _reachable_score(cls, value: float | None, info: ValidationInfo) -> float | None:
        # Checked here, not in the defaults: a dataset may set the metric the score is of.
        from audits.sufficiency import METRICS, target_score_problem

        metric = METRICS[info.data.get("metric") or "accuracy"]
        problem = None if value is None else target_score_problem(metric, value)
        if problem:
            raise ValueError(problem)
        return value

    def flow_parameters(self) -> dict[str, Any]:
        """Keyword arguments of the ``audit-dataset`` flow for this dataset (JSON-compatible).

        Options left unset in the config (``reference``, ``groups``, ``suite_overrides``,
        ``forecast``, ``models``, ``metric``, ``target_score``, ``budget_seconds``) are
        left out, so
        the flow's defaults apply. ``timeout_seconds``, ``max_concurrent_runs`` and
        ``on_overlap`` are not parameters: they are options of the run and of the
        deployment.
        """
        parameters: dict[str, Any] = {
            "path": self.path,
            "target": self.target,
            "out_dir": self.out_dir,
            "sample": self.sample,
            "allowed_labels": list(self.allowed_labels) if self.allowed_labels else None,
            "suite_dir": self.suite_dir,
            "seed": self.seed,
        }
        for name in _OPTIONAL_PARAMETERS:
            value = getattr(self, name)
            if value is not None and value != {}:
                parameters[name] = list(value) if isinstance(value, tuple) else value
        return parameters


class AuditsConfig(_Frozen):
    """A whole config file.

    Attributes
    ----------
    out_dir : str, default="audit-out"
        Folder of the index across datasets (``index.html``, ``summary.json``) and,
        by default, of each dataset's own folder.
    defaults : DatasetOptions
    datasets : tuple of DatasetConfig
        At least one; names unique; output folders distinct.
    source : str
        The file it was loaded from ("" when built from a dict).
    """

    out_dir: str = Field(default="audit-out", min_length=1)
    defaults: DatasetOptions = Field(default_factory=DatasetOptions)
    datasets: tuple[DatasetConfig, ...] = Field(min_length=1)
    source: str = ""

    @model_validator(mode="after")
    def _distinct(self) -> AuditsConfig:
        for attribute in ("name", "out_dir"):
            first: dict[str, str] = {}
            for dataset in self.datasets:
                value = getattr(dataset, attribute)
                if value in first and attribute == "name":
                    raise ValueError(f"dataset names must be unique; {value!r} is used twice")
                if value in first:
                    raise ValueError(
                        f"datasets {first[value]!r} and {dataset.name!r} have "
                        f"the same out_dir {value!r}; each needs its own"
                    )
                first[value] = dataset.name
        return self

    def dataset(self, name: str) -> DatasetConfig:
        """The dataset called ``name``.

        Raises
        ------
        ConfigError
            No dataset has that name.
        """
        for dataset in self.datasets:
            if dataset.name == name:
                return dataset
        names = ", ".join(repr(d.name) for d in self.datasets)
        raise ConfigError(
            f"no dataset named {name!r} in the config; datasets are: {names}",
            reason="unknown_dataset",
        )

    def chosen(self, only: Sequence[str] | None = None) -> list[DatasetConfig]:
        """The datasets called ``only``, in that order; every dataset when ``only`` is empty.

        Raises
        ------
        ConfigError
            A name in ``only`` is no dataset's (see :meth:`dataset`).
        """
        return [self.dataset(name) for name in only] if only else list(self.datasets)


def load_config(path: str | os.PathLike[str]) -> AuditsConfig:
    """Read and validate a TOML (``.toml``) or YAML (``.yaml``/``.yml``) config file.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    AuditsConfig
        Relative paths resolved against the file's folder; defaults merged into
        every dataset.

    Raises
    ------
    ConfigError
        Missing or unreadable file, bad TOML/YAML, unknown key, bad value (bad
        cron, unknown timezone, ...), duplicate dataset names; the message names
        the file and the key's path (``datasets[1].schedule.cron``).
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise ConfigError(
            f"config file must end in .toml, .yaml or .yml; got {file}", reason="config_format"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file}", reason="config_missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read config file {file}: {exc}", reason="config_unreadable"
        ) from None
    data = _parse_toml(text, file) if suffix == ".toml" else _parse_yaml(text, file)
    return parse_config(data, base_dir=file.resolve().parent, source=str(file))


def check_suites(datasets: Iterable[DatasetConfig]) -> None:
    """Load each dataset's suites with its overrides, as its runs will.

    :func:`load_config` does not, to stay free of Great Expectations (a few seconds to
    import); the commands call this next, so that a missing suite folder or an override
    naming no expectation fails before any run, not inside a scheduled one.

    Raises
    ------
    SuiteError
        One line, starting with the dataset's name.
    """
    from audits.gx import load_suites

    for dataset in datasets:
        with about(f"dataset {dataset.name!r}"):
            load_suites(dataset.suite_dir, overrides=dataset.suite_overrides or None)


def _parse_toml(text: str, file: Path) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}", reason="config_syntax") from None


def _parse_yaml(text: str, file: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise ConfigError(
            f"reading {file} needs PyYAML: pip install pyyaml", reason="config_format"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(
            f"{file} is not valid YAML: {problem}{where}", reason="config_syntax"
        ) from None


def parse_config(
    data: Any, *, base_dir: str | os.PathLike[str] = ".", source: str = ""
) -> AuditsConfig:
    """Validate an already parsed config (a dict as TOML or YAML gives it).

    Parameters
    ----------
    data : dict
    base_dir : path-like, default="."
        Folder that relative paths are relative to.
    source : str, default=""
        Named in error messages.

    Raises
    ------
    ConfigError
    """
    where = f"{source}: " if source else ""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{where}the config must be a table/mapping with a `datasets` list; "
            f"got {type(data).__name__}",
            reason="config_shape",
        )
    if "source" in data:
        raise ConfigError(f"{where}unknown key `source`", reason="config_invalid")
    defaults = data.get("defaults") or {}
    try:
        DatasetOptions.model_validate(defaults)
    except ValidationError as exc:
        raise ConfigError(where + _describe(exc, ("defaults",)), reason="config_invalid") from None
    base = Path(base_dir).absolute()
    raw = {**data, "source": source}
    out_dir = raw["out_dir"] = _local(data.get("out_dir", "audit-out"), base)
    if isinstance(data.get("datasets"), list):
        raw["datasets"] = [
            _resolve(_with_defaults(item, defaults), base, out_dir) for item in data["datasets"]
        ]
    try:
        return AuditsConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(where + _describe(exc, ()), reason="config_invalid") from None


_PATH_KEYS = ("path", "reference", "suite_dir", "out_dir")


def _with_defaults(item: Any, defaults: dict[str, Any]) -> Any:
    """``defaults`` under a raw dataset entry; ``suite_overrides`` merged key by key."""
    if not isinstance(item, dict):
        return item
    merged = {**defaults, **item}
    if "suite_overrides" in defaults and "suite_overrides" in item:
        merged["suite_overrides"] = _merge(defaults["suite_overrides"], item["suite_overrides"])
    return merged


def _merge(base: Any, own: Any) -> Any:
    if isinstance(base, dict) and isinstance(own, dict):
        return {**base, **{key: _merge(base.get(key), value) for key, value in own.items()}}
    return own


_FIELDS = sorted(
    set(AuditsConfig.model_fields) | set(DatasetConfig.model_fields) | set(Schedule.model_fields)
)


def _describe(exc: ValidationError, prefix: tuple[Any, ...]) -> str:
    """One line for the first error of ``exc``: the key's path, what is wrong, the value."""
    everything = exc.errors(include_url=False)
    # A list whose item failed also fails its own length check: not a problem of its own.
    errors = [
        e
        for e in everything
        if not any(o["loc"][: len(e["loc"])] == e["loc"] != o["loc"] for o in everything)
    ]
    error = errors[0]
    location = (*prefix, *error["loc"])
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    path = path.lstrip(".")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    message = error["msg"].removeprefix("Value error, ").removeprefix("Input ")
    if not path:
        return message + more
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(location[-1]), _FIELDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key `{path}`{hint}{more}"
    if error["type"] == "missing":
        return f"`{path}` is required{more}"
    if error["type"] == "too_short":
        message = f"must have at least {error['ctx']['min_length']} item(s)"
    message = message.replace("should be", "must be", 1)
    return f"`{path}` {message}; got {_short(error['input'])}{more}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _local(value: Any, base: Path) -> Any:
    """A relative path made absolute against ``base``; URIs and non-strings as they are."""
    if not isinstance(value, str) or "://" in value or not value:
        return value
    return os.path.normpath(base / Path(value).expanduser())


def _resolve(item: Any, base: Path, out_dir: Any) -> Any:
    """Paths of one raw dataset entry made absolute; its own output folder filled in."""
    if not isinstance(item, dict):
        return item
    resolved = {key: _local(item[key], base) if key in _PATH_KEYS else item[key] for key in item}
    name = item.get("name")
    if "out_dir" not in item and isinstance(name, str) and isinstance(out_dir, str):
        resolved["out_dir"] = os.path.join(out_dir, name)
    return resolved

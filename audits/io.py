"""Read Parquet datasets: a file, a folder (hive-partitioned too) or a URI.

Row count and schema come from the Parquet metadata without reading the data; a
uniform random sample of exactly ``k`` rows reads only the row groups it needs,
one at a time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.fs as pafs

from audits.errors import DataError, InputError, TargetError

__all__ = [
    "ColumnInfo",
    "Dataset",
    "DatasetInfo",
    "check_features",
    "check_groups",
    "inspect_dataset",
    "read_dataset",
]

MIN_ROWS = 20
MAX_CLASSES = 200
MIN_GROUPS = 5
"""Groups a grouped dataset needs among its labelled rows (see :func:`read_dataset`)."""
GCS_RETRY_SECONDS = 30
"""How long the Google Cloud Storage client retries a failing request.

Its own default is 15 minutes, so an unreachable endpoint or missing credentials
hung ``audits run gs://...`` that long before the one-line error. A ``gs://`` or
``gcs://`` URI that sets ``retry_limit_seconds`` itself keeps its own.
"""


@dataclass(frozen=True)
class ColumnInfo:
    """Name and Arrow type of one column."""

    name: str
    type: str


@dataclass(frozen=True)
class DatasetInfo:
    """What the Parquet metadata says about a dataset, without reading its data.

    Attributes
    ----------
    uri : str
        The path or URI as given.
    n_rows : int
    columns : tuple of ColumnInfo
    n_files : int
    n_bytes : int
        Total size of the Parquet files.
    fingerprint : str
        SHA-256 over each file's relative path, size and Parquet footer (schema,
        row groups and their statistics): changes when the data changes.
    """

    uri: str
    n_rows: int
    columns: tuple[ColumnInfo, ...]
    n_files: int
    n_bytes: int
    fingerprint: str

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of all columns, partition keys included."""
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: the frame, its target column and its metadata.

    Attributes
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
    target : str
    info : DatasetInfo
    sampled : bool
        True when ``frame`` holds a sample of the rows in ``info``.
    groups : str, optional
        Column naming the entity each row belongs to (a customer, a patient): it is no
        feature, and every split keeps the rows of one group on the same side.
    """

    frame: pd.DataFrame
    target: str
    info: DatasetInfo
    sampled: bool = False
    groups: str | None = None

    @property
    def X(self) -> pd.DataFrame:
        """Feature columns (neither the target nor the groups), shape (n_rows, n_features)."""
        return self.frame.drop(columns=self._not_features)

    @property
    def y(self) -> pd.Series:
        """Target column, shape (n_rows,)."""
        return self.frame[self.target]

    def labelled(self) -> tuple[pd.DataFrame, pd.Series]:
        """Features (n_labelled, n_features) and labels (n_labelled,) of the labelled rows."""
        rows = self.frame[self.y.notna()]
        return rows.drop(columns=self._not_features), rows[self.target]

    def labelled_groups(self) -> pd.Series | None:
        """Group of each labelled row, shape (n_labelled,); None when ungrouped."""
        if self.groups is None:
            return None
        return self.frame.loc[self.y.notna(), self.groups]

    @property
    def _not_features(self) -> list[str]:
        return [self.target] if self.groups is None else [self.target, self.groups]


def _open(uri: str) -> tuple[pads.Dataset, pafs.FileSystem, list[str]]:
    """Open ``uri`` as a pyarrow dataset; map every failure to one ``InputError``."""
    try:
        filesystem, path = pafs.FileSystem.from_uri(_bounded_retries(uri))
    except (pa.ArrowInvalid, ValueError):
        filesystem, path = pafs.LocalFileSystem(), uri
    except Exception as exc:  # noqa: BLE001 - remote filesystems raise many kinds
        raise InputError(f"cannot open {uri!r}: {_first_line(exc)}", reason="bad_uri") from None
    try:
        info = filesystem.get_file_info(path)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot open {uri!r}: {_first_line(exc)}", reason="bad_uri") from None
    if info.type == pafs.FileType.NotFound:
        raise InputError(f"no such file or folder: {uri}", reason="not_found")
    try:
        dataset = pads.dataset(
            path,
            format="parquet",
            # Partition keys (``year=2024/``) are read below a folder only: a single file
            # in a folder named ``k=v`` keeps its own columns.
            partitioning="hive" if info.type == pafs.FileType.Directory else None,
            filesystem=filesystem,
            exclude_invalid_files=False,
        )
    except pa.ArrowInvalid as exc:
        raise InputError(
            f"{uri} is not a readable Parquet dataset: {_first_line(exc)}", reason="corrupt"
        ) from None
    except OSError as exc:
        raise _io_error(uri, exc) from None
    if not dataset.files:
        raise InputError(f"no Parquet files in {uri}", reason="empty")
    return dataset, filesystem, path


def _bounded_retries(uri: str) -> str:
    """``uri`` with ``retry_limit_seconds`` set for Cloud Storage (see GCS_RETRY_SECONDS)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("gs", "gcs") or "retry_limit_seconds" in parse_qs(parts.query):
        return uri
    query = "&".join(q for q in (parts.query, f"retry_limit_seconds={GCS_RETRY_SECONDS}") if q)
    return urlunsplit(parts._replace(query=query))


def _pandas_index_columns(schema: pa.Schema) -> set[str]:
    """Columns that hold the index of the pandas frame a file was written from."""
    try:
        index = (schema.pandas_metadata or {}).get("index_columns", [])
    except (ValueError, TypeError):  # metadata that is not pandas' JSON
        return set()
    return {name for name in index if isinstance(name, str)}


def _io_error(uri: str, exc: OSError) -> InputError:
    """A failure while reading: reason ``io_error`` (network, permissions: retried), or
    ``corrupt`` for Arrow's own error (no errno) on a local file, whose bytes do not decode."""
    if exc.errno is None and urlsplit(uri).scheme in ("", "file"):
        return InputError(
            f"{uri} is not a readable Parquet dataset: {_first_line(exc)}", reason="corrupt"
        )
    return InputError(f"I/O error reading {uri}: {_first_line(exc)}", reason="io_error")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def inspect_dataset(uri: str) -> DatasetInfo:
    """Row count, schema and fingerprint of a Parquet dataset from its metadata only.

    Parameters
    ----------
    uri : str
        A Parquet file, a folder of Parquet files (hive partitions are columns), or a
        URI that pyarrow understands (``file://``, ``s3://``, ``gs://``, ...).

    Raises
    ------
    InputError
        Missing path, no Parquet files, corrupt or empty file.
    """
    dataset, filesystem, root = _open(str(uri))
    return _describe(str(uri), dataset, filesystem, root)


def _describe(
    uri: str, dataset: pads.Dataset, filesystem: pafs.FileSystem, root: str
) -> DatasetInfo:
    digest = hashlib.sha256()
    n_rows = 0
    n_bytes = 0
    try:
        for fragment in dataset.get_fragments():
            metadata = fragment.metadata
            n_rows += metadata.num_rows
            size = filesystem.get_file_info(fragment.path).size or 0
            n_bytes += size
            footer: dict[str, Any] = metadata.to_dict()
            footer.pop("created_by", None)
            relative = fragment.path[len(root) :].lstrip("/")
            digest.update(json.dumps([relative, size, footer], default=str).encode())
    except pa.ArrowInvalid as exc:
        raise InputError(
            f"{uri} is not a readable Parquet dataset: {_first_line(exc)}", reason="corrupt"
        ) from None
    except OSError as exc:
        raise _io_error(uri, exc) from None
    index = _pandas_index_columns(dataset.schema)  # read back as the frame's index
    columns = tuple(ColumnInfo(f.name, str(f.type)) for f in dataset.schema if f.name not in index)
    digest.update(json.dumps([(c.name, c.type) for c in columns]).encode())
    return DatasetInfo(
        uri=uri,
        n_rows=n_rows,
        columns=columns,
        n_files=len(dataset.files),
        n_bytes=n_bytes,
        fingerprint=digest.hexdigest(),
    )


def _sample_table(
    dataset: pads.Dataset, columns: list[str], k: int, n_rows: int, seed: int
) -> pa.Table:
    """Exactly ``k`` uniformly drawn rows, reading one row group at a time."""
    rng = np.random.default_rng(seed)
    wanted = np.sort(rng.choice(n_rows, size=k, replace=False))
    pieces = []
    start = 0
    for fragment in dataset.get_fragments():
        for group in fragment.split_by_row_group():
            stop = start + sum(rg.num_rows for rg in group.row_groups)
            lo, hi = np.searchsorted(wanted, [start, stop])
            if hi > lo:
                table = group.to_table(columns=columns, schema=dataset.schema)
                pieces.append(table.take(pa.array(wanted[lo:hi] - start)))
            start = stop
    return pa.concat_tables(pieces)


_NO_FEATURES = "the dataset has no feature columns besides the target"


def read_dataset(
    uri: str,
    *,
    target: str,
    columns: list[str] | None = None,
    groups: str | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Read a Parquet dataset and validate its target column (and its group column).

    Parameters
    ----------
    uri : str
        See :func:`inspect_dataset`.
    target : str
        The label column: must exist, not be all null, and have 2 to 200 classes.
    columns : list of str, optional
        Feature columns to read; all by default. The target is always read. With
        ``[]`` (a check before the real read) no feature is read, yet the schema of all
        of them is checked: nested values, or no feature column at all, fail then.
    groups : str, optional
        Column of the entity each row belongs to (kept out of the features; see
        :class:`Dataset`): always read; must differ from the target, have no missing
        value on a labelled row, and hold at least :data:`MIN_GROUPS` groups there.
    sample : int, optional
        Read a uniform random sample of exactly this many rows (all rows when the
        dataset has fewer), without loading the whole dataset.
    seed : int, default=0
        Seed of the sample.

    Returns
    -------
    Dataset
        Rows with a missing target are kept (the labelling audit counts them).

    Raises
    ------
    InputError
        Bad path or options, unreadable data, or a column to read that holds nested
        values (lists, structs, maps).
    TargetError, DataError
        See :func:`check_features` for the features (with ``columns=[]`` only whether
        there is one, not whether all are null).
    """
    dataset, filesystem, root = _open(str(uri))
    info = _describe(str(uri), dataset, filesystem, root)
    names = info.column_names
    if target not in names:
        raise TargetError(
            f"target column {target!r} not found; columns are: {_shortlist(names)}",
            reason="target_missing",
        )
    if groups is not None and groups not in names:
        raise InputError(
            f"group column {groups!r} not found; columns are: {_shortlist(names)}",
            reason="groups_missing",
        )
    if groups is not None and groups == target:
        raise InputError(
            f"the group column cannot be the target ({target!r})", reason="groups_target"
        )
    kept = (target, groups)
    wanted = list(columns) if columns is not None else [n for n in names if n not in kept]
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise InputError(
            f"`columns` not found in the dataset: {_shortlist(unknown)}", reason="column_missing"
        )
    read = [c for c in wanted if c not in kept] + ([] if groups is None else [groups]) + [target]
    schema_only = columns is not None and not columns
    if schema_only and not [n for n in names if n not in kept]:
        raise DataError(_NO_FEATURES, reason="no_features")
    nested = [n for n in (names if schema_only else read) if _is_nested(dataset, n)]
    if nested:
        shown = _shortlist(nested, show=lambda n: f"{n!r} ({dataset.schema.field(n).type})")
        raise InputError(
            "columns with nested values (lists, structs or maps) cannot be audited; "
            f"drop or flatten them: {shown}",
            reason="nested_columns",
        )
    if sample is not None and sample < 1:
        raise InputError(
            f"`sample` must be a positive row count; got {sample}", reason="bad_sample"
        )
    try:
        if sample is not None and sample < info.n_rows:
            table = _sample_table(dataset, read, sample, info.n_rows, seed)
        else:
            table = dataset.to_table(columns=read)
        frame = _plain_types(table).to_pandas()
    except pa.ArrowInvalid as exc:
        raise InputError(f"cannot read {uri}: {_first_line(exc)}", reason="corrupt") from None
    except OSError as exc:
        raise _io_error(uri, exc) from None
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(object).astype("string")
    _check_target(frame, target)
    loaded = Dataset(
        frame=frame,
        target=target,
        info=info,
        sampled=sample is not None and sample < info.n_rows,
        groups=groups,
    )
    if groups is not None:
        check_groups(loaded.labelled_groups(), what=f"group column {groups!r}")
    if columns is None or columns:
        check_features(loaded.X)
    return loaded


def _is_nested(dataset: pads.Dataset, name: str) -> bool:
    """Whether column ``name`` holds lists, structs, maps or unions (also dictionary-encoded)."""
    kind = dataset.schema.field(name).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_nested(kind)


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _plain_types(table: pa.Table) -> pa.Table:
    """Columns pandas would load as Python objects, as numbers or timestamps instead.

    Decimals become float64, dates timestamps (midnight), and durations and times of
    day float64 seconds, so that each is typed like the quantity it is rather than
    audited as a text column with one level per value.
    """
    for index, field in enumerate(table.schema):
        column, kind = table.column(index), field.type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_date(kind):
            column = column.cast(pa.timestamp("ms"))
        elif pa.types.is_duration(kind) or pa.types.is_time(kind):
            ticks = column.cast(pa.int64()).cast(pa.float64())
            column = pc.divide(ticks, float(_PER_SECOND[kind.unit]))
        else:
            continue
        table = table.set_column(index, field.name, column)
    return table


def _shortlist(
    names: tuple[str, ...] | list[str], limit: int = 12, *, show: Callable[[str], str] = repr
) -> str:
    shown = ", ".join(show(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def check_features(X: pd.DataFrame) -> None:
    """Raise ``DataError`` unless some column of ``X`` (n_rows, n_features) holds a value.

    Raises
    ------
    DataError
        ``X`` has no columns, or every column is all null: no model can learn from it.
    """
    if X.shape[1] == 0:
        raise DataError(_NO_FEATURES, reason="no_features")
    if not X.notna().any().any():
        raise DataError(
            f"every feature column is all null ({_shortlist(list(map(str, X.columns)))}); "
            "there is nothing to learn from",
            reason="no_features",
        )


def check_groups(groups: pd.Series | np.ndarray, *, what: str = "`groups`") -> None:
    """Raise ``DataError`` unless the groups (n_rows,) of the labelled rows can split them.

    Parameters
    ----------
    groups : Series or ndarray of shape (n_rows,)
        Group of each labelled row.
    what : str, default="`groups`"
        How the messages name them.

    Raises
    ------
    DataError
        A missing group, or fewer than :data:`MIN_GROUPS` groups.
    """
    values = pd.Series(np.asarray(groups, dtype=object))
    missing = int(values.isna().sum())
    if missing:
        raise DataError(
            f"{what} has {missing} missing values on labelled rows; every row needs its group",
            reason="groups_null",
        )
    n_groups = values.nunique()
    if n_groups < MIN_GROUPS:
        raise DataError(
            f"{what} has {n_groups} groups among the labelled rows; at least {MIN_GROUPS} are "
            "needed to keep groups apart in the splits",
            reason="too_few_groups",
        )


def _check_target(frame: pd.DataFrame, target: str) -> None:
    if len(frame) == 0:
        raise DataError("the dataset has no rows", reason="empty")
    labels = frame[target].dropna()
    if labels.empty:
        raise TargetError(f"target column {target!r} is all null", reason="target_null")
    n_classes = labels.astype(str).nunique()
    if n_classes < 2:
        raise TargetError(
            f"target column {target!r} has a single class ({labels.iloc[0]!r}); "
            "at least 2 are needed",
            reason="single_class",
        )
    if n_classes > MAX_CLASSES:
        raise TargetError(
            f"target column {target!r} has {n_classes} distinct values; at most {MAX_CLASSES} "
            "classes are supported (is it an id or a continuous value?)",
            reason="too_many_classes",
        )
    if len(labels) < MIN_ROWS:
        raise DataError(
            f"too few labelled rows: {len(labels)}; at least {MIN_ROWS} are needed",
            reason="too_few_rows",
        )

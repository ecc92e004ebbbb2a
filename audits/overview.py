"""Dataset overview: rows, columns, types, missing cells, duplicates, class counts."""

from __future__ import annotations

from dataclasses import dataclass

from audits.io import Dataset
from audits.models import column_kinds
from audits.quality import count_duplicate_rows

__all__ = ["ColumnOverview", "DatasetOverview", "describe_dataset"]


@dataclass(frozen=True)
class ColumnOverview:
    """One feature column: dtype, kind (numeric, categorical, datetime, empty), missing, unique."""

    name: str
    dtype: str
    kind: str
    n_missing: int
    n_unique: int


@dataclass(frozen=True)
class DatasetOverview:
    """Facts about the dataset as read.

    Attributes
    ----------
    uri : str
    target : str
    n_rows : int
        Rows audited (the sample size when sampled).
    n_rows_total : int
        Rows in the dataset according to its metadata.
    n_columns : int
        Feature columns, the target excluded.
    n_missing_cells : int
        Missing feature cells.
    n_duplicate_rows : int
        Rows identical to an earlier row, target included.
    n_missing_labels : int
    class_counts : dict of str to int
        Rows per class, largest first.
    columns : tuple of ColumnOverview
        Feature columns, in dataset order.
    fingerprint : str
        See :class:`audits.io.DatasetInfo`.
    groups : str, optional
        Group column, when the rows are grouped (it is neither a feature nor counted in
        ``n_columns``).
    n_groups : int, optional
        Distinct groups among the labelled rows.
    """

    uri: str
    target: str
    n_rows: int
    n_rows_total: int
    n_columns: int
    n_missing_cells: int
    n_duplicate_rows: int
    n_missing_labels: int
    class_counts: dict[str, int]
    columns: tuple[ColumnOverview, ...]
    fingerprint: str
    groups: str | None = None
    n_groups: int | None = None

    def facts(self) -> dict[str, float | None]:
        """The numbers the suites check, by fact name."""
        counts = list(self.class_counts.values())
        labelled = self.n_rows - self.n_missing_labels
        return {
            "n_labelled_rows": float(labelled),
            "min_class_count": float(min(counts)) if counts else None,
            "missing_label_share": self.n_missing_labels / self.n_rows,
            "duplicate_row_share": self.n_duplicate_rows / self.n_rows,
        }


def describe_dataset(dataset: Dataset) -> DatasetOverview:
    """Compute the :class:`DatasetOverview` of a loaded dataset."""
    X = dataset.X
    kinds = column_kinds(X)
    kind_of = {
        n: k for k in ("numeric", "categorical", "datetime", "empty") for n in getattr(kinds, k)
    }
    columns = tuple(
        ColumnOverview(
            name=str(name),
            dtype=str(X[name].dtype),
            kind=kind_of[name],
            n_missing=int(X[name].isna().sum()),
            n_unique=int(X[name].nunique(dropna=True)),
        )
        for name in X.columns
    )
    labels = dataset.y
    counts = labels.dropna().astype(str).value_counts()
    return DatasetOverview(
        uri=dataset.info.uri,
        target=dataset.target,
        n_rows=len(dataset.frame),
        n_rows_total=dataset.info.n_rows,
        n_columns=X.shape[1],
        n_missing_cells=int(X.isna().sum().sum()),
        n_duplicate_rows=count_duplicate_rows(dataset.frame),
        n_missing_labels=int(labels.isna().sum()),
        class_counts={str(k): int(v) for k, v in counts.items()},
        columns=columns,
        fingerprint=dataset.info.fingerprint,
        groups=dataset.groups,
        n_groups=None if (grouped := dataset.labelled_groups()) is None else int(grouped.nunique()),
    )

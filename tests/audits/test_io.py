"""Parquet ingest: file, folder, hive partitions, file:// URI, sampling, validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from audits.errors import DataError, InputError, TargetError
from audits.io import _bounded_retries, inspect_dataset, read_dataset
from audits.models import FrameEncoder


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1000
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "city": rng.choice(["a", "b", "c"], size=n),
            "label": rng.choice(["yes", "no"], size=n),
        }
    )


def test_single_file_reads_every_row_and_column(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, row_group_size=100)
    dataset = read_dataset(str(path), target="label")
    assert dataset.frame.shape == (1000, 3)
    assert list(dataset.X.columns) == ["x", "city"]
    assert dataset.y.name == "label"
    assert not dataset.sampled
    pd.testing.assert_series_equal(dataset.frame["x"], frame["x"])


def test_metadata_gives_rows_and_schema_without_reading(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, row_group_size=100)
    info = inspect_dataset(str(path))
    assert info.n_rows == 1000
    assert info.column_names == ("x", "city", "label")
    assert info.n_files == 1
    assert len(info.fingerprint) == 64


def test_fingerprint_changes_with_data_and_not_otherwise(tmp_path, frame):
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    frame.to_parquet(a)
    frame.to_parquet(b)
    changed = frame.copy()
    changed.loc[0, "x"] = 99.0
    changed.to_parquet(c)
    assert inspect_dataset(str(a)).fingerprint == inspect_dataset(str(b)).fingerprint
    assert inspect_dataset(str(a)).fingerprint != inspect_dataset(str(c)).fingerprint


def test_folder_of_files(tmp_path, frame):
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, start in enumerate(range(0, 1000, 250)):
        part = frame.iloc[start : start + 250]
        part.to_parquet(folder / f"part-{i}.parquet")
    dataset = read_dataset(str(folder), target="label")
    assert len(dataset.frame) == 1000
    assert inspect_dataset(str(folder)).n_files == 4


def test_hive_partitioned_folder_has_partition_column(tmp_path, frame):
    folder = tmp_path / "hive"
    pq.write_to_dataset(pa.Table.from_pandas(frame), folder, partition_cols=["city"])
    info = inspect_dataset(str(folder))
    assert info.n_rows == 1000
    assert "city" in info.column_names
    dataset = read_dataset(str(folder), target="label")
    counts = dataset.frame["city"].astype(str).value_counts().sort_index()
    expected = frame["city"].value_counts().sort_index()
    assert counts.to_dict() == expected.to_dict()


def test_a_single_file_in_a_key_value_folder_keeps_its_own_columns(tmp_path, frame):
    folder = tmp_path / "batch=7"
    folder.mkdir()
    frame.to_parquet(folder / "d.parquet")
    info = inspect_dataset(str(folder / "d.parquet"))
    assert info.column_names == tuple(frame.columns)
    assert "batch" not in read_dataset(str(folder / "d.parquet"), target="label").frame
    assert "batch" in inspect_dataset(str(tmp_path)).column_names  # the folder: a partition


def test_a_pandas_index_written_to_the_file_is_no_column(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.sample(200, random_state=0).to_parquet(path)  # stored as __index_level_0__
    assert inspect_dataset(str(path)).column_names == tuple(frame.columns)
    assert list(read_dataset(str(path), target="label").frame.columns) == list(frame.columns)


def test_file_uri(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    dataset = read_dataset(path.as_uri(), target="label")
    assert len(dataset.frame) == 1000


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("gs://b/x.parquet", "gs://b/x.parquet?retry_limit_seconds=30"),
        ("gcs://b/d?project_id=p", "gcs://b/d?project_id=p&retry_limit_seconds=30"),
        ("gs://b/x.parquet?retry_limit_seconds=5", "gs://b/x.parquet?retry_limit_seconds=5"),
        ("s3://b/x.parquet", "s3://b/x.parquet"),
        ("data/x.parquet", "data/x.parquet"),
    ],
)
def test_cloud_storage_retries_are_bounded(uri, expected):
    # pyarrow's Cloud Storage client retries for 15 minutes by default: offline, a
    # gs:// path hung the pre-flight that long before its one-line error (42 s now)
    assert _bounded_retries(uri) == expected
    if uri.startswith("gs://b/x.parquet"):
        filesystem, _ = pafs.FileSystem.from_uri(_bounded_retries(uri))  # no request sent
        limit = filesystem.__reduce__()[1][0]["retry_time_limit"]
        assert limit.total_seconds() == float(expected.rsplit("=", 1)[1])


def test_sample_has_exactly_k_distinct_rows(tmp_path, frame):
    frame = frame.assign(row_id=np.arange(len(frame)))
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, row_group_size=64)
    dataset = read_dataset(str(path), target="label", sample=137, seed=3)
    assert len(dataset.frame) == 137
    assert dataset.frame["row_id"].is_unique
    assert dataset.sampled
    again = read_dataset(str(path), target="label", sample=137, seed=3)
    assert again.frame["row_id"].tolist() == dataset.frame["row_id"].tolist()


def test_sample_of_partitioned_folder_keeps_partition_values(tmp_path, frame):
    folder = tmp_path / "hive"
    pq.write_to_dataset(pa.Table.from_pandas(frame), folder, partition_cols=["city"])
    dataset = read_dataset(str(folder), target="label", sample=50)
    assert len(dataset.frame) == 50
    assert dataset.frame["city"].notna().all()


def test_sample_larger_than_data_reads_all(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    assert len(read_dataset(str(path), target="label", sample=5000).frame) == 1000


def test_column_selection(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    dataset = read_dataset(str(path), target="label", columns=["x"])
    assert list(dataset.frame.columns) == ["x", "label"]


def _corrupt_page(path, frame):
    """A file whose footer is sound and whose first data page is garbage."""
    frame.to_parquet(path, compression="none")
    offset = pq.ParquetFile(path).metadata.row_group(0).column(0).data_page_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "error", "reason"),
    [
        (lambda p, f: None, InputError, "not_found"),
        (_corrupt_page, InputError, "corrupt"),
        (lambda p, f: p.write_bytes(b""), InputError, "corrupt"),
        (
            lambda p, f: p.write_bytes(b"PAR1 this is not parquet at all PAR1"),
            InputError,
            "corrupt",
        ),
        (lambda p, f: f.drop(columns=["label"]).to_parquet(p), TargetError, "target_missing"),
        (lambda p, f: f.assign(label="yes").to_parquet(p), TargetError, "single_class"),
        (lambda p, f: f.assign(label=None).to_parquet(p), TargetError, "target_null"),
        (lambda p, f: f.head(0).to_parquet(p), DataError, "empty"),
        (lambda p, f: f.head(10).to_parquet(p), DataError, "too_few_rows"),
        (
            lambda p, f: f.assign(label=np.arange(len(f))).to_parquet(p),
            TargetError,
            "too_many_classes",
        ),
        (lambda p, f: f[["label"]].to_parquet(p), DataError, "no_features"),
        (
            lambda p, f: f[["label"]].assign(x=np.nan, city=None).to_parquet(p),
            DataError,
            "no_features",
        ),
    ],
    ids=[
        "missing",
        "corrupt-page",
        "empty-file",
        "corrupt",
        "no-target",
        "one-class",
        "null-target",
        "no-rows",
        "too-few-rows",
        "id-target",
        "target-only",
        "all-null-features",
    ],
)
def test_bad_input_raises_one_line_error(tmp_path, frame, make, error, reason):
    path = tmp_path / "d.parquet"
    make(path, frame)
    with pytest.raises(error) as caught:
        read_dataset(str(path), target="label")
    assert caught.value.reason == reason
    assert "\n" not in str(caught.value)


def test_only_the_target_is_read_but_the_schema_of_the_features_is_checked(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.assign(x=np.nan).to_parquet(path)  # all null: only a full read can tell
    assert list(read_dataset(str(path), target="label", columns=[]).frame.columns) == ["label"]
    frame[["label"]].to_parquet(path)
    with pytest.raises(DataError, match="no feature columns besides the target"):
        read_dataset(str(path), target="label", columns=[])


def test_one_feature_with_a_value_is_enough(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.assign(x=np.nan, city=[None] * (len(frame) - 1) + ["a"]).to_parquet(path)
    assert read_dataset(str(path), target="label").X.notna().sum().to_dict() == {
        "x": 0,
        "city": 1,
    }


def test_unknown_selected_column(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match="not found"):
        read_dataset(str(path), target="label", columns=["nope"])


def test_nested_columns_are_named_with_their_types(tmp_path, frame):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    n = len(frame)
    table = table.append_column("tags", pa.array([[1, 2]] * n, pa.list_(pa.int64())))
    table = table.append_column("point", pa.array([{"a": 1.0}] * n))
    table = table.append_column(
        "attrs", pa.array([[("k", 1)]] * n, pa.map_(pa.string(), pa.int8()))
    )
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError) as caught:
        read_dataset(str(path), target="label")
    assert caught.value.reason == "nested_columns"
    message = str(caught.value)
    assert "\n" not in message
    for shown in ("'tags' (list<", "'point' (struct<a: double>)", "'attrs' (map<string, int8"):
        assert shown in message
    assert "'x'" not in message and "'city'" not in message
    flat = read_dataset(str(path), target="label", columns=["x", "city"])
    assert list(flat.frame.columns) == ["x", "city", "label"]


@pytest.mark.parametrize(
    ("value", "kind", "dtype", "loaded_as"),
    [
        (Decimal("1.25"), pa.decimal128(9, 2), "float64", 1.25),
        (date(2024, 2, 29), pa.date32(), "datetime64[ms]", pd.Timestamp("2024-02-29")),
        (90_000, pa.duration("ms"), "float64", 90.0),
        (3_723_000_000, pa.time64("us"), "float64", 3723.0),
    ],
    ids=["decimal", "date", "duration", "time-of-day"],
)
def test_object_typed_arrow_columns_load_as_numbers_or_timestamps(
    tmp_path, frame, value, kind, dtype, loaded_as
):
    column = pa.array([value] * (len(frame) - 1) + [None]).cast(kind)
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pandas(frame).append_column("value", column), path)
    loaded = read_dataset(str(path), target="label").frame["value"]
    assert str(loaded.dtype) == dtype
    assert loaded.iloc[0] == loaded_as
    assert loaded.isna().sum() == 1


def test_bytes_columns_are_categories(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.assign(blob=[b"\x00\xff", b"ok"] * (len(frame) // 2)).to_parquet(path)
    dataset = read_dataset(str(path), target="label")
    encoded = FrameEncoder().fit_transform(dataset.X)
    assert encoded["blob"].nunique() == 2

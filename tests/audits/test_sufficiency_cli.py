"""The ``audits forecast`` subcommand (flows/cli/forecast.py), called through argparse."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from audits.errors import ConfigError
from flows.cli import forecast


def parse(argv):
    parser = argparse.ArgumentParser(prog="audits")
    forecast.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture
def parquet(tmp_path):
    rng = np.random.default_rng(0)
    n = 800
    frame = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    frame["label"] = np.where(frame.x + 0.3 * rng.normal(size=n) > 0, "up", "down")
    frame.loc[::50, "label"] = None  # unlabelled rows are dropped
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    return path


def test_json_prints_exactly_one_object(parquet, capsys):
    args = parse(
        [
            "forecast",
            str(parquet),
            "--target",
            "label",
            "--models",
            "logistic",
            "--at",
            "800,8_000",
            "--target-score",
            "0.99",
            "--json",
        ]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    model = data["models"]["logistic"]
    assert [p["n"] for p in model["forecast"]] == [800, 8000]
    assert data["n_rows"] == 784
    assert data["rows_for_target"]["logistic"]["target"] == 0.99
    assert data["crossover"] is None


def test_table_output(parquet, capsys):
    args = parse(["forecast", str(parquet), "--target", "label", "--models", "logistic"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "logistic: curve" in out and "forecast n" in out and "measured n" in out


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--at", "ten"], "`--at` must be"),
        (["--at", "1e99"], "`at` must be one or more row counts from 1 to 1e\\+12"),
        (["--target-score", "high"], "`--target-score` must be a float"),
        (["--budget-seconds", "nan"], "`--budget-seconds` must be finite"),
        (["--metric", "f7"], "`metric` must be one of"),
        (["--jobs", "two"], "`--jobs` must be an integer"),
        (["--jobs", "0"], "`n_jobs` must be an integer >= 1"),
        (["--seed", "-1"], "the random seed must be an integer from 0 to 4294967295; got -1"),
        (["--target-score", "1.5"], "must be in \\(0, 1\\] for accuracy; got 1.5"),
        (["--models", "logistic,logistic"], "`models` must be a sequence of distinct"),
        (["--models", "logistic,no_such_module:net"], "No module named 'no_such_module'"),
    ],
)
def test_bad_options_raise_config_errors(parquet, extra, match):
    args = parse(["forecast", str(parquet), "--target", "label", "--models", "logistic", *extra])
    with pytest.raises(ConfigError, match=match):
        args.func(args)


def test_json_says_how_many_groups_the_splits_kept_apart(parquet, tmp_path, capsys):
    grouped = tmp_path / "grouped.parquet"
    frame = pd.read_parquet(parquet)
    frame.assign(person=np.arange(len(frame)) // 4).to_parquet(grouped)
    argv = ["forecast", str(grouped), "--target", "label", "--models", "logistic", "--json"]
    args = parse([*argv, "--groups", "person", "--jobs", "1"])
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_groups"] == 200
    assert data["n_rows"] == 784
    args = parse([*argv, "--jobs", "1"])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["n_groups"] is None
    args = parse([*argv[:-1], "--groups", "person", "--jobs", "1"])
    assert args.func(args) == 0
    assert "784 rows in 200 groups kept apart" in capsys.readouterr().out

"""Config of scheduled audits: TOML and YAML load the same, every mistake is one clear line."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from audits.config import AuditsConfig, Schedule, load_config, parse_config
from audits.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "datasets.toml"

TOML = """
out_dir = "out"

[defaults]
target = "label"
schedule = { cron = "0 6 * * 1-5", timezone = "Europe/Paris" }
budget_seconds = 120
timeout_seconds = 900
[defaults.suite_overrides.imbalance.expect_min_class_count_to_be_at_least]
min_value = 50

[[datasets]]
name = "credit"
path = "data/credit.parquet"
target = "Status"
allowed_labels = ["good", "bad"]
reference = "data/reference.parquet"
[datasets.suite_overrides.imbalance.expect_min_class_count_to_be_at_least]
mostly = 1.0

[[datasets]]
name = "clicks"
path = "s3://bucket/clicks/"
groups = "user_id"
models = ["classical", "logistic"]
sample = 1000
seed = 7
out_dir = "/srv/reports/clicks"
schedule = { interval_seconds = 3600 }
"""

YAML = """
out_dir: out
defaults:
  target: label
  schedule: {cron: "0 6 * * 1-5", timezone: Europe/Paris}
  budget_seconds: 120
  timeout_seconds: 900
  suite_overrides:
    imbalance:
      expect_min_class_count_to_be_at_least: {min_value: 50}
datasets:
  - name: credit
    path: data/credit.parquet
    target: Status
    allowed_labels: [good, bad]
    reference: data/reference.parquet
    suite_overrides:
      imbalance:
        expect_min_class_count_to_be_at_least: {mostly: 1.0}
  - name: clicks
    path: s3://bucket/clicks/
    groups: user_id
    models: [classical, logistic]
    sample: 1000
    seed: 7
    out_dir: /srv/reports/clicks
    schedule: {interval_seconds: 3600}
"""


@pytest.fixture
def toml_file(tmp_path: Path) -> Path:
    path = tmp_path / "datasets.toml"
    path.write_text(TOML)
    return path


def _base() -> dict:
    return {
        "defaults": {"target": "y"},
        "datasets": [
            {"name": "a", "path": "a.parquet", "schedule": {"cron": "0 6 * * *"}},
            {"name": "b", "path": "b.parquet"},
        ],
    }


def test_toml_loads_with_defaults_merged_and_paths_resolved(toml_file, tmp_path):
    config = load_config(toml_file)
    credit, clicks = config.datasets
    assert config.out_dir == str(tmp_path / "out")
    assert config.source == str(toml_file)
    assert credit.path == str(tmp_path / "data" / "credit.parquet")
    assert credit.reference == str(tmp_path / "data" / "reference.parquet")
    assert credit.out_dir == str(tmp_path / "out" / "credit")
    assert credit.target == "Status"
    assert credit.schedule == Schedule(cron="0 6 * * 1-5", timezone="Europe/Paris")
    assert credit.budget_seconds == 120
    assert credit.timeout_seconds == 900
    assert credit.suite_overrides == {
        "imbalance": {"expect_min_class_count_to_be_at_least": {"min_value": 50, "mostly": 1.0}}
    }
    assert clicks.path == "s3://bucket/clicks/"
    assert clicks.out_dir == "/srv/reports/clicks"
    assert clicks.target == "label"
    assert clicks.schedule == Schedule(interval_seconds=3600, timezone="UTC")
    assert clicks.suite_overrides == {
        "imbalance": {"expect_min_class_count_to_be_at_least": {"min_value": 50}}
    }
    assert credit.flow_parameters() == {
        "path": credit.path,
        "target": "Status",
        "out_dir": credit.out_dir,
        "sample": None,
        "allowed_labels": ["good", "bad"],
        "suite_dir": None,
        "seed": 0,
        "reference": credit.reference,
        "suite_overrides": credit.suite_overrides,
        "budget_seconds": 120,
    }
    assert "reference" not in clicks.flow_parameters()
    assert clicks.flow_parameters()["groups"] == "user_id"
    assert clicks.flow_parameters()["models"] == ["classical", "logistic"]
    assert clicks.models == ("classical", "logistic")
    assert "timeout_seconds" not in clicks.flow_parameters()
    assert (credit.max_concurrent_runs, credit.on_overlap) == (1, "skip")


def test_yaml_gives_the_same_config_as_toml(toml_file, tmp_path):
    for suffix in (".yaml", ".yml"):
        yaml_file = tmp_path / f"datasets{suffix}"
        yaml_file.write_text(YAML)
        from_yaml = load_config(yaml_file).model_dump(exclude={"source"})
        assert from_yaml == load_config(toml_file).model_dump(exclude={"source"})


def test_config_is_frozen_and_finds_datasets_by_name(toml_file):
    config = load_config(toml_file)
    assert config.dataset("clicks").sample == 1000
    with pytest.raises(ConfigError, match="no dataset named 'nope'.*'credit', 'clicks'"):
        config.dataset("nope")
    with pytest.raises(Exception, match="frozen"):
        config.datasets[0].sample = 3  # type: ignore[misc]


def _set(path: tuple, value):
    def change(data: dict) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = value

    return change


def _drop(path: tuple):
    def change(data: dict) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        del data[last]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set(("datasets", 0, "targt"), "x"),
            "unknown key `datasets[0].targt`; did you mean 'target'?",
        ),
        (_set(("defaults", "sampel"), 3), "unknown key `defaults.sampel`; did you mean 'sample'?"),
        (_set(("datasets", 0, "schedule", "every"), 3), "unknown key `datasets[0].schedule.every`"),
        (_set(("color",), "red"), "unknown key `color`"),
        (
            _set(("datasets", 0, "schedule"), {"cron": "61 * * * *"}),
            "`datasets[0].schedule.cron` must be a cron expression of 5 fields (minute hour "
            "day-of-month month day-of-week) or @hourly/@daily/...; its minute field '61' is not "
            "within 0-59; got '61 * * * *'",
        ),
        (
            _set(("datasets", 0, "schedule"), {"cron": "0 6 * *"}),
            "`datasets[0].schedule.cron` must be a cron expression of 5 fields",
        ),
        (
            _set(("datasets", 0, "schedule"), {"cron": "0 6 * * 1", "interval_seconds": 60}),
            "`datasets[0].schedule` must set exactly one of `cron` and `interval_seconds`",
        ),
        (
            _set(("datasets", 0, "schedule"), {}),
            "`datasets[0].schedule` must set exactly one of `cron` and `interval_seconds`",
        ),
        (
            _set(("datasets", 0, "schedule"), {"interval_seconds": 0}),
            "`datasets[0].schedule.interval_seconds` must be greater than 0; got 0",
        ),
        (
            _set(("datasets", 0, "schedule"), {"cron": "0 6 * * *", "timezone": "Paris"}),
            "`datasets[0].schedule.timezone` must be an IANA timezone name",
        ),
        (_set(("datasets", 1, "name"), "a"), "dataset names must be unique; 'a' is used twice"),
        (
            _set(("datasets", 1, "out_dir"), "audit-out/a"),
            "datasets 'a' and 'b' have the same out_dir",
        ),
        (_set(("datasets", 1, "name"), "a b"), "`datasets[1].name` must be 1-64 letters"),
        (_drop(("datasets", 1, "path")), "`datasets[1].path` is required"),
        (
            _drop(("defaults", "target")),
            "`datasets[0].target` is required (and 1 more problem(s))",  # both lack it
        ),
        (
            _set(("datasets", 1, "sample"), -5),
            "`datasets[1].sample` must be greater than 0; got -5",
        ),
        (_set(("datasets", 1, "sample"), "many"), "`datasets[1].sample` must be a valid integer"),
        (
            _set(("defaults", "seed"), -1),
            "`defaults.seed` must be greater than or equal to 0; got -1",
        ),
        (_set(("datasets", 0, "target_score"), float("nan")), "`datasets[0].target_score` must"),
        (_set(("datasets", 0, "budget_seconds"), float("inf")), "`datasets[0].budget_seconds`"),
        (
            _set(("datasets", 1, "allowed_labels"), ["a"]),
            "`datasets[1].allowed_labels` must have at least 2 item(s)",
        ),
        (
            _set(("datasets", 1, "suite_overrides"), {"imbalance": 3}),
            "`datasets[1].suite_overrides.imbalance` must be a valid dictionary; got 3",
        ),
        (
            _set(("defaults", "timeout_seconds"), 0),
            "`defaults.timeout_seconds` must be greater than 0",
        ),
        (
            _set(("defaults", "max_concurrent_runs"), 0),
            "`defaults.max_concurrent_runs` must be greater than or equal to 1; got 0",
        ),
        (
            _set(("datasets", 0, "on_overlap"), "drop"),
            "`datasets[0].on_overlap` must be 'skip' or 'queue'; got 'drop'",
        ),
        (
            _set(("defaults", "metric"), "nope"),
            "`defaults.metric` must be one of accuracy, balanced_accuracy, macro_f1, roc_auc, "
            "log_loss; got 'nope'",
        ),
        (
            _set(("datasets", 0, "target_score"), 2),
            "`datasets[0].target_score` must be in (0, 1] for accuracy; got 2",
        ),
        (
            _set(("defaults", "target_score"), 0),
            "`datasets[0].target_score` must be in (0, 1] for accuracy; got 0 "
            "(and 1 more problem(s))",
        ),
        (_set(("datasets", 1, "sample"), True), "`datasets[1].sample` must be a valid integer"),
        (_set(("defaults", "seed"), 1.5), "`defaults.seed` must be a valid integer; got 1.5"),
        (
            _set(("datasets", 0, "forecast"), "yes"),
            "`datasets[0].forecast` must be a valid boolean; got 'yes'",
        ),
        (
            _set(("datasets", 1, "allowed_labels"), ["a", "b", "a"]),
            "`datasets[1].allowed_labels` must list each label once; repeated: a",
        ),
        (
            _set(("defaults", "timeout_seconds"), float("inf")),
            "`defaults.timeout_seconds` must be a finite number",
        ),
        (_set(("datasets",), []), "`datasets` must have at least 1 item(s); got []"),
        (_drop(("datasets",)), "`datasets` is required"),
        (_set(("source",), "x"), "unknown key `source`"),
        (
            _set(("datasets", 0, "models"), ["classical", "transformer"]),
            "`datasets[0].models` entry 'transformer' must be one of classical, logistic, deep "
            "or a 'package.module:callable' path; got ['classical', 'transformer']",
        ),
        (
            _set(("defaults", "models"), ["classical", "no_such_module:make"]),
            "`defaults.models` entry 'no_such_module:make' names an import path that cannot be "
            "loaded (ModuleNotFoundError: No module named 'no_such_module')",
        ),
        (
            _set(("datasets", 1, "models"), ["deep", "deep"]),
            "`datasets[1].models` must list each model once; repeated: deep",
        ),
        (
            _set(("datasets", 1, "models"), "classical,deep"),
            "`datasets[1].models` must be a valid tuple; got 'classical,deep'",
        ),
        (_set(("datasets", 1, "models"), []), "`datasets[1].models` must have at least 1 item"),
    ],
)
def test_each_mistake_is_one_clear_line(change, message):
    data = copy.deepcopy(_base())
    change(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="team.toml", base_dir="/data")
    text = str(caught.value)
    assert text.startswith("team.toml: ")
    assert message in text
    assert "\n" not in text
    assert ("more problem" in text) == ("more problem" in message)  # counted right
    assert caught.value.reason == "config_invalid"


def test_a_target_score_is_checked_against_the_datasets_own_metric():
    data = copy.deepcopy(_base())
    data["defaults"]["target_score"] = 0.4
    data["datasets"][0]["metric"] = "log_loss"
    data["datasets"][1]["target_score"] = 0.9
    loaded = parse_config(data)
    assert [(d.metric, d.target_score) for d in loaded.datasets] == [
        ("log_loss", 0.4),
        (None, 0.9),
    ]


def test_file_problems_are_config_errors(tmp_path):
    cases = {
        "missing.toml": (None, "config file not found"),
        "bad.toml": ("datasets = [", "is not valid TOML"),
        "bad.yaml": ("datasets: [a, b\nout_dir: x", "is not valid YAML"),
        "list.yaml": ("- a\n- b\n", "must be a table/mapping with a `datasets` list; got list"),
        "config.json": ("{}", "must end in .toml, .yaml or .yml"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
            load_config(path)


@pytest.mark.parametrize(
    "cron",
    [
        "0 6 * * *",
        "*/15 * * * 1-5",
        "0 6 * * mon-fri",
        "0 0 1,15 * *",
        "5/10 * * * *",
        "0 6 1-31/2 jan-mar sun",
        "0 6 * * 7",
        "@daily",
        "@hourly",
        " 0  6 * * * ",
    ],
)
def test_accepted_cron_expressions_are_accepted_by_prefect(cron):
    from prefect.client.schemas.schedules import CronSchedule

    schedule = Schedule(cron=cron)
    assert CronSchedule(cron=schedule.cron, timezone="UTC").cron == schedule.cron


@pytest.mark.parametrize(
    "cron",
    [
        "61 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "* * * * 8",
        "*/0 * * * *",
        "10-5 * * * *",
        "0 6 * * * *",
        "H 6 * * *",
        "@often",
        "0 6 * * funday",
    ],
)
def test_rejected_cron_expressions(cron):
    with pytest.raises(ValueError, match="must be a cron expression"):
        Schedule(cron=cron)


def test_example_config_loads_and_points_at_bundled_data():
    config = load_config(EXAMPLE)
    assert isinstance(config, AuditsConfig)
    assert [d.name for d in config.datasets] == ["credit", "credit-sample"]
    for dataset in config.datasets:
        assert Path(dataset.path).is_file()


def test_config_module_does_not_import_prefect():
    code = "import sys, audits.config; sys.exit('prefect' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

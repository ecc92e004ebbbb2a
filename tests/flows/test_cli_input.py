"""Bad input exits with 2 and one line on stderr, before any flow starts and writes anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.cli import main


@pytest.fixture
def good(tmp_path) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=100), "y": rng.choice(["a", "b"], 100)})


@pytest.mark.parametrize(
    ("make", "target", "message"),
    [
        (lambda p, f: None, "y", "no such file or folder"),
        (lambda p, f: f.to_parquet(p), "nope", "target column 'nope' not found"),
        (lambda p, f: f.assign(y="a").to_parquet(p), "y", "single class"),
        (lambda p, f: f.assign(y=None).to_parquet(p), "y", "all null"),
        (lambda p, f: f.head(5).to_parquet(p), "y", "too few labelled rows"),
        (lambda p, f: p.write_bytes(b""), "y", "not a readable Parquet dataset"),
        (lambda p, f: p.write_bytes(b"garbage" * 100), "y", "not a readable Parquet dataset"),
    ],
    ids=[
        "missing-path",
        "missing-target",
        "one-class",
        "null-target",
        "too-few-rows",
        "empty-file",
        "corrupt-file",
    ],
)
def test_bad_input_exit_2_one_line(tmp_path, good, capsys, make, target, message):
    path = tmp_path / "data.parquet"
    make(path, good)
    out = tmp_path / "out"
    code = main(["run", str(path), "--target", target, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert message in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p, f: None, "no such file or folder"),
        (lambda p, f: f.drop(columns="y").to_parquet(p), "target column 'y' not found"),
        (lambda p, f: p.write_bytes(b""), "is not a readable Parquet dataset"),
    ],
    ids=["missing-path", "missing-target", "empty-file"],
)
def test_a_bad_reference_is_named_as_such(tmp_path, good, capsys, make, message):
    """The audited data is fine: the one line must say that the reference is not."""
    path, reference, out = tmp_path / "data.parquet", tmp_path / "ref.parquet", tmp_path / "out"
    good.to_parquet(path)
    make(reference, good)
    argv = ["run", str(path), "--target", "y", "--reference", str(reference), "--out", str(out)]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    [line] = captured.err.strip().splitlines()
    assert line.startswith("audits: error: reference dataset: ") and message in line, line
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--seed", "-1"], "the random seed must be an integer from 0 to 4294967295; got -1"),
        (["--target-score", "nan"], "`target_score` must be in (0, 1] for accuracy; got nan"),
        (["--metric", "log_loss", "--target-score", "0"], "in (0, inf) for log_loss; got 0.0"),
        (["--budget-seconds", "inf"], "`budget_seconds` must be a positive number"),
        (["--models", "classical,transformer"], "`models` entry must be one of classical"),
        (["--models", "classical,no_such_module:net"], "No module named 'no_such_module'"),
        (["--labels", ","], "`--labels` must list at least two distinct, non-empty labels"),
        (["--labels", "a,b,a"], "got 'a,b,a'"),
    ],
    ids=[
        "negative-seed",
        "nan-target",
        "best-log-loss",
        "endless-budget",
        "unknown-model",
        "unloadable-model",
        "empty-labels",
        "repeated-label",
    ],
)
def test_bad_forecast_options_exit_2_before_the_flow(tmp_path, good, capsys, options, message):
    path = tmp_path / "data.parquet"
    good.to_parquet(path)
    out = tmp_path / "out"
    code = main(["run", str(path), "--target", "y", "--out", str(out), *options])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and message in lines[0], lines
    assert not out.exists()


def test_forecast_refuses_nested_columns_in_one_line(tmp_path, good, capsys):
    path = tmp_path / "data.parquet"
    good.assign(tags=[[1.0, 2.0]] * len(good)).to_parquet(path)
    assert main(["forecast", str(path), "--target", "y"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "audits: error: columns with nested values (lists, structs or maps) cannot be "
        "audited; drop or flatten them: 'tags' (list<element: double>)"
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: f.assign(tags=[[1.0]] * len(f)), "columns with nested values"),
        (lambda f: f[["y"]], "the dataset has no feature columns besides the target"),
    ],
    ids=["nested", "target-only"],
)
def test_run_refuses_unusable_features_before_the_flow(tmp_path, good, capsys, make, message):
    """From the schema alone: no flow, so no progress line and no temporary server."""
    path, out = tmp_path / "data.parquet", tmp_path / "out"
    make(good).to_parquet(path)
    assert main(["run", str(path), "--target", "y", "--out", str(out)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("audits: error: ") and message in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (lambda f: f[["y"]], "the dataset has no feature columns besides the target"),
        (
            lambda f: f.assign(x=np.nan),
            "every feature column is all null ('x'); there is nothing to learn from",
        ),
    ],
    ids=["target-only", "all-null-features"],
)
def test_forecast_refuses_data_without_features(tmp_path, good, capsys, keep, message):
    path = tmp_path / "data.parquet"
    keep(good).to_parquet(path)
    assert main(["forecast", str(path), "--target", "y"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"audits: error: {message}"]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ("person", "group column 'person' not found"),
        ("y", "the group column cannot be the target ('y')"),
        ("g", "group column 'g' has 3 groups among the labelled rows; at least 5 are needed"),
        ("gap", "group column 'gap' has 1 missing values on labelled rows"),
    ],
    ids=["missing", "the-target", "too-few", "missing-values"],
)
@pytest.mark.parametrize("command", ["run", "forecast"])
def test_unusable_group_columns_exit_2_one_line(tmp_path, good, capsys, command, groups, message):
    path, out = tmp_path / "data.parquet", tmp_path / "out"
    gap = np.arange(len(good)).astype(str).astype(object)
    gap[3] = None
    good.assign(g=np.arange(len(good)) % 3, gap=gap).to_parquet(path)
    argv = [command, str(path), "--target", "y", "--groups", groups]
    assert main(argv + (["--out", str(out)] if command == "run" else [])) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"audits: error: {message}")
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()


def test_help_on_every_command(capsys):
    for argv in (
        ["--help"],
        *([c, "--help"] for c in ("run", "demo", "forecast", "render", "serve")),
    ):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 0
        assert "usage: audits" in capsys.readouterr().out


def test_render_rebuilds_the_report_from_results_alone(tmp_path, capsys):
    source = Path(__file__).parents[1] / "data" / "report_results.json"
    copy = tmp_path / "old" / "results.json"
    copy.parent.mkdir()
    copy.write_text(source.read_text())
    assert main(["render", str(copy)]) == 0
    page = (tmp_path / "old" / "report.html").read_text()
    assert "Dataset overview" in page
    assert main(["render", str(tmp_path / "missing.json")]) == 2
    assert "cannot read results file" in capsys.readouterr().err


def test_cli_import_leaves_prefect_unimported_so_its_logs_can_be_quietened():
    import subprocess
    import sys

    code = "import sys, flows.cli; sys.exit('prefect' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_run_config_audits_every_dataset_and_exit_code_follows(tmp_path, capsys):
    x = np.random.default_rng(1).normal(size=400)
    pd.DataFrame({"x": x, "y": np.where(x > 0, "a", "b")}).to_parquet(tmp_path / "a.parquet")
    config = tmp_path / "team.toml"
    config.write_text(
        'out_dir = "out"\n[defaults]\nforecast = false\n'
        '[[datasets]]\nname = "a"\npath = "a.parquet"\ntarget = "y"\n'
        '[[datasets]]\nname = "strict"\npath = "a.parquet"\ntarget = "y"\n'
        "[datasets.suite_overrides.imbalance.expect_min_class_count_to_be_at_least]\n"
        "min_value = 1000\n"
    )
    assert main(["run", "--config", str(config), "--only", "a"]) == 0
    assert (tmp_path / "out" / "a" / "report.html").exists()
    assert main(["run", "--config", str(config), "--only", "strict"]) == 1
    assert "failing: strict" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "x.parquet", "--config", "c.toml"], "not both"),
        (["run", "x.parquet"], "needs PATH and --target"),
        (["run", "--config", "missing.toml"], "missing.toml"),
        (
            ["run", "--config", "c.toml", "--no-forecast", "--seed", "3", "--out", "o"],
            "--out, --no-forecast, --seed cannot be used with --config: set `out_dir`, "
            "`forecast = false`, `seed` in the file instead",
        ),
        (
            ["run", "{sample}", "--target", "Status", "--dask-address", "nowhere"],
            "`dask_address` must look like tcp://host:8786",
        ),
        (
            ["run", "--config", "c.toml", "--groups", "person"],
            "--groups cannot be used with --config: set `groups` in the file instead",
        ),
        (
            ["run", "--config", "c.toml", "--models", "classical,logistic"],
            "--models cannot be used with --config: set `models` in the file instead",
        ),
    ],
)
def test_run_argument_errors_are_one_line(tmp_path, capsys, argv, message):
    from audits.data import sample_path

    argv = [arg.format(sample=sample_path()) for arg in argv]
    out = [] if "--config" in argv else ["--out", str(tmp_path / "out")]  # --out is an error there
    assert main([*argv, *out]) == 2
    assert not (tmp_path / "out").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "x.parquet", "--target", "y", "--sample", "0"], "--sample: must be at least 1"),
        (["run", "x.parquet", "--target", "y", "--sample", "1.5"], "must be a whole number"),
        (["serve", "--config", "c.toml", "--limit", "0"], "--limit: must be at least 1; got 0"),
        (["serve", "--config", "c.toml", "--limit", "-3"], "must be at least 1; got -3"),
    ],
)
def test_counts_below_one_are_refused_by_the_parser(capsys, argv, message):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()  # no usage block: one line
    assert message in line and line.endswith("--help)")


def _config(path: Path, *, out_dir: str = "out", dataset_out: str | None = None) -> Path:
    """A config of one dataset ``a`` at ``path``."""
    frame = pd.DataFrame({"x": [0.0, 1.0] * 50, "y": ["a", "b"] * 50})
    frame.to_parquet(path.with_name("a.parquet"))
    config = path
    own = f'out_dir = "{dataset_out}"\n' if dataset_out else ""
    config.write_text(
        f'out_dir = "{out_dir}"\n[[datasets]]\nname = "a"\npath = "a.parquet"\ntarget = "y"\n' + own
    )
    return config


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "{sample}", "--target", "Status", "--out", "{file}"], "is a file"),
        (
            ["run", "{sample}", "--target", "Status", "--out", "{file}/deeper/out"],
            "cannot be created: {file} is a file",
        ),
        (["run", "--config", "{config_out_is_file}"], "output folder {file} is a file"),
        (["run", "--config", "{dataset_out_under_file}"], "{file} is a file"),
        (["run", "--config", "{config_out_is_file}", "--only", "nosuch"], "no dataset named"),
    ],
    ids=["out-is-file", "out-under-file", "config-out-is-file", "dataset-out-under-file", "only"],
)
def test_unusable_output_folders_exit_2_before_anything_runs(tmp_path, capsys, argv, message):
    from audits.data import sample_path

    file = tmp_path / "taken"
    file.write_text("keep me")
    names = {
        "sample": sample_path(),
        "file": file,
        "config_out_is_file": _config(tmp_path / "one.toml", out_dir=str(file)),
        "dataset_out_under_file": _config(tmp_path / "two.toml", dataset_out=f"{file}/a"),
    }
    before = sorted(tmp_path.rglob("*"))
    assert main([arg.format(**names) for arg in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message.format(**names) in err[0], err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, not even a folder
    assert file.read_text() == "keep me"


def _results_document() -> dict:
    import json

    return json.loads((Path(__file__).parents[1] / "data" / "report_results.json").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema_version="0"), "has schema_version '0'; this version reads '1'"),
        (lambda d: d.pop("schema_version"), "has schema_version None"),
        (lambda d: d.clear(), "has schema_version None"),
        (lambda d: d.update(overview=5), "overview must be an object; got int"),
        (lambda d: d.pop("validation"), "the document lacks validation"),
        (lambda d: d["overview"].update(n_rows="many"), "overview.n_rows must be a int; got str"),
        (lambda d: d["overview"].pop("target"), "overview lacks target"),
        (lambda d: d["labels"]["noise"].update(worst={}), "labels.noise.worst must be a list"),
        (lambda d: d.update(overview=None), "overview must not be null"),
        (lambda d: d["overview"].update(uri=None), "overview.uri must not be null"),
    ],
    ids=[
        "version",
        "no-version",
        "empty",
        "section-type",
        "no-section",
        "field",
        "no-field",
        "list",
        "null-section",
        "null-text",
    ],
)
def test_render_refuses_results_of_another_shape(tmp_path, capsys, change, message):
    import json

    document = _results_document()
    change(document)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document))
    assert main(["render", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize(
    ("out", "message"), [("folder", "is a folder"), ("taken/report.html", "taken is a file")]
)
def test_render_refuses_an_unusable_output_file(tmp_path, capsys, out, message):
    import json

    path = tmp_path / "results.json"
    path.write_text(json.dumps(_results_document()))
    (tmp_path / "folder").mkdir()
    (tmp_path / "taken").write_text("keep me")
    assert main(["render", str(path), "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert (tmp_path / "taken").read_text() == "keep me" and not any(
        (tmp_path / "folder").iterdir()
    )


def test_bad_suites_fail_before_any_run(tmp_path, capsys):
    """A missing suite folder, or an override naming no expectation, exits 2 in one line
    before the flow starts: not after the fits, nor in a scheduled run at 6 a.m."""
    from audits.data import sample_path

    out = tmp_path / "out"
    argv = ["run", str(sample_path()), "--target", "Status", "--out", str(out)]
    assert main([*argv, "--suites", str(tmp_path / "nowhere")]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("audits: error: no expectation suites (*.json) in ")
    config = tmp_path / "team.toml"
    config.write_text(
        f'out_dir = "{out}"\n[[datasets]]\nname = "credit"\npath = "{sample_path()}"\n'
        'target = "Status"\n[datasets.suite_overrides.noise]\n'
        "expect_label_noise_rate_to_be_at_mots = { max_value = 0.2 }\n"
    )
    said = (
        "audits: error: dataset 'credit': override names "
        "'expect_label_noise_rate_to_be_at_mots', which suite 'noise' does not have; "
        "did you mean 'expect_label_noise_rate_to_be_at_most'?"
    )
    for command in (
        ["run", "--config", str(config)],
        ["serve", "--config", str(config), "--dry-run"],
    ):
        assert main(command) == 2
        assert capsys.readouterr().err.strip().splitlines() == [said]
    assert not out.exists()

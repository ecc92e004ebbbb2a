"""Orchestration: deployments and schedules, prefect.yaml, retries, the cache, Dask,
audit-many."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings
from prefect.states import Completed, Pending, Running

import flows.audit_dataset as audit_module
from audits._serde import to_jsonable
from audits.config import load_config
from audits.errors import ConfigError, InputError
from audits.io import inspect_dataset, read_dataset
from audits.results import computed_part
from flows.audit_dataset import overview_task, read_task
from flows.audit_many import audit_many
from flows.caching import DATASET_CACHE, dataset_cache, dataset_key, frame_key
from flows.cli import serve
from flows.deployments import build_deployments, concurrency_limit, make_runner
from flows.runners import make_task_runner

TARGET = "label"


def write_dataset(path: Path, *, seed: int, n: int = 240) -> Path:
    """Two features, a label that depends on ``x`` (class sizes vary with the seed)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "city": rng.choice(["a", "b", "c"], size=n),
            TARGET: np.where(x > 0.2, "yes", "no"),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def write_config(folder: Path, datasets: dict[str, dict], **top: object) -> Path:
    """A TOML config with ``[[datasets]]`` entries; values written as TOML literals."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in top.items()]
    lines += ["[defaults]", f"target = {json.dumps(TARGET)}"]
    for name, options in datasets.items():
        lines += ["[[datasets]]", f"name = {json.dumps(name)}"]
        for key, value in options.items():
            literal = (
                ("{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }")
                if isinstance(value, dict)
                else json.dumps(value)
            )
            lines.append(f"{key} = {literal}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "datasets.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def comparable(results_json: Path) -> dict:
    """What the run behind ``results_json`` computed (see ``computed_part``)."""
    return computed_part(json.loads(results_json.read_text()))


# --- deployments -------------------------------------------------------------------------


def test_deployments_carry_schedules_and_served_runs_keep_their_timeout(tmp_path):
    data = write_dataset(tmp_path / "a.parquet", seed=1)
    prefix = tmp_path.name
    config = load_config(
        write_config(
            tmp_path,
            {
                f"{prefix}-cron": {
                    "path": str(data),
                    "schedule": {"cron": "30 6 * * 1-5", "timezone": "Europe/Paris"},
                },
                f"{prefix}-hourly": {
                    "path": str(data),
                    "budget_seconds": 120,
                    "max_concurrent_runs": 2,
                    "on_overlap": "queue",
                    "timeout_seconds": 600,
                    "schedule": {"interval_seconds": 3600, "timezone": "America/New_York"},
                },
                f"{prefix}-tight": {"path": str(data), "timeout_seconds": 0.5},
            },
        )
    )
    deployments = build_deployments(config)
    assert [d.name for d in deployments] == [d.name for d in config.datasets] + ["datasets"]
    for deployment in deployments:
        deployment.apply()

    cron_name, hourly_name, tight_name = (f"audit-dataset/{d.name}" for d in config.datasets)
    with get_client(sync_client=True) as client:
        cron = client.read_deployment_by_name(cron_name)
        hourly = client.read_deployment_by_name(hourly_name)
        many = client.read_deployment_by_name("audit-many/datasets")
    (cron_schedule,) = cron.schedules
    assert cron_schedule.schedule.cron == "30 6 * * 1-5"
    assert cron_schedule.schedule.timezone == "Europe/Paris"
    assert cron_schedule.active
    (hourly_schedule,) = hourly.schedules
    assert hourly_schedule.schedule.interval == timedelta(hours=1)
    assert hourly_schedule.schedule.timezone == "America/New_York"
    assert cron.parameters == config.datasets[0].flow_parameters()
    assert cron.global_concurrency_limit.limit == 1
    assert cron.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert hourly.global_concurrency_limit.limit == 2
    assert hourly.concurrency_options.collision_strategy == "ENQUEUE"
    assert "audits" in cron.tags
    assert many.schedules == []
    assert many.parameters == {"config": str(Path(config.source).resolve())}

    # What `audits serve` does with runs of its deployments: the runner executes each
    # in a subprocess with the flow object, so it keeps the dataset's timeout.
    runner = make_runner(config, only=[d.name for d in config.datasets])
    done = run_deployment(cron_name, timeout=0)
    tight = run_deployment(tight_name, timeout=0)
    asyncio.run(runner.start(run_once=True))
    with get_client(sync_client=True) as client:
        done = client.read_flow_run(done.id)
        tight = client.read_flow_run(tight.id)
    assert done.deployment_id == cron.id
    assert done.state.is_completed()
    assert (Path(config.datasets[0].out_dir) / "results.json").is_file()
    assert tight.state.name == "TimedOut"
    assert not (Path(config.datasets[2].out_dir) / "results.json").exists()


@pytest.mark.parametrize(
    ("on_overlap", "second"), [("skip", "Cancelled"), ("queue", "AwaitingConcurrencySlot")]
)
def test_a_run_due_while_one_is_going_is_skipped_or_queued(tmp_path, on_overlap, second):
    """The server enforces the deployment's limit when a run is about to start."""
    data = write_dataset(tmp_path / "a.parquet", seed=3)
    name = f"{tmp_path.name}-{on_overlap}"
    config = load_config(
        write_config(tmp_path, {name: {"path": str(data), "on_overlap": on_overlap}})
    )
    (deployment,) = build_deployments(config, only=[name])
    deployment_id = deployment.apply()
    with get_client(sync_client=True) as client:
        runs = [client.create_flow_run_from_deployment(deployment_id) for _ in range(3)]
        outcomes = [client.set_flow_run_state(run.id, Pending()).state.name for run in runs]
        assert outcomes == ["Pending", second, second]
        for state in (Running(), Completed()):  # the first run ends: its slot is free again
            client.set_flow_run_state(runs[0].id, state)
        later = client.create_flow_run_from_deployment(deployment_id)
        assert client.set_flow_run_state(later.id, Pending()).state.name == "Pending"


def test_serve_dry_run_lists_the_deployments(tmp_path, capsys):
    data = write_dataset(tmp_path / "a.parquet", seed=2)
    path = write_config(
        tmp_path, {"nightly": {"path": str(data), "schedule": {"cron": "0 2 * * *"}}}
    )
    args = serve_args("--config", str(path), "--dry-run")
    assert args.func(args) == 0
    listed = capsys.readouterr().err
    assert (
        "audit-dataset/nightly: cron '0 2 * * *' (UTC); at most 1 run(s) at a time, "
        "more are skipped"
    ) in listed
    assert "audit-many/datasets: on demand\n" in listed
    with pytest.raises(ConfigError, match="no dataset named 'other'"):
        args = serve_args("--config", str(path), "--only", "other", "--dry-run")
        args.func(args)


def test_prefect_yaml_declares_the_example_config():
    import yaml

    root = Path(__file__).parents[2]
    config = load_config(root / "examples" / "datasets.toml")
    declared = {
        d["name"]: d for d in yaml.safe_load((root / "prefect.yaml").read_text())["deployments"]
    }
    assert set(declared) == {d.name for d in config.datasets} | {"datasets"}
    assert declared["datasets"]["parameters"] == {"config": "examples/datasets.toml"}
    for dataset in config.datasets:
        deployment = declared[dataset.name]
        assert deployment["entrypoint"] == "flows/audit_dataset.py:audit_dataset"
        expected = dataset.flow_parameters()
        for key in ("path", "out_dir"):
            expected[key] = str(Path(expected[key]).relative_to(root))
        assert deployment["parameters"] == expected
        (schedule,) = deployment["schedules"]
        assert schedule.get("cron") == dataset.schedule.cron
        assert schedule.get("interval") == dataset.schedule.interval_seconds
        assert schedule["timezone"] == dataset.schedule.timezone
        limit = concurrency_limit(dataset)
        assert deployment["concurrency_limit"] == {
            "limit": limit.limit,
            "collision_strategy": limit.collision_strategy.value,
        }


def serve_args(*argv: str):
    import argparse

    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


# --- retries -----------------------------------------------------------------------------


def test_transient_read_error_is_retried_bad_input_is_not(tmp_path, monkeypatch):
    data = write_dataset(tmp_path / "a.parquet", seed=3)
    calls = []
    failures = [ConnectionResetError("connection reset by peer")]

    def flaky(path, **options):
        calls.append(path)
        if failures:
            raise failures.pop()
        return read_dataset(path, **options)

    monkeypatch.setattr(audit_module, "read_dataset", flaky)

    @flow
    def read_flow(path: str):
        return read_task(path, TARGET, None, 0)

    assert read_flow(str(data)).frame.shape == (240, 3)
    assert len(calls) == 2

    calls.clear()
    state = read_flow(str(tmp_path / "missing.parquet"), return_state=True)
    assert state.is_failed()
    assert len(calls) == 1
    with pytest.raises(InputError, match="no such file"):
        state.result()


# --- cache -------------------------------------------------------------------------------


def test_unchanged_rerun_hits_the_cache_a_relabelled_row_does_not(tmp_path, monkeypatch):
    path = write_dataset(tmp_path / "cache.parquet", seed=4, n=300)
    calls = []
    describe = audit_module.describe_dataset

    def counted(dataset):
        calls.append(dataset)
        return describe(dataset)

    monkeypatch.setattr(audit_module, "describe_dataset", counted)
    cached_overview = overview_task.with_options(cache_policy=DATASET_CACHE)

    @flow
    def describe_flow(path: str):
        dataset = read_task(path, TARGET, None, 0)
        return cached_overview(dataset, return_state=True)

    first = describe_flow(str(path))
    second = describe_flow(str(path))
    assert first.name == "Completed"
    assert second.name == "Cached"
    assert len(calls) == 1
    assert to_jsonable(second.result()) == to_jsonable(first.result())

    # Swap two labels: the Parquet fingerprint (footers, sizes) stays the same,
    # the content key does not, so the task runs again.
    frame = pd.read_parquet(path)
    yes, no = frame.index[frame[TARGET] == "yes"][0], frame.index[frame[TARGET] == "no"][0]
    frame.loc[[yes, no], TARGET] = ["no", "yes"]
    before = inspect_dataset(str(path)).fingerprint
    frame.to_parquet(path, index=False)
    assert inspect_dataset(str(path)).fingerprint == before
    third = describe_flow(str(path))
    assert third.name == "Completed"
    assert len(calls) == 2


def test_content_keys_follow_the_data_not_the_path(tmp_path):
    a = read_dataset(str(write_dataset(tmp_path / "one" / "d.parquet", seed=5)), target=TARGET)
    b = read_dataset(str(write_dataset(tmp_path / "two" / "d.parquet", seed=5)), target=TARGET)
    c = read_dataset(str(write_dataset(tmp_path / "three.parquet", seed=6)), target=TARGET)
    assert dataset_key(a) == dataset_key(b) != dataset_key(c)
    assert frame_key(a.frame) != frame_key(a.frame.astype({"x": "float32"}))
    assert frame_key(a.frame[["x"]]) != frame_key(a.frame[["x"]].rename(columns={"x": "z"}))
    # Stable across processes: a scheduled rerun is a new process.
    code = (
        "import sys; from audits.io import read_dataset; from flows.caching import "
        f"dataset_key; print(dataset_key(read_dataset(sys.argv[1], target={TARGET!r})))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, a.info.uri], capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == dataset_key(a)


def test_excluded_inputs_do_not_change_the_key(tmp_path):
    dataset = read_dataset(str(write_dataset(tmp_path / "d.parquet", seed=7)), target=TARGET)
    policy = dataset_cache(exclude=("map_fn",)).policies[0]
    key = policy.compute_key(None, {"dataset": dataset, "folds": 5, "map_fn": map}, {})
    assert key == policy.compute_key(None, {"dataset": dataset, "folds": 5, "map_fn": None}, {})
    assert key != policy.compute_key(None, {"dataset": dataset, "folds": 3, "map_fn": map}, {})


# --- runners -----------------------------------------------------------------------------


def test_runner_factory(monkeypatch):
    from prefect.task_runners import ThreadPoolTaskRunner

    assert isinstance(make_task_runner(), ThreadPoolTaskRunner)
    assert make_task_runner()._max_workers == 1
    assert make_task_runner("threads")._max_workers == len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {1, 4, 7})  # `taskset -c 1,4,7`
    assert make_task_runner("threads")._max_workers == 3
    monkeypatch.undo()
    assert make_task_runner("threads", max_workers=3)._max_workers == 3
    for kwargs, message in [
        ({"kind": "spark"}, "`task_runner` must be one of sequential, threads, dask"),
        ({"kind": "threads", "dask_address": "tcp://h:8786"}, "needs the dask task runner"),
        ({"kind": "dask", "n_workers": 0}, "`n_workers` must be at least 1"),
    ]:
        with pytest.raises(ConfigError, match=message):
            make_task_runner(**kwargs)
    pytest.importorskip("prefect_dask")
    remote = make_task_runner("dask", dask_address="tcp://10.0.0.5:8786")
    assert remote.address == "tcp://10.0.0.5:8786"
    local = make_task_runner("dask", n_workers=3)
    assert local.cluster_kwargs["n_workers"] == 3


# --- audit-many --------------------------------------------------------------------------


GOOD = {"good-a": 8, "good-b": 9}


@pytest.fixture(scope="module")
def many_on_threads(prefect_harness, tmp_path_factory):
    """audit-many on the thread pool: two good datasets, a missing file, one past its timeout.

    Returns the folder, the config and the final state of the run.
    """
    folder = tmp_path_factory.mktemp("many")
    read = audit_module.read_dataset

    def slow_for_some(path, **options):
        if "slow" in path:
            for _ in range(400):  # short sleeps: the timeout lands between two of them
                time.sleep(0.05)
        return read(path, **options)

    datasets = {
        name: {"path": str(write_dataset(folder / f"{name}.parquet", seed=seed))}
        for name, seed in GOOD.items()
    }
    datasets["missing"] = {"path": str(folder / "<b>missing.parquet")}
    datasets["slow"] = {
        "path": str(write_dataset(folder / "slow.parquet", seed=10)),
        "timeout_seconds": 2,
    }
    config = write_config(folder, datasets, out_dir="index")
    on_threads = audit_many.with_options(task_runner=make_task_runner("threads"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(audit_module, "read_dataset", slow_for_some)
        state = on_threads(str(config), return_state=True)
    return folder, config, state


def test_audit_many_one_bad_dataset_fails_alone(many_on_threads):
    """A missing file and a run past its timeout fail their own runs; the others pass."""
    folder, _, state = many_on_threads
    assert state.is_failed()
    assert "2 of 4 dataset run(s) failed: missing, slow" in state.message
    # One line per failed run says why, without Prefect's preamble.
    assert "\n  missing: InputError: no such file or folder: " in state.message
    assert "\n  slow: " in state.message

    summary = json.loads((folder / "index" / "summary.json").read_text())
    rows = {row["name"]: row for row in summary["datasets"]}
    for name in GOOD:
        assert rows[name]["state"] == "Completed"
        assert rows[name]["status"] in ("passed", "failed")  # the verdict of the suites
        assert (folder / "index" / name / "results.json").is_file()
    assert rows["missing"]["status"] == "error"
    assert rows["missing"]["message"].startswith("InputError: no such file or folder")
    assert rows["slow"]["status"] == "error"
    assert rows["slow"]["state"] == "TimedOut"
    assert summary["counts"]["error"] == 2
    page = (folder / "index" / "index.html").read_text()
    assert "&lt;b&gt;missing.parquet" in page
    assert "<b>missing" not in page
    assert 'href="good-a/report.html"' in page


def test_dask_local_cluster_gives_the_local_results(many_on_threads, tmp_path):
    """The good datasets again on a 2-process LocalCluster: the same results.json."""
    pytest.importorskip("prefect_dask")
    folder, config, _ = many_on_threads
    on_dask = audit_many.with_options(task_runner=make_task_runner("dask", n_workers=2))
    copy = tmp_path / "datasets.toml"
    copy.write_text(
        config.read_text().replace(
            'out_dir = "index"', f"out_dir = {json.dumps(str(tmp_path / 'out'))}"
        )
    )
    summary = on_dask(str(copy), only=list(GOOD))
    assert [row["state"] for row in summary["datasets"]] == ["Completed", "Completed"]
    for name in GOOD:
        assert comparable(tmp_path / "out" / name / "results.json") == comparable(
            folder / "index" / name / "results.json"
        )


def fit_runs(state) -> dict[str, int]:
    """Completed fit task runs of a flow run, counted by task name (``fit-fold``, ...)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    counts: dict[str, int] = {}
    for run in runs:
        if run.name.startswith("fit-") and run.state.is_completed():
            kind = run.name.rsplit("-", 1)[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_fits_of_one_dataset_fan_out_to_dask_workers(prefect_harness, tmp_path):
    """Folds, resampling arms, adversarial folds and anchors of one dataset are task runs:
    on a 2-process LocalCluster they give the results of the default one-at-a-time run."""
    pytest.importorskip("prefect_dask")
    data = write_dataset(tmp_path / "a.parquet", seed=4, n=400)
    reference = write_dataset(tmp_path / "ref.parquet", seed=5, n=400)
    options = {"reference": str(reference), "budget_seconds": None}
    local = audit_module.audit_dataset(
        str(data), TARGET, str(tmp_path / "local"), **options, return_state=True
    )
    on_dask = audit_module.audit_dataset.with_options(
        task_runner=make_task_runner("dask", n_workers=2)
    )
    with temporary_settings({PREFECT_TASKS_REFRESH_CACHE: True}):  # fit again, do not reuse
        dask = on_dask(str(data), TARGET, str(tmp_path / "dask"), **options, return_state=True)
    assert local.is_completed() and dask.is_completed()
    assert comparable(tmp_path / "dask" / "results.json") == comparable(
        tmp_path / "local" / "results.json"
    )

    results = json.loads((tmp_path / "local" / "results.json").read_text())
    anchors = sum(
        len(anchor["scores"])
        for model in results["sufficiency"]["models"].values()
        for anchor in model["anchors"]
    )
    expected = {
        "fit-fold": 5,
        "fit-resampling-arm": sum(
            len(a["scores"]) for a in results["imbalance"]["what_if"]["arms"]
        ),
        "fit-adversarial-fold": results["drift"]["adversarial"]["n_folds"],
        "fit-anchor": anchors,
    }
    assert fit_runs(local) == expected
    assert fit_runs(dask) == expected

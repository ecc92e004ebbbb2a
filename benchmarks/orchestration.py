"""Wall time of audits on each task runner: sequential, thread pool, 2-worker Dask.

Usage::

    python benchmarks/orchestration.py [--repeats 3] [--sample 2000] [--one-sample 8000]
                                       [--datasets DIR]

Two workloads, each run in every mode side by side:

- ``many``: ``audit-many`` over four mid-size datasets of ``../shared/datasets``
  (target from its ``catalog.json``; else the bundled sample four times with
  different seeds), ``--sample`` rows each. The runner spreads whole datasets.
- ``one``: ``audit-dataset`` on the first of them, ``--one-sample`` rows. The runner
  spreads the model fits of that one dataset (folds, resampling arms, anchors).

Each workload runs once to warm up (imports, suite loading) and then ``--repeats``
times per mode; the cache is bypassed (``PREFECT_TASKS_REFRESH_CACHE``), so every
run fits every model. The tables give the median, min and max wall seconds and
check that every mode wrote the same ``results.json`` as the warm-up (measured
times and sizes aside). Runs go to ``PREFECT_API_URL`` when set, else to a temporary
Prefect server started for the benchmark (Dask worker processes report to it).

Modes: ``sequential`` (one fit at a time, the default), ``threads`` (one thread
per core), ``dask-temporary`` (a 2-process ``LocalCluster`` started and stopped by
each flow run, as ``--task-runner dask`` does) and ``dask-existing`` (the same
cluster started once by this script, as ``--dask-address`` uses it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "False",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_TASKS_REFRESH_CACHE": "true",
}.items():
    os.environ.setdefault(_name, _value)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PICKED = (
    "ggplot2__diamonds.parquet",
    "carData__MplsStops.parquet",
    "mlmRev__Chem97.parquet",
    "sampleSelection__nlswork.parquet",
)


def _datasets(folder: Path) -> list[tuple[str, str, str, int]]:
    """(name, path, target, seed) of the four datasets."""
    catalog = folder / "catalog.json"
    if catalog.is_file():
        targets = {e["file"]: e["target"] for e in json.loads(catalog.read_text())["datasets"]}
        return [
            (
                file.split("__")[1].removesuffix(".parquet").lower(),
                str(folder / file),
                targets[file],
                0,
            )
            for file in PICKED
        ]
    from audits.data import SAMPLE_TARGET, sample_path

    return [(f"credit-{seed}", str(sample_path()), SAMPLE_TARGET, seed) for seed in range(4)]


def _write_config(folder: Path, datasets: list[tuple[str, str, str, int]], sample: int) -> Path:
    lines = ['out_dir = "out"', "[defaults]", f"sample = {sample}"]
    for name, path, target, seed in datasets:
        lines += [
            "[[datasets]]",
            f"name = {json.dumps(name)}",
            f"path = {json.dumps(path)}",
            f"target = {json.dumps(target)}",
            f"seed = {seed}",
        ]
    config = folder / "datasets.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


@contextlib.contextmanager
def _prefect_api() -> Iterator[None]:
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _comparable(out: Path) -> dict[str, dict]:
    """What each dataset's run computed (its results.json without measured costs)."""
    from audits.results import computed_part

    return {
        results.parent.name: computed_part(json.loads(results.read_text()))
        for results in sorted(out.glob("*/results.json"))
    }


def _workloads(
    work: Path, datasets: list[tuple[str, str, str, int]], sample: int, one_sample: int
) -> dict[str, Callable[[Any, Path], None]]:
    """``{workload: run(task_runner, folder)}``: each writes its results below ``folder``."""
    from flows.audit_dataset import audit_dataset
    from flows.audit_many import audit_many

    _, path, target, seed = datasets[0]

    def many(runner: Any, folder: Path) -> None:
        audit_many.with_options(task_runner=runner)(str(_write_config(folder, datasets, sample)))

    def one(runner: Any, folder: Path) -> None:
        audit_dataset.with_options(task_runner=runner)(
            path, target, str(folder / "out" / "one"), sample=one_sample, seed=seed
        )

    return {"many": many, "one": one}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--sample", type=int, default=2000, help="rows per dataset of `many` (default: %(default)s)"
    )
    parser.add_argument(
        "--one-sample", type=int, default=8000, help="rows of `one` (default: %(default)s)"
    )
    parser.add_argument(
        "--datasets",
        type=Path,
        default=SHARED,
        help="folder with catalog.json (default: %(default)s)",
    )
    args = parser.parse_args()

    from distributed import LocalCluster

    from flows.runners import make_task_runner

    work = Path(tempfile.mkdtemp(prefix="bench-orchestration-"))
    datasets = _datasets(args.datasets)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        "datasets: "
        + ", ".join(f"{n} ({Path(p).name}, target {t})" for n, p, t, _ in datasets)
        + f"; many: {args.sample} rows each; one: {datasets[0][0]}, {args.one_sample} rows"
    )
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    with (
        _prefect_api(),
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
    ):
        modes = {
            "sequential": lambda: make_task_runner("sequential"),
            "threads": lambda: make_task_runner("threads"),
            "dask-temporary": lambda: make_task_runner("dask", n_workers=2),
            "dask-existing": lambda: make_task_runner(
                "dask", dask_address=cluster.scheduler_address
            ),
        }
        tables = {}
        for workload, run in _workloads(work, datasets, args.sample, args.one_sample).items():
            warm = work / f"{workload}-warm-up"
            warm.mkdir()
            run(make_task_runner("sequential"), warm)
            reference = _comparable(warm / "out")
            rows = []
            for mode, runner in modes.items():
                seconds, same = [], True
                for repeat in range(args.repeats):
                    folder = work / f"{workload}-{mode}-{repeat}"
                    folder.mkdir()
                    clock = time.perf_counter()
                    run(runner(), folder)
                    seconds.append(time.perf_counter() - clock)
                    identical = _comparable(folder / "out") == reference
                    same = same and identical
                    print(
                        f"  {workload} {mode} #{repeat + 1}: {seconds[-1]:.1f} s, "
                        f"results identical: {identical}",
                        flush=True,
                    )
                rows.append((mode, statistics.median(seconds), min(seconds), max(seconds), same))
            tables[workload] = rows
    for workload, rows in tables.items():
        base = rows[0][1]
        print(f"\n{workload}: median of {args.repeats} runs (wall seconds)\n")
        print("| mode | median s | min s | max s | speed-up vs sequential | same results |")
        print("|---|---:|---:|---:|---:|---|")
        for mode, median, low, high, same in rows:
            print(
                f"| {mode} | {median:.1f} | {low:.1f} | {high:.1f} | {base / median:.2f}x | "
                f"{'yes' if same else 'NO'} |"
            )


if __name__ == "__main__":
    main()

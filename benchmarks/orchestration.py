"""Wall time of ``audit-many`` over 4 datasets: sequential, thread pool, 2-worker Dask.

Usage::

    python benchmarks/orchestration.py [--repeats 3] [--sample 5000] [--datasets DIR]

Datasets: four mid-size ones of ``../shared/datasets`` (target from its
``catalog.json``) when that folder exists, else the bundled sample four times with
different seeds; each is audited on a sample of ``--sample`` rows. Each mode runs
the same config ``--repeats`` times after one warm-up run (imports, suite
loading); the table gives the median, min and max
wall seconds and checks that every mode wrote the same ``results.json`` (run
timings aside). Runs go to ``PREFECT_API_URL`` when set, else to a temporary
Prefect server started for the benchmark (Dask worker processes report to it).

Modes: ``sequential`` (one thread), ``threads`` (Prefect's thread pool),
``dask-temporary`` (a 2-process ``LocalCluster`` started and stopped by each flow
run, as ``audits serve --runner dask`` does) and ``dask-existing`` (the same
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
from collections.abc import Iterator
from pathlib import Path

for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "False",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(_name, _value)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PICKED = (
    "ggplot2__diamonds.parquet",
    "carData__MplsStops.parquet",
    "mlmRev__Chem97.parquet",
    "sampleSelection__nlswork.parquet",
)


def _datasets(folder: Path) -> list[tuple[str, str, str, int | None]]:
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


def _write_config(
    folder: Path, datasets: list[tuple[str, str, str, int | None]], sample: int
) -> Path:
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
    """Each dataset's results.json without measured times (run, fit/load/predict seconds)."""
    return {
        results.parent.name: _without_timings(json.loads(results.read_text()))
        for results in sorted(out.glob("*/results.json"))
    }


def _without_timings(value: object) -> object:
    if isinstance(value, dict):
        return {
            k: _without_timings(v)
            for k, v in value.items()
            if k not in ("run", "cost_curves") and "seconds" not in k
        }
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--sample", type=int, default=5000, help="rows audited per dataset (default: %(default)s)"
    )
    parser.add_argument(
        "--datasets",
        type=Path,
        default=SHARED,
        help="folder with catalog.json (default: %(default)s)",
    )
    args = parser.parse_args()

    from distributed import LocalCluster

    from flows.audit_many import audit_many
    from flows.runners import make_task_runner

    work = Path(tempfile.mkdtemp(prefix="bench-orchestration-"))
    datasets = _datasets(args.datasets)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        "datasets: "
        + ", ".join(f"{n} ({Path(p).name}, target {t})" for n, p, t, _ in datasets)
        + f"; {args.sample} rows each"
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
        warm = work / "warm-up"
        warm.mkdir()
        audit_many(str(_write_config(warm, datasets, args.sample)))
        reference = _comparable(warm / "out")
        rows = []
        for mode, runner in modes.items():
            seconds, same = [], True
            for repeat in range(args.repeats):
                folder = work / f"{mode}-{repeat}"
                folder.mkdir()
                config = _write_config(folder, datasets, args.sample)
                clock = time.perf_counter()
                audit_many.with_options(task_runner=runner())(str(config))
                seconds.append(time.perf_counter() - clock)
                identical = _comparable(folder / "out") == reference
                same = same and identical
                print(
                    f"  {mode} #{repeat + 1}: {seconds[-1]:.1f} s, results identical: {identical}",
                    flush=True,
                )
            rows.append((mode, statistics.median(seconds), min(seconds), max(seconds), same))
    base = rows[0][1]
    print(f"\n{len(datasets)} datasets, median of {args.repeats} runs (wall seconds)\n")
    print("| mode | median s | min s | max s | speed-up vs sequential | same results |")
    print("|---|---:|---:|---:|---:|---|")
    for mode, median, low, high, same in rows:
        print(
            f"| {mode} | {median:.1f} | {low:.1f} | {high:.1f} | {base / median:.2f}x | "
            f"{'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()

"""The ``audit-dataset`` flow: one Parquet dataset in, ``results.json`` and a report out.

Tasks are thin wrappers around ``audits``; the flow adds retries, artifacts and
the order of the stages. Nothing is written until every stage has succeeded, and
then atomically, so a failed run never leaves a half-written report.
"""

from __future__ import annotations

import platform
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from audits import gx
from audits._serde import to_jsonable
from audits.io import Dataset, read_dataset
from audits.overview import DatasetOverview, describe_dataset
from audits.progress import stage
from audits.results import AuditResults, RunInfo, save_results
from flows.retries import transient_io

__all__ = ["audit_dataset"]

_VERSIONED = (
    "data-sufficiency-audits",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "imbalanced-learn",
    "great-expectations",
    "cleanlab",
    "prefect",
)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


@task(
    name="read-dataset", retries=2, retry_delay_seconds=1, retry_condition_fn=transient_io,
    cache_policy=NONE,
)
def read_task(path: str, target: str, sample: int | None, seed: int) -> Dataset:
    """Read and validate the dataset (retried on transient I/O errors)."""
    return read_dataset(path, target=target, sample=sample, seed=seed)


@task(name="describe-dataset", cache_policy=NONE)
def overview_task(dataset: Dataset) -> DatasetOverview:
    """Rows, columns, types, missing cells, duplicates, class counts."""
    return describe_dataset(dataset)


@task(name="validate-suites", cache_policy=NONE)
def validate_task(
    dataset: Dataset,
    facts: dict[str, float | None],
    suite_dir: str | None,
    parameters: dict[str, Any],
) -> gx.ValidationResult:
    """Run every suite of ``suite_dir`` over the rows and the computed facts."""
    suites = gx.load_suites(suite_dir)
    return gx.validate(dataset.frame, facts, suites, parameters=parameters)


@task(name="write-results", cache_policy=NONE)
def write_task(results: AuditResults, out_dir: str) -> dict[str, str]:
    """Write ``results.json`` and the report into ``out_dir`` (each atomically)."""
    from audits.report import write_report

    folder = Path(out_dir)
    results_path = save_results(results, folder / "results.json")
    report_path = write_report(to_jsonable(results), folder)
    return {"results": str(results_path), "report": str(report_path)}


@task(name="publish-artifacts", cache_policy=NONE)
def artifacts_task(results: AuditResults, paths: dict[str, str]) -> None:
    """Markdown summary, table of expectation results and a link to the report."""
    from prefect.artifacts import (
        create_link_artifact,
        create_markdown_artifact,
        create_table_artifact,
    )

    from audits.report import expectation_rows, summary_markdown

    document = to_jsonable(results)
    create_markdown_artifact(
        summary_markdown(document),
        key="audit-summary",
        description="Audit verdict and failed checks",
    )
    create_table_artifact(
        expectation_rows(document),
        key="audit-expectations",
        description="Every expectation: status, observed value, threshold",
    )
    report = Path(paths["report"]).resolve()
    create_link_artifact(report.as_uri(), link_text="Audit report", key="audit-report")


@flow(name="audit-dataset", log_prints=True)
def audit_dataset(
    path: str,
    target: str,
    out_dir: str = "audit-out",
    *,
    sample: int | None = None,
    allowed_labels: list[str] | None = None,
    suite_dir: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Audit one Parquet dataset and write ``results.json`` and ``report.html``.

    Parameters
    ----------
    path : str
        Parquet file, folder or URI.
    target : str
        Label column.
    out_dir : str, default="audit-out"
        Folder for ``results.json``, ``report.html`` and the run history.
    sample : int, optional
        Audit a uniform random sample of this many rows.
    allowed_labels : list of str, optional
        The agreed label set; labels outside it fail the labelling suite.
    suite_dir : str, optional
        Folder of expectation suites; the shipped ``expectations`` by default.
    seed : int, default=0
        Seed of sampling and models.

    Returns
    -------
    dict
        ``success`` (every expectation passed), ``n_failed``, ``results`` and
        ``report`` paths.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    with stage("read dataset", timings):
        dataset = read_task(path, target, sample, seed)
    with stage("describe dataset", timings):
        overview = overview_task(dataset)
    facts = dict(overview.facts())
    with stage("validate suites", timings):
        validation = validate_task(
            dataset,
            facts,
            suite_dir,
            {"target": target, "allowed_labels": allowed_labels},
        )
    run = RunInfo(
        started=started.isoformat(timespec="seconds"),
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - clock, 3),
        stage_seconds=timings,
        versions=_versions(),
        parameters={
            "path": path,
            "target": target,
            "sample": sample,
            "seed": seed,
            "allowed_labels": allowed_labels,
            "suite_dir": suite_dir,
        },
    )
    results = AuditResults(overview=overview, validation=validation, run=run)
    with stage("write report", timings):
        paths = write_task(results, out_dir)
    artifacts_task(results, paths)
    return {
        "success": results.success,
        "n_failed": validation.count("failed") + validation.count("error"),
        **paths,
    }

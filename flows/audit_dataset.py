"""The ``audit-dataset`` flow: one Parquet dataset in, ``results.json`` and a report out.

Tasks are thin wrappers around ``audits``; the flow adds retries, caching,
artifacts and the order of the stages. The stages run one after another; the model
fits inside them (folds, resampling arms, anchors) are task runs of their own that
go to the flow's task runner (:mod:`flows.fanout`, :mod:`flows.runners`). Nothing
is written until every stage has succeeded, and then atomically, so a failed run
never leaves a half-written report.
"""

from __future__ import annotations

import platform
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NONE

from audits import _atomic, gx
from audits._serde import to_jsonable
from audits.drift import DriftAudit, audit_drift
from audits.errors import DataError, about
from audits.imbalance import ImbalanceAudit, audit_imbalance
from audits.io import Dataset, read_dataset
from audits.labels import LabelAudit, audit_labels
from audits.models import OutOfFold, check_models, out_of_fold
from audits.overview import DatasetOverview, describe_dataset
from audits.progress import logger, stage
from audits.quality import QualityAudit, audit_quality
from audits.results import AuditResults, RunInfo
from audits.sufficiency import (
    DEFAULT_MODELS,
    SufficiencyResult,
    assess,
    check_options,
    plan_curves,
)
from flows.caching import DATASET_CACHE
from flows.fanout import fan_out
from flows.retries import transient_io
from flows.runners import make_task_runner

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
    name="read-dataset",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=transient_io,
    cache_policy=NONE,
)
def read_task(
    path: str, target: str, sample: int | None, seed: int, groups: str | None = None
) -> Dataset:
    """Read and validate the dataset (retried on transient I/O errors)."""
    return read_dataset(path, target=target, groups=groups, sample=sample, seed=seed)


@task(name="describe-dataset", cache_policy=NONE)
def overview_task(dataset: Dataset) -> DatasetOverview:
    """Rows, columns, types, missing cells, duplicates, class counts."""
    return describe_dataset(dataset)


@task(name="out-of-fold-predictions", cache_policy=DATASET_CACHE)
def oof_task(dataset: Dataset, seed: int) -> OutOfFold:
    """Out-of-fold probabilities of the classical model on the labelled rows (computed once)."""
    X, y = dataset.labelled()
    return out_of_fold(
        X, y, random_state=seed, map_fn=fan_out("fit-fold"), groups=dataset.labelled_groups()
    )


@task(name="audit-quality", cache_policy=NONE)
def quality_task(dataset: Dataset, seed: int) -> QualityAudit:
    """Missingness, constant and high-cardinality columns, mixed types, duplicates, outliers."""
    return audit_quality(dataset, random_state=seed)


@task(name="audit-labels", cache_policy=NONE)
def labels_task(
    dataset: Dataset,
    oof: OutOfFold,
    allowed_labels: list[str] | None,
    reference_classes: list[str] | None,
) -> tuple[LabelAudit, pd.DataFrame]:
    """Label noise (confident learning) and labelling errors; the per-row issue table."""
    return audit_labels(
        dataset, oof, allowed_labels=allowed_labels, reference_classes=reference_classes
    )


@task(name="audit-imbalance", cache_policy=DATASET_CACHE)
def imbalance_task(
    dataset: Dataset, oof: OutOfFold, budget_seconds: float | None, seed: int
) -> ImbalanceAudit:
    """Class counts, imbalance ratio, per-class metrics and the resampling what-if."""
    return audit_imbalance(
        dataset.X,
        dataset.y,
        oof,
        budget_seconds=budget_seconds,
        random_state=seed,
        map_fn=fan_out("fit-resampling-arm"),
        groups=None if dataset.groups is None else dataset.frame[dataset.groups],
    )


@task(name="audit-drift", cache_policy=NONE)
def drift_task(dataset: Dataset, reference: Dataset, seed: int) -> DriftAudit:
    """Per-column drift, label shift and adversarial validation against the reference."""
    return audit_drift(
        dataset,
        reference,
        target=dataset.target,
        random_state=seed,
        map_fn=fan_out("fit-adversarial-fold"),
    )


@task(name="forecast-sufficiency", cache_policy=DATASET_CACHE)
def sufficiency_task(
    dataset: Dataset,
    models: tuple[str, ...],
    metric: str,
    target_score: float | None,
    budget_seconds: float | None,
    seed: int,
) -> SufficiencyResult:
    """Learning curves of each model, extrapolated with intervals (see :func:`_forecast_task`)."""
    X, y = dataset.labelled()
    return assess(
        X,
        y,
        models=models,
        metric=metric,
        target_score=target_score,
        budget_seconds=budget_seconds,
        random_state=seed,
        map_fn=fan_out("fit-anchor"),
        groups=dataset.labelled_groups(),
    )


def _forecast_task(models: tuple[str, ...]) -> Any:
    """:func:`sufficiency_task`, cached like the other model tasks unless a model is named
    by import path: the cache key holds the code of this package, not the user's module."""
    if any(":" in model for model in models):
        return sufficiency_task.with_options(cache_policy=NONE)
    return sufficiency_task


def _too_small_for_curves(dataset: Dataset, seed: int) -> str | None:
    """Why the labelled rows cannot give a learning curve, or None when they can."""
    _, labels = dataset.labelled()
    try:
        plan_curves(labels, groups=dataset.labelled_groups(), random_state=seed)
    except DataError as error:
        return str(error)
    return None


@task(name="validate-suites", cache_policy=NONE)
def validate_task(
    dataset: Dataset,
    facts: dict[str, float | None],
    suite_dir: str | None,
    suite_overrides: dict[str, dict[str, dict[str, Any]]] | None,
    parameters: dict[str, Any],
) -> gx.ValidationResult:
    """Run every suite of ``suite_dir`` (with threshold overrides) over the rows and facts."""
    suites = gx.load_suites(suite_dir, overrides=suite_overrides)
    return gx.validate(dataset.frame, facts, suites, parameters=parameters)


@task(name="write-results", cache_policy=NONE)
def write_task(results: AuditResults, issues: pd.DataFrame, out_dir: str) -> dict[str, str]:
    """Write ``label_issues.parquet``, ``results.json`` and the report: all or none."""
    from audits.report import write_report

    folder = Path(out_dir)
    document = to_jsonable(results)
    with _atomic.Staged() as staged:
        staged.path(folder / "label_issues.parquet", lambda tmp: issues.to_parquet(tmp))
        results_path = staged.json(folder / "results.json", document)
        report_path = write_report(document, folder, staged=staged)
    return {
        "results": str(results_path),
        "report": str(report_path),
        "label_issues": str(folder / "label_issues.parquet"),
    }


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


@flow(name="audit-dataset", log_prints=True, task_runner=make_task_runner("sequential"))
def audit_dataset(
    path: str,
    target: str,
    out_dir: str = "audit-out",
    *,
    reference: str | None = None,
    groups: str | None = None,
    sample: int | None = None,
    allowed_labels: list[str] | None = None,
    suite_dir: str | None = None,
    suite_overrides: dict[str, dict[str, dict[str, Any]]] | None = None,
    forecast: bool = True,
    models: tuple[str, ...] = DEFAULT_MODELS,
    metric: str = "accuracy",
    target_score: float | None = None,
    budget_seconds: float | None = 300.0,
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
        Folder for ``results.json``, ``report.html``, ``label_issues.parquet`` and the
        run history.
    reference : str, optional
        A reference dataset (same columns) to measure drift against.
    groups : str, optional
        Column of the entity each row belongs to (a customer, a patient): not a
        feature, and the out-of-fold predictions, the what-if and the learning curves
        keep each group's rows on one side of every split.
    sample : int, optional
        Audit a uniform random sample of this many rows.
    allowed_labels : list of str, optional
        The agreed label set; labels outside it fail the labelling suite.
    suite_dir : str, optional
        Folder of expectation suites; the shipped ``expectations`` by default.
    suite_overrides : dict, optional
        ``{suite: {expectation type: {kwarg: value}}}`` threshold changes.
    forecast : bool, default=True
        Measure and extrapolate the learning curves (the slowest stage).
    models : tuple of str, default=("classical", "deep")
        Models whose curves are measured (see :func:`audits.sufficiency.assess`): kinds
        of :func:`audits.models.make_model` or ``"package.module:callable"`` import paths.
    metric : str, default="accuracy"
        Score of the learning curves (see :func:`audits.sufficiency.assess`).
    target_score : float, optional
        Forecast the rows each model needs to reach this score.
    budget_seconds : float or None, default=300
        Wall-time budget of the forecast, and another of the resampling what-if: larger
        anchors and rebalancing arms are skipped to keep them.
    seed : int, default=0
        Seed of sampling and models.

    Returns
    -------
    dict
        ``success`` (every expectation passed), ``n_failed``, and the ``results``,
        ``report`` and ``label_issues`` paths.
    """
    check_options(
        metric=metric, target_score=target_score, budget_seconds=budget_seconds, random_state=seed
    )
    models = check_models(models)
    _atomic.check_output_folder(out_dir)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    with stage("read dataset", timings):
        dataset = read_task(path, target, sample, seed, groups)
        reference_data = None
        if reference:
            with about("reference dataset"):
                reference_data = read_task(reference, target, sample, seed, groups)
    with stage("describe dataset", timings):
        overview = overview_task(dataset)
    with stage("feature quality", timings):
        quality = quality_task(dataset, seed)
    with stage("out-of-fold predictions", timings):
        oof = oof_task(dataset, seed)
    with stage("label audit", timings):
        reference_classes = (
            sorted(reference_data.y.dropna().astype(str).unique()) if reference_data else None
        )
        labels, issues = labels_task(dataset, oof, allowed_labels, reference_classes)
    with stage("imbalance audit", timings):
        imbalance = imbalance_task(dataset, oof, budget_seconds, seed)
    drift = None
    if reference_data is not None:
        with stage("drift audit", timings):
            drift = drift_task(dataset, reference_data, seed)
    sufficiency = None
    skipped: dict[str, str] = {}
    if forecast and (too_small := _too_small_for_curves(dataset, seed)) is not None:
        logger.info("sufficiency forecast skipped: %s", too_small)
        skipped["sufficiency"] = too_small
    elif forecast:
        with stage("sufficiency forecast", timings):
            sufficiency = _forecast_task(models)(
                dataset, models, metric, target_score, budget_seconds, seed
            )
    facts: dict[str, float | None] = {}
    for section in (overview, quality, labels, imbalance, drift):
        if section is not None:
            facts.update(section.facts())
    with stage("validate suites", timings):
        validation = validate_task(
            dataset,
            facts,
            suite_dir,
            suite_overrides,
            {
                "target": target,
                "allowed_labels": allowed_labels,
                "reference_columns": (
                    list(reference_data.frame.columns) if reference_data is not None else None
                ),
            },
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
            "reference": reference,
            "groups": groups,
            "sample": sample,
            "seed": seed,
            "allowed_labels": allowed_labels,
            "suite_dir": suite_dir,
            "suite_overrides": suite_overrides,
            "forecast": forecast,
            "models": list(models),
            "metric": metric,
            "target_score": target_score,
            "budget_seconds": budget_seconds,
        },
    )
    results = AuditResults(
        overview=overview,
        validation=validation,
        run=run,
        quality=quality,
        labels=labels,
        imbalance=imbalance,
        drift=drift,
        sufficiency=sufficiency,
        skipped=skipped,
    )
    with stage("write report", timings):
        paths = write_task(results, issues, out_dir)
    artifacts_task(results, paths)
    return {
        "success": results.success,
        "n_failed": validation.count("failed") + validation.count("error"),
        **paths,
    }

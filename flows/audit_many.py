"""The ``audit-many`` flow: every dataset of a config, each in its own ``audit-dataset`` run.

Each dataset is audited by a task that runs the ``audit-dataset`` flow as a
subflow, so datasets run on the flow's task runner (one at a time by default, side
by side on threads or Dask workers) and each has its own flow run, logs, artifacts
and timeout. A dataset that fails (unreadable file, bad suite override, timeout)
fails its own run only: the others go on, and the index across datasets
(``<out_dir>/index.html`` and ``<out_dir>/summary.json``) shows every outcome. The
``audit-many`` run itself ends failed when any dataset's run did, after the index
is written.
"""

from __future__ import annotations

import html
import inspect
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.futures import wait
from prefect.states import State

from audits import _atomic
from audits.config import AuditsConfig, DatasetConfig, load_config
from audits.errors import ConfigError
from flows.audit_dataset import audit_dataset
from flows.runners import make_task_runner

__all__ = ["DatasetRunsFailed", "audit_many", "audit_one", "flow_parameters", "write_index"]

#: The verdict of one dataset in ``summary.json`` and the index, and what it means.
STATUSES = {
    "passed": "every expectation passed",
    "failed": "expectations failed",
    "error": "the run failed",
}


_PREFECT_PREAMBLE = "Flow run encountered an exception: "


class DatasetRunsFailed(RuntimeError):
    """Raised at the end of ``audit-many`` when some datasets' runs failed."""


def flow_parameters(dataset: DatasetConfig) -> dict[str, Any]:
    """Parameters of the ``audit-dataset`` flow for ``dataset``.

    Raises
    ------
    ConfigError
        The config sets an option that this version of the flow does not take.
    """
    parameters = dataset.flow_parameters()
    accepted = inspect.signature(audit_dataset.fn).parameters
    unknown = sorted(set(parameters) - set(accepted))
    if unknown:
        raise ConfigError(
            f"dataset {dataset.name!r} sets {', '.join(unknown)}, which this version of the "
            "audit-dataset flow does not take",
            reason="unsupported_option",
        )
    return parameters


@task(name="audit-one-dataset", task_run_name="audit-{dataset.name}", cache_policy=NONE)
def audit_one(dataset: DatasetConfig) -> dict[str, Any]:
    """Run ``audit-dataset`` on one dataset as a subflow; one row of the index.

    The subflow's failure is caught and reported in the row (``status="error"``),
    never raised: it must not stop the other datasets.
    """
    clock = time.perf_counter()
    try:
        parameters = flow_parameters(dataset)
    except ConfigError as error:
        return _row(dataset, message=str(error))
    subflow = audit_dataset.with_options(
        flow_run_name=dataset.name, timeout_seconds=dataset.timeout_seconds
    )
    state = subflow(**parameters, return_state=True)
    seconds = round(time.perf_counter() - clock, 3)
    if not state.is_completed():
        return _row(dataset, state=state.name, seconds=seconds, message=_message(state))
    outcome = state.result()
    return _row(
        dataset,
        status="passed" if outcome["success"] else "failed",
        state=state.name,
        seconds=seconds,
        n_failed=outcome["n_failed"],
        report=outcome.get("report"),
        results=outcome.get("results"),
    )


def _row(dataset: DatasetConfig, **fields: Any) -> dict[str, Any]:
    """One row of ``summary.json``: an error row unless ``fields`` say otherwise."""
    return {
        "name": dataset.name,
        "path": dataset.path,
        "status": "error",
        "state": None,
        "n_failed": None,
        "report": None,
        "results": None,
        "message": None,
        "seconds": None,
        **fields,
    }


def _message(state: State[Any]) -> str:
    """First line of why ``state`` failed, without Prefect's preamble."""
    text = (state.message or state.name or "").strip().splitlines()
    return text[0].removeprefix(_PREFECT_PREAMBLE) if text else "failed"


@flow(name="audit-many", log_prints=True, task_runner=make_task_runner("sequential"))
def audit_many(config: str, only: list[str] | None = None) -> dict[str, Any]:
    """Audit every dataset of a config file; write ``index.html`` and ``summary.json``.

    Parameters
    ----------
    config : str
        TOML or YAML file (see :mod:`audits.config`).
    only : list of str, optional
        Audit only the datasets with these names.

    Returns
    -------
    dict
        The summary: ``datasets`` (one row per dataset: ``name``, ``status`` in
        ``"passed"``, ``"failed"`` (expectations failed), ``"error"`` (the run
        failed), ``n_failed``, ``report``, ``results``, ``message``, ``seconds``),
        ``index`` and ``summary`` paths.

    Raises
    ------
    ConfigError
        Bad config, ``only`` names an unknown dataset, or ``out_dir`` cannot be written.
    DatasetRunsFailed
        After writing the index, when the run of any dataset failed.
    """
    loaded = load_config(config)
    datasets = loaded.chosen(only)
    _atomic.check_output_folder(loaded.out_dir)
    futures = [audit_one.submit(dataset) for dataset in datasets]
    wait(futures)
    rows = []
    for dataset, future in zip(datasets, futures, strict=True):
        if future.state.is_completed():
            rows.append(future.result())
        else:  # the task itself broke (e.g. a Dask worker died): still one row
            rows.append(_row(dataset, state=future.state.name, message=_message(future.state)))
    summary = write_index(loaded, rows)
    errors = [row for row in rows if row["status"] == "error"]
    if errors:
        raise DatasetRunsFailed(
            f"{len(errors)} of {len(rows)} dataset run(s) failed: "
            f"{', '.join(row['name'] for row in errors)}; see {summary['index']}"
            + "".join(f"\n  {row['name']}: {row['message']}" for row in errors)
        )
    return summary


def write_index(config: AuditsConfig, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Write ``summary.json`` and ``index.html`` into ``config.out_dir`` (each atomically).

    Parameters
    ----------
    config : AuditsConfig
    rows : list of dict
        One per dataset, as :func:`audit_one` returns them.

    Returns
    -------
    dict
        What ``summary.json`` holds, plus the ``index`` and ``summary`` paths.
    """
    folder = Path(config.out_dir)
    summary = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.source,
        "counts": {status: sum(r["status"] == status for r in rows) for status in STATUSES},
        "datasets": rows,
    }
    summary_path = _atomic.write_json(folder / "summary.json", summary)
    index_path = _atomic.write_text(folder / "index.html", _index_html(summary, folder))
    return {**summary, "index": str(index_path), "summary": str(summary_path)}


def _link(path: str | None, folder: Path, text: str) -> str:
    if not path:
        return ""
    relative = Path(os.path.relpath(path, folder)).as_posix()
    return f'<a href="{html.escape(quote(relative))}">{html.escape(text)}</a>'


def _index_html(summary: dict[str, Any], folder: Path) -> str:
    cells = []
    for row in summary["datasets"]:
        seconds = "" if row.get("seconds") is None else f"{row['seconds']:.1f}"
        n_failed = "" if row.get("n_failed") is None else str(row["n_failed"])
        cells.append(
            f'<tr class="{row["status"]}"><td>{html.escape(row["name"])}</td>'
            f"<td>{html.escape(STATUSES[row['status']])}</td><td>{n_failed}</td>"
            f"<td>{_link(row.get('report'), folder, 'report')} "
            f"{_link(row.get('results'), folder, 'results.json')}</td>"
            f"<td>{seconds}</td><td>{html.escape(row.get('message') or '')}</td>"
            f'<td class="path">{html.escape(row["path"])}</td></tr>'
        )
    counts = ", ".join(f"{n} {status}" for status, n in summary["counts"].items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Dataset audits</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }}
tr.passed td:nth-child(2) {{ color: #166534; }}
tr.failed td:nth-child(2) {{ color: #9a3412; }}
tr.error td:nth-child(2) {{ color: #b91c1c; font-weight: bold; }}
td.path {{ font-family: monospace; font-size: .85em; }}
</style></head><body>
<h1>Dataset audits</h1>
<p>{html.escape(counts)} &middot; generated {html.escape(summary["generated"])}
from {html.escape(summary["config"] or "a config")}</p>
<table><thead><tr><th>dataset</th><th>verdict</th><th>failed checks</th><th>links</th>
<th>seconds</th><th>message</th><th>data</th></tr></thead>
<tbody>
{chr(10).join(cells)}
</tbody></table></body></html>
"""

"""Write a run's report into a report folder that keeps the history of its runs.

Layout of ``out_dir``::

    report.html             the latest run's page
    history.parquet         one row of key numbers per run (see ``summary_row``)
    index.html              every run, newest first, with links and trends
    runs/<run id>/report.html
    runs/<run id>/results.json

Every file is written atomically, and the whole update holds an advisory lock
(``.history.lock``) where the platform has ``fcntl``, so runs writing to the same
folder at once do not lose each other's history rows.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from audits import _atomic
from audits.errors import InputError
from audits.report._format import DASH, fmt_count, fmt_number, fmt_pct, fmt_time
from audits.report._render import environment, render_html
from audits.report._run_sections import history_section
from audits.report._summary import summary_row

__all__ = ["HISTORY_FILE", "read_history", "write_report"]

HISTORY_FILE = "history.parquet"
_INDEX_COLUMNS = (
    ("rows", "Rows", fmt_count),
    ("failing_checks", "Failing checks", fmt_number),
    ("label_noise_rate", "Label noise", fmt_pct),
    ("imbalance_ratio", "Imbalance ratio", fmt_number),
    ("drift_auc", "Drift AUC", fmt_number),
)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent writers may race
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".history.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_history(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of ``out_dir/history.parquet``, oldest first (empty when there is none).

    Missing values are None.
    """
    path = Path(out_dir) / HISTORY_FILE
    if not path.exists():
        return []
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read history {path}: {exc}", reason="history") from None
    return sorted(rows, key=lambda r: str(r.get("time") or ""))


def _stage_history(staged: _atomic.Staged, path: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(dict.fromkeys(k for row in rows for k in row))
    text = {"run_id", "time", "uri", "fingerprint"}
    table = pa.table(
        {
            c: pa.array([row.get(c) for row in rows], pa.string() if c in text else pa.float64())
            for c in columns
        }
    )
    staged.path(path, lambda tmp: pq.write_table(table, tmp))


def _index_html(history: list[dict[str, Any]]) -> str:
    newest_first = list(reversed(history))
    shown = [c for c in _INDEX_COLUMNS if any(r.get(c[0]) is not None for r in history)]
    runs = [
        {
            "href": f"runs/{r['run_id']}/report.html",
            "time": fmt_time(r.get("time")),
            "uri": r.get("uri") or DASH,
            "fingerprint": (r.get("fingerprint") or DASH)[:12],
            "values": [fmt(r.get(key)) for key, _, fmt in shown],
        }
        for r in newest_first
    ]
    trend = history_section(history)
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            runs=runs,
            headers=[title for _, title, _ in shown],
            plots=trend.plots if trend else (),
        )
    )


def write_report(
    results: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    staged: _atomic.Staged | None = None,
) -> Path:
    """Write the page of one run into ``out_dir`` and record the run in its history.

    Appends the run's key numbers to ``history.parquet`` (replacing the row of the same
    run id, so writing a run twice does not count it twice), renders the page with the
    trend of those numbers, and rewrites ``index.html``. The files land together: an
    error while writing any of them changes none (see :class:`audits._atomic.Staged`).

    Parameters
    ----------
    results : dict
        The content of ``results.json``.
    out_dir : path-like
        The report folder (created if missing).
    staged : Staged, optional
        Files the caller staged for the same run (its ``results.json``, ...): committed
        with the report's, before them, while the folder's history is locked.

    Returns
    -------
    Path
        ``out_dir/report.html``.
    """
    folder = Path(out_dir)
    row = summary_row(results)
    with _locked(folder), contextlib.ExitStack() as stack:
        files = staged if staged is not None else stack.enter_context(_atomic.Staged())
        history = [r for r in read_history(folder) if r.get("run_id") != row["run_id"]]
        history = sorted([*history, row], key=lambda r: str(r.get("time") or ""))
        until_now = history[: history.index(row) + 1]
        page = render_html(results, history=until_now)
        run_folder = folder / "runs" / row["run_id"]
        files.json(run_folder / "results.json", results)
        files.text(run_folder / "report.html", page)
        if len(until_now) == len(history):  # an older run written late keeps the latest page
            files.text(folder / "report.html", page)
        files.text(folder / "index.html", _index_html(history))
        _stage_history(files, folder / HISTORY_FILE, history)  # last: the run is recorded
        files.commit()
    return folder / "report.html"

"""The audit report: a self-contained HTML page rendered from ``results.json`` alone.

``write_report(results, out_dir)`` writes the page, records the run in the folder's
``history.parquet`` and rewrites its ``index.html``; ``render_file`` re-renders an old
``results.json``. ``summary_markdown`` and ``expectation_rows`` give the verdict and the
checks for Prefect artifacts. Nothing here computes a finding or imports the audits.
"""

from audits.report._history import HISTORY_FILE, read_history, write_report
from audits.report._render import render_file, render_html
from audits.report._summary import Verdict, expectation_rows, summary_markdown, summary_row, verdict

__all__ = [
    "HISTORY_FILE",
    "Verdict",
    "expectation_rows",
    "read_history",
    "render_file",
    "render_html",
    "summary_markdown",
    "summary_row",
    "verdict",
    "write_report",
]

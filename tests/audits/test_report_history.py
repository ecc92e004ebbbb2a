"""write_report: the report folder keeps one history row per run, per-run pages and an index."""

from __future__ import annotations

import copy
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from audits.report import HISTORY_FILE, read_history, render_html, write_report

SAMPLE = Path(__file__).parents[1] / "data" / "report_results.json"


@pytest.fixture
def results() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def _later_run(results: dict) -> dict:
    """The same dataset a day later, with more rows and one failing check."""
    later = copy.deepcopy(results)
    later["run"].update(started="2025-01-07T06:00:00+00:00", finished="2025-01-07T06:01:40+00:00")
    later["overview"]["n_rows"] = 900
    later["overview"]["fingerprint"] = "f" * 64
    for suite in later["validation"]["suites"]:
        for outcome in suite["outcomes"]:
            if outcome["column"] == "min_class_count":
                outcome["status"] = "failed"
    later["labels"]["noise"]["noise_rate"] = 0.25
    return later


def test_first_run_writes_page_history_index_and_run_folder(tmp_path, results):
    page = write_report(results, tmp_path)
    assert page == tmp_path / "report.html"
    run = tmp_path / "runs" / "20250106T060000-3a0fb70a"
    assert (run / "report.html").read_text() == page.read_text()
    assert json.loads((run / "results.json").read_text()) == results
    history = read_history(tmp_path)
    assert len(history) == 1
    row = history[0]
    assert row["rows"] == 600 and row["checks"] == 21 and row["failing_checks"] == 4
    assert row["label_noise_rate"] == pytest.approx(results["labels"]["noise"]["noise_rate"])
    assert row["imbalance_ratio"] == 6.0
    assert "Trend across runs" not in page.read_text()  # one run: no trend yet
    index = (tmp_path / "index.html").read_text()
    assert 'href="runs/20250106T060000-3a0fb70a/report.html"' in index
    assert not list(tmp_path.rglob(".*.tmp"))


def test_a_report_that_cannot_be_written_changes_nothing(tmp_path, results):
    """``runs`` is a file, so the run's own folder cannot be made: no file may change."""
    write_report(results, tmp_path)
    shutil.rmtree(tmp_path / "runs")
    (tmp_path / "runs").write_text("not a folder")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OSError):
        write_report(_later_run(results), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp file either


def test_history_grows_by_one_row_per_run_and_the_page_shows_the_trend(tmp_path, results):
    write_report(results, tmp_path)
    write_report(_later_run(results), tmp_path)
    table = pq.read_table(tmp_path / HISTORY_FILE)
    assert table.num_rows == 2
    assert table.column("rows").to_pylist() == [600.0, 900.0]
    assert table.column("failing_checks").to_pylist() == [4.0, 5.0]
    latest = (tmp_path / "report.html").read_text()
    assert "Trend across runs" in latest and "2 runs in this report folder" in latest
    assert "Rows audited: 900" in latest and "Label noise rate: 25.0%" in latest
    index = (tmp_path / "index.html").read_text()
    first, second = "runs/20250106T060000-3a0fb70a", "runs/20250107T060000-ffffffff"
    assert index.index(second) < index.index(first)  # newest first
    for run in (first, second):
        assert (tmp_path / run / "report.html").exists()


def test_writing_the_same_run_again_replaces_its_row(tmp_path, results):
    write_report(results, tmp_path)
    write_report(results, tmp_path)
    assert len(read_history(tmp_path)) == 1


def test_an_older_run_written_late_does_not_replace_the_latest_page(tmp_path, results):
    later = _later_run(results)
    write_report(later, tmp_path)
    latest = (tmp_path / "report.html").read_text()
    write_report(results, tmp_path)
    assert [r["rows"] for r in read_history(tmp_path)] == [600.0, 900.0]
    assert (tmp_path / "report.html").read_text() == latest == render_html(later)


def test_history_keeps_columns_that_only_some_runs_have(tmp_path, results):
    del results["drift"]
    write_report(results, tmp_path)
    later = _later_run(results)
    del later["labels"]
    later["drift"] = {"adversarial": {"auc": 0.66}}
    write_report(later, tmp_path)
    first, second = read_history(tmp_path)
    assert first["drift_auc"] is None and second["drift_auc"] == 0.66
    assert first["label_noise_rate"] is not None and second["label_noise_rate"] is None


def test_concurrent_writers_do_not_lose_rows(tmp_path, results):
    runs = [copy.deepcopy(results) for _ in range(3)]
    for day, run in enumerate(runs, start=10):
        run["run"]["started"] = run["run"]["finished"] = f"2025-01-{day}T06:00:00+00:00"
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda r: write_report(r, tmp_path), runs))
    assert len(read_history(tmp_path)) == 3
    assert len(list((tmp_path / "runs").iterdir())) == 3

"""The audit page: rendered from results.json alone, escaped, bounded in size, robust to shapes."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import pytest

from audits.errors import InputError
from audits.report import render_file, render_html
from audits.report._plots import Reference, Series, bar_chart, line_chart

SAMPLE = Path(__file__).parents[1] / "data" / "report_results.json"
PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def results() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def _outcome(results: dict, column: str) -> dict:
    """The expectation outcome that checks ``column`` (a data column or a fact)."""
    found = [
        o for s in results["validation"]["suites"] for o in s["outcomes"] if o["column"] == column
    ]
    return found[0]


def _section_ids(page: str) -> list[str]:
    return re.findall(r'<section class="card[^"]*" id="([^"]+)"', page)


def test_page_has_verdict_sections_and_plots(results):
    page = render_html(results)
    assert page.startswith("<!DOCTYPE html>")
    assert "Needs attention: 4 of 21 checks fail (3 skipped)." in page
    assert "600 rows, 4 classes (smallest: 44 rows)." in page
    assert "About 19.0% of labels look wrong (114 rows flagged)." in page
    assert _section_ids(page) == [
        "verdict", "overview", "quality", "labels", "imbalance", "drift", "expectations", "run",
    ]  # fmt: skip
    # classes, missing values, label noise, recall, resampling what-if, PSI
    assert page.count("<svg ") == 6
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


def test_page_is_self_contained_without_scripts(results):
    page = render_html(results)
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and not re.search(r"url\((?!#)", page)  # only local refs
    assert "Content-Security-Policy" in page


def test_data_derived_text_is_escaped_everywhere(results):
    # The fixture has a class and a feature column named PAYLOAD; put it in every other
    # kind of data-derived string too.
    results["overview"]["uri"] = f"s3://bucket/{PAYLOAD}.parquet"
    results["overview"]["target"] = PAYLOAD
    outcome = _outcome(results, "min_class_count")
    outcome.update(suite=PAYLOAD, column=PAYLOAD, status="failed", detail=PAYLOAD)
    results["run"]["parameters"]["path"] = PAYLOAD
    results["run"]["stage_seconds"][PAYLOAD] = 1.0
    results[PAYLOAD] = {PAYLOAD: PAYLOAD, "rows": [{PAYLOAD: PAYLOAD}]}
    page = render_html(results)
    assert PAYLOAD not in page
    assert "<script" not in page.lower()
    assert page.count(ESCAPED) >= 15
    svg_text = re.findall(r"<text[^>]*>([^<]*)</text>", page)
    assert ESCAPED in svg_text  # plot tick labels are escaped by matplotlib


def test_a_column_named_by_a_paragraph_is_cut_in_tables(results):
    long_name = PAYLOAD + "L" * 5000
    for column in results["overview"]["columns"]:
        column["name"] = long_name
    page = render_html(results)
    assert "L" * 300 not in page  # cut in the tables (and the plots)
    assert f"<td>{ESCAPED}{'L' * 150}" in page
    assert PAYLOAD not in page


def test_direction_controls_in_data_are_shown_not_obeyed(results):
    """A right-to-left override in a column name would reverse the rest of its line."""
    for column in results["overview"]["columns"]:
        column["name"] = "abc\u202edef"
    page = render_html(results)
    assert "\u202e" not in page
    assert "abc[U+202E]def" in page


def test_failed_checks_are_listed_at_the_top(results):
    for suite in results["validation"]["suites"]:
        for outcome in suite["outcomes"]:
            outcome["status"] = "passed" if outcome["status"] == "failed" else outcome["status"]
    _outcome(results, "min_class_count").update(status="failed", observed=12.0)
    page = render_html(results)
    assert "Needs attention: 1 of 21 checks fails (3 skipped)." in page
    top = page[: page.index('id="overview"')]
    assert "Failed checks" in top and "min class count to be at least" in top
    assert "\u2265 30" in top
    for outcome in ("passed", "skipped"):
        _outcome(results, "min_class_count")["status"] = outcome
    assert "Clean enough: all 20 checks pass (4 skipped)." in render_html(results)


def test_optional_sections_are_shown_only_when_present(results):
    for key in ("quality", "labels", "imbalance"):
        del results[key]
    results["drift"] = None
    page = render_html(results)
    assert _section_ids(page) == ["verdict", "overview", "expectations", "run"]
    assert page.count("<svg ") == 1


def test_a_skipped_section_says_why_in_its_place(results):
    for key in ("quality", "labels", "imbalance"):
        del results[key]
    results["drift"] = results["sufficiency"] = None
    results["skipped"] = {"sufficiency": "too few rows <b>for</b> a curve"}
    page = render_html(results)
    assert _section_ids(page) == ["verdict", "overview", "sufficiency", "expectations", "run"]
    section = page[page.index('id="sufficiency"') : page.index('id="expectations"')]
    assert "Not measured: too few rows &lt;b&gt;for&lt;/b&gt; a curve" in section
    assert "<b>for</b>" not in page
    assert "Sufficiency not measured: too few rows &lt;b&gt;for&lt;/b&gt; a curve." in page


def test_unknown_and_misshapen_sections_get_a_generic_rendering(results):
    results["calibration"] = {
        "ece": 0.031,
        "bins": [{"low": 0.0, "high": 0.5, "count": 10}, {"low": 0.5, "high": 1.0, "count": 7}],
        "per_model": {"classical": {"ece": 0.03}, "deep": {"ece": 0.05}},
    }
    results["imbalance"] = {"imbalance_ratio": 3.5, "classes": "not a list"}
    page = render_html(results)
    assert 'id="calibration"' in page and "0.031" in page and "Per model" in page
    imbalance = page[page.index('id="imbalance"') :]
    assert "Imbalance ratio" in imbalance and "3.5" in imbalance
    assert render_html({"overview": None, "validation": None})  # nothing at all still renders
    odd = {"validation": {"suites": {"a": 1}}, "run": {"stage_seconds": [1, 2], "versions": 3}}
    assert "No checks ran." in render_html(odd)


def test_quality_and_drift_sections(results):
    results["quality"] = {
        "n_rows": 600,
        "n_columns": 2,
        "n_columns_omitted": 0,
        "columns": [
            {
                "name": "x2",
                "dtype": "float64",
                "kind": "numeric",
                "missing_share": 0.25,
                "n_unique": 450,
                "dominant_share": 0.25,
                "value_kinds": [],
                "issues": [],
            },
            {
                "name": PAYLOAD,
                "dtype": "object",
                "kind": "categorical",
                "missing_share": 0.0,
                "n_unique": 1,
                "dominant_share": 1.0,
                "value_kinds": ["text"],
                "issues": ["constant"],
            },
            {
                "name": f"{PAYLOAD}_id",
                "dtype": "int64",
                "kind": "numeric",
                "missing_share": 0.0,
                "n_unique": 120,
                "dominant_share": 0.01,
                "value_kinds": [],
                "issues": ["id_like"],
            },
        ],
        "max_missing_share": 0.25,
        "missing_cell_share": 0.125,
        "n_all_null_columns": 0,
        "n_constant_columns": 1,
        "n_near_constant_columns": 0,
        "n_high_cardinality_columns": 0,
        "n_mixed_type_columns": 0,
        "n_infinite_columns": 2,
        "n_duplicate_rows": 10,
        "n_duplicate_feature_rows": 10,
        "outlier_share": 0.05,
        "n_outlier_rows_checked": 600,
        "outlier_columns": ["x2"],
        "most_anomalous_rows": [3, 14],
    }
    results["drift"] = {
        "n_rows_reference": 500,
        "n_rows_current": 600,
        "n_columns_compared": 1,
        "columns": [
            {
                "name": PAYLOAD,
                "kind": "numeric",
                "test": "ks",
                "statistic": 0.3,
                "p_value": 1e-9,
                "psi": 0.4,
                "js_distance": 0.2,
                "missing_share_reference": 0.0,
                "missing_share_current": 0.1,
                "drifted": True,
            }
        ],
        "n_columns_omitted": 0,
        "only_in_reference": [],
        "only_in_current": ["new_col"],
        "n_drifted_columns": 1,
        "n_type_changed_columns": 0,
        "max_psi": 0.4,
        "psi_threshold": 0.25,
        "p_threshold": 0.01,
        "target": "label",
        "label_shift_tvd": 0.05,
        "class_shares_reference": {"a": 0.5, "b": 0.5},
        "class_shares_current": {"a": 0.55, "b": 0.45},
        "new_classes": [],
        "vanished_classes": [],
        "adversarial": {
            "auc": 0.71,
            "auc_std": 0.02,
            "n_rows_reference": 500,
            "n_rows_current": 600,
            "n_folds": 5,
            "top_columns": [{"name": PAYLOAD, "auc_drop": 0.2}],
            "note": "",
        },
    }
    page = render_html(results)
    assert _section_ids(page)[:6] == [
        "verdict",
        "overview",
        "quality",
        "labels",
        "imbalance",
        "drift",
    ]
    quality = page[page.index('id="quality"') : page.index('id="labels"')]
    assert "Columns with issues: 1 constant, 2 infinite-value." in quality
    assert "<dt>Infinite-value columns</dt><dd>2</dd>" in quality
    assert "5.0% of 600 rows checked look like outliers" in quality
    named = html.escape(f"{PAYLOAD}_id", quote=False)
    assert f"Named like identifiers: {named}." in quality
    assert f"rerun with --groups {named}, or rows of one entity" in quality
    assert "<svg " in quality  # missing share per column
    drift = page[page.index('id="drift"') : page.index('id="expectations"')]
    assert "AUC 0.710 \u00b1 0.020" in drift
    assert "1 of 1 compared columns drifted" in drift and "New columns: new_col." in drift
    assert PAYLOAD not in page


def test_page_stays_under_2_mb_for_a_huge_run(results):
    big = copy.deepcopy(results)
    overview = big["overview"]
    column = overview["columns"][0]
    overview["columns"] = [
        {**column, "name": f"feature_{i}", "n_missing": i % 97} for i in range(5000)
    ]
    overview["n_columns"] = 5000
    overview["class_counts"] = {f"class_{i:03d}": 5000 - 20 * i for i in range(200)}
    noise = big["labels"]["noise"]
    noise["worst"] = [{**noise["worst"][0], "row": i} for i in range(10_000)]
    noise["per_class"] = [{**noise["per_class"][0], "label": f"class_{i:03d}"} for i in range(200)]
    imbalance = big["imbalance"]
    imbalance["classes"] = [
        {**imbalance["classes"][0], "label": f"class_{i:03d}"} for i in range(200)
    ]
    suite = big["validation"]["suites"][0]
    suite["outcomes"] = [{**suite["outcomes"][1], "status": "failed"} for _ in range(2000)]
    page = render_html(big)
    assert len(page.encode()) < 2_000_000
    assert "feature_4999" not in page  # columns table capped...
    assert "and 4,950 more rows not shown" in page  # ...and says so
    assert "and 9,980 more rows not shown" in page  # worst label issues: 20 shown
    assert "other (170)" in page  # class distribution: top 30 + other


def test_render_file_rerenders_a_saved_results_json(tmp_path, results):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    out = render_file(path, tmp_path / "again" / "report.html")
    assert out.read_text(encoding="utf-8") == render_html(results)
    assert not list(out.parent.glob(".*.tmp"))


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_render_file_rejects_unreadable_results(tmp_path, content):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="results"):
        render_file(path, tmp_path / "report.html")


def test_plot_labels_with_dollars_and_backslashes_do_not_break_matplotlib():
    svg = bar_chart("k", [("$x^2$", 3), ("a\\b$", 2), ("100$", 1)], title="$t$", xlabel="$")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"$x^2$", "a\\b$", "100$", "$t$"} <= set(texts)


def test_plots_are_bounded_and_skip_what_cannot_be_drawn():
    svg = bar_chart("k", [(f"c{i}", 1000 - i) for i in range(200)], title="t", xlabel="x")
    assert "c29" in svg and "c30" not in svg and "other (170)" in svg
    assert bar_chart("k", [], title="t", xlabel="x") == ""
    empty = Series("s", [1, 2], [None, float("nan")])
    assert line_chart("k", [empty], title="t", xlabel="x", ylabel="y") == ""
    log = line_chart(
        "k",
        [Series("s", [0, 10, 100], [1, 2, 3])],
        title="t",
        xlabel="x",
        ylabel="y",
        logx=True,
        references=[Reference("x", -1, "dropped")],
    )
    assert log.startswith("<svg ") and "dropped" not in log

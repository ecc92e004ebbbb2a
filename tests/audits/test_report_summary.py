"""The verdict sentence, the Markdown and table summaries, and the sufficiency section."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from audits.report import expectation_rows, render_html, summary_markdown, summary_row, verdict
from audits.report._format import fmt_bytes, fmt_count, fmt_number, fmt_pct, fmt_seconds, fmt_time
from audits.report._summary import threshold_text

SAMPLE = Path(__file__).parents[1] / "data" / "report_results.json"
PAYLOAD = "<script>alert(1)</script>"


@pytest.fixture
def results() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def _anchor(n: int, score: float, fit: float, load: float) -> dict:
    return {
        "n": n,
        "score": score,
        "score_std": 0.01,
        "scores": [score] * 3,
        "train_score": score + 0.05,
        "train_scores": [score + 0.05] * 3,
        "fit_seconds": fit,
        "predict_seconds_per_row": 1e-5,
        "model_bytes": 1000 * n,
        "load_seconds": load,
        "tree_fill": None,
        "leaf_fill": None,
    }


def _model(
    family: str,
    scores: list[float],
    ceiling: float,
    fit: tuple[float, float],
    load: tuple[float, float],
) -> dict:
    sizes = [500, 1000, 2000, 4000]
    anchors = [
        _anchor(n, s, fit[0] * n ** fit[1], load[0] * n ** load[1])
        for n, s in zip(sizes, scores, strict=True)
    ]

    def point(n: float) -> dict:
        gap = (ceiling - scores[-1]) * 4000 / n
        return {
            "n": int(n),
            "score": ceiling - gap,
            "low": ceiling - 2 * gap,
            "high": ceiling - 0.5 * gap,
        }

    forecast = [point(n) for n in (4000, 8000, 16000, 40000, 200_000)]
    band = [point(n) for n in np.geomspace(500, 200_000, 20)]
    costs = [
        {
            "n": p["n"],
            "fit_seconds": fit[0] * p["n"] ** fit[1],
            "predict_seconds_per_row": 1e-5,
            "model_bytes": 1000.0 * p["n"],
            "load_seconds": load[0] * p["n"] ** load[1],
        }
        for p in forecast
    ]
    return {
        "anchors": anchors,
        "family": family,
        "params": {"a": ceiling},
        "forecast": forecast,
        "band": band,
        "ceiling": ceiling,
        "diagnostics": [{"code": "noisy", "message": "scores are noisy"}],
        "backtest": {family: 0.01},
        "costs": costs,
        "cost_curves": {
            "fit_seconds": {"coef": fit[0], "exponent": fit[1]},
            "predict_seconds_per_row": {"coef": 1e-5, "exponent": 0.0},
            "model_bytes": {"coef": 1000.0, "exponent": 1.0},
            "load_seconds": {"coef": load[0], "exponent": load[1]},
        },
        "skipped_sizes": [],
    }


@pytest.fixture
def sufficiency() -> dict:
    return make_sufficiency()


def make_sufficiency() -> dict:
    """Two models; the deep one overtakes at 140k rows. Costs: deep 9x fit, 40x load there."""
    return {
        "metric": "accuracy",
        "higher_is_better": True,
        "level": 0.9,
        "n_rows": 5000,
        "n_validation": 1000,
        "repetitions": 3,
        "models": {
            "classical": _model("pow3", [0.80, 0.83, 0.85, 0.86], 0.90, (0.001, 1.0), (0.01, 0.0)),
            "deep": _model("mmf4", [0.70, 0.76, 0.80, 0.83], 0.93, (0.009, 1.0), (0.4, 0.0)),
        },
        "rows_for_target": {
            "classical": {
                "target": 0.88,
                "status": "forecast",
                "n": 16000,
                "low": 9000,
                "high": None,
                "ceiling": 0.9,
                "message": "classical needs 16k rows",
            },
            "deep": {
                "target": 0.88,
                "status": "forecast",
                "n": 40000,
                "low": 20000,
                "high": 90000,
                "ceiling": 0.93,
                "message": "deep needs 40k rows",
            },
        },
        "crossover": {
            "challenger": "deep",
            "incumbent": "classical",
            "status": "forecast",
            "n": 140_000,
            "low": 90_000,
            "high": 260_000,
            "horizon": 500_000,
            "message": "deep overtakes classical at about 140k rows",
        },
        "elapsed_seconds": 300.0,
        "budget_seconds": 900.0,
        "n_groups": None,
        "schema_version": "1",
    }


def test_sufficiency_fixture_has_the_shape_of_the_result_types(sufficiency):
    result = pytest.importorskip("audits.sufficiency._result")
    names = {f.name for f in dataclasses.fields(result.SufficiencyResult)}
    assert set(sufficiency) == names
    model = sufficiency["models"]["classical"]
    assert set(model) == {f.name for f in dataclasses.fields(result.ModelForecast)}
    assert set(model["anchors"][0]) == {f.name for f in dataclasses.fields(result.Anchor)}
    assert set(model["costs"][0]) == {f.name for f in dataclasses.fields(result.CostForecast)}
    for key, tp in (("crossover", result.Crossover), ("rows_for_target", result.RowsForTarget)):
        value = sufficiency[key] if key == "crossover" else sufficiency[key]["deep"]
        assert set(value) == {f.name for f in dataclasses.fields(tp)}


def test_verdict_with_only_the_foundation_sections(results):
    found = verdict(results)
    assert found.status == "fail"
    assert found.headline == "Needs attention: 4 of 21 checks fail (3 skipped)."
    assert found.lines[0] == "600 rows, 4 classes (smallest: 44 rows)."
    assert verdict({}).headline == "No checks ran."


def test_verdict_composes_the_sufficiency_sentences(results, sufficiency):
    results["sufficiency"] = sufficiency
    lines = verdict(results).lines
    assert "Classical model: 0.86 now, 0.88 at 2x data." in lines
    assert "Deep model: 0.83 now, 0.88 at 2x data." in lines
    assert (
        "Deep model: needs about 140k rows (90%: 90k\u2013260k) to match the classical "
        "one; would take 9x longer to train and 40x longer to load."
    ) in lines
    assert (
        "Target 0.88: classical at about 16k rows (90%: 9,000 or more); deep at about "
        "40k rows (90%: 20k\u201390k)."
    ) in lines


def test_cost_ratios_count_a_curves_fixed_cost(results, sufficiency):
    """0.004 s per row plus 700 s at 140k rows: 1,260 s, again 9x the classical 140 s."""
    curves = sufficiency["models"]["deep"]["cost_curves"]
    curves["fit_seconds"] = {"coef": 0.004, "exponent": 1.0, "fixed": 700.0}
    results["sufficiency"] = sufficiency
    assert any("would take 9x longer to train" in line for line in verdict(results).lines)
    curves["fit_seconds"] = {"coef": 0.004, "exponent": 1.0}  # no fixed cost: 560 s
    assert any("would take 4x longer to train" in line for line in verdict(results).lines)
    # a share capped at 1 (a tree model's leaves): 0.01 * 140k**0.5 = 3.7, so 1 * 560 s
    fill = {"coef": 0.01, "exponent": 0.5}
    curves["fit_seconds"] = {"coef": 560.0, "exponent": 0.0, "fills": [fill]}
    assert any("would take 4x longer to train" in line for line in verdict(results).lines)
    fill["coef"] = 0.0006  # 0.22 of the limit: 125 s, about the classical 140 s
    assert any("would take 0.9x longer to train" in line for line in verdict(results).lines)


def test_sufficiency_section_plots_curves_band_target_crossover_and_costs(results, sufficiency):
    results["sufficiency"] = sufficiency
    page = render_html(results)
    section = page[page.index('id="sufficiency"') : page.index('id="expectations"')]
    assert section.count("<svg ") == 2
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", section)
    for label in (
        "Learning curves and forecast",
        "rows now",
        "target 0.88",
        "deep overtakes",
        "classical: pow3 forecast, 90% band",
        "deep: measured (\u00b1 1 sd)",
        "Training time",
    ):
        assert label in texts, label
    assert "deep overtakes classical at about 140k rows" in section
    assert "deep: scores are noisy" in section
    assert "0.860 \u00b1 0.010" in section  # measured anchor with its spread
    assert "8 in 10 forecasts of training, predict and load time came within" in section


def test_summary_row_has_the_sufficiency_numbers(results, sufficiency):
    results["sufficiency"] = sufficiency
    row = summary_row(results)
    assert row["score_classical"] == 0.86 and row["score_2x_deep"] == pytest.approx(0.88)
    assert row["rows_needed_deep"] == 40000 and row["crossover_rows"] == 140000


def test_markdown_summary_escapes_data_and_lists_failed_checks(results):
    results["overview"]["uri"] = f"data/{PAYLOAD}*_|.parquet"
    (outcome,) = [
        o
        for s in results["validation"]["suites"]
        for o in s["outcomes"]
        if o["column"] == "min_class_count"
    ]
    outcome.update(status="failed", column=f"a|b {PAYLOAD}", observed=3.0)
    text = summary_markdown(results)
    assert PAYLOAD not in text and "<script" not in text
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in text
    assert "\\*\\_\\|" in text  # markdown punctuation backslashed
    assert "**Needs attention: 5 of 21 checks fail \\(3 skipped\\)\\.**" in text
    failed = [line for line in text.splitlines() if line.startswith("| imbalance")]
    assert len(failed) == 1 and failed[0].count(" | ") == 4  # the | in the column is escaped


def test_expectation_rows_are_flat_text(results):
    rows = expectation_rows(results)
    assert len(rows) == 24
    assert rows[0]["column"] == "" and rows[0]["status"] == "skipped"
    assert rows[4] == {
        "suite": "imbalance",
        "expectation": "expect_min_class_count_to_be_at_least",
        "column": "min_class_count",
        "status": "passed",
        "observed": "44",
        "threshold": "\u2265 30",
        "detail": "",
    }
    assert all(isinstance(v, str) for row in rows for v in row.values())


@pytest.mark.parametrize(
    ("threshold", "text"),
    [
        ({"min_value": 30}, "\u2265 30"),
        ({"max_value": 0.05, "strict_max": True}, "< 0.05"),
        ({"min_value": 0, "max_value": 1}, "\u2265 0, \u2264 1"),
        ({"value_set": ["a", "b"], "mostly": 0.95}, "in {a, b}, for 95.0% of rows"),
        ({"value_set": None}, "in (not configured)"),
        ({"column_set": ["x", "y"], "exact_match": True}, "columns {x, y}"),
        ({}, "\u2014"),
    ],
)
def test_threshold_text(threshold, text):
    assert threshold_text(threshold) == text


def test_formatters():
    assert [fmt_number(v) for v in (1234, 0.86234, 12.345, 3.1e-5, None, float("nan"))] == [
        "1,234",
        "0.862",
        "12.3",
        "3.1e-05",
        "\u2014",
        "\u2014",
    ]
    assert [fmt_count(v) for v in (950, 9500, 140_000, 1_250_000)] == [
        "950",
        "9,500",
        "140k",
        "1.25M",
    ]
    assert [fmt_pct(v) for v in (0.041, 0.0005, 1.0)] == ["4.1%", "0.05%", "100.0%"]
    assert [fmt_seconds(v) for v in (0.12, 1.234, 200, 7200)] == [
        "120 ms",
        "1.23 s",
        "3.33 min",
        "2 h",
    ]
    assert [fmt_bytes(v) for v in (512, 1_200_000)] == ["512 B", "1.2 MB"]
    assert fmt_time("2025-01-06T07:00:00+01:00") == "2025-01-06 06:00:00 UTC"


@pytest.mark.parametrize(("auc", "weak"), [(0.93, False), (0.531, True)])
def test_a_weak_label_signal_replaces_the_noise_sentence(results, auc, weak):
    """An old results file has neither field; with them, a weak signal is said, not hidden."""
    results["labels"]["noise"] |= {"signal_auc": auc, "weak_signal": weak}
    lines = verdict(results).lines
    page = render_html(results)
    weak_text = "The features barely predict the label (out-of-fold ROC AUC 0.531, where 0.5 is"
    noise_text = "About 19.0% of labels look wrong (114 rows flagged)."
    assert (weak_text in lines[1], lines[1] == noise_text) == (weak, not weak)
    assert page.count(weak_text) == (2 if weak else 0)  # the verdict and the labels section
    assert f"<dt>Out-of-fold ROC AUC (0.5: chance)</dt><dd>{auc:g}</dd>" in page


def test_a_ceiling_at_the_best_score_and_a_skipped_size_are_said_so(results, sufficiency):
    results["sufficiency"] = sufficiency
    (name, model), *_ = sufficiency["models"].items()
    model["ceiling"] = 1.0
    model["skipped_sizes"] = [3563]
    page = render_html(results)
    assert f"{model['family']} curve not levelling off before the best score, 1" in page
    assert "levelling off at 1," not in page
    assert f"{name}: size 3,563 was not measured (time budget)." in page
    model["skipped_sizes"] = [1823, 3563]
    assert f"{name}: sizes 1,823, 3,563 were not measured" in render_html(results)


def test_level_curves_are_said_to_be_level(results, sufficiency):
    sufficiency["crossover"] |= {"status": "level", "n": None, "low": None, "high": None}
    sufficiency["crossover"]["horizon"] = 250_000
    results["sufficiency"] = sufficiency
    lines = verdict(results).lines
    assert "Deep model: level with the classical one up to 250k rows." in lines
    assert not [line for line in lines if "to match the classical" in line]

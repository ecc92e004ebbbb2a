"""results.json round-trips through the typed result objects and is written atomically."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pandas as pd
import pytest

from audits import _atomic
from audits.errors import InputError
from audits.gx import load_suites, validate
from audits.io import read_dataset
from audits.overview import describe_dataset
from audits.results import (
    SCHEMA_VERSION,
    AuditResults,
    RunInfo,
    computed_part,
    load_results,
    save_results,
)


@pytest.fixture
def results(tmp_path) -> AuditResults:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=100), "c": rng.choice(["u", "v"], 100), "y": ["a"] * 70 + ["b"] * 30}
    )
    frame = pd.concat([frame, frame.head(5)], ignore_index=True)
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    dataset = read_dataset(str(path), target="y")
    overview = describe_dataset(dataset)
    validation = validate(
        dataset.frame, overview.facts(), load_suites(), parameters={"target": "y"}
    )
    run = RunInfo(
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:01+00:00",
        1.0,
        {"read": 0.1},
        {"python": "3.11"},
    )
    return AuditResults(overview=overview, validation=validation, run=run)


def test_overview_numbers(results):
    overview = results.overview
    assert overview.n_rows == 105
    assert overview.n_duplicate_rows == 5
    assert overview.class_counts == {"a": 75, "b": 30}
    assert overview.facts()["min_class_count"] == 30.0
    assert overview.facts()["duplicate_row_share"] == pytest.approx(5 / 105)


def test_round_trip(tmp_path, results):
    path = save_results(results, tmp_path / "out" / "results.json")
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert load_results(path) == results


def test_other_schema_version_is_refused(tmp_path, results):
    path = save_results(results, tmp_path / "results.json")
    data = json.loads(path.read_text())
    data["schema_version"] = "0"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version"):
        load_results(path)


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")

    def failing(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        _atomic.atomic_path(target, failing)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["report.html"]


def test_staged_files_land_together_or_not_at_all(tmp_path):
    (tmp_path / "a.json").write_text("old a")

    def failing(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError), _atomic.Staged() as staged:
        staged.json(tmp_path / "a.json", {"new": 1})
        staged.text(tmp_path / "b.html", "new b")
        staged.path(tmp_path / "c.parquet", failing)
        staged.commit()
    assert os.listdir(tmp_path) == ["a.json"] and (tmp_path / "a.json").read_text() == "old a"
    with _atomic.Staged() as staged:
        staged.json(tmp_path / "a.json", {"new": 1})
        staged.text(tmp_path / "sub" / "b.html", "new b")
        staged.commit()
    assert json.loads((tmp_path / "a.json").read_text()) == {"new": 1}
    assert (tmp_path / "sub" / "b.html").read_text() == "new b"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.json", "b.html", "sub"]


ENDING = """
import os, sys, threading, time
from pathlib import Path
from audits import _atomic

folder = Path(sys.argv[1])
started, go = threading.Event(), threading.Event()

def slow(tmp):
    tmp.write_text("half")
    started.set()
    go.wait()

def run():
    with _atomic.Staged() as staged:
        staged.path(folder / "results.json", slow)
        staged.text(folder / "report.html", "page")  # starts after the process began to end
        staged.commit()

threading.Thread(target=run, daemon=True).start()
started.wait()
_atomic.remove_pending()
go.set()
time.sleep(0.5)
print(sorted(os.listdir(folder)))
os._exit(0)
"""


def test_a_process_that_ends_mid_write_leaves_no_file_behind(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", ENDING, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert (done.stdout.strip(), done.stderr) == ("[]", "")


def test_computed_part_ignores_measured_costs_only():
    base = {
        "run": {"seconds": 3.0},
        "sufficiency": {
            "models": {
                "deep": {
                    "anchors": [
                        {"n": 64, "score": 0.8125, "fit_seconds": 0.4, "model_bytes": 50637}
                    ],
                    "cost_curves": {"fit_seconds": [1.0, 2.0]},
                }
            }
        },
    }
    other = copy.deepcopy(base)
    other["run"]["seconds"] = 9.0
    anchor = other["sufficiency"]["models"]["deep"]["anchors"][0]
    anchor.update(fit_seconds=0.9, model_bytes=50671, score=0.8125 + 1e-13)
    other["sufficiency"]["models"]["deep"]["cost_curves"] = {}
    assert computed_part(other) == computed_part(base)
    anchor["score"] = 0.8126
    assert computed_part(other) != computed_part(base)

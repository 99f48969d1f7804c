"""The load script itself: its arithmetic, and a tiny classroom run whose jobs only sleep (no TensorFlow work)."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("load_benchmark", ROOT / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_max_overlap_counts_what_runs_at_one_moment(load):
    assert load.max_overlap([]) == 0
    assert load.max_overlap([(0, 1), (1, 2), (2, 3)]) == 1  # one ends as the next starts: never two at once
    assert load.max_overlap([(0, 10), (1, 2), (1.5, 3), (5, 6)]) == 3


def test_percentile(load):
    assert load.percentile([], 95) is None
    assert load.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert load.percentile(list(range(101)), 95) == 95


@pytest.mark.slow
def test_a_small_classroom_through_the_train_page(load, artifacts, monkeypatch, capsys):
    """Four sessions, one greedy, with workers=1 and jobs that sleep: bounded, round-robin, capped, all finished."""
    from mnistlab.runs import jobs, runners

    def short_work(job, context):
        load.ALL_SUBMITTED.wait(60)  # no job ends before every click is in: the greedy session's 4th and
        time.sleep(0.2)  # 5th press of Start must meet 3 active jobs and be refused
        return "completed"

    monkeypatch.setattr(jobs, "train_job", short_work)
    monkeypatch.setenv("MNISTLAB_WORKERS", "1")
    code = load.main(
        [
            "--sessions",
            "4",
            "--greedy",
            "1",
            "--think",
            "0.2",
            "--timeout",
            "120",
            "--artifacts",
            str(artifacts),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert report["checks"] == {
        "concurrency_bounded": True,
        "round_robin": True,
        "every_job_finished": True,
        "cap_held": True,
        "no_page_exceptions": True,
    }, report
    assert code == 0
    assert report["workers"] == 1 and report["max_concurrent_trainings"] == 1
    assert report["jobs_submitted"] == 3 + 3 and report["jobs_refused_by_cap"] == 2
    assert report["jobs_completed"] == 6 and report["max_active_per_session"] == 3
    runners.shutdown()

"""``mnistlab sweep``: bad files are one line with exit code 2; a sweep (fake training) writes its summary."""

from __future__ import annotations

import json

import pytest
from test_sweep_runner import FakeTraining

from mnistlab.cli.main import main

SWEEP = {
    "name": "cli sweep",
    "base": {"preset": "baseline"},
    "config": {"epochs": 2, "train_subset": 1000, "batch_size": 64},
    "method": "random",
    "trials": 5,
    "space": {"learning_rate": {"low": 1e-4, "high": 1e-1, "log": True}, "layers.0.units": [32, 64]},
}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def fake_training(monkeypatch):
    work = FakeTraining(pause_s=0)
    monkeypatch.setattr("mnistlab.runs.jobs.train_job", work)
    return work


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "not valid JSON"),
        (json.dumps({**SWEEP, "method": "bayes"}), "method 'bayes' is unknown"),
        (
            json.dumps({**SWEEP, "space": {"layers.3.units": [1]}}),
            "'layers.3.units': the base 'baseline' has layers 0 to 0",
        ),
        (json.dumps([1, 2]), "must be a JSON object"),
    ],
)
def test_bad_sweep_files_are_one_line_and_exit_2(tmp_path, capsys, artifacts, content, message):
    path = tmp_path / "sweep.json"
    path.write_text(content)
    code, out, err = run_cli(capsys, "sweep", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mnistlab: error: ") and message in err
    assert not (artifacts / "sweeps").exists()  # nothing was created


def test_missing_file_unknown_sweep_and_bad_trials(tmp_path, capsys, artifacts):
    for argv, message in (
        (["sweep", str(tmp_path / "none.json")], "cannot read the sweep file"),
        (["sweep", "sw-20260101-120000-ab12"], "No sweep 'sw-20260101-120000-ab12'"),
        (["sweep", "x.json", "--trials", "many"], "expected a whole number"),
    ):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and message in err and err.count("\n") == 1
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(SWEEP))
    code, _, err = run_cli(capsys, "sweep", str(path), "--trials", "0")
    assert code == 2 and "trials is 0" in err


def test_sweep_writes_summary_json_and_md(tmp_path, capsys, artifacts, fake_training):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(SWEEP))
    code, out, err = run_cli(capsys, "sweep", str(path), "--trials", "3", "--json")
    assert code == 0, err
    printed = json.loads(out)
    (folder,) = (artifacts / "sweeps").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert printed["id"] == folder.name == summary["id"] and printed["status"] == "completed"
    assert [t["id"] for t in summary["trials"]] == [0, 1, 2]
    for trial in summary["trials"]:
        assert trial["status"] == "completed" and trial["epochs"] == 2 and trial["metric"] > 0.5
        assert set(trial["params"]) == {"learning_rate", "layers.0.units"} and "run_ids" in trial
    best = max(summary["trials"], key=lambda t: t["metric"])
    assert summary["best"]["id"] == best["id"] and summary["best"]["metric"] == best["metric"]
    assert "| # | status |" in (folder / "summary.md").read_text()
    code, out, _ = run_cli(capsys, "sweep", folder.name)  # resuming a finished sweep changes nothing
    assert code == 0 and "Sweep completed: 3 completed" in out
    assert len(json.loads((folder / "summary.json").read_text())["trials"]) == 3


def test_progress_lines_per_epoch_and_trial(tmp_path, capsys, artifacts, fake_training):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(SWEEP))
    code, out, _ = run_cli(capsys, "sweep", str(path), "--trials", "2")
    assert code == 0
    assert "trial #0 epoch 1/2: val_accuracy" in out and "trial #1 epoch 2/2: val_accuracy" in out
    assert "[1/2] trial #" in out and "[2/2] trial #" in out and "Best: trial #" in out

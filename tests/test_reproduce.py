"""The headless notebook study: runs in the store, results.md/json, every figure, honest findings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from mnistlab.cli.main import main
from mnistlab.runs.store import RunStore
from mnistlab.specs import SpecError
from mnistlab.study.report import compare, findings
from mnistlab.study.reproduce import SAMPLE_FIRST, check_study, reproduce, sample_prediction_rows
from mnistlab.training import ConfigError

EXPECTED_FIGURES = {
    "comparison",
    "sample_digits",
    "sample_predictions",
    "confusion_baseline",
    "confusion_deeper",
    "curves_baseline",
    "curves_deeper",
}


def assert_png(path, min_side=300):
    assert path.stat().st_size > 5_000
    with Image.open(path) as picture:
        assert picture.format == "PNG"
        assert min(picture.size) >= min_side * 0.5 and max(picture.size) >= min_side, picture.size


@pytest.mark.slow
def test_tiny_study_writes_report_figures_and_runs(tmp_path, store, mnist):
    events = []
    out = tmp_path / "report"
    results = reproduce(
        seeds=2,
        epochs=1,
        out=out,
        presets=("baseline", "deeper"),
        store=store,
        on_progress=events.append,
        subset=600,
        data=mnist,
    )

    runs = store.list_runs()
    assert sorted(r.name for r in runs) == [
        "baseline seed 0",
        "baseline seed 1",
        "deeper seed 0",
        "deeper seed 1",
    ]
    assert {r.preset for r in runs} == {"baseline", "deeper"} and {r.status for r in runs} == {"completed"}
    assert sorted(r.config["seed"] for r in runs) == [0, 0, 1, 1]

    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk == json.loads(json.dumps(results))
    by_preset = {e["preset"]: e for e in results["experiments"]}
    for exp in by_preset.values():
        accuracies = [100 * r["test_accuracy"] for r in exp["runs"]]
        assert exp["accuracy"]["n"] == 2
        assert exp["accuracy"]["mean"] == pytest.approx(np.mean(accuracies), abs=1e-3)
        assert exp["accuracy"]["std"] == pytest.approx(np.std(accuracies, ddof=1), abs=1e-3)
    assert by_preset["deeper"]["notebook_accuracy"] == 96.86 and by_preset["baseline"]["params"] == 101_770

    assert set(results["figures"]) == EXPECTED_FIGURES
    for filename in results["figures"].values():
        assert_png(out / filename)
    assert sorted(p.name for p in out.glob("*.png")) == sorted(results["figures"].values())

    report = (out / "results.md").read_text()
    assert "| 2 | Deeper | Dense(256) → Dense(128) | 235,146 | 96.86 %" in report
    assert (
        f"{by_preset['baseline']['accuracy']['mean']:.2f} ± {by_preset['baseline']['accuracy']['std']:.2f} %"
        in report
    )
    assert "## What this run shows" in report and "Deeper vs Baseline" in report
    assert all(f"({name})" in report for name in results["figures"].values())

    starts = [e for e in events if e.progress is None and e.result is None]
    finishes = [e for e in events if e.result is not None]
    assert [(e.task, e.preset, e.seed) for e in starts] == [
        (1, "baseline", 0),
        (2, "baseline", 1),
        (3, "deeper", 0),
        (4, "deeper", 1),
    ]
    assert [e.result["run_id"] for e in finishes] == [
        r["run_id"] for e in results["experiments"] for r in e["runs"]
    ]
    assert any(e.progress is not None and e.progress.kind == "epoch" for e in events)


@pytest.mark.slow
def test_reproduce_command_line(tmp_path, capsys, artifacts):
    out = tmp_path / "cli-report"
    code = main(
        [
            "reproduce",
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--presets",
            "baseline",
            "--subset",
            "600",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "[1/1] baseline seed 0: completed" in printed.out and "spread is unknown" in printed.out
    assert (out / "results.md").is_file() and (out / "comparison.png").is_file()
    assert [r.name for r in RunStore().list_runs()] == ["baseline seed 0"]


def test_a_stop_before_the_first_run_still_writes_a_report(tmp_path, store, mnist):
    results = reproduce(
        seeds=1, out=tmp_path, presets=("baseline",), store=store, should_stop=lambda: True, data=mnist
    )
    assert results["stopped"] is True and store.list_runs() == []
    assert "Stopped early" in (tmp_path / "results.md").read_text()
    assert results["findings"] == ["No run finished, so there is nothing to compare."]
    assert_png(tmp_path / "comparison.png")


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"seeds": 0}, ValueError),
        ({"seeds": 21}, ValueError),
        ({"seeds": True}, ValueError),
        ({"presets": ["nope"]}, SpecError),
        ({"presets": []}, SpecError),
        ({"presets": ["tuned", "tuned"]}, SpecError),
        ({"epochs": 0}, ConfigError),
        ({"subset": 5}, ConfigError),
    ],
)
def test_check_study_refuses_bad_settings(kwargs, error):
    settings = {"seeds": 1, "epochs": None, "presets": ["baseline"], **kwargs}
    with pytest.raises(error):
        check_study(settings["seeds"], settings["epochs"], settings["presets"], settings.get("subset"))


def experiment(name: str, accuracies: list[float], notebook: float | None = None) -> dict:
    values = np.asarray(accuracies) * 100
    return {
        "preset": name.lower(),
        "title": name,
        "notebook_accuracy": notebook,
        "accuracy": {
            "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else None,
            "n": len(values),
        },
    }


def test_compare_calls_a_gap_real_only_when_it_beats_seed_noise():
    baseline = experiment("Baseline", [0.9760, 0.9770, 0.9765], 97.31)
    clearly_better = experiment("Tuned", [0.9820, 0.9825, 0.9815], 98.12)
    noisy = experiment("Deeper", [0.9700, 0.9850, 0.9780], 96.86)
    assert "reliably better" in compare(baseline, clearly_better)
    assert "reliably worse" in compare(clearly_better, baseline)
    verdict = compare(baseline, noisy)
    assert "within seed noise" in verdict and "reliably" not in verdict
    assert "the notebook reported -0.45" in verdict


def test_with_one_seed_the_spread_is_unknown():
    notes = findings([experiment("Baseline", [0.977], 97.31), experiment("Deeper", [0.975], 96.86)])
    deeper = next(n for n in notes if n.startswith("Deeper vs Baseline"))
    assert "-0.20 points" in deeper and "spread is unknown" in deeper and "reliably" not in deeper
    assert any(n.startswith("With one seed per experiment the seed-to-seed spread is unknown") for n in notes)
    assert notes[0].startswith("Ranking by mean test accuracy: Baseline 97.70 %, Deeper 97.50 %")


def test_sample_predictions_come_from_the_mistakes_list():
    y_test = np.array(
        [7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5, 9, 7, 3, 4, 9, 6, 6, 5, 4, 0, 7, 4, 0, 1]
    )
    mistakes = [[20, 9, 4, 0.99], [2, 1, 7, 0.8], [25, 0, 6, 0.7]]
    indices, true, predicted = sample_prediction_rows(mistakes, y_test)
    assert indices[:SAMPLE_FIRST] == list(range(SAMPLE_FIRST))
    assert indices[SAMPLE_FIRST:] == [20, 25]  # index 2 is already shown among the first digits
    assert true == [int(y_test[i]) for i in indices]
    wrong = [(i, p) for i, t, p in zip(indices, true, predicted, strict=False) if t != p]
    assert wrong == [(2, 7), (20, 4), (25, 6)]


def test_presets_with_their_own_recipe_are_named_in_the_report():
    from mnistlab.study.report import _own_recipes

    config = {"epochs": 8, "batch_size": 256, "learning_rate": 4e-3}
    shared = {"recipe": dict(config)}
    results = {
        "config": config,
        "experiments": [
            {"title": "Baseline", "runs": [shared]},
            {"title": "Tuned", "runs": [{"recipe": {**config, "epochs": 40}}]},
            {"title": "Old", "runs": [{}]},  # results written before runs recorded their recipe
            {"title": "Cnn", "runs": [{"recipe": {**config, "augment": True}}]},  # same numbers, augmented
            {"title": "Plain", "runs": [{"recipe": {**config, "augment": False}}]},
        ],
    }
    assert _own_recipes(results) == (
        "Tuned 40 epochs, batches of 256, rate 0.004; Cnn 8 epochs, batches of 256, rate 0.004, augmented images"
    )
    assert _own_recipes({"config": config, "experiments": [{"title": "Baseline", "runs": [shared]}]}) == ""

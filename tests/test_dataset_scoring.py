"""A run of one dataset is never scored or ranked on another: leaderboard, scorer, handwriting, comparisons,
the best run, the CLI's evaluate."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from idx_sets import fashion_folder

from mnistlab.people.classroom import Challenge
from mnistlab.people.leaderboard import leaderboard, split_scores
from mnistlab.people.scoring import Scorer, handwriting_note
from mnistlab.runs.choice import best_run_id
from mnistlab.specs import PRESETS
from mnistlab.study.comparison import by_dataset, notebook_references, notebook_rows, seed_groups
from mnistlab.training import TrainConfig


def _run(run_id, owner, dataset="mnist", accuracy=0.9, params=10_000, epochs=2, preset="baseline"):
    return SimpleNamespace(
        id=run_id,
        owner=owner,
        dataset=dataset,
        status="completed",
        params=params,
        config={"epochs": epochs, "dataset": dataset},
        created=1.0,
        name=run_id,
        test_accuracy=accuracy,
        has_model=True,
        preset=preset,
    )


def test_a_challenge_ranks_only_runs_of_its_dataset():
    runs = [_run("m", "p-ada"), _run("f", "p-bob", dataset="fashion-mnist")]
    scores = {"m": (0.97, 0.96), "f": (0.88, 0.87)}.get
    on_mnist = leaderboard(runs, Challenge(), scores, str)
    assert [row.run_id for row in on_mnist] == ["m"]
    on_fashion = leaderboard(runs, Challenge(dataset="fashion-mnist"), scores, str)
    assert [row.run_id for row in on_fashion] == ["f"]


def test_a_challenge_names_a_known_dataset(artifacts):
    assert Challenge().dataset == "mnist"
    with pytest.raises(ValueError, match="No dataset called 'nope'"):
        Challenge(dataset="nope")


def test_handwriting_is_for_mnist_runs_only():
    assert handwriting_note("mnist") is None
    assert "MNIST digits" in handwriting_note("fashion-mnist") and "Fashion-MNIST" in handwriting_note(
        "fashion-mnist"
    )


def _finished(store, dataset: str, metrics: dict) -> str:
    run_id = store.create(PRESETS["baseline"], TrainConfig(epochs=1, dataset=dataset).to_dict())
    store.save_metrics(run_id, metrics)
    store.save_model(run_id, b"not read: the metrics cover every test image")
    store.finish(run_id, "completed", test_accuracy=metrics["accuracy"])
    return run_id


def test_a_fashion_run_is_scored_on_fashion(store, artifacts):
    fashion_folder()
    from mnistlab.datasets import load_dataset

    labels = np.asarray(load_dataset("fashion-mnist").y_test, dtype=int)
    predicted = labels.copy()
    predicted[:500] = (labels[:500] + 1) % 10  # 500 mistakes, on Fashion-MNIST's labels
    mistakes = [[i, int(labels[i]), int(predicted[i]), 0.9] for i in range(500)]
    metrics = {"n": len(labels), "accuracy": 0.95, "mistakes": mistakes}
    run_id = _finished(store, "fashion-mnist", metrics)
    scorer = Scorer(store, artifacts / "scores")
    assert scorer.scores(run_id) == pytest.approx(split_scores(predicted, labels))
    sets = SimpleNamespace(exists=lambda name: True, version=lambda name: 1, root=artifacts)
    assert scorer.handwriting(run_id, sets, "our-class") is None  # digits: not for a fashion run


def test_runs_of_two_datasets_are_never_one_group():
    from mnistlab.runs.run import Run

    def run(run_id, dataset, seed, config_dataset=True):
        config = TrainConfig(seed=seed, dataset=dataset).to_dict()
        if not config_dataset:
            del config["dataset"]  # a run from before datasets
        return Run(
            run_id,
            "baseline",
            "completed",
            PRESETS["baseline"],
            config,
            0.0,
            0.0,
            101_770,
            0.9,
            preset="baseline",
            dataset=dataset,
        )

    runs = [run("a", "mnist", 0), run("b", "mnist", 1, config_dataset=False), run("c", "fashion-mnist", 0)]
    groups = seed_groups(runs)
    assert [g.n for g in groups] == [2, 1]
    assert "fashion-mnist" in groups[1].label
    assert list(notebook_references(groups)) == [groups[0].label]
    assert list(by_dataset(runs)) == ["mnist", "fashion-mnist"]
    assert all("fashion" not in row["Runs here"] for row in notebook_rows(runs))


def test_the_best_run_of_a_dataset():
    runs = [_run("f", "x", dataset="fashion-mnist", accuracy=0.91), _run("m", "x", accuracy=0.98)]
    assert best_run_id(runs) == "m"
    assert best_run_id(runs, dataset="fashion-mnist") == "f"
    assert best_run_id(runs, dataset="kmnist") is None


def test_evaluate_refuses_handwriting_for_a_fashion_run(capsys, store, tmp_path):
    from mnistlab.cli import main

    run_id = _finished(store, "fashion-mnist", {"n": 1, "accuracy": 1.0, "mistakes": []})
    code = main(["evaluate", run_id, "--drawings", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "MNIST digits" in err and err.count("\n") == 1

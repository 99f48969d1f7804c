"""A dataset flows through the core: the config names it, the model has its number of classes, the run records
it and is scored on its test set."""

from __future__ import annotations

import numpy as np
import pytest
from idx_sets import write_idx_set

from mnistlab.datasets import add_dataset
from mnistlab.evaluation import score
from mnistlab.specs import PRESETS, count_params, layer_params
from mnistlab.training import ConfigError, TrainConfig


@pytest.fixture
def tiny(artifacts, tmp_path):
    """A 3-class IDX set (300 train, 90 test images) added as ``tiny``."""
    add_dataset("tiny", write_idx_set(tmp_path / "tiny", classes=3), class_names=["bar", "mid", "low"])
    return "tiny"


def test_config_names_its_dataset_mnist_by_default():
    assert TrainConfig().dataset == "mnist"
    assert TrainConfig(dataset="fashion-mnist").to_dict()["dataset"] == "fashion-mnist"
    assert TrainConfig.from_dict({"dataset": "fashion-mnist"}).dataset == "fashion-mnist"


@pytest.mark.parametrize("bad", ["nope", "", 3, None])
def test_unknown_dataset_is_a_config_error(artifacts, bad):
    with pytest.raises(ConfigError, match="dataset"):
        TrainConfig(dataset=bad)


def test_added_dataset_is_a_valid_config(tiny):
    assert TrainConfig(dataset=tiny, epochs=1).dataset == "tiny"


def test_output_layer_counts_the_dataset_classes():
    spec = PRESETS["baseline"]
    assert count_params(spec) == 101_770
    assert layer_params(spec, 3)[-1] == (128 + 1) * 3
    assert count_params(spec, 3) == 101_770 - 129 * 7


def test_store_records_the_dataset_and_its_output_size(store, tiny):
    spec = PRESETS["baseline"]
    mnist_run = store.create(spec, TrainConfig(epochs=1).to_dict())
    tiny_run = store.create(spec, TrainConfig(epochs=1, dataset=tiny).to_dict())
    old_run = store.create(spec, {"epochs": 1})  # a config from before datasets
    assert store.load(mnist_run).dataset == "mnist"
    assert store.load(tiny_run).dataset == "tiny"
    assert store.load(tiny_run).params == count_params(spec, 3)
    assert store.load(old_run).dataset == "mnist"
    assert store.load(tiny_run).to_dict()["dataset"] == "tiny"


def test_score_has_as_many_classes_as_the_probabilities():
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    metrics = score(np.array([0, 2, 1]), probs)
    assert np.array(metrics["confusion"]).shape == (3, 3)
    assert len(metrics["per_class"]["recall"]) == 3
    assert metrics["accuracy"] == pytest.approx(2 / 3)


@pytest.mark.slow
def test_a_three_class_set_trains_end_to_end(store, tiny):
    from mnistlab.inference import load_numpy_model
    from mnistlab.runs.experiment import train_run

    config = TrainConfig(epochs=1, dataset=tiny, batch_size=32, validation_split=0.1)
    run_id = train_run(PRESETS["baseline"], config, store)
    run = store.load(run_id)
    assert run.status == "completed" and run.dataset == "tiny" and run.config["dataset"] == "tiny"
    metrics = store.metrics(run_id)
    assert metrics["n"] == 90  # scored on tiny's own test set, not MNIST's 10,000
    assert np.array(metrics["confusion"]).shape == (3, 3)
    assert run.test_accuracy > 0.9
    model = store.load_model(run_id)
    assert model.output_shape[-1] == 3
    numpy_model = load_numpy_model(store.model_path(run_id))
    assert numpy_model(np.zeros((2, 28, 28), np.float32)).shape == (2, 3)


def test_a_sweep_names_its_dataset():
    from mnistlab.sweeps.parsing import SweepError, parse_sweep

    raw = {
        "base": {"preset": "baseline"},
        "space": {"learning_rate": [1e-3, 2e-3]},
        "dataset": "fashion-mnist",
    }
    sweep = parse_sweep(raw)
    assert sweep.config.dataset == "fashion-mnist"
    assert parse_sweep(sweep.to_dict()).config.dataset == "fashion-mnist"
    assert parse_sweep({**raw, "dataset": "mnist"}).config.dataset == "mnist"
    with pytest.raises(SweepError, match="dataset"):
        parse_sweep({**raw, "dataset": "nope"})
    with pytest.raises(SweepError, match="twice"):
        parse_sweep({**raw, "config": {"dataset": "mnist"}})


@pytest.mark.slow
def test_a_fashion_run_records_its_dataset_and_is_scored_on_fashion(store):
    from idx_sets import fashion_folder

    from mnistlab.runs.experiment import train_run

    fashion_folder()
    config = TrainConfig(epochs=1, dataset="fashion-mnist", train_subset=600)
    run = store.load(train_run(PRESETS["baseline"], config, store))
    assert run.dataset == "fashion-mnist" and run.status == "completed"
    metrics = store.metrics(run.id)
    assert metrics["per_class"]["support"] == [1000] * 10  # Fashion-MNIST's test set, not MNIST's


def test_recipes_per_dataset():
    from mnistlab.recipes import recommended_config

    assert recommended_config("cnn").epochs == 4
    fashion = recommended_config("cnn", dataset="fashion-mnist")
    assert (fashion.epochs, fashion.batch_size, fashion.dataset) == (30, 256, "fashion-mnist")
    assert fashion.augment is True  # clothing's augmentation (mirror, shifts) is part of its recipe
    assert recommended_config("cnn").augment is False  # MNIST's cnn trains on the digits as they are
    assert recommended_config("cnn", dataset="fashion-mnist", augment=False).augment is False
    assert recommended_config("tuned", dataset="fashion-mnist").augment is False
    tuned = recommended_config("tuned", dataset="fashion-mnist")
    assert (tuned.epochs, tuned.batch_size, tuned.learning_rate) == (40, 256, 4e-3)
    assert recommended_config("tuned").epochs == TrainConfig().epochs  # MNIST keeps its recipe
    assert recommended_config("dropout", dataset="fashion-mnist").epochs == TrainConfig().epochs
    assert recommended_config("cnn", dataset="fashion-mnist", epochs=2).batch_size == 256


def test_the_cli_keeps_the_recipes_augmentation_unless_told():
    from mnistlab.cli.main import build_parser
    from mnistlab.cli.runs import _config_from_args

    def config(*flags):
        args = build_parser().parse_args(["train", "--preset", "cnn", *flags])
        return _config_from_args(args, "cnn")

    assert config("--dataset", "fashion-mnist").augment is True
    assert config("--dataset", "fashion-mnist", "--no-augment").augment is False
    assert config().augment is False and config("--augment").augment is True

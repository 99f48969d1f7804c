import math

import numpy as np
import pytest

from mnistlab.specs import PRESETS
from mnistlab.training import ConfigError, Progress, TrainConfig, train

TINY = TrainConfig(epochs=2, batch_size=64, train_subset=2000, seed=1)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"epochs": 0}, "epochs is 0; allowed range is 1-200"),
        ({"epochs": 2.5}, "epochs must be a whole number"),
        ({"epochs": "ten"}, "epochs must be a whole number"),
        ({"batch_size": 10**6}, "batch_size is 1000000"),
        ({"batch_size": True}, "batch_size must be a whole number"),
        ({"learning_rate": 0}, "learning_rate must be a number above 0"),
        ({"learning_rate": math.nan}, "learning_rate"),
        ({"learning_rate": math.inf}, "learning_rate"),
        ({"optimizer": "adamw2"}, "optimizer 'adamw2' is unknown"),
        ({"schedule": "step"}, "schedule 'step' is unknown"),
        ({"validation_split": 0.9}, "validation_split must be between 0 and 0.5"),
        ({"seed": -1}, "seed is -1"),
        ({"train_subset": 10}, "train_subset is 10; allowed range is 100-60000"),
        ({"train_subset": 200, "batch_size": 512}, "larger than the 180 training examples"),
    ],
)
def test_bad_config_is_refused_with_the_setting_named(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**{**TrainConfig().to_dict(), **changes})


def test_config_round_trip_and_unknown_keys():
    assert TrainConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ConfigError, match="Unknown training settings"):
        TrainConfig.from_dict({"epochs": 1, "momentum": 0.9})


@pytest.fixture(scope="module")
def tiny_run(mnist):
    events: list[Progress] = []
    result = train(PRESETS["baseline"], TINY, on_progress=events.append, data=mnist)
    return result, events


@pytest.mark.slow
def test_small_training_beats_chance_by_far(tiny_run, mnist):
    from mnistlab.data import to_float
    from mnistlab.evaluation import evaluate

    result, _ = tiny_run
    assert result.status == "completed" and result.epochs_done == 2
    assert evaluate(result.model, to_float(mnist.x_test[:2000]), mnist.y_test[:2000])["accuracy"] > 0.8
    assert result.history["val_accuracy"][-1] > 0.8
    assert result.history["loss"][1] < result.history["loss"][0]


@pytest.mark.slow
def test_progress_events_arrive_in_order(tiny_run):
    result, events = tiny_run
    batch = [e for e in events if e.kind == "batch"]
    epoch = [e for e in events if e.kind == "epoch"]
    assert len(epoch) == 2 and len(batch) >= 4
    assert [e.step for e in batch] == sorted(e.step for e in batch)
    assert epoch[-1].fraction == 1.0 and epoch[-1].eta_s == 0
    assert epoch[0].val_accuracy is not None and batch[-1].samples_per_s > 0
    assert all(e.eta_s >= 0 for e in events)
    assert len(result.batches) == len(batch)


@pytest.mark.slow
def test_same_seed_same_history(tiny_run, mnist):
    result, _ = tiny_run
    again = train(PRESETS["baseline"], TINY, data=mnist)
    assert again.history["loss"] == result.history["loss"]
    assert again.history["val_accuracy"] == result.history["val_accuracy"]
    other = train(PRESETS["baseline"], TINY.replace(seed=2), data=mnist)
    assert other.history["loss"] != result.history["loss"]


@pytest.mark.slow
def test_stop_is_honoured_within_one_chunk_and_keeps_history(mnist):
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) >= 3

    events = []
    result = train(
        PRESETS["baseline"],
        TrainConfig(epochs=5, batch_size=32, train_subset=3000),
        on_progress=events.append,
        should_stop=should_stop,
        data=mnist,
    )
    assert result.status == "stopped"
    assert len(calls) == 3  # no more chunks ran after the stop was seen
    assert result.epochs_done == 1 and len(result.history["loss"]) == 1
    assert max(e.step for e in events if e.kind == "batch") < 3000 * 0.9 / 32


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
def test_other_optimizers_learn(optimizer, mnist):
    from mnistlab.training import SUGGESTED_LR

    config = TrainConfig(
        epochs=1,
        batch_size=64,
        train_subset=2000,
        optimizer=optimizer,
        learning_rate=SUGGESTED_LR[optimizer],
        schedule="constant",
    )
    result = train(PRESETS["baseline"], config, data=mnist)
    assert result.history["val_accuracy"][-1] > 0.6
    assert np.isfinite(result.history["loss"]).all()


@pytest.mark.slow
def test_batch_events_carry_each_chunks_own_mean(tiny_run):
    """Keras reports running means since the epoch began; the chunk means recovered from them average back."""
    result, events = tiny_run
    batch = [e for e in events if e.kind == "batch" and e.epoch == 2]
    steps_per_epoch = batch[-1].step - batch[0].step + 8
    sizes = [8] * (len(batch) - 1) + [steps_per_epoch - 8 * (len(batch) - 1)]
    weighted = sum(e.batch_loss * n for e, n in zip(batch, sizes, strict=False)) / sum(sizes)
    assert weighted == pytest.approx(batch[-1].loss, rel=1e-4)
    assert batch[-1].batch_loss != pytest.approx(
        batch[-1].loss, rel=1e-3
    )  # a chunk differs from the running mean
    assert [row[1] for row in result.batches[-len(batch) :]] == [round(e.batch_loss, 5) for e in batch]


@pytest.mark.slow
def test_validation_scores_are_the_returned_models_on_the_held_out_digits(tiny_run, mnist):
    """Validation runs by direct calls now, not fit's own: its figures must still be the final model's on the
    seeded held-out split, scaled from bytes as the training images are."""
    from mnistlab.data import to_float
    from mnistlab.evaluation import evaluate
    from mnistlab.training import prepare_data

    result, _ = tiny_run
    _, _, x_val, y_val = prepare_data(TINY, mnist)
    assert x_val.dtype == np.uint8 and len(x_val) == 200  # 10 % of the 2,000
    held_out = evaluate(result.model, to_float(x_val), y_val)  # TINY trains in float32 (a short run)
    assert result.history["val_accuracy"][-1] == pytest.approx(held_out["accuracy"])
    assert result.history["val_loss"][-1] == pytest.approx(held_out["loss"], rel=1e-4)

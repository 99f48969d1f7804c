"""Training defaults chosen from the epoch budget, the warm-up share, and the presets' recommended configs."""

from __future__ import annotations

import json

import pytest

from mnistlab.recipes import recommended_config
from mnistlab.training import (
    ConfigError,
    TrainConfig,
    make_optimizer,
    recommended_batch_size,
    recommended_learning_rate,
    warmup_steps,
)


@pytest.mark.parametrize(
    ("epochs", "batch", "rate"),
    [(1, 64, 3e-3), (2, 64, 3e-3), (3, 128, 3e-3), (7, 128, 3e-3), (8, 256, 4e-3), (20, 256, 4e-3)],
)
def test_auto_batch_and_rate_follow_the_epoch_budget(epochs, batch, rate):
    config = TrainConfig(epochs=epochs)
    assert (config.batch_size, config.learning_rate) == (batch, rate)
    assert recommended_batch_size(epochs) == batch


def test_rates_scale_with_the_batch_and_optimizer():
    assert [recommended_learning_rate("adam", b) for b in (32, 64, 128, 256, 512)] == [
        2e-3,
        3e-3,
        3e-3,
        4e-3,
        5e-3,
    ]
    assert recommended_learning_rate("sgd", 512) == 0.1
    assert recommended_learning_rate("rmsprop", 64) == 5e-4
    assert TrainConfig(epochs=1, optimizer="sgd").learning_rate == 0.05


def test_saved_configs_hold_the_resolved_numbers():
    config = TrainConfig(epochs=2)
    raw = json.loads(json.dumps(config.to_dict()))
    assert raw["batch_size"] == 64 and raw["learning_rate"] == 3e-3
    assert TrainConfig.from_dict(raw) == config
    assert TrainConfig.from_dict({"epochs": 5, "batch_size": "auto"}).batch_size == 128


def test_explicit_settings_win_and_bad_ones_are_refused():
    config = TrainConfig(epochs=1, batch_size=256)
    assert config.batch_size == 256 and config.learning_rate == 4e-3  # rate follows the given batch
    assert TrainConfig(epochs=1, learning_rate=1e-3).learning_rate == 1e-3
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig(batch_size="big")
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainConfig(learning_rate="fast")
    with pytest.raises(ConfigError, match="larger than"):
        TrainConfig(train_subset=200, batch_size=512)
    assert TrainConfig(train_subset=100).batch_size == 90  # auto on a tiny subset: one batch of everything


def test_auto_replace_chooses_again_for_the_new_budget():
    assert TrainConfig().replace(epochs=1).batch_size == 256  # replace keeps numbers
    assert TrainConfig().auto_replace(epochs=1).batch_size == 64


def test_warm_up_is_a_share_of_all_steps():
    # A 1-epoch run at batch 64 on 54,000 digits: 844 steps, warm-up over 42 (5 %), not over the whole epoch.
    assert warmup_steps(844) == 42
    assert warmup_steps(8 * 106) == 42
    assert warmup_steps(10) == 1 and warmup_steps(1) == 1


def test_the_schedule_peaks_after_the_warm_up():
    optimizer = make_optimizer(TrainConfig(epochs=1), total_steps=844)
    schedule = optimizer.learning_rate if callable(optimizer.learning_rate) else optimizer._learning_rate
    assert float(schedule(0)) == 0.0
    assert float(schedule(42)) == pytest.approx(3e-3)
    assert float(schedule(21)) == pytest.approx(1.5e-3)
    assert float(schedule(844)) == pytest.approx(0.0, abs=1e-9)


def test_presets_carry_their_recommended_config():
    cnn = recommended_config("cnn")
    assert (cnn.epochs, cnn.batch_size, cnn.learning_rate) == (4, 256, 4e-3)
    assert recommended_config("cnn", epochs=6).batch_size == 256
    assert recommended_config("cnn", batch_size=64).learning_rate == 3e-3
    assert recommended_config("dropout") == TrainConfig()
    short = recommended_config("baseline", epochs=1, seed=None)
    assert (short.batch_size, short.learning_rate, short.seed) == (64, 3e-3, 0)
    assert recommended_config(None, optimizer="sgd").learning_rate == 0.08  # 0.1 x (256 / 512) ** 0.3

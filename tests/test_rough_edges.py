"""The small things a new user trips over, as plain Python: names people read, run names, partial epochs,
the smoothed curve, run folders being created, the Compare CSV."""

import math
import os
import time

import pytest

from mnistlab.app import charts
from mnistlab.labels import setting_label, user_words
from mnistlab.naming import run_name_base, taken_names, unused_run_name
from mnistlab.progress import Progress, Tracker, work_done
from mnistlab.runs.store import CREATING
from mnistlab.specs import PRESETS, SpecError, from_dict
from mnistlab.study import comparison
from mnistlab.text import plural
from mnistlab.training import ConfigError, TrainConfig


def test_config_errors_use_the_forms_labels():
    for kwargs, label, internal in (
        ({"learning_rate": 0}, "Learning rate", "learning_rate"),
        ({"train_subset": 5}, "Training images", "train_subset"),
        ({"batch_size": 0}, "Batch size", "batch_size"),
    ):
        with pytest.raises(ConfigError) as caught:
            TrainConfig(**kwargs)
        assert internal in str(caught.value)  # the CLI keeps the identifiers it takes as flags
        shown = user_words(caught.value)
        assert label in shown and internal not in shown, shown


def test_spec_errors_use_the_builders_labels():
    layers = [{"kind": "conv2d", "filters": 8, "kernel_size": 0, "activation": "relu"}]
    with pytest.raises(SpecError) as caught:
        from_dict({"name": "x", "layers": layers})
    shown = user_words(caught.value)
    assert "Kernel" in shown and "Conv2D" in shown and "kernel_size" not in shown and "conv2d" not in shown
    assert user_words("Layer 2 (max_pool) size is 0; allowed range is 1-4.") == (
        "Layer 2 (MaxPool): Pool size is 0; allowed range is 1-4."
    )
    # Ordinary words stay ordinary: only names in a name's place change.
    assert user_words("Use fewer units or add a pooling layer.") == "Use fewer units or add a pooling layer."


def test_setting_labels():
    assert setting_label("train_subset") == "Training images"
    assert setting_label("kernel_size") == "Kernel"
    assert setting_label("something_new") == "something_new"


def test_plural():
    assert plural(1, "seed") == "1 seed"
    assert plural(4, "seed") == "4 seeds"
    assert plural(0, "batch", "batches") == "0 batches"


def test_auto_names_say_the_seed_and_number_repeats_as_runs():
    assert run_name_base("dropout", 0) == "dropout"
    assert run_name_base("dropout", 2) == "dropout seed 2"
    assert run_name_base(None, 0) == "custom"
    taken = {"dropout", "dropout 2", "dropout seed 2"}
    assert unused_run_name("dropout seed 2", taken) == "dropout seed 2 · run 2"
    assert unused_run_name("dropout seed 3", taken) == "dropout seed 3"
    assert unused_run_name("dropout", taken | {"dropout · run 2"}) == "dropout · run 3"


def test_taken_names_include_queued_jobs(store):
    store.create(PRESETS["baseline"], TrainConfig().to_dict(), name="baseline", preset="baseline")

    class Job:
        name = "baseline seed 1"

    class Runner:
        def jobs(self):
            return [Job()]

    assert taken_names(store, Runner()) == {"baseline", "baseline seed 1"}


def _tracker(stop_after_batch=None):
    events = []
    config = TrainConfig(epochs=3, batch_size=100, train_subset=1000, validation_split=0.1)  # 9 batches
    state = {"batch": None}
    tracker = Tracker(
        config,
        steps_per_epoch=9,
        total_steps=27,
        on_progress=events.append,
        should_stop=lambda: state["batch"] == stop_after_batch,
        on_epoch_end=None,
        model=None,
    )
    return tracker, events, state


def test_a_stop_part_way_through_an_epoch_reports_the_batches_done():
    class Model:
        stop_training = False

    tracker, events, state = _tracker(stop_after_batch=(1, 3))
    model = Model()
    for epoch in range(3):
        tracker.epoch = epoch
        for batch in (3, 7, 8):  # chunk ends, as Keras reports them with steps_per_execution
            state["batch"] = (epoch, batch)
            tracker.batch_end(batch, {"loss": 1.0, "accuracy": 0.5}, model)
            if model.stop_training:
                break
        tracker.epoch_end(epoch, {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.5})
        if model.stop_training:
            break
    last = events[-1]
    assert last.kind == "epoch" and last.step == 9 + 4  # one epoch and four batches, not two epochs
    # The words count epochs as the epoch chart does: the stopped epoch was validated and has its point.
    assert len(tracker.history["val_accuracy"]) == 2
    assert work_done(last) == "2 epochs (the last stopped at batch 4 of 9)"
    assert work_done(last.to_dict()) == "2 epochs (the last stopped at batch 4 of 9)"


def test_work_done_for_whole_epochs_and_without_progress():
    event = Progress("epoch", 3, 3, 27, 27, 0.1, 0.9, 1.0, 100.0, 0.0)
    assert work_done(event) == "3 epochs"
    assert work_done({**event.to_dict(), "step": 5}) == "1 epoch (it stopped at batch 5 of 9)"
    assert work_done(None) is None
    assert work_done({"epochs": 0}) is None


def test_smoothed_curve_follows_a_steep_start():
    losses = [2.3, 1.2, 0.7, 0.5, 0.4, 0.35, 0.32, 0.3, 0.3, 0.29]
    alpha = charts.smoothing_for(len(losses))
    smooth = charts.debiased_ema(losses, alpha)
    plain = charts.ema(losses, 0.3)
    # By the end the smoothed line is close to the real one; the plain EMA from the first value still lags.
    assert abs(smooth[-1] - losses[-1]) < 0.05 < abs(plain[-1] - losses[-1])
    assert charts.debiased_ema([1.0, None, 3.0], 0.5)[1] == 1.0
    assert math.isnan(charts.debiased_ema([None], 0.5)[0])
    assert charts.smoothing_for(4000) == 0.3 and charts.smoothing_for(16) > 0.3


def test_a_run_folder_being_created_is_not_damaged(store):
    fresh = store.root / "20990101-000000-fresh-0000"
    fresh.mkdir(parents=True)
    marked = store.root / "20990101-000000-marked-0000"
    marked.mkdir()
    (marked / CREATING).touch()
    old = time.time() - 120
    os.utime(marked, (old, old))
    stale = store.root / "20990101-000000-stale-0000"
    stale.mkdir()
    os.utime(stale, (old, old))
    assert store.being_created(fresh.name) and store.being_created(marked.name)
    assert not store.being_created(stale.name)
    assert [name for name, _ in store.problems()] == [stale.name]
    # A finished creation leaves no marker behind.
    run_id = store.create(PRESETS["baseline"], TrainConfig().to_dict(), name="b")
    assert not (store.path(run_id) / CREATING).exists() and not store.being_created(run_id)


def test_compare_table_has_a_seed_column_and_the_diff_uses_labels(store):
    a = store.create(PRESETS["baseline"], TrainConfig(seed=0).to_dict(), name="a")
    b = store.create(PRESETS["baseline"], TrainConfig(seed=2, batch_size=128).to_dict(), name="b")
    runs = [store.load(a), store.load(b)]
    rows = comparison.table_rows(runs)
    assert [row["Seed"] for row in rows] == [0, 2]
    assert b"Seed" in comparison.csv_bytes(rows).splitlines()[0]
    settings = {row["Setting"]: row for row in comparison.diff_rows(*runs)}
    assert settings["Batch size"]["Differs"] and settings["Seed"]["Differs"]
    assert not any("_" in name for name in settings)
    assert "Augment" in settings and "augment" not in settings  # the Train form's word, capitalised

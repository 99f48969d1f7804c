"""What live progress costs a training: the same run with and without a dashboard-like listener."""

from __future__ import annotations

import threading

from mnistlab.bench.sizes import Sizes
from mnistlab.data import Mnist, load_mnist
from mnistlab.specs import PRESETS
from mnistlab.training import Progress, TrainConfig, train


def dashboard_listener():
    """A progress consumer doing what the job runner does per event: to_dict, a lock, keep latest and curve."""
    lock = threading.Lock()
    state: dict = {"latest": None, "batches": []}

    def report(progress: Progress) -> None:
        event = progress.to_dict()
        with lock:
            state["latest"] = event
            if event["kind"] == "batch":
                state["batches"].append([event["step"], event["loss"], event["accuracy"]])

    return report, state


def progress_overhead(sizes: Sizes, data: Mnist | None = None) -> dict:
    """Same training with and without live progress, alternated; overhead from the fastest of each."""
    data = data or load_mnist()
    config = TrainConfig(epochs=sizes.overhead_epochs, train_subset=sizes.train_subset)
    quiet, listened, events = [], [], 0
    for _ in range(sizes.overhead_repeats):
        quiet.append(train(PRESETS["dropout"], config, data=data).duration_s)
        report, state = dashboard_listener()
        listened.append(train(PRESETS["dropout"], config, data=data, on_progress=report).duration_s)
        events = len(state["batches"])
    base, live = min(quiet), min(listened)
    return {
        "progress_overhead_pct": round(100 * (live - base) / base, 2),
        "without_s": round(base, 3),
        "with_s": round(live, 3),
        "batch_events": events,
        "runs_each": sizes.overhead_repeats,
    }

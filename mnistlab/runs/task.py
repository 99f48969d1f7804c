"""The worker's half of a run: train, score and serialize, from plain data to plain data.

``run_task`` is what every executor runs, in this process, a spawned worker process or a Ray task. It needs
only a ``TrainTask`` (spec and config as dicts) and sends events back through ``emit(kind, payload)``:
``("progress", Progress.to_dict())`` every chunk of batches, ``("checkpoint", history)`` after every epoch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mnistlab.data import ImageSet, to_float
from mnistlab.specs import from_dict as spec_from_dict
from mnistlab.training import TrainConfig, dataset_for, train


class TaskFailed(Exception):
    """Training raised in a worker; the message is the worker's one-line account (``Type: message``)."""


class WorkerDied(Exception):
    """The process running a task ended without a result (killed, out of memory, crashed)."""


Emit = Callable[[str, object], None]


@dataclass(frozen=True)
class TrainTask:
    """What a worker needs to train one run: plain, picklable data."""

    spec: dict
    config: dict
    compute: str | None = None  # None: the worker's own MNISTLAB_COMPUTE
    score_test: bool = False  # score the test set after every epoch (off the clock): history["test_accuracy"]
    plain_fit: bool = (
        False  # train with plain Keras fit instead (the study's yardstick, mnistlab.runs.plain_fit)
    )


@dataclass
class TaskResult:
    """What comes back from a worker: everything the run store saves, as plain data."""

    status: str  # completed or stopped
    history: dict  # per-epoch lists, and "batches": [[step, loss, accuracy], ...]
    epochs_done: int
    duration_s: float
    samples_per_s: float
    metrics: dict = field(default_factory=dict)  # empty when no epoch finished
    model_bytes: bytes | None = None  # the trained model as a .keras file


def run_task(
    task: TrainTask, emit: Emit, should_stop: Callable[[], bool] | None = None, data: ImageSet | None = None
) -> TaskResult:
    """Train, score and serialize one run (the worker's half) on the config's dataset, scored on that set's
    test images. ``data`` is used only when it is that dataset. Raises whatever training raises."""
    spec, config = spec_from_dict(task.spec), TrainConfig.from_dict(task.config)
    data = dataset_for(config, data)
    if task.plain_fit:
        from mnistlab.runs.plain_fit import plain_fit

        fitted = plain_fit(spec, config, data, emit, should_stop)
        done = len(fitted["epoch_s"])
        return TaskResult("completed", fitted, done, fitted["duration_s"], 0.0)
    tests: list[float] = []

    def checkpoint(history: dict, model) -> None:
        if task.score_test:
            from mnistlab.runs.plain_fit import test_accuracy

            tests.append(round(test_accuracy(model, to_float(data.x_test), data.y_test), 4))
            history = {**history, "test_accuracy": list(tests)}
        emit("checkpoint", history)

    result = train(
        spec,
        config,
        data=data,
        compute=task.compute,
        should_stop=should_stop,
        on_progress=lambda progress: emit("progress", progress.to_dict()),
        on_epoch_end=checkpoint,
    )
    metrics, model_bytes = {}, None
    if result.epochs_done > 0:
        from mnistlab.evaluation import evaluate

        metrics = evaluate(result.model, to_float(data.x_test), data.y_test)
        model_bytes = model_to_bytes(result.model)
    return TaskResult(
        result.status,
        {
            **result.history,
            "batches": result.batches,
            **({"test_accuracy": tests} if task.score_test else {}),
        },
        result.epochs_done,
        result.duration_s,
        result.samples_per_s,
        metrics,
        model_bytes,
    )


def model_to_bytes(model) -> bytes:
    """A Keras model as the bytes of its ``.keras`` file."""
    with tempfile.TemporaryDirectory(prefix="mnistlab-model-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()

"""One training run from start to saved result: the piece the CLI, the job runner and ``reproduce`` share.

``train_run`` creates the run in the store, trains with live progress (checkpointing the history after every
epoch, so a crash keeps it), scores the model on the test set, and saves metrics and model. Whatever happens,
the run ends with a status: completed, stopped (by the user, partial history and model kept) or failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from mnistlab.data import Mnist, load_mnist, to_float
from mnistlab.runs.store import RunStore
from mnistlab.specs import ArchitectureSpec
from mnistlab.training import Progress, TrainConfig, train

log = logging.getLogger(__name__)


def train_run(
    spec: ArchitectureSpec,
    config: TrainConfig,
    store: RunStore,
    name: str | None = None,
    preset: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: Mnist | None = None,
    run_id: str | None = None,
    on_created: Callable[[str], None] | None = None,
) -> str:
    """Train ``spec`` with ``config`` and save everything as a run; returns the run id.

    Raises for a bad spec, config, name or dataset before anything is written; a failure during training is
    recorded in the run (status 'failed' with the error) and re-raised.
    """
    data = data or load_mnist()  # a damaged dataset fails here, before any run folder exists
    run_id = store.create(spec, config.to_dict(), name=name, preset=preset, run_id=run_id)
    if on_created:
        on_created(run_id)
    started = time.time()

    def checkpoint(history: dict, _model) -> None:
        store.save_history(run_id, history)
        store.update(run_id, epochs_done=len(history["loss"]), duration_s=round(time.time() - started, 2))

    try:
        result = train(
            spec, config, on_progress=on_progress, should_stop=should_stop, data=data, on_epoch_end=checkpoint
        )
        store.save_history(run_id, {**result.history, "batches": result.batches})
        metrics = {}
        if result.epochs_done > 0:
            from mnistlab.evaluation import evaluate

            metrics = evaluate(result.model, to_float(data.x_test), data.y_test)
            store.save_metrics(run_id, metrics)
            store.save_model(run_id, result.model)
        store.finish(
            run_id,
            result.status,
            epochs_done=result.epochs_done,
            duration_s=round(result.duration_s, 2),
            samples_per_s=round(result.samples_per_s),
            test_accuracy=metrics.get("accuracy"),
            test_loss=metrics.get("loss"),
        )
    except BaseException as exc:
        log.exception("run %s failed", run_id)
        try:
            store.finish(
                run_id,
                "failed",
                error=f"{type(exc).__name__}: {exc}"[:500],
                duration_s=round(time.time() - started, 2),
            )
        except Exception:  # the store itself may be what failed (disk full); the run stays 'running' then
            log.exception("could not mark run %s as failed", run_id)
        raise
    return run_id

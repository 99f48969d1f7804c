"""One training run from start to saved result: the piece the CLI, the job runner and ``reproduce`` share.

A run has two halves that may live in different processes, even on different machines:

- the **task** (``run_task``), wherever an executor runs it: train with live progress, score the model on the
  test set, and hand back plain data (history, metrics, the model as ``.keras`` bytes);
- the **record** (``train_run``), always in the process that owns the run store: create the run, save the
  history after every epoch (so a crash keeps it), then the metrics and the model, and end the run with a
  status: completed, stopped (by the user, partial history and model kept) or failed.

Events travel from the task to the record as ``(kind, payload)`` pairs of plain data: ``("progress",
Progress.to_dict())`` every chunk of batches and ``("checkpoint", history)`` after every epoch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from mnistlab.data import ImageSet
from mnistlab.people.person import MACHINE_ID
from mnistlab.runs.executors import InProcessExecutor
from mnistlab.runs.store import RunStore
from mnistlab.runs.task import TaskFailed, TrainTask
from mnistlab.specs import ArchitectureSpec
from mnistlab.training import Progress, TrainConfig, dataset_for

log = logging.getLogger(__name__)


def train_run(
    spec: ArchitectureSpec,
    config: TrainConfig,
    store: RunStore,
    name: str | None = None,
    preset: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: ImageSet | None = None,
    run_id: str | None = None,
    on_created: Callable[[str], None] | None = None,
    executor=None,
    owner: str = MACHINE_ID,
    score_test: bool = False,
) -> str:
    """Train ``spec`` with ``config`` on ``executor`` (default: in this thread) and save it as a run.

    The run belongs to ``owner`` (a person id). ``score_test`` adds the test accuracy after every epoch to the
    history (``test_accuracy``, scored off the clock). Returns the run id. Raises for a bad name or a damaged
    dataset before anything is written; a failure during training is recorded in the run (status 'failed'
    with the error) and re-raised.
    """
    data = dataset_for(config, data)  # a missing or damaged dataset fails here, before any run folder exists
    executor = executor or InProcessExecutor(data=data)
    run_id = store.create(spec, config.to_dict(), name=name, preset=preset, run_id=run_id, owner=owner)
    if on_created:
        on_created(run_id)
    started = time.time()

    def on_event(kind: str, payload) -> None:
        if kind == "progress" and on_progress:
            on_progress(Progress(**payload))
        elif kind == "checkpoint":
            store.save_history(run_id, payload)
            store.update(run_id, epochs_done=len(payload["loss"]), duration_s=round(time.time() - started, 2))

    try:
        result = executor.run(
            TrainTask(spec.to_dict(), config.to_dict(), score_test=score_test), on_event, should_stop
        )
        store.save_history(run_id, result.history)
        if result.model_bytes is not None:
            store.save_metrics(run_id, result.metrics)
            store.save_model(run_id, result.model_bytes)
        store.finish(
            run_id,
            result.status,
            epochs_done=result.epochs_done,
            duration_s=round(result.duration_s, 2),
            samples_per_s=round(result.samples_per_s),
            test_accuracy=result.metrics.get("accuracy"),
            test_loss=result.metrics.get("loss"),
            steps_done=(result.history.get("batches") or [[0]])[-1][0],
        )
    except BaseException as exc:
        log.exception("run %s failed", run_id)
        try:
            error = str(exc) if isinstance(exc, TaskFailed) else f"{type(exc).__name__}: {exc}"
            store.finish(run_id, "failed", error=error[:500], duration_s=round(time.time() - started, 2))
        except Exception:  # the store itself may be what failed (disk full); the run stays 'running' then
            log.exception("could not mark run %s as failed", run_id)
        raise
    return run_id


def train_job(job, context) -> str:
    """A job runner's work: ``train_run`` on the runner's executor, with the job's live progress and stop
    switch; returns the run's status."""
    run_id = train_run(
        job.spec,
        job.config,
        context.store,
        name=job.name,
        preset=job.preset,
        on_progress=context.report,
        should_stop=context.should_stop,
        on_created=context.set_run,
        executor=context.runner.executor,
        owner=job.owner,
    )
    return context.store.load(run_id).status

"""Live training progress: ``Progress`` events, and the Keras callback that produces them.

``Tracker`` turns Keras' callback hooks into ``Progress`` events (every chunk of batches and after each epoch),
keeps the per-epoch history and a per-chunk batch curve, and polls the stop switch.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass


@dataclass
class Progress:
    """One progress event. ``kind`` is 'batch' (every few batches) or 'epoch' (after validation)."""

    kind: str
    epoch: int  # 1-based epoch in progress (or just finished, for 'epoch')
    epochs: int
    step: int  # global batches done
    total_steps: int
    loss: float
    accuracy: float
    elapsed_s: float
    samples_per_s: float
    eta_s: float
    val_loss: float | None = None
    val_accuracy: float | None = None
    # 'batch' events: the mean over just the batches since the previous event (``loss``/``accuracy`` are Keras'
    # running means since the epoch began, which hide how training moves right now).
    batch_loss: float | None = None
    batch_accuracy: float | None = None

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    def to_dict(self) -> dict:
        return asdict(self)


class Tracker:
    """Turns Keras callback hooks into ``Progress`` events, history lists and stop checks."""

    def __init__(
        self,
        config,
        steps_per_epoch,
        total_steps,
        on_progress,
        should_stop,
        on_epoch_end,
        model,
        sync=None,
        validate=None,
    ):
        self.config, self.steps_per_epoch, self.total_steps = config, steps_per_epoch, total_steps
        self.on_progress, self.should_stop, self.on_epoch_end = on_progress, should_stop, on_epoch_end
        self.model = model  # the float32 model handed to on_epoch_end
        self.sync = sync  # copies the trained weights into the returned model (when training used a twin)
        self.validate = validate  # () -> {"val_loss": ..., "val_accuracy": ...} at each epoch's end, or None
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "epoch_s": []}
        self.batches: list[list[float]] = []
        self.stopped = False
        self.step = 0  # global batches done so far (the last chunk's end)
        self.samples = 0
        self.epoch = 0
        self.start = time.perf_counter()
        self.train_time = 0.0  # seconds spent in training steps (no validation): the basis of the ETA
        self._chunk_start = self.start
        self._epoch_start = self.start
        self._seen = (0, 0.0, 0.0)  # batches of this epoch so far, their mean loss and accuracy
        self._warm = None  # (train_time, step) after the first chunk, which also paid for graph tracing

    def callback(self, keras):
        tracker = self

        class _Callback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                tracker.start = tracker._chunk_start = time.perf_counter()

            def on_epoch_begin(self, epoch, logs=None):
                tracker.epoch = epoch
                tracker._seen = (0, 0.0, 0.0)
                tracker._epoch_start = tracker._chunk_start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                tracker.batch_end(batch, logs or {}, self.model)

            def on_epoch_end(self, epoch, logs=None):
                tracker.epoch_end(epoch, logs or {})

        return _Callback()

    def _step(self, batch_in_epoch: int) -> int:
        # Keras reports the last batch of each chunk; clamp in case a chunk runs past the epoch's end.
        return min(
            self.epoch * self.steps_per_epoch + batch_in_epoch + 1, (self.epoch + 1) * self.steps_per_epoch
        )

    def _eta(self, step: int) -> float:
        # The first chunk includes tracing the graph (about a second): leave it out once there is more to go by.
        if self._warm and step > self._warm[1]:
            per_step = (self.train_time - self._warm[0]) / (step - self._warm[1])
        else:
            per_step = self.train_time / step if step else 0.0
        return max(0.0, per_step * (self.total_steps - step))

    def _chunk_means(self, batch: int, loss: float, acc: float) -> tuple[float, float]:
        """The chunk's own mean loss and accuracy, recovered from Keras' running means since the epoch began."""
        done = min(batch + 1, self.steps_per_epoch)
        before, loss_before, acc_before = self._seen
        self._seen = (done, loss, acc)
        n = done - before
        if n <= 0:
            return loss, acc
        return (loss * done - loss_before * before) / n, (acc * done - acc_before * before) / n

    def batch_end(self, batch: int, logs: dict, model) -> None:
        now = time.perf_counter()
        self.train_time += now - self._chunk_start
        self._chunk_start = now
        step = self.step = self._step(batch)
        n_fit = self.steps_per_epoch * self.config.batch_size
        self.samples = min(step * self.config.batch_size, n_fit * self.config.epochs)
        if self._warm is None:
            self._warm = (self.train_time, step)
        loss, acc = float(logs.get("loss", math.nan)), float(logs.get("accuracy", math.nan))
        chunk_loss, chunk_acc = self._chunk_means(batch, loss, acc)
        self.batches.append([step, round(chunk_loss, 5), round(chunk_acc, 5)])
        if self.on_progress:
            self.on_progress(
                Progress(
                    "batch",
                    self.epoch + 1,
                    self.config.epochs,
                    step,
                    self.total_steps,
                    loss,
                    acc,
                    elapsed_s=now - self.start,
                    samples_per_s=self.samples / self.train_time if self.train_time else 0,
                    eta_s=self._eta(step),
                    batch_loss=chunk_loss,
                    batch_accuracy=chunk_acc,
                )
            )
        if self.should_stop and self.should_stop():
            self.stopped = True
            model.stop_training = True
        self._chunk_start = time.perf_counter()  # time spent in our own Python is not training time

    def epoch_end(self, epoch: int, logs: dict) -> None:
        if self.validate:  # part of the epoch's time, as Keras' own validation was
            logs = {**logs, **self.validate()}
        now = time.perf_counter()
        h = self.history
        h["loss"].append(_f(logs.get("loss")))
        h["accuracy"].append(_f(logs.get("accuracy")))
        h["val_loss"].append(_f(logs.get("val_loss")))
        h["val_accuracy"].append(_f(logs.get("val_accuracy")))
        h["epoch_s"].append(round(now - self._epoch_start, 3))
        # Stopped part-way through, Keras still ends the epoch (validating the model as it is): report the
        # batches actually done, not the whole epoch.
        step = self.step if self.stopped else (epoch + 1) * self.steps_per_epoch
        if self.on_progress:
            self.on_progress(
                Progress(
                    "epoch",
                    epoch + 1,
                    self.config.epochs,
                    min(step, self.total_steps),
                    self.total_steps,
                    h["loss"][-1] or 0.0,
                    h["accuracy"][-1] or 0.0,
                    elapsed_s=now - self.start,
                    samples_per_s=self.samples / self.train_time if self.train_time else 0.0,
                    eta_s=self._eta(step),
                    val_loss=h["val_loss"][-1],
                    val_accuracy=h["val_accuracy"][-1],
                )
            )
        if self.on_epoch_end:
            if self.sync:
                self.sync()  # so a checkpoint or an evaluation in the hook sees this epoch's weights
            self.on_epoch_end({**h, "batches": self.batches}, self.model)
        self._chunk_start = time.perf_counter()


def _f(value) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else round(float(value), 6)


def work_done(progress: dict | Progress | None) -> str | None:
    """What a (stopped) training got through, from its last progress event, counted the way its epoch chart
    counts: ``3 epochs``, or ``3 epochs (the last stopped at batch 37 of 106)`` when it stopped part-way through
    epoch 3 (Keras still ends that epoch, so the history and the chart have a point for it); None without one."""
    if progress is None:
        return None
    p = progress.to_dict() if isinstance(progress, Progress) else progress
    epochs, step, total = p.get("epochs") or 0, p.get("step") or 0, p.get("total_steps") or 0
    if not epochs or not total:
        return None
    per_epoch = max(1, total // epochs)
    whole, batches = divmod(int(step), per_epoch)
    if not batches:
        return f"{whole} epoch" + ("" if whole == 1 else "s")
    started = whole + 1  # the epoch it stopped in counts: it was validated and has its point on the chart
    last = "the last" if started > 1 else "it"
    return (
        f"{started} epoch"
        + ("" if started == 1 else "s")
        + f" ({last} stopped at batch {batches} of {per_epoch})"
    )

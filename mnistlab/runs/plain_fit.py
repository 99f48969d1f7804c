"""Plain Keras ``fit`` as a newcomer would write it, as a task: the yardstick the study measures mnistlab against.

Adam at its default rate (1e-3), batches of 128, NumPy arrays straight into ``fit``, no schedule, no validation,
the same network, seed, training images and number of epochs (the same budget) as the mnistlab run it is
compared with. The test set is scored after every epoch off the clock, so the history holds per epoch the
training seconds (``epoch_s``) and the test accuracy (``test_accuracy``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from mnistlab.data import ImageSet, subset, to_float
from mnistlab.specs import ArchitectureSpec
from mnistlab.training import TrainConfig

FIT_BATCH = 128  # Keras' examples and most tutorials; Adam's default rate goes with it


def test_accuracy(model, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Top-1 accuracy by direct model calls in chunks (quicker than ``predict`` here)."""
    correct = 0
    for start in range(0, len(x_test), 5000):
        probs = np.asarray(model(x_test[start : start + 5000], training=False))
        correct += int(np.sum(probs.argmax(axis=1) == y_test[start : start + 5000]))
    return correct / max(1, len(x_test))


def plain_fit(
    spec: ArchitectureSpec,
    config: TrainConfig,
    data: ImageSet,
    emit: Callable[[str, object], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Train ``spec`` with plain ``fit`` for ``config.epochs`` epochs on ``config.train_subset`` (all) images.

    Returns the history: ``epoch_s`` and ``test_accuracy`` per epoch, and ``duration_s``. ``emit("checkpoint",
    history)`` after each epoch; ``should_stop()`` ends training after the current epoch.
    """
    from mnistlab.models import build_model
    from mnistlab.tf import keras

    x, y = subset(data.x_train, data.y_train, config.train_subset, config.seed)
    x, y = to_float(x), y.astype(np.int32)
    x_test, y_test = to_float(data.x_test), data.y_test.astype(np.int32)
    keras.utils.set_random_seed(config.seed)
    model = build_model(spec, seed=config.seed, num_classes=data.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history: dict = {"epoch_s": [], "test_accuracy": [], "loss": []}
    clock = {"begin": 0.0}

    class Score(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            clock["begin"] = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            history["epoch_s"].append(round(time.perf_counter() - clock["begin"], 3))
            history["loss"].append(float((logs or {}).get("loss", float("nan"))))
            history["test_accuracy"].append(round(test_accuracy(self.model, x_test, y_test), 4))
            if emit:
                emit("checkpoint", dict(history))
            if should_stop and should_stop():
                self.model.stop_training = True

    batch = min(FIT_BATCH, len(x))
    model.fit(x, y, batch_size=batch, epochs=config.epochs, shuffle=True, verbose=0, callbacks=[Score()])
    return {**history, "duration_s": round(sum(history["epoch_s"]), 3), "batch_size": batch}

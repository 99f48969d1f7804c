"""Does Dense(128) train faster than Dense(100) on this CPU? Real training steps, timed in turns.

The Learn page's "powers of two" demo calls ``measure_width_speed``; TensorFlow is imported only then.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from mnistlab.specs import INPUT_SHAPE, NUM_CLASSES
from mnistlab.study import stats
from mnistlab.teaching import check_widths, training_cost

log = logging.getLogger(__name__)


@dataclass
class WidthSpeed:
    """Measured training speed of the 784 -> Dense(units) -> 10 network."""

    units: int
    ms_per_step: float  # median over repeats
    ms_low: float  # lower quartile over repeats
    ms_high: float  # upper quartile over repeats
    batch_size: int

    @property
    def samples_per_s(self) -> float:
        return self.batch_size / (self.ms_per_step / 1000.0)

    @property
    def macs_per_s(self) -> float:
        return training_cost([self.units]).train_macs_per_example * self.samples_per_s


def measure_width_speed(
    units=(100, 128, 256), steps: int = 50, repeats: int = 7, batch_size: int = 512, seed: int = 0
) -> list[WidthSpeed]:
    """Time real training steps (Adam, batch of random digits-shaped data) of Dense(u) for each ``u``.

    Widths are measured in turns (100, 128, 256, 100, 128, ...) so that a slow moment of a shared CPU hits
    every width alike. Each timing covers ``steps`` steps inside one compiled call. Takes a few seconds.
    """
    from mnistlab.tf import keras, tf

    units = check_widths(units)
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.random((batch_size, *INPUT_SHAPE), dtype=np.float32))
    y = tf.constant(rng.integers(0, NUM_CLASSES, batch_size).astype(np.int32))
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    runners = {}
    for u in units:
        model = keras.Sequential(
            [
                keras.Input(INPUT_SHAPE),
                keras.layers.Flatten(),
                keras.layers.Dense(u, activation="relu"),
                keras.layers.Dense(NUM_CLASSES, activation="softmax"),
            ]
        )
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(model.trainable_variables)

        def run_steps(n, model=model, optimizer=optimizer):
            for _ in tf.range(n):
                with tf.GradientTape() as tape:
                    loss = loss_fn(y, model(x, training=True))
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=False))
            return loss

        runners[u] = tf.function(run_steps)
        runners[u](tf.constant(2))  # compile and warm up outside the timing
    times: dict[int, list[float]] = {u: [] for u in units}
    for _ in range(repeats):
        for u in units:
            start = time.perf_counter()
            runners[u](tf.constant(steps)).numpy()
            times[u].append((time.perf_counter() - start) * 1000.0 / steps)
    results = [
        WidthSpeed(u, *(stats.percentile(t, q) for q in (50, 25, 75)), batch_size) for u, t in times.items()
    ]
    log.info("width speed: %s", [(r.units, round(r.ms_per_step, 2)) for r in results])
    return results


def compare_speeds(a: WidthSpeed, b: WidthSpeed) -> str:
    """A plain sentence on whether ``b`` differs in speed from ``a`` by more than the repeat-to-repeat spread.

    The difference counts only when the two middle halves of the timings (quartile ranges) do not overlap.
    """
    ratio = b.ms_per_step / a.ms_per_step
    work = training_cost([b.units]).train_macs_per_example / training_cost([a.units]).train_macs_per_example
    overlap = not (b.ms_low > a.ms_high or a.ms_low > b.ms_high)
    verdict = (
        "no difference shows beyond the run-to-run spread"
        if overlap
        else f"Dense({b.units}) is clearly {'slower' if ratio > 1 else 'faster'}"
    )
    return (
        f"Dense({b.units}) vs Dense({a.units}): {ratio:.2f}x the time per step for {work:.2f}x the "
        f"multiply-adds; {verdict}."
    )

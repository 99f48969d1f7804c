"""What ``TrainConfig(augment=True)`` buys on drawn digits, and what it costs (``benchmarks/augment.py``).

The same preset and seed are trained without and with augmentation and scored on MNIST's test set and on two
sets of canvas redraws of the test digits, prepared once and shared by every model: upright redraws
(``redraw_as_canvas``: random size, place, pen and colours) and tilted ones (``redraw_tilted``: also rotated
and slanted, as people draw off-guard), and redraws with much thinner or thicker pens (``redraw_with_pen``). Every redraw goes through the Draw page's ``canvas_to_mnist``.
"""

from __future__ import annotations

import os
import time

import numpy as np

from mnistlab.bench.drawn_digits import redraw_as_canvas, redraw_tilted, redraw_with_pen
from mnistlab.drawing import FIELD, canvas_to_mnist

REDRAW_SEED = 1234  # the redraws never depend on the training seed


def redrawn_sets(data, n: int = 10000, seed: int = REDRAW_SEED) -> dict:
    """``{"upright", "tilted", "pens"}`` -> (images, labels): ``n`` test digits, each redrawn on a 280x280
    canvas and prepared by ``canvas_to_mnist`` (images (n, 28, 28) float32)."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(data.x_test), size=min(n, len(data.x_test)), replace=False)
    labels = data.y_test[picks].astype(int)
    blank = np.zeros((FIELD, FIELD), np.float32)

    def prepared(redraw) -> np.ndarray:
        images = [canvas_to_mnist(redraw(data.x_test[i], rng)) for i in picks]
        return np.stack([image if image is not None else blank for image in images])

    return {
        "upright": (prepared(redraw_as_canvas), labels),
        "tilted": (prepared(redraw_tilted), labels),
        "pens": (prepared(redraw_with_pen), labels),
    }


def _accuracy(model, images, labels) -> float:
    from mnistlab.evaluation import predict_proba

    return round(float((predict_proba(model, images).argmax(axis=1) == labels).mean()), 4)


def measure_augment(
    preset: str = "dropout",
    epochs: int | None = None,
    seeds: int = 1,
    n: int = 10000,
    drawings: str | None = None,
    data=None,
) -> dict:
    """Train ``preset`` without and with ``augment`` for each seed; accuracies, times and the differences.

    Returns JSON-ready figures: per variant the mean over seeds of ``mnist_test``, ``upright_redraws``,
    ``tilted_redraws``, ``pen_redraws`` (and ``drawings``), ``train_s``, ``train_cpu_s``; ``runs`` with every single figure; ``gain_points``
    (augment minus plain, in points), ``time_ratio`` and whether each target is met; the CPU.
    """
    from mnistlab.bench.machine import cpu_info, versions
    from mnistlab.data import load_mnist, to_float
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig, train

    data = data or load_mnist()
    started = time.perf_counter()
    sets = redrawn_sets(data, n)
    redraw_s = time.perf_counter() - started
    folder = None
    if drawings:
        from mnistlab.handwriting import read_folder

        folder = read_folder(drawings)
    x_test, y_test = to_float(data.x_test), data.y_test.astype(int)

    base = TrainConfig() if epochs is None else TrainConfig(epochs=epochs)
    for augment in (False, True):  # the first training in a process pays for tracing: not in the figures
        train(PRESETS[preset], TrainConfig(epochs=1, train_subset=2000, augment=augment), data=data)
    runs = []
    for seed in range(seeds):
        for augment in (False, True):
            config = base.replace(seed=seed, augment=augment)
            cpu_started = time.process_time()
            result = train(PRESETS[preset], config, data=data)
            row = {
                "augment": augment,
                "seed": seed,
                "train_s": round(result.duration_s, 2),
                # CPU seconds of this process: fairer than wall time on a machine other work shares
                "train_cpu_s": round(time.process_time() - cpu_started, 2),
                "mnist_test": _accuracy(result.model, x_test, y_test),
                "upright_redraws": _accuracy(result.model, *sets["upright"]),
                "tilted_redraws": _accuracy(result.model, *sets["tilted"]),
                "pen_redraws": _accuracy(result.model, *sets["pens"]),
            }
            if folder is not None:
                row["drawings"] = _accuracy(result.model, folder.images, folder.labels)
            runs.append(row)

    keys = [key for key in runs[0] if key not in ("augment", "seed")]

    def mean(augment: bool) -> dict:
        rows = [row for row in runs if row["augment"] == augment]
        return {
            key: round(float(np.mean([row[key] for row in rows])), 2 if key.startswith("train_") else 4)
            for key in keys
        }

    plain, augmented = mean(False), mean(True)
    gain = {
        key: round(100 * (augmented[key] - plain[key]), 2) for key in keys if not key.startswith("train_")
    }
    time_ratio = round(augmented["train_s"] / plain["train_s"], 2)  # what a user waits
    cpu_ratio = round(augmented["train_cpu_s"] / plain["train_cpu_s"], 2)
    return {
        "preset": preset,
        "config": base.to_dict(),
        "seeds": seeds,
        "n_redraws": len(sets["tilted"][1]),
        "n_drawings": None if folder is None else len(folder.labels),
        "plain": plain,
        "augment": augmented,
        "gain_points": gain,
        "time_ratio": time_ratio,
        "cpu_time_ratio": cpu_ratio,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "targets": {
            "tilted_gain_at_least_2_points": gain["tilted_redraws"] >= 2.0,
            "mnist_drop_at_most_0.3_point": gain["mnist_test"] >= -0.3,
            "time_within_1.5x": time_ratio <= 1.5,
        },
        "runs": runs,
        "redraw_s": round(redraw_s, 1),
        "cpu": cpu_info(),
        "versions": versions(),
    }

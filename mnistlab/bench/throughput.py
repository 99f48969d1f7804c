"""Training throughput per preset, mnistlab's loop against plain ``fit`` at the same batch size."""

from __future__ import annotations

import time

import numpy as np

from mnistlab.bench.sizes import Sizes
from mnistlab.data import Mnist, load_mnist, to_float
from mnistlab.specs import PRESETS, ArchitectureSpec
from mnistlab.training import TrainConfig, train


def training_flops_per_sample(model) -> int:
    """Approximate FLOPs to train on one image: 3 x (2 x multiply-adds of the forward pass)."""
    macs = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        size = int(np.prod(kernel.shape))
        out = layer.output.shape  # conv layers repeat their kernel at every output position
        positions = int(np.prod(out[1:-1])) if len(out) > 2 else 1
        macs += size * positions
    return 6 * macs


def epoch_seconds_mnistlab(
    spec: ArchitectureSpec,
    sizes: Sizes,
    data: Mnist,
    train_subset=None,
    batch_size: int = 512,
    compute: str | None = None,
) -> tuple[float, int, object]:
    """Seconds of mnistlab's last training epoch (no validation, so all of it is training) and its sample count."""
    subset = train_subset if train_subset is not None else sizes.train_subset
    config = TrainConfig(
        epochs=sizes.throughput_epochs, batch_size=batch_size, validation_split=0.0, train_subset=subset
    )
    result = train(spec, config, data=data, compute=compute)
    return result.history["epoch_s"][-1], subset or len(data.x_train), result.model


def epoch_seconds_fit(spec: ArchitectureSpec, sizes: Sizes, data: Mnist, batch_size: int = 512) -> float:
    """Seconds of plain fit's last epoch on the same samples and batch size."""
    from mnistlab.models import build_model
    from mnistlab.tf import keras

    x, y = to_float(data.x_train[: sizes.train_subset]), data.y_train[: sizes.train_subset].astype(np.int32)
    model = build_model(spec, seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    marks: list = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: marks.append(time.perf_counter()),
        on_epoch_end=lambda e, logs: marks.append(time.perf_counter()),
    )
    model.fit(x, y, batch_size=batch_size, epochs=sizes.throughput_epochs, verbose=0, callbacks=[timer])
    return marks[-1] - marks[-2]


def throughput(sizes: Sizes, data: Mnist | None = None, presets=tuple(PRESETS)) -> dict:
    """Training samples/s per preset, mnistlab vs plain fit at batch 512; plus FLOPs for the scaling view.

    ``mnistlab_float32`` is mnistlab's loop with bfloat16 compute turned off (equal to ``mnistlab`` where the
    CPU has no bfloat16 support).
    """
    from mnistlab.training import uses_bfloat16

    data = data or load_mnist()
    out: dict = {}
    for name in presets:
        spec = PRESETS[name]
        seconds, n, model = epoch_seconds_mnistlab(spec, sizes, data)
        float32_seconds = seconds
        if uses_bfloat16():
            float32_seconds = epoch_seconds_mnistlab(spec, sizes, data, compute="float32")[0]
        fit_seconds = epoch_seconds_fit(spec, sizes, data)
        flops = training_flops_per_sample(model)
        out[name] = {
            "mnistlab": round(n / seconds),
            "mnistlab_float32": round(n / float32_seconds),
            "fit": round(n / fit_seconds),
            "ratio": round(fit_seconds / seconds, 2),
            "epoch_s": round(seconds, 3),
            "params": int(model.count_params()),
            "train_mflops_per_sample": round(flops / 1e6, 3),
            "achieved_gflops": round(flops * n / seconds / 1e9, 1),
        }
    return out

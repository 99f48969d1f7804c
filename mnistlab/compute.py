"""Which precision trains a network fastest on this CPU: bfloat16 hidden layers or float32.

bfloat16 hidden layers (on CPUs with AVX-512 BF16 or AMX) make the wide networks quicker and the smallest ones
slower: converting activations costs more than the smaller matrix products save. On an AMD Zen 5 the baseline
trained at 215,000 images/s in bfloat16 and 345,000 in float32, while the tuned net was 1.5x quicker in
bfloat16. No rule of thumb holds on every CPU, so ``auto`` measures: a few chunks of training steps each way, on
the network's own shape and batch size (alternated, the quickest chunk of each, which is the least disturbed by other work), and keeps the answer per CPU and
shape in ``~/.cache/mnistlab/compute.json`` (``$XDG_CACHE_HOME``; a property of the machine, not of a user's
runs). A network is measured before its first long training (a second or two on 2 quiet cores, once per CPU and
shape, not counted in the training's time); a short run (under ``MEASURE_FROM_IMAGES`` images in all) is not
worth measuring and trains in float32 unless its shape was measured before.

bfloat16 must win by ``BFLOAT16_MARGIN``: it also costs a little accuracy, so a tie goes to float32.
``MNISTLAB_COMPUTE`` (or ``train(compute=...)``) forces ``float32`` or ``bfloat16``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

COMPUTE_ENV = "MNISTLAB_COMPUTE"
COMPUTES = ("auto", "float32", "bfloat16")
PRECISIONS = ("float32", "bfloat16")
BFLOAT16_MARGIN = 1.1  # bfloat16 is chosen only when its steps are at least 10 % quicker
CACHE_FILE = "compute.json"
MEASURE_FROM_IMAGES = 100_000  # about two epochs of the full training set
TIMED_CHUNKS = 2  # chunks of steps_per_execution batches per timed fit; four fits per precision, alternated


class ComputeError(ValueError):
    """An unknown compute setting."""


@cache
def cpu_flags() -> frozenset:
    try:
        with open("/proc/cpuinfo") as info:
            return frozenset(next((line for line in info if line.startswith("flags")), "").split())
    except OSError:
        return frozenset()


def cpu_has_bfloat16() -> bool:
    """Native bfloat16 arithmetic (AVX-512 BF16 or AMX), and oneDNN allowed to use it."""
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if isa and "AVX512" not in isa and "AMX" not in isa and isa != "ALL":
        return False  # e.g. ONEDNN_MAX_CPU_ISA=AVX2: the kernels that would make bfloat16 quick are off
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


@cache
def cpu_key() -> str:
    """The CPU as far as speed goes: model name, bfloat16 units, usable cores and oneDNN's ISA limit."""
    name = ""
    try:
        with open("/proc/cpuinfo") as info:
            name = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    units = "+".join(sorted({"avx512_bf16", "amx_bf16"} & cpu_flags())) or "no-bf16"
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "")
    return f"{name or 'unknown'} | {units} | {cores} cores" + (f" | isa {isa}" if isa else "")


def shape_key(spec, batch_size: int) -> str:
    """The network as far as speed goes: its layers (not its name) and the batch size."""
    return json.dumps([layer.to_dict() for layer in spec.layers], separators=(",", ":")) + f"@{batch_size}"


def requested(compute: str | None = None) -> str:
    """``compute``, else ``$MNISTLAB_COMPUTE``, else "auto"; raises ``ComputeError`` when unknown."""
    compute = compute or os.environ.get(COMPUTE_ENV) or "auto"
    if compute not in COMPUTES:
        raise ComputeError(f"compute {compute!r} is unknown; use one of {', '.join(COMPUTES)}.")
    return compute


def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnistlab" / CACHE_FILE


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered(spec, batch_size: int, path: Path | None = None) -> dict | None:
    """The stored measurement for this CPU and shape: {"float32": s, "bfloat16": s, "choice": ...}, or None."""
    entry = _read(path or cache_path()).get(cpu_key(), {}).get(shape_key(spec, batch_size))
    return entry if isinstance(entry, dict) and entry.get("choice") in PRECISIONS else None


def remember(spec, batch_size: int, entry: dict, path: Path | None = None) -> None:
    """Store ``entry`` for this CPU and shape (read, update, atomic replace: a lost race only re-measures)."""
    path = path or cache_path()
    data = _read(path)
    data.setdefault(cpu_key(), {})[shape_key(spec, batch_size)] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only artifacts folder: measure again next time
        log.warning("could not remember the compute choice in %s: %s", path, exc)


def decide(seconds: dict) -> str:
    """bfloat16 when its step is at least ``BFLOAT16_MARGIN`` times quicker than float32's, else float32."""
    return "bfloat16" if seconds["float32"] >= BFLOAT16_MARGIN * seconds["bfloat16"] else "float32"


def choose(
    spec,
    batch_size: int,
    compute: str | None = None,
    images: int | None = None,
    measure: Callable[[object, int], dict] | None = None,
    path: Path | None = None,
) -> str:
    """The precision to train ``spec`` at ``batch_size`` in: "float32" or "bfloat16".

    Forced by ``compute``/``$MNISTLAB_COMPUTE``; float32 where the CPU has no native bfloat16; otherwise the
    remembered measurement for this CPU and shape, measuring it first (``measure``, default ``time_steps``) if
    the training will see at least ``MEASURE_FROM_IMAGES`` ``images`` (None: measure)."""
    compute = requested(compute)
    if compute != "auto":
        return compute
    if not cpu_has_bfloat16():
        return "float32"
    entry = remembered(spec, batch_size, path)
    if entry is None and images is not None and images < MEASURE_FROM_IMAGES:
        return "float32"
    if entry is None:
        seconds = (measure or time_steps)(spec, batch_size)
        entry = {**{k: round(seconds[k], 6) for k in PRECISIONS}, "choice": decide(seconds)}
        remember(spec, batch_size, entry, path)
        log.info("compute for %s: %s", shape_key(spec, batch_size), entry)
    return entry["choice"]


def time_steps(spec, batch_size: int, rounds: int = 4) -> dict:
    """Seconds per training step in float32 and with bfloat16 hidden layers, on random images: ``rounds`` fits
    of ``TIMED_CHUNKS`` compiled chunks each, precisions alternated; the quickest chunk (the first, which traces
    the graph, left out: on a busy machine the quickest is the least disturbed). Costs two graph tracings and
    about a hundred steps."""
    from mnistlab.models import STEPS_PER_EXECUTION, bfloat16_twin, build_model
    from mnistlab.tf import keras

    steps = STEPS_PER_EXECUTION
    rng = np.random.default_rng(0)
    x = rng.random((batch_size * steps * TIMED_CHUNKS, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, len(x)).astype(np.int32)
    chunks: dict = {name: [] for name in PRECISIONS}
    models = {}
    for name in PRECISIONS:
        model = build_model(spec, seed=0)
        model = bfloat16_twin(model, keras) if name == "bfloat16" else model
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            steps_per_execution=steps,
        )
        models[name] = model

    class Clock(keras.callbacks.Callback):
        def __init__(self, into: list):
            super().__init__()
            self.into, self.began = into, 0.0

        def on_train_batch_begin(self, batch, logs=None):
            self.began = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.into.append(time.perf_counter() - self.began)

    for round_ in range(rounds):
        for name, model in models.items():
            clock = Clock(chunks[name])
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
            if round_ == 0:
                del chunks[name][0]  # traced the graph
    return {name: min(times) / steps for name, times in chunks.items()}

"""``mnistlab bench``: speed, latency, memory and scaling, measured side by side with plain Keras.

    uv run mnistlab bench [--quick] [--json PATH] [--markdown PATH]

Each figure comes from one function that returns plain data, so a test can run any of them at a minute size.
Time-to-accuracy counts training time only: the test set is scored after each epoch, outside the clock.
Ratios (mnistlab vs plain ``model.fit`` in the same process) are steadier than absolute seconds on a shared CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from .data import Mnist, load_mnist, to_float
from .specs import PRESETS, ArchitectureSpec
from .training import Progress, TrainConfig, train

log = logging.getLogger(__name__)

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MLP_PRESETS = ("baseline", "deeper", "dropout", "tuned")
# Plain Keras as a newcomer would write it: Adam at its default rate, batch 128, numpy arrays into fit.
FIT_BATCH = 128


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is; ``QUICK`` is a smoke check, ``FULL`` the real thing."""

    train_subset: int | None = None  # None: all 60 000 training images
    test_size: int = 10000
    max_epochs: int = 10  # mnistlab's default epochs
    fit_max_epochs: int = 15
    cnn: bool = True
    throughput_epochs: int = 2  # the last one is timed (the first pays for tracing)
    overhead_epochs: int = 3
    overhead_repeats: int = 3
    draw_n: int = 500
    startup: bool = True
    memory_jobs: int = 3
    scaling_fractions: tuple = (0.1, 0.5, 1.0)
    canvas_wait_s: float = 90.0  # how long the Draw page may take to show its canvas after its heading


FULL = Sizes()
QUICK = Sizes(train_subset=3000, test_size=2000, max_epochs=2, fit_max_epochs=2, cnn=False, throughput_epochs=2,
              overhead_epochs=1, overhead_repeats=1, draw_n=50, startup=True, memory_jobs=2,
              scaling_fractions=(0.5, 1.0), canvas_wait_s=45.0)


# ------------------------------------------------------------------------------------- small helpers


def linear_fit(xs, ys) -> dict:
    """Least-squares line through (xs, ys): slope, intercept and R^2 (1.0 = perfectly linear)."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        return {"slope": None, "intercept": None, "r2": None}
    slope, intercept = np.polyfit(x, y, 1)
    residual = float(np.sum((y - (slope * x + intercept)) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - residual / total if total > 0 else 1.0
    return {"slope": float(slope), "intercept": float(intercept), "r2": round(r2, 4)}


def first_reaching(curve: list, target: float) -> dict:
    """From ``[[cumulative_s, accuracy], ...]`` per epoch: the first epoch at or above ``target``."""
    for epoch, (seconds, accuracy) in enumerate(curve, start=1):
        if accuracy >= target:
            return {"reached": True, "epoch": epoch, "time_s": round(seconds, 2)}
    return {"reached": False, "epoch": None, "time_s": None,
            "after_s": round(curve[-1][0], 2) if curve else 0.0, "best": max((a for _, a in curve), default=None)}


def percentile_ms(seconds: list, q: float) -> float:
    return round(float(np.percentile(seconds, q)) * 1000, 3)


def test_accuracy(model, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Top-1 accuracy by direct model calls in large chunks (quicker than ``predict`` for this size)."""
    correct = 0
    for start in range(0, len(x_test), 5000):
        probs = np.asarray(model(x_test[start:start + 5000], training=False))
        correct += int(np.sum(probs.argmax(axis=1) == y_test[start:start + 5000]))
    return correct / len(x_test)


@contextlib.contextmanager
def capturing_models():
    """Collect every model ``mnistlab.training.train`` builds, so an epoch hook can score it on the test set."""
    from . import models

    built: list = []
    original = models.build_model

    def build_and_keep(spec, seed=None):
        model = original(spec, seed=seed)
        built.append(model)
        return model

    models.build_model = build_and_keep
    try:
        yield built
    finally:
        models.build_model = original


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


def cpu_info() -> dict:
    """CPU model, cores, clock and an estimate of peak float32 FLOP/s from the vector width."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", text)
    mhz = re.search(r"cpu MHz\s*:\s*([\d.]+)", text)
    flag_line = re.search(r"flags\s*:\s*(.+)", text)
    flags = set(flag_line.group(1).split()) if flag_line else set()
    cores = os.cpu_count() or 1
    ghz = float(mhz.group(1)) / 1000 if mhz else None
    # Two FMA units per core; an FMA is 2 FLOPs on each float32 lane: 16 lanes (AVX-512), 8 (AVX2), 4 (SSE).
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    per_cycle = 2 * 2 * lanes
    return {
        "model": model.group(1).strip() if model else platform.processor() or "unknown",
        "cores": cores, "ghz": round(ghz, 2) if ghz else None,
        "vector": "AVX-512" if lanes == 16 else "AVX2" if lanes == 8 else "SSE",
        "amx": "amx_bf16" in flags, "fp32_flops_per_cycle": per_cycle,
        "peak_fp32_gflops": round(cores * ghz * per_cycle, 1) if ghz else None,
    }


def versions() -> dict:
    found = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "numpy", "streamlit", "mnistlab"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _data(sizes: Sizes, data: Mnist | None = None):
    data = data or load_mnist()
    x_test, y_test = to_float(data.x_test[:sizes.test_size]), data.y_test[:sizes.test_size]
    return data, x_test, y_test


# -------------------------------------------------------------------------------- 1-2 time to accuracy


def mnistlab_curve(spec: ArchitectureSpec, config: TrainConfig, data: Mnist, x_test, y_test) -> dict:
    """Train with mnistlab; per epoch the cumulative training time and the test accuracy (scored off the clock)."""
    curve: list = []
    with capturing_models() as built:
        def score(history: dict) -> None:
            curve.append([round(sum(history["epoch_s"]), 3), round(test_accuracy(built[-1], x_test, y_test), 4)])

        result = train(spec, config, data=data, on_epoch_end=score)
    return {"curve": curve, "model": result.model, "samples_per_s": result.samples_per_s}


def fit_curve(spec: ArchitectureSpec, data: Mnist, x_test, y_test, max_epochs: int, target: float | None = None,
              batch_size: int = FIT_BATCH, train_subset: int | None = None, seed: int = 0) -> dict:
    """Plain ``model.fit`` (Adam default rate) on numpy arrays; same curve, stops once ``target`` is reached."""
    from .models import build_model
    from .tf import keras

    x, y = to_float(data.x_train[:train_subset]), data.y_train[:train_subset].astype(np.int32)
    keras.utils.set_random_seed(seed)
    model = build_model(spec, seed=seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    curve: list = []
    clock = {"total": 0.0, "begin": 0.0}

    class Score(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            clock["begin"] = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            clock["total"] += time.perf_counter() - clock["begin"]
            curve.append([round(clock["total"], 3), round(test_accuracy(self.model, x_test, y_test), 4)])
            if target is not None and curve[-1][1] >= target:
                self.model.stop_training = True

    model.fit(x, y, batch_size=batch_size, epochs=max_epochs, shuffle=True, verbose=0, callbacks=[Score()])
    return {"curve": curve, "model": model}


def time_to_accuracy(sizes: Sizes, data: Mnist | None = None) -> dict:
    """Dropout to 98 % (mnistlab default vs plain fit) and cnn to 99 % (mnistlab default)."""
    data, x_test, y_test = _data(sizes, data)
    config = TrainConfig(epochs=sizes.max_epochs, train_subset=sizes.train_subset)
    ours = mnistlab_curve(PRESETS["dropout"], config, data, x_test, y_test)
    fit = fit_curve(PRESETS["dropout"], data, x_test, y_test, sizes.fit_max_epochs, target=0.98,
                    train_subset=sizes.train_subset)
    mine, theirs = first_reaching(ours["curve"], 0.98), first_reaching(fit["curve"], 0.98)
    out = {
        "time_to_98_s": mine["time_s"], "fit_time_to_98_s": theirs["time_s"],
        "dropout_mnistlab": {**mine, "curve": ours["curve"]},
        "dropout_fit": {**theirs, "curve": fit["curve"]},
        "speedup_to_98": (round(theirs["time_s"] / mine["time_s"], 2)
                          if mine["reached"] and theirs["reached"] else None),
        "_model": ours["model"],
    }
    if sizes.cnn:
        cnn = mnistlab_curve(PRESETS["cnn"], config, data, x_test, y_test)
        reach = first_reaching(cnn["curve"], 0.99)
        out.update(cnn_time_to_99_s=reach["time_s"], cnn_mnistlab={**reach, "curve": cnn["curve"]})
    return out


# ------------------------------------------------------------------------------------- 3 throughput


def epoch_seconds_mnistlab(spec: ArchitectureSpec, sizes: Sizes, data: Mnist, train_subset=None,
                           batch_size: int = 512) -> tuple[float, int, object]:
    """Seconds of mnistlab's last training epoch (no validation, so all of it is training) and its sample count."""
    subset = train_subset if train_subset is not None else sizes.train_subset
    config = TrainConfig(epochs=sizes.throughput_epochs, batch_size=batch_size, validation_split=0.0,
                         train_subset=subset)
    result = train(spec, config, data=data)
    return result.history["epoch_s"][-1], subset or len(data.x_train), result.model


def epoch_seconds_fit(spec: ArchitectureSpec, sizes: Sizes, data: Mnist, batch_size: int = 512) -> float:
    """Seconds of plain fit's last epoch on the same samples and batch size."""
    from .models import build_model
    from .tf import keras

    x, y = to_float(data.x_train[:sizes.train_subset]), data.y_train[:sizes.train_subset].astype(np.int32)
    model = build_model(spec, seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    marks: list = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: marks.append(time.perf_counter()),
        on_epoch_end=lambda e, logs: marks.append(time.perf_counter()))
    model.fit(x, y, batch_size=batch_size, epochs=sizes.throughput_epochs, verbose=0, callbacks=[timer])
    return marks[-1] - marks[-2]


@contextlib.contextmanager
def float32_compute():
    """Train in plain float32 inside this block (to measure what bfloat16 compute gains)."""
    from . import training

    saved, training.COMPUTE = training.COMPUTE, "float32"
    try:
        yield
    finally:
        training.COMPUTE = saved


def throughput(sizes: Sizes, data: Mnist | None = None, presets=tuple(PRESETS)) -> dict:
    """Training samples/s per preset, mnistlab vs plain fit at batch 512; plus FLOPs for the scaling view.

    ``mnistlab_float32`` is mnistlab's loop with bfloat16 compute turned off (equal to ``mnistlab`` where the
    CPU has no bfloat16 support).
    """
    from .training import uses_bfloat16

    data = data or load_mnist()
    out: dict = {}
    for name in presets:
        spec = PRESETS[name]
        seconds, n, model = epoch_seconds_mnistlab(spec, sizes, data)
        float32_seconds = seconds
        if uses_bfloat16():
            with float32_compute():
                float32_seconds = epoch_seconds_mnistlab(spec, sizes, data)[0]
        fit_seconds = epoch_seconds_fit(spec, sizes, data)
        flops = training_flops_per_sample(model)
        out[name] = {
            "mnistlab": round(n / seconds), "mnistlab_float32": round(n / float32_seconds), "fit": round(n / fit_seconds),
            "ratio": round(fit_seconds / seconds, 2), "epoch_s": round(seconds, 3),
            "params": int(model.count_params()), "train_mflops_per_sample": round(flops / 1e6, 3),
            "achieved_gflops": round(flops * n / seconds / 1e9, 1),
        }
    return out


# ----------------------------------------------------------------------------------- 4 progress cost


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
    return {"progress_overhead_pct": round(100 * (live - base) / base, 2), "without_s": round(base, 3),
            "with_s": round(live, 3), "batch_events": events, "runs_each": sizes.overhead_repeats}


# --------------------------------------------------------------------------------------- 5 drawing


def draw_latency(model, sizes: Sizes) -> dict:
    """Canvas -> 28x28 -> prediction, p50/p95 per drawing (the draw helper's measurement)."""
    try:
        from .drawbench import measure_draw_latency
    except ImportError:
        from .drawing import measure_draw_latency  # type: ignore[attr-defined,no-redef]
    figures = measure_draw_latency(model, n=sizes.draw_n)
    return {"draw_p50_ms": figures["p50_ms"], "draw_p95_ms": figures["p95_ms"], "draw": figures}


# ---------------------------------------------------------------------------------------- 6 start-up


def free_port(low: int = 8650, high: int = 8659) -> int:
    for port in range(low, high + 1):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {low}-{high}")


def seed_artifacts(root: Path, data: Mnist) -> str:
    """One small saved run under ``root`` so model-backed pages have something to load."""
    from .experiment import train_run
    from .store import RunStore

    store = RunStore(root / "runs")
    config = TrainConfig(epochs=1, batch_size=128, train_subset=2000)
    return train_run(PRESETS["baseline"], config, store, name="bench run", preset="baseline", data=data)


def startup(data: Mnist | None = None, project: Path | None = None, timeout: float = 120.0,
            canvas_wait_s: float = 90.0) -> dict:
    """Seconds from ``streamlit run app.py`` to Home rendered in Chromium, then to the Draw page's model UI."""
    from playwright.sync_api import sync_playwright

    project = project or Path(__file__).resolve().parent.parent
    data = data or load_mnist()
    with tempfile.TemporaryDirectory(prefix="mnistlab-bench-") as tmp:
        seed_artifacts(Path(tmp), data)
        port = free_port()
        env = {**os.environ, "MNISTLAB_ARTIFACTS": tmp}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            start = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                 "--server.headless", "true"], cwd=project, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                _goto_when_up(page, f"http://localhost:{port}/home", start + timeout)
                page.get_by_role("heading", name=re.compile("mnistlab")).first.wait_for(timeout=timeout * 1000)
                home = time.perf_counter() - start
                clicked = time.perf_counter()
                page.goto(f"http://localhost:{port}/draw")
                ready = _wait_for_draw_ui(page, timeout, canvas_wait_s)
                draw = time.perf_counter() - start
                return {"home_ready_s": round(home, 2), "draw_ready_s": round(draw, 2),
                        "draw_after_home_s": round(time.perf_counter() - clicked, 2), "draw_ui_seen": ready}
            finally:
                server.terminate()
                try:
                    server.wait(10)
                except subprocess.TimeoutExpired:
                    server.kill()
                browser.close()


def _goto_when_up(page, url: str, deadline: float) -> None:
    from playwright.sync_api import Error as PlaywrightError

    while True:
        try:
            page.goto(url, timeout=5000)
            return
        except PlaywrightError:  # connection refused until the server listens
            if time.perf_counter() > deadline:
                raise
            time.sleep(0.1)


def _wait_for_draw_ui(page, timeout: float, canvas_wait_s: float) -> str:
    """Wait for the drawing canvas and the model-backed result panel; return what was seen."""
    from playwright.sync_api import TimeoutError as PageTimeout

    page.get_by_role("heading", name="Draw").first.wait_for(timeout=timeout * 1000)
    seen = "heading"
    try:  # the canvas is a component iframe; the result panel speaks only once the model has loaded
        page.locator("iframe[title*='canvas' i], canvas").first.wait_for(timeout=canvas_wait_s * 1000)
        seen = "canvas"
        page.get_by_text(re.compile("Nothing to classify yet|Prediction:")).first.wait_for(
            timeout=canvas_wait_s * 1000)
        return "canvas + model panel"
    except PageTimeout:
        log.warning("Draw page UI incomplete after %s s (saw %s); timed what was seen", canvas_wait_s, seen)
        return seen


# ----------------------------------------------------------------------------------------- 7 memory

_PEAK = """
def peak_kb():
    # VmHWM: this address space's high-water mark. ru_maxrss would also count the parent at fork time.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

_TRAIN_ONE = _PEAK + """
import json, sys
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig, train
train(PRESETS["dropout"], TrainConfig(**json.loads(sys.argv[1])))
print(peak_kb())
"""

_POOL = _PEAK + """
import json, sys, tempfile
from pathlib import Path
from mnistlab.jobs import JobRunner
from mnistlab.specs import PRESETS
from mnistlab.store import RunStore
from mnistlab.training import TrainConfig
config, jobs = TrainConfig(**json.loads(sys.argv[1])), int(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    runner = JobRunner(RunStore(Path(tmp) / "runs"))
    names = ["baseline", "dropout", "tuned", "deeper"]
    submitted = [runner.submit(PRESETS[names[i % 4]], config, owner=f"user{i}") for i in range(jobs)]
    for job in submitted:
        runner.wait(job.id, timeout=900)
    runner.shutdown()
    print(runner.workers, peak_kb())
"""


def _python(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=1800, check=False)
    if done.returncode:
        raise RuntimeError(f"memory probe failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip().splitlines()[-1]


def memory(sizes: Sizes) -> dict:
    """Peak RSS (MB) of a process running one default training, and of a job pool working through a queue."""
    config = json.dumps({"epochs": sizes.max_epochs, "train_subset": sizes.train_subset})
    train_kb = int(_python(_TRAIN_ONE, config))
    workers, pool_kb = map(int, _python(_POOL, config, str(sizes.memory_jobs)).split())
    return {"train_rss_mb": round(train_kb / 1024, 1), "pool_rss_mb": round(pool_kb / 1024, 1),
            "pool_workers": workers, "pool_jobs": sizes.memory_jobs}


# ---------------------------------------------------------------------------------------- 8 scaling


def scaling(sizes: Sizes, data: Mnist | None = None, by_preset: dict | None = None) -> dict:
    """Seconds per epoch against training-set size (dropout) and against work per sample (the presets)."""
    data = data or load_mnist()
    full = sizes.train_subset or len(data.x_train)
    rows = []
    for fraction in sizes.scaling_fractions:
        n = max(512, int(full * fraction))  # at least one full batch
        seconds, _, _ = epoch_seconds_mnistlab(PRESETS["dropout"], sizes, data, train_subset=n)
        rows.append({"fraction": fraction, "samples": n, "epoch_s": round(seconds, 3),
                     "us_per_sample": round(1e6 * seconds / n, 2)})
    size_fit = linear_fit([r["samples"] for r in rows], [r["epoch_s"] for r in rows])
    out = {"by_size": rows, "size_fit": size_fit,
           "size_verdict": _verdict(size_fit, rows[-1]["epoch_s"], "training-set size")}
    if by_preset:
        names = [n for n in by_preset]
        model_rows = [{"preset": n, "params": by_preset[n]["params"], "mflops": by_preset[n]["train_mflops_per_sample"],
                       "epoch_s": by_preset[n]["epoch_s"]} for n in names]
        mlp = [r for r in model_rows if r["preset"] in MLP_PRESETS]
        params_fit = linear_fit([r["params"] for r in mlp], [r["epoch_s"] for r in mlp])
        flops_fit = linear_fit([r["mflops"] for r in model_rows], [r["epoch_s"] for r in model_rows])
        out.update(by_model=model_rows, params_fit=params_fit, flops_fit=flops_fit,
                   params_verdict=_verdict(params_fit, max(r["epoch_s"] for r in mlp), "parameter count (MLPs)"))
    return out


def _verdict(fit: dict, largest_s: float, what: str) -> str:
    if fit["r2"] is None:
        return "not enough points"
    fixed = fit["intercept"] / largest_s if largest_s else 0.0
    shape = "linear" if fit["r2"] >= 0.98 else "roughly linear" if fit["r2"] >= 0.9 else "not linear"
    return (f"{shape} in {what} (R^2 {fit['r2']:.3f}); fixed cost per epoch "
            f"{fit['intercept']:.2f} s ({100 * fixed:.0f} % of the largest)")


# -------------------------------------------------------------------------------------------- run all


def run(sizes: Sizes, only: set | None = None) -> dict:
    """Every measurement in one process (memory and start-up in child processes); returns the JSON figures."""
    data = load_mnist()
    results: dict = {"quick": sizes != FULL, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "load_before": os.getloadavg()[0], "cpu": cpu_info(), "versions": versions(),
                     "sizes": {k: v for k, v in sizes.__dict__.items()}}

    def step(name: str, fn):
        if only and name not in only:
            return None
        began = time.perf_counter()
        log.info("bench: %s ...", name)
        try:
            value = fn()
        except Exception as exc:  # one broken piece should not lose the others' figures
            log.exception("bench step %s failed", name)
            results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            return None
        results.setdefault("step_s", {})[name] = round(time.perf_counter() - began, 1)
        return value

    accuracy = step("accuracy", lambda: time_to_accuracy(sizes, data))
    model = None
    if accuracy:
        model = accuracy.pop("_model")
        results.update(accuracy)
    rates = step("throughput", lambda: throughput(sizes, data))
    if rates:
        results["throughput"] = rates
    overhead = step("progress", lambda: progress_overhead(sizes, data))
    if overhead:
        results.update(overhead)
    if model is None and (not only or "draw" in only):
        from .models import build_model

        model = build_model(PRESETS["dropout"], seed=0)
    drawing = step("draw", lambda: draw_latency(model, sizes))
    if drawing:
        results.update(drawing)
    if sizes.startup:
        up = step("startup", lambda: startup(data, canvas_wait_s=sizes.canvas_wait_s))
        if up:
            results.update(up)
    mem = step("memory", lambda: memory(sizes))
    if mem:
        results.update(mem)
    scale = step("scaling", lambda: scaling(sizes, data, rates))
    if scale:
        results["scaling"] = scale
    results["load_after"] = os.getloadavg()[0]
    results["targets"] = targets(results)
    return results


def targets(r: dict) -> list:
    """Each target with its figure and whether it was met (None when not measured)."""
    def check(name, value, ok):
        return {"target": name, "value": value, "met": None if value is None else bool(ok(value))}

    speedup = r.get("speedup_to_98")
    cores_scale = (r.get("cpu") or {}).get("cores", 2) / 2  # the targets are stated for 2 cores
    return [
        check(">= 3x faster than plain fit to 98 % (dropout)", speedup, lambda v: v >= 3),
        check("<= 5 s of training to 98 % (dropout)", r.get("time_to_98_s"), lambda v: v * cores_scale <= 5),
        check("<= 20 s of training to 99 % (cnn)", r.get("cnn_time_to_99_s"), lambda v: v * cores_scale <= 20),
        check("<= 5 % live-progress overhead", r.get("progress_overhead_pct"), lambda v: v <= 5),
        check("draw p95 <= 10 ms", r.get("draw_p95_ms"), lambda v: v <= 10),
    ]


# ------------------------------------------------------------------------------------------ markdown


def _fmt(value, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:.{digits}f}"
    return f"{value}{unit}"


def markdown(r: dict) -> str:
    """The generated block of docs/BENCHMARKS.md (between the bench markers)."""
    cpu, v = r["cpu"], r["versions"]
    lines = [
        BEGIN,
        (f"_Generated by `uv run mnistlab bench{' --quick' if r['quick'] else ''}` on {r['started']} "
        f"(load average {r['load_before']:.2f} before, {r['load_after']:.2f} after)._"),
        "",
        (f"**Machine:** {cpu['model']}, {cpu['cores']} cores at {_fmt(cpu['ghz'], ' GHz')}, {cpu['vector']}"
        f"{' + AMX' if cpu['amx'] else ''}; estimated float32 peak {_fmt(cpu['peak_fp32_gflops'], ' GFLOP/s', 0)}."),
        "**Libraries:** " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
        "",
        "| Target | Figure | Met |",
        "|---|---|---|",
    ]
    for t in r["targets"]:
        lines.append(f"| {t['target']} | {_fmt(t['value'])} | {'—' if t['met'] is None else 'yes' if t['met'] else 'NO'} |")
    lines += ["", "### Time to accuracy (training time only; test set scored after each epoch, off the clock)", "",
              "| Run | Target | Epoch reached | Seconds | Curve (cumulative s: test accuracy) |", "|---|---|---|---|---|"]
    for key, label, goal in (("dropout_mnistlab", "dropout, mnistlab default", "98.0 %"),
                             ("dropout_fit", f"dropout, plain fit (Adam 1e-3, batch {FIT_BATCH})", "98.0 %"),
                             ("cnn_mnistlab", "cnn, mnistlab default", "99.0 %")):
        if key in r:
            row = r[key]
            curve = ", ".join(f"{s:.1f}: {100 * a:.2f}" for s, a in row["curve"])
            lines.append(f"| {label} | {goal} | {_fmt(row['epoch'])} | {_fmt(row['time_s'])} | {curve} |")
    if "throughput" in r:
        lines += ["", "### Throughput at batch 512 (training samples/s, one epoch after warm-up)", "",
                  ("| Preset | Params | Train MFLOP/sample | mnistlab | mnistlab, float32 only | plain fit | ratio | "
                  "achieved GFLOP/s |"), "|---|---|---|---|---|---|---|---|"]
        for name, t in r["throughput"].items():
            lines.append(f"| {name} | {t['params']:,} | {t['train_mflops_per_sample']} | {t['mnistlab']:,} | "
                         f"{t['mnistlab_float32']:,} | {t['fit']:,} | {t['ratio']}x | {t['achieved_gflops']} |")
    if "progress_overhead_pct" in r:
        lines += ["", (f"**Live-progress overhead:** {r['progress_overhead_pct']} % ({r['with_s']} s with "
                  f"{r['batch_events']} progress events vs {r['without_s']} s without; fastest of "
                  f"{r['runs_each']} alternated runs each).")]
    if "draw_p95_ms" in r:
        d = r["draw"]
        lines += [(f"**Draw latency** (canvas_to_mnist + predict_digit, {d['n']} drawings): p50 {d['p50_ms']} ms, "
                  f"p95 {d['p95_ms']} ms (pre-processing alone p95 {d['preprocess_p95_ms']} ms).")]
    if "home_ready_s" in r:
        lines += [(f"**Start-up** (`streamlit run app.py` to rendered page in Chromium): Home {r['home_ready_s']} s; "
                  f"Draw page with its UI ({r['draw_ui_seen']}) {r['draw_ready_s']} s after launch "
                  f"({r['draw_after_home_s']} s after leaving Home).")]
    if "train_rss_mb" in r:
        lines += [(f"**Memory** (peak RSS): one default training {r['train_rss_mb']} MB; job pool of "
                  f"{r['pool_workers']} worker(s) working through {r['pool_jobs']} queued jobs {r['pool_rss_mb']} MB.")]
    if "scaling" in r:
        s = r["scaling"]
        lines += ["", "### Scaling (seconds per epoch, batch 512, no validation)", "",
                  "| Training images | Epoch s | µs per image |", "|---|---|---|"]
        lines += [f"| {row['samples']:,} ({100 * row['fraction']:.0f} %) | {row['epoch_s']} | {row['us_per_sample']} |"
                  for row in s["by_size"]]
        lines += ["", f"Verdict: {s['size_verdict']}."]
        if "by_model" in s:
            lines += ["", "| Preset | Params | Train MFLOP/image | Epoch s |", "|---|---|---|---|"]
            lines += [f"| {row['preset']} | {row['params']:,} | {row['mflops']} | {row['epoch_s']} |"
                      for row in s["by_model"]]
            lines += ["", (f"Verdict: {s['params_verdict']}; against FLOPs per image (all presets) "
                      f"R^2 {_fmt(s['flops_fit']['r2'], digits=3)}.")]
    if r.get("errors"):
        lines += ["", "**Failed steps:** " + "; ".join(f"{k}: {v}" for k, v in r["errors"].items())]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, block: str) -> None:
    """Replace the generated block in ``path``, keeping hand-written text around it; create the file if new."""
    from .store import atomic_write_bytes

    if path.exists() and BEGIN in (text := path.read_text()) and END in text:
        head, rest = text.split(BEGIN, 1)
        new = head + block.rstrip("\n") + rest.split(END, 1)[1]
    else:
        new = "# Benchmarks\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, new.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mnistlab bench", description=textwrap.dedent(__doc__).split("\n\n")[0],
        epilog="Full run: about 6-10 minutes on 2 idle cores. --quick: under 2 minutes, figures not comparable.")
    parser.add_argument("--quick", action="store_true", help="small subsets and few epochs: a smoke check")
    parser.add_argument("--json", type=Path, help="also write all figures as JSON here")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="summary to update (default docs/BENCHMARKS.md for a full run; none for --quick)")
    parser.add_argument("--only", help=argparse.SUPPRESS)  # comma list of steps, for development
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = run(QUICK if args.quick else FULL, set(args.only.split(",")) if args.only else None)
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    md = args.markdown or (None if args.quick else Path("docs/BENCHMARKS.md"))
    if md and not args.only:
        write_markdown(md, markdown(results))
    print(text)
    return 1 if results.get("errors") else 0


__all__ = ["FULL", "QUICK", "Sizes", "main", "run"]

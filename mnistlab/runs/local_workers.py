"""Training in warm worker processes on this machine: the default executor.

The web server serves pages; it does not train. Each worker is a *spawned* process (a fresh interpreter, never a
fork of a server holding threads and TensorFlow state) that imports TensorFlow and loads MNIST as soon as it
starts, so a click trains at once. A worker trains one task at a time and talks to the server over two pipes:

    server --control--> worker    ("task", TrainTask) | ("stop", None) | ("exit", None)
    server <--events--- worker    ("ready", pid) | ("event", (kind, payload)) | ("result", TaskResult)
                                  | ("failed", "Type: message")

A worker that dies (SIGKILL, a segfault, the out-of-memory killer) fails only its own task, with a clear
message, and is replaced by a fresh one. A worker is also retired after ``max_tasks`` trainings or once its
memory passes ``max_rss_mb``, so a long day cannot grow one process without bound. Each process seeds its own
TensorFlow, so the same seed gives the same history whichever worker trains it and however many run at once.
Workers limit TensorFlow to their share of the cores, so on a larger machine several really train in parallel.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import types
from collections.abc import Callable

from mnistlab.runs.task import Emit, TaskFailed, TaskResult, TrainTask, WorkerDied

log = logging.getLogger(__name__)

MAX_TASKS = 25  # trainings per process before it is replaced
MAX_RSS_MB = 3000  # a worker above this after a training is replaced
NICENESS = 5  # workers yield the CPU to the server's page renders on a small machine
POLL_S = 0.05  # how often the server checks the stop switch and the worker's health while a task runs


class LocalProcessExecutor:
    """``workers`` warm processes; ``run`` blocks its calling thread while a worker trains the task."""

    def __init__(
        self,
        workers: int = 1,
        max_tasks: int = MAX_TASKS,
        max_rss_mb: float = MAX_RSS_MB,
        threads_per_worker: int | None = None,
    ):
        self.workers = max(1, int(workers))
        self.max_tasks, self.max_rss_mb = max_tasks, max_rss_mb
        cores = os.cpu_count() or 1
        self.threads = threads_per_worker or max(1, cores // self.workers)
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False
        self.replaced = 0  # workers started to replace dead or retired ones (for tests and benchmarks)
        for _ in range(self.workers):
            self._idle.put(self._start_worker())

    def _start_worker(self) -> _Worker:
        worker = _Worker(self._context, self.threads)
        with self._lock:
            self._all.add(worker)
        return worker

    def run(self, task: TrainTask, emit: Emit, should_stop: Callable[[], bool] | None = None) -> TaskResult:
        if self._closed:
            raise RuntimeError("The executor has shut down.")
        worker = self._idle.get()
        keep = False
        try:
            result = worker.run(task, emit, should_stop or (lambda: False))
            keep = worker.tasks < self.max_tasks and (worker.rss_mb or 0) < self.max_rss_mb
            return result
        except TaskFailed:
            keep = worker.alive()
            raise
        finally:
            if keep and not self._closed:
                self._idle.put(worker)
            else:
                self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.close()
        if not self._closed:
            self.replaced += 1
            self._idle.put(self._start_worker())

    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and benchmarks)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.alive()]

    def busy_pids(self) -> list[int]:
        """Process ids of the workers training right now."""
        with self._lock:
            return [w.process.pid for w in self._all if w.busy]

    def shutdown(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.close()


class _Worker:
    """The server's handle on one worker process."""

    def __init__(self, context, threads: int):
        control_out, self._control = context.Pipe(duplex=False)
        self._events, events_in = context.Pipe(duplex=False)
        self.process = context.Process(
            target=worker_main, args=(control_out, events_in, threads), name="mnistlab-worker", daemon=True
        )
        with _no_main_module():
            self.process.start()
        control_out.close()
        events_in.close()
        self.tasks = 0
        self.busy = False
        self.rss_mb: float | None = None

    def alive(self) -> bool:
        return self.process.is_alive()

    def run(self, task: TrainTask, emit: Emit, should_stop: Callable[[], bool]) -> TaskResult:
        self.tasks += 1
        self.busy = True
        try:
            return self._run(task, emit, should_stop)
        finally:
            self.busy = False

    def _run(self, task: TrainTask, emit: Emit, should_stop: Callable[[], bool]) -> TaskResult:
        try:
            self._control.send(("task", task))
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._death()) from None
        stop_sent = False
        while True:
            if not stop_sent and should_stop():
                stop_sent = True
                try:
                    self._control.send(("stop", None))
                except (BrokenPipeError, OSError):
                    pass
            if not self._events.poll(POLL_S):
                if not self.process.is_alive() and not self._events.poll(0):
                    raise WorkerDied(self._death())
                continue
            try:
                kind, payload = self._events.recv()
            except (EOFError, OSError):
                raise WorkerDied(self._death()) from None
            if kind == "event":
                emit(*payload)
            elif kind == "result":
                result, self.rss_mb = payload
                return result
            elif kind == "failed":
                raise TaskFailed(payload)

    def _death(self) -> str:
        self.process.join(timeout=2)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            why = f"killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
        else:
            why = f"exit code {code}"
        return (
            f"The training process stopped unexpectedly ({why}). This training failed; the next one "
            "starts in a fresh process."
        )

    def close(self) -> None:
        try:
            self._control.send(("exit", None))
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=3)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=3)
        self._control.close()
        self._events.close()


_main_lock = threading.Lock()


@contextlib.contextmanager
def _no_main_module():
    """Start a spawned process without it re-running the parent's ``__main__``.

    A spawned child imports the parent's main script before anything else. Under Streamlit that is the page
    script being run (app.py, which starts these very workers), so the child would start workers of its own
    while it bootstraps. A worker needs nothing from the main script: hide it while the process starts.
    """
    with _main_lock:
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if saved is not None:
                sys.modules["__main__"] = saved


# ------------------------------------------------------------------------------------------ the worker


def worker_main(control, events, threads: int) -> None:
    """A worker process: warm up, then train the tasks the server sends, one at a time, until told to exit or
    the server goes away."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    stop = threading.Event()
    tasks: queue.Queue = queue.Queue()

    def listen() -> None:  # the control pipe: a task, a stop request, or goodbye
        while True:
            try:
                kind, payload = control.recv()
            except (EOFError, OSError):  # the server is gone: nobody will read our results
                os._exit(0)
            if kind == "stop":
                stop.set()
            elif kind == "task":
                tasks.put(payload)
            else:
                tasks.put(None)
                return

    threading.Thread(target=listen, name="mnistlab-worker-control", daemon=True).start()
    send_lock = threading.Lock()

    def send(message) -> None:
        with send_lock:
            events.send(message)

    _warm_up(threads)
    send(("ready", os.getpid()))
    from mnistlab.runs.task import run_task

    while (task := tasks.get()) is not None:
        stop.clear()
        try:
            result = run_task(task, lambda kind, payload: send(("event", (kind, payload))), stop.is_set)
        except Exception as exc:  # the task failed, the process is fine: report it and take the next one
            send(("failed", f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]))
            continue
        send(("result", (result, _rss_mb())))
    sys.exit(0)


def _warm_up(threads: int) -> None:
    """Import TensorFlow, limit it to this worker's cores, load MNIST and run one training step, so the first
    real task starts at once."""
    started = time.perf_counter()
    try:  # below the web server: pages stay responsive while a worker imports TensorFlow or trains
        os.nice(NICENESS)
    except (AttributeError, OSError):
        pass
    from mnistlab.tf import keras, tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
    except RuntimeError:  # already initialised: keep TensorFlow's own choice
        pass
    from mnistlab.data import load_mnist, to_float
    from mnistlab.models import build_model
    from mnistlab.specs import PRESETS

    data = load_mnist()
    model = build_model(PRESETS["baseline"], seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.train_on_batch(to_float(data.x_train[:64]), data.y_train[:64].astype("int32"))
    log.info("worker %d warm in %.1f s", os.getpid(), time.perf_counter() - started)


def _rss_mb() -> float | None:
    """This process's resident memory now, in MB (None where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None

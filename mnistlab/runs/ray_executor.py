"""Training as Ray tasks: on this machine (``MNISTLAB_RAY_ADDRESS=local``) or on a cluster (``auto``,
``HOST:PORT`` or ``ray://HOST:PORT``). Ray is an optional extra (``uv run --extra ray ...``), imported only here.

Each job is one Ray task running ``mnistlab.runs.task.run_task``; the task sends back plain data (history,
metrics, the model as ``.keras`` bytes) and the server saves it in its own run store, so workers need no shared
disk. Progress and stop flags travel through one small actor (a "hub") per executor: the task pushes each event
fire-and-forget and the reply carries its job's stop flag, so stopping costs the training loop no round trip.
A thread in the server drains the hub for every job at once every ``poll_interval`` seconds.

Measured on 2 cores (AMD EPYC Zen 4, a busy machine): ``ray.init`` locally 5-10 s; a job on a fresh Ray worker
waits 10-15 s for TensorFlow's import, on a reused one about 1 s; Stop ends training in 0.2-1.5 s.
Two things shape the code (details in docs/SCALING.md):

- Ray lends a task's CPUs to the next queued task whenever the running one waits on Ray (even
  ``ray.wait(timeout=0)``), so every training also asks for one unit of a custom resource, ``mnistlab_job``,
  which is never lent. A local instance declares it; cluster nodes declare it with ``ray start --resources``.
- A local instance is started quiet: bound to loopback, no usage statistics, and no cloud-metadata probes.
- Ray's ``uv run`` integration is switched off: it would upload this folder and start each worker through
  ``uv run``; workers import the mnistlab installed next to them instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from mnistlab.runs.task import Emit, TaskFailed, TaskResult, TrainTask, WorkerDied

log = logging.getLogger(__name__)

CPUS_ENV = "MNISTLAB_RAY_CPUS_PER_JOB"  # CPUs one training asks for (default: all of a 2-core node's)
SLOT = "mnistlab_job"
POLL_S = 0.1


def _hub_class(ray):
    @ray.remote(num_cpus=0)
    class ProgressHub:
        """Progress mailboxes and stop flags for all jobs of one executor. Async actor: one event loop, no locks."""

        def __init__(self):
            self.events: dict[str, list] = {}
            self.stops: set[str] = set()

        async def push(self, job_id: str, event: dict) -> bool:
            self.events.setdefault(job_id, []).append(event)
            return job_id in self.stops  # the reply carries the stop flag

        async def stopped(self, job_id: str) -> bool:
            return job_id in self.stops

        async def request_stop(self, job_id: str) -> None:
            self.stops.add(job_id)

        async def drain_all(self) -> dict:
            out, self.events = self.events, {}
            return out

        async def forget(self, job_id: str) -> None:
            self.stops.discard(job_id)
            self.events.pop(job_id, None)

    return ProgressHub


def ray_task(task: TrainTask, job_id: str, hub) -> TaskResult:
    """The Ray task body: ``run_task`` with events pushed to the hub and the stop flag read from its replies."""
    import ray

    from mnistlab.runs.task import run_task

    state = {"refs": [], "stop": False}

    def read_replies(spin_s: float = 0.0) -> bool:
        deadline = time.monotonic() + spin_s
        while True:
            refs = state["refs"]
            ready, rest = ray.wait(refs, num_returns=len(refs), timeout=0) if refs else ([], [])
            if ready:
                state["stop"] = state["stop"] or any(ray.get(ready))  # ready: no wait
                state["refs"] = rest
            if state["stop"] or not rest or time.monotonic() >= deadline:
                return state["stop"]
            time.sleep(0.0005)  # a plain sleep keeps the CPU lease, unlike ray.wait with a timeout

    def emit(kind: str, payload) -> None:
        state["refs"].append(hub.push.remote(job_id, (kind, payload)))

    state["refs"].append(hub.stopped.remote(job_id))
    if read_replies(spin_s=1.0):  # stopped while still queued in Ray: never train
        return TaskResult("stopped", {}, 0, 0.0, 0.0)
    # Called right after each progress push: a few ms for its reply, so a stop is seen within one chunk.
    return run_task(task, emit, should_stop=lambda: read_replies(spin_s=0.005))


@dataclass
class _Handle:
    job_id: str
    ref: object
    events: deque = field(default_factory=deque)
    done: bool = False


class RayExecutor:
    """``run`` submits a Ray task and relays its events until it ends; ``workers`` jobs run at once."""

    def __init__(
        self,
        address: str = "local",
        workers: int = 1,
        cpus_per_job: float | None = None,
        runtime_env: dict | None = None,
        poll_interval: float = POLL_S,
    ):
        self.address, self.workers, self.runtime_env, self.poll_interval = (
            address,
            workers,
            runtime_env,
            poll_interval,
        )
        cores = os.cpu_count() or 2
        self.cpus_per_job = cpus_per_job or float(
            os.environ.get(CPUS_ENV) or max(1, cores // max(1, workers))
        )
        self._handles: dict[str, _Handle] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._broken: str | None = None  # why this executor can no longer run tasks
        self._count = 0
        local = address == "local"
        # Ray reads some variables at import. Its `uv run` hook would package this folder and start every worker
        # through `uv run` (a sync that needs the network, and a slow start): workers use the installed package.
        with _env({**(_local_env() if local else {}), "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}):
            import ray
            from ray._private import ray_constants

            ray_constants.RAY_ENABLE_UV_RUN_RUNTIME_ENV = False  # in case Ray was imported before we set it
            self._ray = ray
            common = {"log_to_driver": False, "logging_level": logging.WARNING, "namespace": "mnistlab"}
            self._started = not ray.is_initialized()  # an instance this process already joined is reused
            if self._started and local:
                slots = max(1, int(cores // self.cpus_per_job))
                ray.init(
                    num_cpus=cores,
                    resources={SLOT: slots},
                    include_dashboard=False,
                    object_store_memory=256 * 2**20,
                    runtime_env=runtime_env,
                    **common,
                )
            elif self._started:
                ray.init(address=address, runtime_env=runtime_env, **common)
        self._hub = _hub_class(ray).remote()
        options = {"num_cpus": self.cpus_per_job, "max_retries": 0}
        if ray.cluster_resources().get(SLOT):
            options["resources"] = {SLOT: 1}
        else:
            log.warning(
                "the Ray cluster declares no %r resource: more trainings than CPUs may run at once", SLOT
            )
        self._task = ray.remote(ray_task).options(**options)
        self._pump = threading.Thread(target=self._pump_loop, name="mnistlab-ray-pump", daemon=True)
        self._pump.start()

    def run(self, task: TrainTask, emit: Emit, should_stop: Callable[[], bool] | None = None) -> TaskResult:
        ray = self._ray
        with self._lock:
            self._count += 1
            job_id = f"t{self._count}"
            handle = self._handles[job_id] = _Handle(job_id, self._task.remote(task, job_id, self._hub))
        stop_sent = False
        try:
            while True:
                done = handle.done
                while handle.events:
                    emit(*handle.events.popleft())
                if done:
                    break
                if self._broken:
                    raise WorkerDied(f"Ray cannot run this training: {self._broken}. Restart the dashboard.")
                if not stop_sent and should_stop and should_stop():
                    stop_sent = True
                    self._hub.request_stop.remote(job_id)
                time.sleep(self.poll_interval)
            try:
                return ray.get(handle.ref)
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                raise TaskFailed(f"{type(cause).__name__}: {' '.join(str(cause).split())}"[:500]) from None
            except (
                ray.exceptions.WorkerCrashedError,
                ray.exceptions.RayActorError,
                ray.exceptions.NodeDiedError,
            ) as exc:
                raise WorkerDied(
                    f"The Ray worker training this job stopped unexpectedly "
                    f"({type(exc).__name__}). This training failed; the next one runs on a fresh "
                    "worker."
                ) from None
        finally:
            with self._lock:
                self._handles.pop(job_id, None)
            self._hub.forget.remote(job_id)

    def shutdown(self) -> None:
        self._closing.set()
        self._pump.join(2)
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()  # a local instance ends with it; from a cluster we only disconnect

    def _pump_loop(self) -> None:
        ray = self._ray
        while not self._closing.wait(self.poll_interval):
            try:
                with self._lock:
                    handles = dict(self._handles)
                if not handles:
                    continue
                # Completion first, then events: a task that is done has pushed all its events already.
                pending = [h.ref for h in handles.values() if not h.done]
                ready = set()
                if pending:
                    ready, _ = ray.wait(pending, num_returns=len(pending), timeout=0)
                    ready = set(ready)
                batch = ray.get(self._hub.drain_all.remote(), timeout=10)
                for job_id, events in batch.items():
                    if job_id in handles:
                        handles[job_id].events.extend(events)
                for h in handles.values():
                    if h.ref in ready:
                        h.done = True
            except ray.exceptions.RayActorError as exc:  # the hub is gone: no job can report or stop
                self._broken = f"the Ray progress actor died ({type(exc).__name__})"
                log.error("ray: %s", self._broken)
                return
            except Exception:  # keep pumping; a lost cluster shows up when the task's result is read
                log.exception("ray pump")


def _local_env() -> dict:
    """Environment for the Ray processes of a local instance: bind to loopback, no usage stats, and no cloud
    metadata probes (the always-started API server asks 169.254.169.254 and metadata.google.internal which
    cloud it is on; a dead proxy on 127.0.0.1:9 makes those requests fail at once without leaving the host)."""
    return {
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Linux too: node IP = 127.0.0.1, no 8.8.8.8 route probe
        "http_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "no_proxy": "",
        "NO_PROXY": "",
    }


class _env:
    """Set environment variables for the duration of a block (ray.init copies them into its processes)."""

    def __init__(self, values: dict):
        self.values, self.saved = values, {}

    def __enter__(self):
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

"""Training as Ray tasks: on this machine (``MNISTLAB_RAY_ADDRESS=local``) or on a cluster (``auto``,
``HOST:PORT`` or ``ray://HOST:PORT``). Ray is an optional extra (``uv run --extra ray ...``), imported only here.

Each job is one Ray task running ``mnistlab.runs.task.run_task``; the task sends back plain data (history,
metrics, the model as ``.keras`` bytes) and the server saves it in its own run store, so workers need no shared
disk. Progress and stop flags travel through one small actor (a "hub") per executor: the task pushes each event
fire-and-forget and the reply carries its job's stop flag, so stopping costs the training loop no round trip.
A thread in the server drains the hub for every job at once every ``poll_interval`` seconds.

Measured on 2 cores (AMD EPYC Zen 4, a busy machine): ``ray.init`` locally 5-10 s; a job on a fresh Ray worker
waits 10-15 s for TensorFlow's import, on a reused one about 1 s; Stop ends training in 0.2-1.5 s.
Several things shape the code (details in docs/SCALING.md):

- Ray lends a task's CPUs to the next queued task whenever the running one waits on Ray (even
  ``ray.wait(timeout=0)``), so every training also asks for one unit of a custom resource, ``mnistlab_job``,
  which is never lent. A local instance declares it; cluster nodes declare it with ``ray start --resources``.
- A local instance is started quiet: bound to loopback, no usage statistics, and no cloud-metadata probes.
- Ray's ``uv run`` integration is switched off: it would upload this folder and start each worker through
  ``uv run``; workers import the mnistlab installed next to them instead.
- Requests fit the cluster (``ray_cluster.size_cpus_per_job``), and a request that no live node can hold fails
  after ``placement_timeout`` seconds instead of pending forever. A cluster's address is checked before
  ``ray.init`` (which would otherwise wait for an absent head without end), and again while a job waits.
- The hub lives on the head node, so a lab machine that dies takes only its own job with it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from mnistlab.runs import ray_cluster
from mnistlab.runs.ray_cluster import CPUS_ENV, SLOT, ClusterUnreachable
from mnistlab.runs.task import Emit, TaskFailed, TaskResult, TrainTask, WorkerDied

log = logging.getLogger(__name__)

__all__ = ["CPUS_ENV", "SLOT", "ClusterUnreachable", "RayExecutor"]
POLL_S = 0.1
PLACEMENT_ENV = "MNISTLAB_RAY_PLACEMENT_S"  # seconds a training may wait for a node that can hold it
PLACEMENT_S = 20.0
HUB_PATIENCE_S = 30.0
CHECK_S = 2.0  # how often a waiting job re-checks the cluster (reachable? placeable?)


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

    context = ray.get_runtime_context()
    emit("placed", {"node_id": context.get_node_id(), "node_ip": ray.util.get_node_ip_address()})
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
    node: dict | None = None  # where Ray placed it, from the task's first event


class RayExecutor:
    """``run`` submits a Ray task and relays its events until it ends; ``workers`` jobs run at once.

    ``cpus_per_job`` (default ``$MNISTLAB_RAY_CPUS_PER_JOB``, else sized from the cluster's nodes for every job)
    is what each training asks Ray for, with one ``mnistlab_job`` slot when the cluster declares any. Events:
    ``("placed", {"node_id", "node_ip"})`` first, then the task's own (see ``mnistlab.runs.task``)."""

    def __init__(
        self,
        address: str = "local",
        workers: int = 1,
        cpus_per_job: float | None = None,
        runtime_env: dict | None = None,
        poll_interval: float = POLL_S,
        placement_timeout: float | None = None,
    ):
        self.address, self.workers, self.runtime_env, self.poll_interval = (
            address,
            workers,
            runtime_env,
            poll_interval,
        )
        self.placement_timeout = placement_timeout or float(os.environ.get(PLACEMENT_ENV) or PLACEMENT_S)
        self._requested = cpus_per_job or ray_cluster.requested_cpus()
        cores = os.cpu_count() or 2
        self._handles: dict[str, _Handle] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._broken: str | None = None  # why this executor can no longer run tasks
        self._count = 0
        self.placed: Counter[str] = Counter()  # trainings started per node id (how the work spread)
        local = address == "local"
        self._gcs: str | None = None  # HOST:PORT of a cluster's head, checked while jobs wait
        quiet = local or ray_cluster.is_loopback(address)
        with ray_cluster.ray_env(quiet) as ray:
            self._ray = ray
            common = ray_cluster.DRIVER_OPTIONS
            self._started = not ray.is_initialized()  # an instance this process already joined is reused
            if self._started and local:
                slots = max(1, int(cores // (self._requested or max(1, cores // max(1, workers)))))
                ray.init(
                    num_cpus=cores,
                    resources={SLOT: slots},
                    include_dashboard=False,
                    object_store_memory=256 * 2**20,
                    runtime_env=runtime_env,
                    **common,
                )
            elif self._started:
                self._gcs = ray_cluster.join(ray, address, runtime_env=runtime_env, **common)
            elif not local and not address.startswith("ray://"):
                self._gcs = ray.get_runtime_context().gcs_address  # joined before: watch that head
        self._slots = bool(ray.cluster_resources().get(SLOT))
        if not self._slots:
            log.warning(
                "the Ray cluster declares no %r resource: more trainings than CPUs may run at once", SLOT
            )
        self.cpus_per_job = self._size()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        # The hub lives on the head (the server's own node in a classroom): a lab machine that dies must not take
        # every job's progress with it, and when the head dies the cluster is gone anyway.
        head = next((node.node_id for node in self.nodes() if node.head and node.alive), None)
        here = head or ray.get_runtime_context().get_node_id()
        pin = NodeAffinitySchedulingStrategy(here, soft=head is None)
        self._hub = _hub_class(ray).options(scheduling_strategy=pin).remote()
        self._task = ray.remote(max_retries=0)(ray_task)
        self._pump = threading.Thread(target=self._pump_loop, name="mnistlab-ray-pump", daemon=True)
        self._pump.start()

    def nodes(self) -> list[ray_cluster.Node]:
        """The cluster's nodes as Ray sees them now (dead ones included)."""
        return ray_cluster.nodes_from_ray(self._ray.nodes())

    def _size(self) -> float:
        return ray_cluster.size_cpus_per_job(self.nodes(), self._requested)

    def run(self, task: TrainTask, emit: Emit, should_stop: Callable[[], bool] | None = None) -> TaskResult:
        ray = self._ray
        self._check_cluster()
        self.cpus_per_job = cpus = self._size()  # nodes come and go: size every job on what is there now
        options = {"num_cpus": cpus, **({"resources": {SLOT: 1}} if self._slots else {})}
        with self._lock:
            self._count += 1
            job_id = f"t{self._count}"
            ref = self._task.options(**options).remote(task, job_id, self._hub)
            handle = self._handles[job_id] = _Handle(job_id, ref)
        stop_sent, submitted, checked = False, time.monotonic(), time.monotonic()
        try:
            while True:
                done = handle.done
                while handle.events:
                    kind, payload = handle.events.popleft()
                    if kind == "placed":
                        handle.node = payload
                        self.placed[payload["node_id"]] += 1
                        log.info(
                            "ray: job %s trains on node %s (%s)",
                            job_id,
                            payload["node_ip"],
                            payload["node_id"][:8],
                        )
                    emit(kind, payload)
                if done:
                    break
                if self._broken:
                    raise WorkerDied(
                        f"Ray cannot run this training: {self._broken}. Restart the dashboard once Ray is back."
                    )
                if not stop_sent and should_stop and should_stop():
                    stop_sent = True
                    self._hub.request_stop.remote(job_id)
                if time.monotonic() - checked >= CHECK_S:
                    checked = time.monotonic()
                    self._check_cluster()
                    if handle.node is None and checked - submitted >= self.placement_timeout:
                        self._fail_if_unplaceable(handle, cpus)
                time.sleep(self.poll_interval)
            return self._result(handle)
        except BaseException:
            if not handle.done and not self._broken:
                with contextlib.suppress(Exception):
                    ray.cancel(handle.ref, force=True)  # never leave a pending task behind in Ray
            raise
        finally:
            with self._lock:
                self._handles.pop(job_id, None)
            if not self._broken:
                self._hub.forget.remote(job_id)

    def _result(self, handle: _Handle) -> TaskResult:
        ray = self._ray
        try:
            return ray.get(handle.ref, timeout=60)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if getattr(exc, "cause", None) is not None else exc
            raise TaskFailed(f"{type(cause).__name__}: {' '.join(str(cause).split())}"[:500]) from None
        except (
            ray.exceptions.WorkerCrashedError,
            ray.exceptions.RayActorError,
            ray.exceptions.NodeDiedError,
            ray.exceptions.ObjectLostError,
        ) as exc:
            self._check_cluster()  # the head itself gone (its node ran this job): say so, not "a worker died"
            where = f" on node {handle.node['node_ip']} ({handle.node['node_id'][:8]})" if handle.node else ""
            raise WorkerDied(
                f"The Ray worker training this job{where} stopped unexpectedly ({type(exc).__name__}): "
                "the worker or its machine went away. This training failed; the next one goes to a live node."
            ) from None

    def _check_cluster(self) -> None:
        """Raise ``WorkerDied`` when the head of a (non-local) cluster no longer answers."""
        if self._gcs is None:
            return
        try:
            ray_cluster.check_reachable(self._gcs, timeout=2.0)
        except ClusterUnreachable as exc:
            self._broken = str(exc)
            raise WorkerDied(f"Ray cannot run this training: {exc}") from None

    def _fail_if_unplaceable(self, handle: _Handle, cpus: float) -> None:
        nodes = self.nodes()
        if not ray_cluster.fits(nodes, cpus, slot=self._slots):
            raise TaskFailed(ray_cluster.unplaceable_message(nodes, cpus, slot=self._slots))
        # placeable: it waits behind other trainings for a free slot, as a queue should

    def shutdown(self) -> None:
        self._closing.set()
        self._pump.join(2)
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()  # a local instance ends with it; from a cluster we only disconnect

    def _pump_loop(self) -> None:
        ray = self._ray
        unavailable_since = None  # the hub stops answering for a moment when a node's raylet dies
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
                unavailable_since = None
            except ray.exceptions.ActorUnavailableError:
                unavailable_since = unavailable_since or time.monotonic()
                if time.monotonic() - unavailable_since > HUB_PATIENCE_S:
                    self._broken = f"the Ray progress actor has not answered for {HUB_PATIENCE_S:g} s"
                    log.error("ray: %s", self._broken)
                    return
                log.warning("ray: the progress actor is unavailable for now; retrying")
            except ray.exceptions.RayActorError as exc:  # the hub is gone: no job can report or stop
                self._broken = f"the Ray progress actor died ({type(exc).__name__})"
                log.error("ray: %s", self._broken)
                return
            except Exception:  # keep pumping; a lost cluster shows up when the task's result is read
                log.exception("ray pump")

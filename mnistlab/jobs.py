"""Background training jobs: a bounded pool of worker threads in front of ``train_run``.

The dashboard submits a training as a job and returns at once; the training goes on while the user changes
page or closes the tab, and any page can read its state again later. Many users may share one server, so

- at most ``workers`` jobs train at once (one TensorFlow training already uses every core of a small machine);
  the others wait in a first-in, first-out queue and know their place in it;
- each owner (a browser session) may have only a few jobs queued or running, and the whole queue is bounded;
- bad specs and configs are refused at submit time, before anything is queued.

Every status change is written to ``<artifacts>/jobs/<job_id>.json`` (atomically), so after a restart the
runner lists past jobs and marks those cut short as 'interrupted'; ``resubmit`` queues them again.

    runner = JobRunner(RunStore())
    job = runner.submit(PRESETS["dropout"], TrainConfig(epochs=3), owner="session-1")
    runner.get(job.id).progress        # latest Progress.to_dict(), updated live by the worker
    runner.stop(job.id)                # ends within one chunk of batches; the partial run is kept

The work a job does is injectable (``work(job, context)``), so tests can drive the runner without TensorFlow.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import re
import secrets
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .specs import ArchitectureSpec, SpecError, validate
from .specs import from_dict as spec_from_dict
from .store import RunStore, StoreError, artifacts_dir, atomic_write_json, check_run_name, process_alive
from .training import ConfigError, TrainConfig, validate_config

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "completed", "stopped", "failed", "interrupted")
ACTIVE = ("queued", "running")
FINISHED = ("completed", "stopped", "failed", "interrupted")
JOB_ID = re.compile(r"^j-[a-z0-9-]{1,60}$")
WORKERS_ENV = "MNISTLAB_WORKERS"
PER_SESSION_ENV = "MNISTLAB_MAX_JOBS_PER_SESSION"
MAX_BATCH_POINTS = 3000  # live batch curve kept per job: enough for a smooth chart, bounded memory
KEEP_RECORDS = 200  # job records kept on disk (and finished jobs kept in memory)
OWNER_MAX = 100

INTERRUPTED_QUEUED = "The server stopped while this job was queued; start it again from the Train page."
INTERRUPTED_RUNNING = ("The server stopped while this job was training; its history up to then is kept in "
                       "the run.")
SHUTDOWN_QUEUED = "The server shut down before this job started; start it again from the Train page."


class JobError(Exception):
    """A job request that cannot be done; the message says why and what to do instead."""


@dataclass
class Job:
    """One training job. ``finished`` is the time it ended (None while queued or running).

    Objects handed out by the runner are snapshots: reading them is safe from any thread, and changing them
    changes nothing in the runner. Ask the runner again (``get``) for fresh state.
    """

    id: str
    owner: str
    name: str | None
    preset: str | None
    spec: ArchitectureSpec
    config: TrainConfig
    status: str = "queued"
    run_id: str | None = None
    progress: dict | None = None  # the latest Progress.to_dict()
    batches: list = field(default_factory=list, repr=False)  # [[step, loss, accuracy], ...], last ~3000
    history: dict = field(default_factory=dict, repr=False)  # per-epoch lists, as in TrainResult.history
    error: str | None = None  # one line: why it failed or was interrupted
    submitted: float = 0.0
    started: float | None = None
    finished: float | None = None
    stop_requested: bool = False
    resubmitted_from: str | None = None

    @property
    def is_finished(self) -> bool:
        """True once the job will not change any more (completed, stopped, failed or interrupted)."""
        return self.status in FINISHED

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def can_resubmit(self) -> bool:
        return self.status in ("stopped", "failed", "interrupted")

    @property
    def fraction(self) -> float:
        """How much of the training is done, 0..1 (1 for a completed job)."""
        if self.status == "completed":
            return 1.0
        p = self.progress or {}
        total = p.get("total_steps") or 0
        return min(1.0, p.get("step", 0) / total) if total else 0.0

    @property
    def label(self) -> str:
        return f"{self.name or self.spec.name} ({self.status})"

    def to_dict(self, with_batches: bool = False) -> dict:
        """Plain data (JSON-ready). The record on disk leaves out the live batch curve."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "batches"}
        out["spec"] = self.spec.to_dict()
        out["config"] = self.config.to_dict()
        out["progress"] = dict(self.progress) if self.progress else None
        out["history"] = {k: list(v) for k, v in self.history.items()}
        if with_batches:
            out["batches"] = [list(b) for b in self.batches]
        return out

    @classmethod
    def from_dict(cls, raw: dict) -> Job:
        """Rebuild a job from ``to_dict`` output; raises ``JobError`` if the record is damaged."""
        try:
            if not isinstance(raw, dict):
                raise TypeError("not an object")
            known = {f.name for f in fields(cls)}
            data = {k: v for k, v in raw.items() if k in known}
            data["spec"] = spec_from_dict(raw["spec"])
            data["config"] = TrainConfig.from_dict(raw["config"])
            if not JOB_ID.match(str(data.get("id"))):
                raise ValueError(f"bad job id {data.get('id')!r}")
            if data.get("status") not in STATUSES:
                raise ValueError(f"unknown status {data.get('status')!r}")
            data["history"] = data.get("history") if isinstance(data.get("history"), dict) else {}
            data["batches"] = [list(b) for b in raw.get("batches") or []]
            return cls(**data)
        except (KeyError, TypeError, ValueError) as exc:  # SpecError and ConfigError are ValueErrors
            raise JobError(f"Damaged job record ({type(exc).__name__}: {exc}).") from None


def new_job_id() -> str:
    """A short id that sorts by submission time: ``j-20250101-120000-3fa9c1``."""
    return f"j-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def one_line(exc: BaseException) -> str:
    """A short, single-line message for a failure: our own errors as they are, others with their type."""
    text = " ".join(str(exc).split()) or "no details"
    friendly = isinstance(exc, (StoreError, SpecError, ConfigError, JobError)) or type(exc).__name__ == "DataError"
    text = text if friendly else f"{type(exc).__name__}: {text}"
    return text if len(text) <= 300 else text[:297] + "..."


def _env_whole(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("ignoring %s=%r: not a whole number", name, raw)
    return default


def default_per_owner() -> int:
    """``$MNISTLAB_MAX_JOBS_PER_SESSION`` if set, else 3: queued + running trainings one session may have."""
    return _env_whole(PER_SESSION_ENV, 3)


def default_workers() -> int:
    """``$MNISTLAB_WORKERS`` if set, else half the cores (one TensorFlow training already uses two)."""
    return _env_whole(WORKERS_ENV, max(1, (os.cpu_count() or 2) // 2))


# ------------------------------------------------------------------------------------------ work


class JobContext:
    """What a job's work may do: report progress, poll the stop switch, tell which run it writes."""

    def __init__(self, runner: JobRunner, job_id: str, stop_event: threading.Event):
        self.runner = runner
        self.job_id = job_id
        self.store = runner.store
        self.stop_event = stop_event

    def report(self, progress) -> None:
        """Record a Progress (or its dict): the latest one, the batch curve, the per-epoch history."""
        self.runner._report(self.job_id, progress.to_dict() if hasattr(progress, "to_dict") else dict(progress))

    def should_stop(self) -> bool:
        return self.stop_event.is_set()

    def set_run(self, run_id: str) -> None:
        self.runner._set_run(self.job_id, run_id)


Work = Callable[[Job, JobContext], "str | None"]


def train_work(job: Job, context: JobContext) -> str:
    """The real work: ``train_run`` with live progress and the job's stop switch; returns the run's status."""
    from .experiment import train_run

    run_id = train_run(job.spec, job.config, context.store, name=job.name, preset=job.preset,
                       on_progress=context.report, should_stop=context.should_stop, on_created=context.set_run)
    return context.store.load(run_id).status


# ---------------------------------------------------------------------------------------- runner


class JobRunner:
    """Run training jobs on ``workers`` daemon threads, with a FIFO queue, caps and records on disk."""

    def __init__(self, store: RunStore, workers: int | None = None, max_queued_per_owner: int = 3,
                 work: Work | None = None, max_queue: int = 100, keep_records: int = KEEP_RECORDS):
        self.store = store
        self.workers = max(1, int(workers)) if workers is not None else default_workers()
        self.max_queued_per_owner = max_queued_per_owner
        self.max_queue = max_queue
        self.keep_records = keep_records
        self.jobs_dir = Path(store.root).parent / "jobs"
        self._work = work or train_work
        self._cond = threading.Condition()  # guards everything below; notified on every status change
        self._jobs: dict[str, Job] = {}
        self._queue: deque[str] = deque()
        self._stops: dict[str, threading.Event] = {}
        self._closed = False
        self._persist_lock = threading.Lock()
        with _live_lock:
            siblings = [r for r in _live_runners if r.jobs_dir == self.jobs_dir and not r._closed]
            _live_runners.add(self)
        self._recover(siblings)
        self._threads = [threading.Thread(target=self._worker, name=f"mnistlab-job-worker-{i + 1}", daemon=True)
                         for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    # -- asking for work
    def submit(self, spec: ArchitectureSpec | dict, config: TrainConfig | dict | None = None,
               name: str | None = None, preset: str | None = None, owner: str = "local",
               limit: int | None = None, _resubmitted_from: str | None = None) -> Job:
        """Queue a training; returns the queued job. Raises ``JobError`` for bad input or a full queue.

        ``limit`` replaces the per-owner cap for one deliberate batch (the study queues 4 presets x seeds at
        once); the server-wide queue bound still applies.
        """
        spec, config, name, owner = _checked_request(spec, config, name, owner)
        with self._cond:
            if self._closed:
                raise JobError("The job runner has shut down; restart the server to train again.")
            mine = sum(1 for j in self._jobs.values() if j.owner == owner and j.is_active)
            if mine >= (self.max_queued_per_owner if limit is None else limit):
                raise JobError(f"You already have {mine} trainings queued or running; wait for one to finish "
                               "or stop one.")
            if len(self._queue) >= self.max_queue:
                raise JobError(f"The server's training queue is full ({len(self._queue)} waiting); try again "
                               "in a few minutes.")
            job_id = new_job_id()
            while job_id in self._jobs:
                job_id = new_job_id()
            job = Job(id=job_id, owner=owner, name=name, preset=preset, spec=spec, config=config,
                      submitted=time.time(), resubmitted_from=_resubmitted_from)
            self._jobs[job_id] = job
            self._stops[job_id] = threading.Event()
            self._queue.append(job_id)
            snapshot = _snapshot(job)
            self._cond.notify_all()
        self._persist(job_id)
        log.info("queued job %s (%s) for %s", job_id, spec.name, owner)
        return snapshot

    def resubmit(self, job_id: str, owner: str | None = None) -> Job:
        """Queue a stopped, failed or interrupted job's spec and config again, as a new job."""
        with self._cond:
            old = self._jobs.get(job_id)
            if old is None:
                raise JobError(f"No job with id {job_id!r}.")
            if not old.can_resubmit:
                raise JobError(f"Job {job_id} is {old.status}; only stopped, failed or interrupted jobs can be "
                               "resubmitted.")
            spec, config, name, preset = old.spec, old.config, old.name, old.preset
            owner = owner or old.owner
        return self.submit(spec, config, name=name, preset=preset, owner=owner, _resubmitted_from=job_id)

    def stop(self, job_id: str) -> bool:
        """Stop a queued job (it never trains) or a running one (ends within a chunk of batches).

        Returns False if there is no such job or it had already finished.
        """
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or job.is_finished:
                return False
            job.stop_requested = True
            self._stops[job_id].set()
            if job.status == "queued":
                self._queue.remove(job_id)
                self._end(job, "stopped")
            self._cond.notify_all()
        self._persist(job_id)
        return True

    # -- reading
    def get(self, job_id: str) -> Job | None:
        """A snapshot of the job, or None if this runner does not know it."""
        with self._cond:
            job = self._jobs.get(job_id)
            return _snapshot(job) if job else None

    def jobs(self, owner: str | None = None) -> list[Job]:
        """Snapshots of all known jobs (of ``owner`` if given), newest first."""
        with self._cond:
            found = [_snapshot(j) for j in self._jobs.values() if owner is None or j.owner == owner]
        return sorted(found, key=lambda j: (j.submitted, j.id), reverse=True)

    def position(self, job_id: str) -> int | None:
        """1-based place of a queued job in the queue (1 = next to start); None if it is not queued."""
        with self._cond:
            try:
                return self._queue.index(job_id) + 1
            except ValueError:
                return None

    def queue_length(self) -> int:
        with self._cond:
            return len(self._queue)

    def running(self) -> list[Job]:
        with self._cond:
            return [_snapshot(j) for j in self._jobs.values() if j.status == "running"]

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has finished or ``timeout`` seconds passed; returns its snapshot either way."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                job = self._jobs.get(job_id)
                if job is None:
                    raise JobError(f"No job with id {job_id!r}.")
                left = None if deadline is None else deadline - time.monotonic()
                if job.is_finished or (left is not None and left <= 0):
                    return _snapshot(job)
                self._cond.wait(left)

    # -- ending
    def shutdown(self, wait: bool = True, timeout: float | None = 30.0) -> None:
        """Stop the workers: running jobs get their stop switch, queued ones are marked interrupted."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            ended = list(self._queue)
            self._queue.clear()
            for job_id in ended:
                job = self._jobs[job_id]
                self._end(job, "interrupted", error=SHUTDOWN_QUEUED)
            for job in self._jobs.values():
                if job.status == "running":
                    job.stop_requested = True
                    self._stops[job.id].set()
            self._cond.notify_all()
        for job_id in ended:
            self._persist(job_id)
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    # -- the workers
    def _worker(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job_id = self._queue.popleft()
                job = self._jobs[job_id]
                job.status, job.started = "running", time.time()
                stop_event = self._stops[job_id]
                snapshot = _snapshot(job)
                self._cond.notify_all()
            self._persist(job_id)
            outcome, error = None, None
            try:
                outcome = self._work(snapshot, JobContext(self, job_id, stop_event))
            except Exception as exc:  # any failure ends this job only; the worker takes the next one
                log.exception("job %s failed", job_id)
                outcome, error = "failed", one_line(exc)
            if outcome not in ("completed", "stopped", "failed"):
                outcome = "stopped" if stop_event.is_set() else "completed"
            with self._cond:
                self._end(job, outcome, error=error)
                self._cond.notify_all()
            self._persist(job_id)
            self._prune()

    def _end(self, job: Job, status: str, error: str | None = None) -> None:
        """Mark ``job`` finished (caller holds the lock)."""
        job.status, job.finished = status, time.time()
        if error:
            job.error = error

    def _report(self, job_id: str, progress: dict) -> None:
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.progress = progress
            if progress.get("kind") == "batch":
                loss, accuracy = progress.get("batch_loss"), progress.get("batch_accuracy")
                if loss is None:  # a reporter without chunk means: use the running means
                    loss, accuracy = progress.get("loss"), progress.get("accuracy")
                job.batches.append([progress.get("step"), loss, accuracy])
                if len(job.batches) > MAX_BATCH_POINTS * 1.1:  # trim now and then, not on every point
                    del job.batches[:len(job.batches) - MAX_BATCH_POINTS]
            elif progress.get("kind") == "epoch":
                elapsed = progress.get("elapsed_s") or 0.0
                previous = sum(job.history.get("epoch_s", []))  # elapsed time at the previous epoch's end
                for key, value in (("loss", progress.get("loss")), ("accuracy", progress.get("accuracy")),
                                   ("val_loss", progress.get("val_loss")),
                                   ("val_accuracy", progress.get("val_accuracy")),
                                   ("epoch_s", round(elapsed - previous, 3))):
                    job.history.setdefault(key, []).append(value)
            self._cond.notify_all()

    def _set_run(self, job_id: str, run_id: str) -> None:
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.run_id = run_id
            self._cond.notify_all()
        self._persist(job_id)

    # -- records on disk
    def _persist(self, job_id: str) -> None:
        """Write the job's current record. The snapshot is taken inside the write lock, so the last write
        always holds the latest state even when two threads change the same job at once."""
        with self._persist_lock:
            with self._cond:
                job = self._jobs.get(job_id)
                if job is None:
                    return
                record = job.to_dict()
            record["pid"] = os.getpid()
            try:
                self.jobs_dir.mkdir(parents=True, exist_ok=True)
                atomic_write_json(self.jobs_dir / f"{job_id}.json", _json_safe(record))
            except (OSError, ValueError) as exc:  # a record we cannot write must not break the training
                log.warning("could not save the record of job %s: %s", job_id, exc)

    def _recover(self, siblings: list[JobRunner]) -> None:
        """Load past records; jobs that were queued or running when the server died become 'interrupted'.

        ``siblings`` are live runners of this process over the same folder: their jobs are alive, not
        interrupted, so they are left alone (and so are the runs they train).
        """
        busy: set[str] = set()
        for sibling in siblings:
            with sibling._cond:
                busy.update(j.id for j in sibling._jobs.values() if j.is_active)
        if siblings:
            log.warning("another job runner in this process already uses %s", self.jobs_dir)
        else:
            try:
                self.store.mark_interrupted()
            except (StoreError, OSError) as exc:
                log.warning("could not check the run store for interrupted runs: %s", exc)
        if not self.jobs_dir.is_dir():
            return
        changed = []
        for path in sorted(self.jobs_dir.glob("j-*.json")):
            try:
                raw = json.loads(path.read_text())
                job = Job.from_dict(raw)
            except (OSError, ValueError, JobError) as exc:
                log.warning("skipping job record %s: %s", path.name, exc)
                continue
            pid = raw.get("pid")
            if job.id in busy:
                continue
            if job.is_active and isinstance(pid, int) and pid != os.getpid() and process_alive(pid):
                continue  # another live server process owns this job
            if job.is_active:
                message = INTERRUPTED_QUEUED if job.status == "queued" else INTERRUPTED_RUNNING
                job.status, job.error = "interrupted", message
                job.finished = job.finished or time.time()
                changed.append(job.id)
            self._jobs[job.id] = job
        for job_id in changed:
            self._persist(job_id)
        self._prune()

    def _prune(self) -> None:
        """Keep the newest ``keep_records`` finished jobs in memory and on disk; active ones always stay."""
        with self._cond:
            finished = sorted((j for j in self._jobs.values() if j.is_finished),
                              key=lambda j: (j.submitted, j.id), reverse=True)
            old = [j.id for j in finished[self.keep_records:]]
            for job_id in old:
                del self._jobs[job_id]
                self._stops.pop(job_id, None)
        with self._persist_lock:
            for job_id in old:
                try:
                    (self.jobs_dir / f"{job_id}.json").unlink(missing_ok=True)
                except OSError as exc:
                    log.warning("could not delete old job record %s: %s", job_id, exc)


# ------------------------------------------------------------------------------------------ helpers


def _checked_request(spec, config, name, owner) -> tuple[ArchitectureSpec, TrainConfig, str | None, str]:
    """Validate a submission; every problem becomes a ``JobError`` with a message a user can act on."""
    try:
        if isinstance(spec, dict):
            spec = spec_from_dict(spec)
        if not isinstance(spec, ArchitectureSpec):
            raise SpecError(f"A job needs an architecture spec, got {type(spec).__name__}.")
        validate(spec)
        if config is None:
            config = TrainConfig()
        elif isinstance(config, dict):
            config = TrainConfig.from_dict(config)
        if not isinstance(config, TrainConfig):
            raise ConfigError(f"A job needs a training config, got {type(config).__name__}.")
        config = validate_config(config)
        name = check_run_name(name) if name is not None else None
    except (SpecError, ConfigError, StoreError) as exc:
        raise JobError(str(exc)) from None
    except TypeError as exc:  # e.g. a layer whose numbers are not numbers
        raise JobError(f"That training request is not valid: {exc}.") from None
    if not isinstance(owner, str) or not owner.strip() or len(owner) > OWNER_MAX:
        raise JobError(f"A job owner must be 1-{OWNER_MAX} characters of text.")
    return spec, config, name, owner


def _snapshot(job: Job) -> Job:
    """A copy readers can keep: lists are copied (batch points are never changed once added)."""
    return replace(job, progress=dict(job.progress) if job.progress else None, batches=list(job.batches),
                   history={k: list(v) for k, v in job.history.items()})


def _json_safe(value: Any) -> Any:
    """Replace NaN and infinities (possible in a diverging loss) by None, so the record stays valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


# --------------------------------------------------------------------------------- process-wide runner

# Live runners of this process: a second runner over the same folder must not mistake their jobs for dead ones.
_live_runners: weakref.WeakSet[JobRunner] = weakref.WeakSet()
_live_lock = threading.Lock()

_default_runners: dict[Path, JobRunner] = {}
_default_lock = threading.Lock()


def default_runner() -> JobRunner:
    """The process-wide runner for the default store (one per artifacts folder), created on first use."""
    key = artifacts_dir().resolve()
    with _default_lock:
        runner = _default_runners.get(key)
        if runner is None or runner._closed:
            runner = _default_runners[key] = JobRunner(RunStore(key / "runs"),
                                                       max_queued_per_owner=default_per_owner())
        return runner


def shutdown(wait: bool = True, timeout: float | None = 10.0) -> None:
    """Shut down every default runner (running jobs stop cleanly, keeping their partial runs)."""
    with _default_lock:
        runners = list(_default_runners.values())
        _default_runners.clear()
    for runner in runners:
        runner.shutdown(wait=wait, timeout=timeout)


# Give running trainings a moment to stop and save their partial run when the process exits normally.
atexit.register(shutdown, True, 10.0)

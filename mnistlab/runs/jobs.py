"""Background training jobs: a queue with caps and records, in front of an executor that trains.

The dashboard submits a training as a job and returns at once; the training goes on while the user changes
page or closes the tab, and any page can read its state again later. Many users may share one server, so

- at most ``workers`` jobs train at once, each in the executor (by default a warm worker process, never the
  server itself; see ``mnistlab.runs.executors``); the others wait in a round-robin queue between owners
  (``mnistlab.runs.fair_queue``) and know their place in it and roughly how long they will wait;
- each owner (a person id) may have only a few jobs queued or running, and the whole queue is bounded; a
  pupil's trainings also keep to the class's limits (``mnistlab.runs.job_policy``);
- bad specs and configs are refused at submit time, before anything is queued;
- only a job's owner, the teacher or a local user may stop or cancel it (``actor``; None: this process).

Every status change is written to ``<artifacts>/jobs/<job_id>.json`` (atomically), so after a restart the
runner lists past jobs and marks those cut short as 'interrupted'; ``resubmit`` queues them again.

    runner = JobRunner(RunStore())
    job = runner.submit(PRESETS["dropout"], TrainConfig(epochs=3), owner=person.id, actor=person)
    runner.get(job.id).progress        # latest Progress.to_dict(), updated live by the worker
    runner.stop(job.id, actor=person)  # ends within one chunk of batches; the partial run is kept

The work a job does is injectable (``work(job, context)``), so tests can drive the runner without TensorFlow;
without it the runner trains with ``executor`` (default: ``make_executor()``, started on the first job or by
``warm_up()``, which the dashboard calls at start-up so its workers are warm before anyone clicks).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from pathlib import Path

from mnistlab.files import StoreError
from mnistlab.people.person import Person, check_may_change
from mnistlab.runs import job_policy, renames
from mnistlab.runs.executors import default_workers, env_whole, make_executor
from mnistlab.runs.experiment import train_job
from mnistlab.runs.fair_queue import FairQueue
from mnistlab.runs.job import (
    Job,
    JobContext,
    JobError,
    Work,
    checked_request,
    new_job_id,
    one_line,
    snapshot_of,
)
from mnistlab.runs.job_records import JobRecords
from mnistlab.runs.job_views import JobViews
from mnistlab.runs.store import RunStore
from mnistlab.specs import ArchitectureSpec
from mnistlab.training import TrainConfig

log = logging.getLogger(__name__)

PER_SESSION_ENV = "MNISTLAB_MAX_JOBS_PER_SESSION"
KEEP_RECORDS = 200  # job records kept on disk (and finished jobs kept in memory)

SHUTDOWN_QUEUED = "The server shut down before this job started; start it again from the Train page."


def default_per_owner() -> int:
    """``$MNISTLAB_MAX_JOBS_PER_SESSION`` if set, else 3: queued + running trainings one session may have."""
    return env_whole(PER_SESSION_ENV, 3)


# ---------------------------------------------------------------------------------------- runner


class JobRunner(JobViews):
    """Run training jobs on ``workers`` daemon threads, with a fair queue, caps and records on disk."""

    def __init__(
        self,
        store: RunStore,
        workers: int | None = None,
        max_queued_per_owner: int = 3,
        work: Work | None = None,
        max_queue: int = 100,
        keep_records: int = KEEP_RECORDS,
        executor=None,
    ):
        self.store = store
        if executor is not None and workers is None:
            workers = executor.workers
        self.workers = max(1, int(workers)) if workers is not None else default_workers()
        # Real trainings need an executor; started now so its workers warm up while the queue is empty.
        self._owns_executor = executor is None and work is None
        self._executor = executor
        self._executor_lock = threading.Lock()
        self.max_queued_per_owner = max_queued_per_owner
        self.max_queue = max_queue
        self.keep_records = keep_records
        self.jobs_dir = Path(store.root).parent / "jobs"
        self.records = JobRecords(self.jobs_dir)
        self._work = work or train_job
        self._cond = threading.Condition()  # guards everything below; notified on every status change
        self._jobs: dict[str, Job] = {}
        self._queue = FairQueue()
        self._stops: dict[str, threading.Event] = {}
        self._closed = False
        self._persist_lock = threading.Lock()
        with _live_lock:
            siblings = [r for r in _live_runners if r.jobs_dir == self.jobs_dir and not r.closed]
            _live_runners.add(self)
        self._recover(siblings)
        renames.watch(store.root, self._run_renamed)
        self._threads = [
            threading.Thread(target=self._worker, name=f"mnistlab-job-worker-{i + 1}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def executor(self):
        """Where trainings run; the runner's own one is started on first use (or by ``warm_up``)."""
        with self._executor_lock:
            if self._executor is None and self._owns_executor and not self._closed:
                self._executor = make_executor(self.workers)
            return self._executor

    @property
    def closed(self) -> bool:
        """True once ``shutdown`` was called: no job will be taken any more."""
        return self._closed

    def warm_up(self) -> None:
        """Start the executor now (its workers import TensorFlow and load MNIST in the background)."""
        _ = self.executor

    # -- asking for work
    def submit(
        self,
        spec: ArchitectureSpec | dict,
        config: TrainConfig | dict | None = None,
        name: str | None = None,
        preset: str | None = None,
        owner: str | None = None,
        limit: int | None = None,
        tag: str | None = None,
        actor: Person | None = None,
        _resubmitted_from: str | None = None,
    ) -> Job:
        """Queue a training for ``owner`` (default: the actor's id, else "local"); returns the queued job.

        Raises ``JobError`` for bad input, a full queue or an owner at their cap, and ``NotAllowed`` when the
        actor is a pupil asking past the class's limits. ``limit`` replaces the per-owner cap for one
        deliberate batch (the study, a sweep), except for pupils; the server-wide queue bound still applies.
        ``tag`` marks what the job is for, so code can find it again without relying on its name.
        """
        owner = owner if owner is not None else (actor.id if actor is not None else "local")
        spec, config, name, owner = checked_request(spec, config, name, owner)
        cap = job_policy.job_cap(actor, owner, config, self.store.root, self.max_queued_per_owner, limit)
        with self._cond:
            if self._closed:
                raise JobError("The job runner has shut down; restart the server to train again.")
            mine = sum(1 for j in self._jobs.values() if j.owner == owner and j.is_active)
            if mine >= cap:
                raise JobError(
                    f"You already have {mine} trainings queued or running; wait for one to finish "
                    "or stop one."
                )
            if len(self._queue) >= self.max_queue:
                raise JobError(
                    f"The server's training queue is full ({len(self._queue)} waiting); try again "
                    "in a few minutes."
                )
            job_id = new_job_id()
            while job_id in self._jobs:
                job_id = new_job_id()
            job = Job(
                id=job_id,
                owner=owner,
                name=name,
                preset=preset,
                spec=spec,
                config=config,
                submitted=time.time(),
                resubmitted_from=_resubmitted_from,
                tag=tag,
            )
            self._jobs[job_id] = job
            self._stops[job_id] = threading.Event()
            self._queue.push(job_id, owner)
            snapshot = snapshot_of(job)
            self._cond.notify_all()
        self._persist(job_id)
        log.info("queued job %s (%s) for %s", job_id, spec.name, owner)
        return snapshot

    def resubmit(self, job_id: str, owner: str | None = None, actor: Person | None = None) -> Job:
        """Queue a stopped, failed or interrupted job's spec and config again, as a new job of ``owner``
        (default: the actor, else the old job's owner)."""
        with self._cond:
            old = self._jobs.get(job_id)
            if old is None:
                raise JobError(f"No job with id {job_id!r}.")
            if not old.can_resubmit:
                raise JobError(
                    f"Job {job_id} is {old.status}; only stopped, failed or interrupted jobs can be "
                    "resubmitted."
                )
            spec, config, name, preset, tag = old.spec, old.config, old.name, old.preset, old.tag
            owner = owner or (actor.id if actor is not None else old.owner)
        return self.submit(
            spec,
            config,
            name=name,
            preset=preset,
            owner=owner,
            tag=tag,
            actor=actor,
            _resubmitted_from=job_id,
        )

    def stop(self, job_id: str, actor: Person | None = None) -> bool:
        """Stop a queued job (it never trains) or a running one (ends within a chunk of batches).

        Returns False if there is no such job or it had already finished. Raises ``NotAllowed`` (nothing
        changed) unless ``actor`` (None: this process) may change the owner's jobs.
        """
        return self._stop(job_id, actor, queued_only=False)

    def cancel(self, job_id: str, actor: Person | None = None) -> bool:
        """Take a queued job out of the queue: it ends 'stopped' without training, like a queued job stopped.

        Returns False if the job is not queued (already running, finished or unknown); ``NotAllowed`` as
        for ``stop``."""
        return self._stop(job_id, actor, queued_only=True)

    def _stop(self, job_id: str, actor: Person | None, queued_only: bool) -> bool:
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or job.is_finished or (queued_only and job.status != "queued"):
                return False
            verb = "cancel" if queued_only else "stop"
            check_may_change(actor, job.owner, f"{verb} the training '{job.name or job.spec.name}'")
            job.stop_requested = True
            self._stops[job_id].set()
            if job.status == "queued":
                self._queue.remove(job_id)
                self._end(job, "stopped")
            self._cond.notify_all()
        self._persist(job_id)
        return True

    # -- ending
    def shutdown(self, wait: bool = True, timeout: float | None = 30.0) -> None:
        """Stop the workers: running jobs get their stop switch, queued ones are marked interrupted."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            ended = list(self._queue)
            for job_id in ended:
                self._queue.remove(job_id)
                self._end(self._jobs[job_id], "interrupted", error=SHUTDOWN_QUEUED)
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
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown()

    # -- the workers
    def _worker(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job_id = self._queue.pop(self._running_counts())
                job = self._jobs[job_id]
                job.status, job.started = "running", time.time()
                stop_event = self._stops[job_id]
                snapshot = snapshot_of(job)
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
            if job is not None:
                job.record(progress)
                self._cond.notify_all()

    def _run_renamed(self, run_id: str, name: str) -> None:
        """The store renamed a run: the job training it (or that trained it) shows the new name."""
        with self._cond:
            found = [j.id for j in self._jobs.values() if j.run_id == run_id]
            for job_id in found:
                self._jobs[job_id].name = name
            self._cond.notify_all()
        for job_id in found:
            self._persist(job_id)

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
            self.records.write(record)

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
        past, changed = self.records.recover(busy)
        self._jobs.update((job.id, job) for job in past)
        for job_id in changed:
            self._persist(job_id)
        self._prune()

    def _prune(self) -> None:
        """Keep the newest ``keep_records`` finished jobs in memory and on disk; active ones always stay."""
        with self._cond:
            finished = sorted(
                (j for j in self._jobs.values() if j.is_finished),
                key=lambda j: (j.submitted, j.id),
                reverse=True,
            )
            old = [j.id for j in finished[self.keep_records :]]
            for job_id in old:
                del self._jobs[job_id]
                self._stops.pop(job_id, None)
        with self._persist_lock:
            for job_id in old:
                self.records.remove(job_id)


# --------------------------------------------------------------------------------- process-wide runner

# Live runners of this process: a second runner over the same folder must not mistake their jobs for dead ones.
_live_runners: weakref.WeakSet[JobRunner] = weakref.WeakSet()
_live_lock = threading.Lock()

"""What a job runner tells its readers: snapshots of jobs, their place in the fair queue, the wait.

A mixin of ``JobRunner`` (``mnistlab.runs.jobs``): every method takes the runner's lock (``self._cond``) and
hands out snapshots, never the runner's own records.
"""

from __future__ import annotations

import time
from collections import Counter

from mnistlab.runs import job_policy
from mnistlab.runs.job import Job, JobError, snapshot_of


class JobViews:
    """Reading a runner's jobs; expects ``_cond``, ``_jobs``, ``_queue`` (a FairQueue) and ``workers``."""

    def get(self, job_id: str) -> Job | None:
        """A snapshot of the job, or None if this runner does not know it."""
        with self._cond:
            job = self._jobs.get(job_id)
            return snapshot_of(job) if job else None

    def jobs(self, owner: str | None = None, curves: bool = True) -> list[Job]:
        """Snapshots of all known jobs (of ``owner`` if given), newest first; ``curves=False`` leaves out each
        job's batch curve (what a table of jobs needs: many watching tabs list the jobs every second)."""
        with self._cond:
            found = [snapshot_of(j, curves) for j in self._jobs.values() if owner is None or j.owner == owner]
        return sorted(found, key=lambda j: (j.submitted, j.id), reverse=True)

    def position(self, job_id: str) -> int | None:
        """1-based place of a queued job in the round-robin order (1 = next to start); None if not queued."""
        with self._cond:
            return self._queue.position(job_id, self._running_counts())

    def wait_estimate(self, job_id: str) -> float | None:
        """Seconds until a queued job starts (0.0 once it runs); None for a finished or unknown job, or when
        no completed job yet tells how long trainings take (see ``job_policy``)."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or job.is_finished:
                return None
            if job.status == "running":
                return 0.0
            order = self._queue.order(self._running_counts())
            ahead = [self._jobs[j] for j in order[: order.index(job_id)]]
            known = [snapshot_of(j, curves=False) for j in self._jobs.values()]
        return job_policy.wait_seconds(known, ahead, self.workers, time.time())

    def _running_counts(self) -> Counter:
        """Running jobs per owner (caller holds the lock): the fair queue's rounds count them."""
        return Counter(j.owner for j in self._jobs.values() if j.status == "running")

    def queue_length(self) -> int:
        with self._cond:
            return len(self._queue)

    def active_jobs(self, owner: str | None = None) -> list[Job]:
        """Snapshots of the queued and running jobs (of ``owner`` if given, without batch curves), newest
        first."""
        return [job for job in self.jobs(owner, curves=False) if job.is_active]

    def running(self) -> list[Job]:
        with self._cond:
            return [snapshot_of(j) for j in self._jobs.values() if j.status == "running"]

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
                    return snapshot_of(job)
                self._cond.wait(left)

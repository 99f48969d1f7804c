"""The runner's rules about people: who may submit what (the class's limits and caps), and how long a queued
job will wait.

Class limits. When the acting person is a pupil, the teacher's settings (``<artifacts>/people/class.json``,
read fresh on every submit) apply: ``check_job`` refuses trainings past the epoch and training-image limits
(``NotAllowed`` with the class's message) and ``job_cap`` replaces the server's per-person cap. Caps count by
owner id, so one person's tabs and devices share theirs.

Wait estimates. A job's expected duration is ``epochs x training images`` times the median seconds per
(epoch x digit) of the recently completed jobs (so a 1-epoch quick training is not priced like a 30-epoch
one); a running job's time left comes from its own progress rate once it has made some, else from that
expectation. ``fair_queue.estimate_wait`` then plays the queue out on the runner's workers. With no completed
job yet there is nothing honest to say, and the estimate is None.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path

from mnistlab.people.classroom import ClassBook
from mnistlab.people.person import NotAllowed, Person, owner_of
from mnistlab.runs.fair_queue import estimate_wait
from mnistlab.training import TrainConfig

ALL_DIGITS = 60_000
RECENT = 20  # completed jobs the duration estimate learns from


def people_dir(store_root: str | Path) -> Path:
    """``<artifacts>/people`` for a run store at ``<artifacts>/runs``."""
    return Path(store_root).parent / "people"


def job_cap(
    actor: Person | None, owner: str, config: TrainConfig, store_root, default: int, limit: int | None
) -> int:
    """How many active jobs ``owner`` may have for this submission; raises ``NotAllowed`` when a pupil asks
    past the class's limits or submits for someone else. ``limit`` (a deliberate batch: the study, a sweep)
    replaces ``default`` for everyone but pupils."""
    if actor is None or not actor.is_pupil:
        return default if limit is None else limit
    if owner_of(owner) != actor.id:
        raise NotAllowed("A pupil can only start trainings of their own.")
    settings = ClassBook(people_dir(store_root)).settings()
    settings.check_job(actor, config.epochs, config.train_subset)
    return settings.job_cap(actor, default)


def work_units(config: TrainConfig) -> float:
    return float(config.epochs) * float(config.train_subset or ALL_DIGITS)


def seconds_per_unit(jobs: Iterable) -> float | None:
    """Median seconds per (epoch x training digit) of the ``RECENT`` newest completed jobs; None if none."""
    done = [j for j in jobs if j.status == "completed" and j.started and j.finished]
    done.sort(key=lambda j: j.finished, reverse=True)
    rates = [(j.finished - j.started) / work_units(j.config) for j in done[:RECENT]]
    return statistics.median(rates) if rates else None


def seconds_left(job, per_unit: float, now: float) -> float:
    """Expected seconds until a running job ends: its own rate once it has progressed, else the median."""
    elapsed = max(0.0, now - (job.started or now))
    fraction = job.fraction
    if 0.0 < fraction < 1.0 and elapsed > 0:
        return elapsed * (1.0 - fraction) / fraction
    return max(0.0, per_unit * work_units(job.config) - elapsed)


def wait_seconds(jobs: list, ahead: list, workers: int, now: float) -> float | None:
    """Seconds until a queued job starts, with ``ahead`` the jobs before it in the fair order; None when no
    completed job tells how long trainings take here."""
    per_unit = seconds_per_unit(jobs)
    if per_unit is None:
        return None
    running = [seconds_left(j, per_unit, now) for j in jobs if j.status == "running"]
    return estimate_wait([per_unit * work_units(j.config) for j in ahead], running, workers)

"""Actions done by a person, in one place: stop, cancel, rename, delete, submit, stop a sweep.

The runner and the stores take the acting person (``actor=``) and refuse with ``NotAllowed`` what is not theirs.
Until a runner or store of this version takes ``actor``, these functions check ``may_change`` themselves and
call the old signature, so pages behave the same before and after the guard moves into the stores. Pages call
these, catch ``NotAllowed`` and show its message. No Streamlit here.

    stop_job(runner, job_id, teacher)          # True if it was stopping
    runs_in_scope(runs, person, whole_class=False)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

from mnistlab.people.person import NotAllowed, Person, check_may_change, owner_of


def takes_actor(method: Callable) -> bool:
    """Whether ``method`` (a runner's or store's) accepts ``actor=`` (the enforcing API)."""
    try:
        return "actor" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _job_owner(runner, job_id: str) -> str | None:
    job = runner.get(job_id)
    if job is None:
        return None
    return job.owner


def stop_job(runner, job_id: str, actor: Person) -> bool:
    """Stop a running (or queued) job for ``actor``; raises ``NotAllowed`` if it is someone else's."""
    if takes_actor(runner.stop):
        return runner.stop(job_id, actor=actor)
    check_may_change(actor, _job_owner(runner, job_id), "stop this training")
    return runner.stop(job_id)


def cancel_job(runner, job_id: str, actor: Person) -> bool:
    """Take a queued job out of the queue (it never trains); raises ``NotAllowed`` if it is not ``actor``'s.
    Without the runner's ``cancel``, stopping a queued job does the same."""
    cancel = getattr(runner, "cancel", None)
    if cancel is not None and takes_actor(cancel):
        return cancel(job_id, actor=actor)
    check_may_change(actor, _job_owner(runner, job_id), "cancel this training")
    return (cancel or runner.stop)(job_id)


def rename_run(store, run, new_name: str, actor: Person) -> None:
    if takes_actor(store.rename):
        store.rename(run.id, new_name, actor=actor)
        return
    check_may_change(actor, getattr(run, "owner", None), f"rename the run {run.name!r}")
    store.rename(run.id, new_name)


def delete_run(store, run, actor: Person) -> None:
    if takes_actor(store.delete):
        store.delete(run.id, actor=actor)
        return
    check_may_change(actor, getattr(run, "owner", None), f"delete the run {run.name!r}")
    store.delete(run.id)


def submit_job(runner, spec, config, actor: Person, settings=None, **kwargs):
    """Queue a training owned by ``actor``. The enforcing runner applies the class's limits itself; for an
    older runner, ``settings`` (the class's ``ClassSettings``, None outside class mode) are applied here: a
    pupil's epochs and training digits (``NotAllowed``) and their cap of jobs at once."""
    if takes_actor(runner.submit):
        return runner.submit(spec, config, owner=actor.id, actor=actor, **kwargs)
    if settings is not None:
        settings.check_job(actor, int(config.epochs), config.train_subset)
        default = getattr(runner, "max_queued_per_owner", settings.jobs_per_pupil)
        kwargs.setdefault("limit", settings.job_cap(actor, default))
    return runner.submit(spec, config, owner=actor.id, **kwargs)


def stop_sweep(manager, sweep_id: str, owner: str | None, actor: Person) -> bool:
    if takes_actor(manager.stop):
        return manager.stop(sweep_id, actor=actor)
    check_may_change(actor, owner, "stop this sweep")
    return manager.stop(sweep_id)


def queue_place(runner, job_id: str) -> tuple[int | None, float | None]:
    """(place in the queue, estimated wait in seconds or None) for a queued job."""
    estimate = getattr(runner, "wait_estimate", None)
    return runner.position(job_id), (estimate(job_id) if estimate is not None else None)


# ------------------------------------------------------------------------------------------ pickers


def runs_in_scope(
    runs: Iterable, person: Person, whole_class: bool, keep: str | None = None
) -> tuple[list, bool]:
    """The runs a picker offers: the person's own ("mine"; on a one-user machine, everything), or the whole
    class's. ``keep`` (a run id named in the address) stays in either way. Returns (runs, fell_back): with
    nothing of their own yet, the whole class's runs and ``fell_back=True``."""
    runs = list(runs)
    if whole_class:
        return runs, False
    mine = [r for r in runs if person.counts_as_mine(getattr(r, "owner", None)) or r.id == keep]
    if not mine:
        return runs, True
    return mine, False


def owner_label(owner: str | None, name_of: Callable[[str], str]) -> str:
    """Who made a record, for tables: a pupil's name, "Teacher", or "this machine"."""
    return name_of(owner_of(owner))


__all__ = [
    "NotAllowed",
    "cancel_job",
    "delete_run",
    "owner_label",
    "queue_place",
    "rename_run",
    "runs_in_scope",
    "stop_job",
    "stop_sweep",
    "submit_job",
    "takes_actor",
]

"""Actions done by a person, in one place: stop, cancel, rename, delete, submit, stop a sweep.

The runner and the stores take the acting person (``actor=``) and refuse with ``NotAllowed`` what is not theirs,
with nothing written; these functions only pass the person on, so a page has one call per action. Pages call
these, catch ``NotAllowed`` and show its message. No Streamlit here.

    stop_job(runner, job_id, teacher)          # True if it was stopping
    runs_in_scope(runs, person, whole_class=False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mnistlab.people.person import NotAllowed, Person, owner_of


def stop_job(runner, job_id: str, actor: Person) -> bool:
    """Stop a running (or queued) job for ``actor``; raises ``NotAllowed`` if it is someone else's."""
    return runner.stop(job_id, actor=actor)


def cancel_job(runner, job_id: str, actor: Person) -> bool:
    """Take a queued job out of the queue (it never trains); raises ``NotAllowed`` if it is not ``actor``'s."""
    return runner.cancel(job_id, actor=actor)


def rename_run(store, run, new_name: str, actor: Person) -> None:
    store.rename(run.id, new_name, actor=actor)


def delete_run(store, run, actor: Person) -> None:
    store.delete(run.id, actor=actor)


def submit_job(runner, spec, config, actor: Person, **kwargs):
    """Queue a training owned by ``actor``; the runner applies the class's limits and the person's cap."""
    return runner.submit(spec, config, owner=actor.id, actor=actor, **kwargs)


def stop_sweep(manager, sweep_id: str, owner: str | None, actor: Person) -> bool:
    return manager.stop(sweep_id, actor=actor)


def queue_place(runner, job_id: str) -> tuple[int | None, float | None]:
    """(place in the queue, estimated wait in seconds or None) for a queued job."""
    return runner.position(job_id), runner.wait_estimate(job_id)


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
]

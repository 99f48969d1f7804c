"""Sweeps driven on background threads of this process (the dashboard's), one manager per artifacts folder."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from mnistlab.files import StoreError
from mnistlab.people.classroom import ClassBook
from mnistlab.people.person import Person, check_may_change
from mnistlab.sweeps.runner import run_sweep
from mnistlab.sweeps.store import SweepStore

log = logging.getLogger(__name__)


class SweepManager:
    """Sweeps driven on background threads of this process (the dashboard's): start, stop, which are live."""

    def __init__(self, sweeps: SweepStore, runner_factory: Callable[[], object]):
        self.sweeps = sweeps
        self.runner_factory = runner_factory
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._stops: dict[str, threading.Event] = {}
        self.errors: dict[str, str] = {}

    def live(self) -> set[str]:
        with self._lock:
            return {sweep_id for sweep_id, thread in self._threads.items() if thread.is_alive()}

    def start(self, sweep_id: str, owner: str, actor: Person | None = None) -> None:
        """Run (or resume) the sweep on a thread. Raises ``StoreError`` if it is unknown or already running,
        ``NotAllowed`` if ``actor`` (None: this process) may not change it (resuming another pupil's sweep) or,
        for a pupil, if its base settings are past the class's limits; a pupil's trials keep to them too."""
        check_may_change(actor, self.sweeps.state(sweep_id).get("owner"), "resume this sweep")
        if actor is not None and actor.is_pupil:  # the base settings past the class's limits: refuse now
            config = self.sweeps.load_spec(sweep_id).config
            ClassBook(self.sweeps.root.parent / "people").settings().check_job(
                actor, config.epochs, config.train_subset
            )
        stop = threading.Event()

        def drive() -> None:
            try:
                run_sweep(
                    self.sweeps,
                    sweep_id,
                    self.runner_factory(),
                    owner=owner,
                    should_stop=stop.is_set,
                    actor=actor,
                )
            except Exception as exc:  # the page shows it; the study keeps what was done
                log.exception("sweep %s failed", sweep_id)
                self.errors[sweep_id] = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=drive, name=f"mnistlab-sweep-{sweep_id}", daemon=True)
        # Check and start in one step: two Resume clicks at once must not start two drivers on one study.
        with self._lock:
            live = {i for i, t in self._threads.items() if t.is_alive()}
            if self.sweeps.status(sweep_id, live) == "running":
                raise StoreError("This sweep is already running.")
            self._threads[sweep_id], self._stops[sweep_id] = thread, stop
            self.errors.pop(sweep_id, None)
            self.sweeps.set_state(sweep_id, status="running", pid=os.getpid(), owner=owner, message=None)
            thread.start()

    def stop(self, sweep_id: str, actor: Person | None = None) -> bool:
        """Ask a running sweep to stop; its trials in flight end after their current batches.

        The request is kept in the sweep's state, keyed by its id, so it works from any tab or device of the
        owner and from any manager or process (each driver checks it on every poll). Returns False if the
        sweep is not running. Raises ``NotAllowed`` (nothing written) unless ``actor`` (None: this process)
        may change the sweep, and ``StoreError`` for an unknown sweep.
        """
        state = self.sweeps.state(sweep_id)
        check_may_change(actor, state.get("owner"), "stop this sweep")
        with self._lock:
            stop = self._stops.get(sweep_id)
        running = state.get("status") == "running"  # driven here, by another manager or another process
        if running:
            self.sweeps.set_state(sweep_id, stop_requested=True)
        if stop is not None:
            stop.set()
        return running or stop is not None

    def wait(self, sweep_id: str, timeout: float | None = None) -> None:
        with self._lock:
            thread = self._threads.get(sweep_id)
        if thread is not None:
            thread.join(timeout)

"""Running a sweep: Optuna asks for settings, each trial trains as jobs on the job runner, Optuna is told.

    sweeps = SweepStore()
    sweep_id = sweeps.create(parse_sweep(raw), owner="s-1")
    run_sweep(sweeps, sweep_id, default_runner(), owner="s-1")      # blocks; see SweepManager for a thread

How a trial runs. ``study.ask`` gives the settings (TPE or random sampling; a grid's points wait in Optuna's
trial queue, put there when the sweep was created). The trial's architecture and config are submitted to the
job runner, once per seed, so every finished trial is a normal run that Compare, Inspect and Draw see. While it
trains, the driver reads ``job.history`` and reports each new epoch's validation value (mean over seeds) with
``trial.report``; when the pruner says ``should_prune`` the jobs are stopped (``runner.stop``) and the trial is
told PRUNED. A finished trial is told its metric (mean over seeds) or FAIL with the reason.

Concurrency and the session's cap. A sweep keeps at most ``parallel`` trials in flight (default: the runner's
worker count, so a sweep never queues more than can train; a trial with several seeds counts once per seed).
Those jobs belong to the sweep's owner and count against that owner's cap like any training: while a sweep of
one session trains two jobs, the session can queue (cap - 2) more trainings by hand. The sweep itself submits
with ``limit = (owner's other active jobs) + parallel``, as the study button does for its batch, so trainings a
user queued by hand never make the sweep fail; it only waits when the server's queue is full.

Stop and resume. ``should_stop``, or a stop request in the sweep's state (``SweepManager.stop``, from any
tab or process), stops the trials in flight; they are told FAIL with ``interrupted`` set and,
like the trials of a process that died (left RUNNING in the study), asked again with the same settings when the
sweep resumes (``recover``). Interrupted trials do not count against the budget.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mnistlab.files import StoreError
from mnistlab.people.person import NotAllowed, Person
from mnistlab.runs.job import JobError
from mnistlab.specs import count_params
from mnistlab.sweeps.spec import SweepError
from mnistlab.sweeps.store import SweepStore
from mnistlab.sweeps.study import counted, distributions, load_study, recover, trial_id_of

log = logging.getLogger(__name__)

POLL_S = 0.5


# -------------------------------------------------------------------------------------------- driving


@dataclass
class _InFlight:
    trial: object  # optuna.trial.Trial
    job_ids: list[str]
    params_count: int
    reported: int = 0
    pruning: bool = False
    started: float = field(default_factory=time.time)


@dataclass
class SweepEvent:
    """What the driver tells its caller: a trial 'started', an 'epoch' of it (epochs, validation value),
    'finished' (status, value), or 'waiting' for room on the runner."""

    kind: str
    number: int | None = None
    status: str | None = None
    value: float | None = None
    params: dict | None = None
    epochs: int | None = None
    message: str | None = None


class SweepDriver:
    """Drives one sweep over a job runner until the budget is used or ``should_stop`` says so."""

    def __init__(
        self,
        sweeps: SweepStore,
        sweep_id: str,
        runner,
        owner: str = "local",
        should_stop: Callable[[], bool] | None = None,
        actor: Person | None = None,
        on_event: Callable[[SweepEvent], None] | None = None,
        poll_s: float = POLL_S,
    ):
        self.sweeps, self.sweep_id, self.runner, self.owner = sweeps, sweep_id, runner, owner
        self.actor = actor  # a pupil's trials keep to the class's limits and cap (see JobRunner.submit)
        self.sweep = sweeps.load_spec(sweep_id)
        self.budget = self.sweep.budget
        self.should_stop = should_stop or (lambda: False)
        self.on_event = on_event or (lambda event: None)
        self.poll_s = poll_s
        workers = getattr(runner, "workers", 1)
        cap = getattr(runner, "max_queued_per_owner", workers)
        self.parallel = self.sweep.parallel or max(1, min(workers, cap))
        self.study = load_study(sweeps, sweep_id, self.sweep)
        self.inflight: list[_InFlight] = []
        self._pending = None  # a trial asked for but not yet taken by the runner (its queue was full)
        self._waiting_message: str | None = None

    # -- the loop
    def run(self) -> str:
        """Run to the end; returns the sweep's final status ('completed', 'stopped' or 'interrupted')."""
        again = recover(self.study, self.sweeps.storage(self.sweep_id))
        if again:
            log.info("sweep %s: asking trials %s again", self.sweep_id, again)
        self.sweeps.set_state(
            self.sweep_id,
            status="running",
            pid=os.getpid(),
            owner=self.owner,
            started=time.time(),
            message=None,
            stop_requested=False,
        )
        status = "completed"
        try:
            while True:
                if self.should_stop() or self.sweeps.state(self.sweep_id).get("stop_requested"):
                    self._stop_all("stopped")
                    status = "stopped"
                    break
                if getattr(self.runner, "closed", False):
                    self._stop_all("interrupted")
                    status = "interrupted"
                    break
                self._fill()
                self._poll()
                idle = not self.inflight and self._pending is None
                if idle and self._done() >= self.budget:
                    break
                if idle and self.sweep.method == "grid" and not self._waiting_grid():
                    break  # a grid with nothing left to ask
                time.sleep(self.poll_s)
        except BaseException:
            self._stop_all("interrupted")
            self.sweeps.set_state(self.sweep_id, status="interrupted", message="The sweep's driver failed.")
            raise
        finally:
            self._write_summary()
        self.sweeps.set_state(self.sweep_id, status=status, message=None, finished=time.time())
        return status

    def _done(self) -> int:
        return sum(1 for t in self.study.get_trials(deepcopy=False) if counted(t))

    def _waiting_grid(self) -> bool:
        from optuna.trial import TrialState

        return bool(self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))

    def _jobs_in_flight(self) -> int:
        return sum(len(f.job_ids) for f in self.inflight)

    # -- starting trials
    def _fill(self) -> None:
        seeds = self.sweep.seeds_per_point
        while self._jobs_in_flight() + seeds <= max(self.parallel, seeds) and (
            self._pending is not None or self._done() + len(self.inflight) < self.budget
        ):
            if self._pending is None and self.sweep.method == "grid" and not self._waiting_grid():
                return
            if not self._start_one():
                return

    def _start_one(self) -> bool:
        """Ask Optuna for a trial (or retry the pending one) and submit its jobs; False when the runner
        cannot take them now (the trial then waits, RUNNING in the study, for the next poll)."""
        from optuna.trial import TrialState

        trial, self._pending = self._pending or self.study.ask(distributions(self.sweep)), None
        try:
            spec, config = self.sweep.apply(trial.params)
        except SweepError as exc:
            trial.set_user_attr("error", str(exc))
            self.study.tell(trial, state=TrialState.FAIL)
            self.on_event(
                SweepEvent("finished", trial.number, "failed", params=trial.params, message=str(exc))
            )
            return True
        preset = self.sweep.base_preset if spec.layers == self.sweep.base.layers else None
        ours = {job_id for f in self.inflight for job_id in f.job_ids}
        others = sum(1 for job in self.runner.active_jobs(self.owner) if job.id not in ours)
        limit = others + max(self.parallel, self.sweep.seeds_per_point)
        job_ids: list[str] = []
        try:
            for k in range(self.sweep.seeds_per_point):
                seed_config = config.replace(seed=config.seed + k)
                suffix = f" seed {seed_config.seed}" if self.sweep.seeds_per_point > 1 else ""
                job = self.runner.submit(
                    spec,
                    seed_config,
                    name=f"{self.sweep.name} #{trial.number}{suffix}",
                    preset=preset,
                    owner=self.owner,
                    limit=limit,
                    actor=self.actor,
                )
                job_ids.append(job.id)
        except NotAllowed as exc:  # past the class's limits: this trial cannot train, the next may
            for job_id in job_ids:
                self.runner.stop(job_id)
            trial.set_user_attr("error", str(exc))
            self.study.tell(trial, state=TrialState.FAIL)
            self.on_event(
                SweepEvent("finished", trial.number, "failed", params=trial.params, message=str(exc))
            )
            return True
        except JobError as exc:
            for job_id in job_ids:
                self.runner.stop(job_id)
            self._pending = trial
            if str(exc) != self._waiting_message:
                self._waiting_message = str(exc)
                self.sweeps.set_state(self.sweep_id, message=f"Waiting for room on the server: {exc}")
                self.on_event(SweepEvent("waiting", message=str(exc)))
            return False
        if self._waiting_message:
            self._waiting_message = None
            self.sweeps.set_state(self.sweep_id, message=None)
        trial.set_user_attr("job_ids", job_ids)
        trial.set_user_attr("params_count", count_params(spec))
        self.inflight.append(_InFlight(trial, job_ids, count_params(spec)))
        self.on_event(SweepEvent("started", trial.number, "running", params=trial.params))
        return True

    # -- watching trials
    def _poll(self) -> None:
        for flight in list(self.inflight):
            jobs = [self.runner.get(job_id) for job_id in flight.job_ids]
            self._report_epochs(flight, jobs)
            if all(job is None or job.is_finished for job in jobs):
                self._finish(flight, jobs)
                self.inflight.remove(flight)

    def _curve_key(self) -> str:
        return self.sweep.metric if self.sweep.metric.startswith("val_") else "val_accuracy"

    def _report_epochs(self, flight: _InFlight, jobs) -> None:
        key = self._curve_key()
        curves = [list((job.history or {}).get(key) or []) if job else [] for job in jobs]
        epochs = min(len(c) for c in curves) if curves else 0
        while flight.reported < epochs:
            step = flight.reported
            values = [c[step] for c in curves]
            flight.reported += 1
            if any(v is None for v in values):
                continue
            value = sum(values) / len(values)
            flight.trial.report(value, flight.reported)
            self.on_event(
                SweepEvent(
                    "epoch", flight.trial.number, "running", value, flight.trial.params, flight.reported
                )
            )
            if (
                not flight.pruning
                and self.sweep.prune
                and flight.reported < self.sweep_epochs(flight)
                and flight.trial.should_prune()
            ):
                flight.pruning = True
                flight.trial.set_user_attr("pruned_at", flight.reported)
                for job_id in flight.job_ids:
                    self.runner.stop(job_id)

    def sweep_epochs(self, flight: _InFlight) -> int:
        return int(flight.trial.params.get("epochs", self.sweep.config.epochs))

    def _finish(self, flight: _InFlight, jobs) -> None:
        from optuna.trial import TrialState

        trial = flight.trial
        run_ids = [job.run_id for job in jobs if job and job.run_id]
        trial.set_user_attr("run_ids", run_ids)
        train_s = sum(
            (job.finished or time.time()) - (job.started or job.finished or time.time())
            for job in jobs
            if job
        )
        trial.set_user_attr("train_s", round(train_s, 2))
        trial.set_user_attr(
            "epochs",
            min((len((job.history or {}).get("val_accuracy") or []) for job in jobs if job), default=0),
        )
        statuses = [job.status if job else "failed" for job in jobs]
        event = SweepEvent("finished", trial.number, params=trial.params, epochs=flight.reported)
        if flight.pruning:
            self.study.tell(trial, state=TrialState.PRUNED)
            event.status, event.value = "pruned", self._last_value(trial)
        elif any(s == "interrupted" for s in statuses) or (
            any(s == "stopped" for s in statuses)
            and (self.should_stop() or getattr(self.runner, "closed", False))
        ):
            trial.set_user_attr("interrupted", True)
            trial.set_user_attr("error", "interrupted: the sweep stopped while this trial trained")
            self.study.tell(trial, state=TrialState.FAIL)
            event.status = "interrupted"
        elif all(s == "completed" for s in statuses):
            value = self._metric(jobs)
            if value is None:
                trial.set_user_attr("error", f"no {self.sweep.metric} was recorded")
                self.study.tell(trial, state=TrialState.FAIL)
                event.status = "failed"
            else:
                self.study.tell(trial, value)
                event.status, event.value = "completed", value
        else:
            errors = [job.error for job in jobs if job and job.error] or [
                f"a training ended {'/'.join(statuses)}"
            ]
            trial.set_user_attr("error", errors[0])
            self.study.tell(trial, state=TrialState.FAIL)
            event.status, event.message = "failed", errors[0]
        self._write_summary(with_importance=False)  # importance once, at the end
        self.on_event(event)

    def _write_summary(self, with_importance: bool = True) -> None:
        from mnistlab.sweeps.results import write_summary

        try:
            write_summary(self.sweeps, self.sweep_id, self.study, self.sweep, with_importance)
        except (OSError, StoreError, ValueError) as exc:
            log.warning("could not write the summary of sweep %s: %s", self.sweep_id, exc)

    def _last_value(self, trial) -> float | None:
        storage = self.sweeps.storage(self.sweep_id)
        values = storage.get_trial(trial_id_of(self.study, storage, trial.number)).intermediate_values
        return values[max(values)] if values else None

    def _metric(self, jobs) -> float | None:
        metric = self.sweep.metric
        values = []
        for job in jobs:
            if metric == "test_accuracy":
                try:
                    value = self.runner.store.load(job.run_id).test_accuracy if job.run_id else None
                except StoreError:
                    value = None
            else:
                curve = (job.history or {}).get(metric) or []
                value = curve[-1] if curve else None
            if value is None:
                return None
            values.append(float(value))
        return sum(values) / len(values)

    def _stop_all(self, why: str) -> None:
        """Stop every trial in flight and wait for its jobs; they are told FAIL + interrupted."""
        if self._pending is not None:
            self.inflight.append(_InFlight(self._pending, [], 0))
            self._pending = None
        for flight in self.inflight:
            for job_id in flight.job_ids:
                self.runner.stop(job_id)
        deadline = time.monotonic() + 60
        while self.inflight and time.monotonic() < deadline:
            for flight in list(self.inflight):
                jobs = [self.runner.get(job_id) for job_id in flight.job_ids]
                if all(job is None or job.is_finished for job in jobs):
                    self._finish_interrupted(flight, jobs, why)
                    self.inflight.remove(flight)
            time.sleep(min(self.poll_s, 0.2))
        for flight in self.inflight:  # jobs that would not stop: the trial is given back all the same
            self._finish_interrupted(flight, [], why)
        self.inflight.clear()

    def _finish_interrupted(self, flight: _InFlight, jobs, why: str) -> None:
        from optuna.trial import TrialState

        trial = flight.trial
        trial.set_user_attr("run_ids", [job.run_id for job in jobs if job and job.run_id])
        trial.set_user_attr("interrupted", True)
        trial.set_user_attr("error", f"{why}: the sweep stopped while this trial trained")
        self.study.tell(trial, state=TrialState.FAIL)
        self.on_event(SweepEvent("finished", trial.number, "interrupted", params=trial.params))


def run_sweep(sweeps: SweepStore, sweep_id: str, runner, owner: str = "local", **options) -> str:
    """Drive the sweep to its end (see ``SweepDriver``); returns 'completed', 'stopped' or 'interrupted'."""
    return SweepDriver(sweeps, sweep_id, runner, owner=owner, **options).run()

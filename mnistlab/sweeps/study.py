"""The Optuna side of a sweep: distributions, sampler, pruner, the study in ``study.db``, crash recovery.

Samplers and pruners are not stored in the database, so ``load_study`` builds them again from the sweep spec
(seeded) every time the study is opened.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mnistlab.sweeps.spec import SweepSpec

if TYPE_CHECKING:  # the store calls this module; importing it back at run time would make a cycle
    from mnistlab.sweeps.store import SweepStore

STUDY_NAME = "sweep"


def quiet_optuna() -> None:
    """Optuna logs every trial at INFO; the CLI and the page report trials themselves."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


_storages: dict[str, object] = {}
_storages_lock = threading.Lock()


def rdb_storage(path: Path):
    """One Optuna RDBStorage per database file per process (creating one checks the schema: ~0.1 s)."""
    import optuna

    url = f"sqlite:///{Path(path).resolve()}"
    with _storages_lock:
        storage = _storages.get(url)
        if storage is None:
            storage = _storages[url] = optuna.storages.RDBStorage(
                url, engine_kwargs={"connect_args": {"timeout": 30}}
            )
        return storage


def distributions(sweep: SweepSpec) -> dict:
    """Optuna distributions of the sweep's dimensions (a grid's ranges become their grid values)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for dim in sweep.space:
        if dim.is_categorical or sweep.method == "grid":
            out[dim.key] = CategoricalDistribution(dim.grid_values())
        elif dim.whole:
            out[dim.key] = IntDistribution(int(dim.low), int(dim.high), log=dim.log)
        else:
            out[dim.key] = FloatDistribution(dim.low, dim.high, log=dim.log)
    return out


def make_sampler(sweep: SweepSpec):
    """TPE or random, seeded. A grid's points are queued in the study, so its sampler never samples."""
    import optuna

    if sweep.method == "tpe":
        # Fewer random start-up trials for small budgets; the constant liar keeps parallel trials apart.
        startup = max(2, min(10, sweep.budget // 3))
        return optuna.samplers.TPESampler(seed=sweep.seed, n_startup_trials=startup, constant_liar=True)
    return optuna.samplers.RandomSampler(seed=sweep.seed)


def make_pruner(sweep: SweepSpec):
    """Median stopping rule or successive halving, on epochs; none when the sweep does not prune."""
    import optuna

    if sweep.prune == "median":
        startup = max(1, min(5, sweep.budget // 4))
        return optuna.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=1)
    if sweep.prune == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.NopPruner()


def create_study(storage, sweep: SweepSpec):
    """A new study in ``storage`` (``rdb_storage``), with a grid's points already in its queue."""
    import optuna

    quiet_optuna()
    study = optuna.create_study(
        storage=storage,
        study_name=STUDY_NAME,
        direction=sweep.direction,
        sampler=make_sampler(sweep),
        pruner=make_pruner(sweep),
    )
    if sweep.method == "grid":
        for point in sweep.grid_plan():
            study.enqueue_trial(point, skip_if_exists=False)
    return study


def load_study(sweeps: SweepStore, sweep_id: str, sweep: SweepSpec | None = None):
    import optuna

    quiet_optuna()
    sweep = sweep or sweeps.load_spec(sweep_id)
    return optuna.load_study(
        study_name=STUDY_NAME,
        storage=sweeps.storage(sweep_id),
        sampler=make_sampler(sweep),
        pruner=make_pruner(sweep),
    )


def counted(trial) -> bool:
    """Whether a finished trial uses up the budget (interrupted ones are asked again instead)."""
    from optuna.trial import TrialState

    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and not trial.user_attrs.get("interrupted")


def trial_id_of(study, storage, number: int) -> int:
    """The storage's id of trial ``number`` (Optuna's public storage API, not the trial's private id)."""
    return storage.get_trial_id_from_study_id_trial_number(
        storage.get_study_id_from_name(study.study_name), number
    )


def recover(study, storage) -> list[int]:
    """Turn RUNNING trials (their process is gone) into FAIL + interrupted, and queue every interrupted trial's
    settings again once. ``storage`` is the study's (``rdb_storage``). Returns the numbers of the trials queued
    again."""
    from optuna.trial import TrialState

    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        # Attributes of a trial whose process is gone can only be set in the storage itself.
        trial_id = trial_id_of(study, storage, frozen.number)
        storage.set_trial_user_attr(trial_id, "interrupted", True)
        storage.set_trial_user_attr(
            trial_id, "error", "interrupted: the sweep stopped while this trial trained"
        )
        study.tell(frozen.number, state=TrialState.FAIL)
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    again = []
    for trial in trials:
        if trial.user_attrs.get("interrupted") and trial.number not in retried and trial.params:
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number}, skip_if_exists=False)
            again.append(trial.number)
    return again

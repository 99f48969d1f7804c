"""The Optuna side of a sweep: distributions, sampler, pruner, the study in ``study.db``, crash recovery.

Samplers and pruners are not stored in the database, so ``load_study`` builds them again from the sweep spec
(seeded) every time the study is opened.
"""

from __future__ import annotations

from mnistlab.sweeps.spec import SweepSpec
from mnistlab.sweeps.store import SweepStore, quiet_optuna

STUDY_NAME = "sweep"


def distributions(sweep: SweepSpec) -> dict:
    """Optuna distributions of the sweep's dimensions (a grid's ranges become their grid values)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for dim in sweep.space:
        if dim.is_categorical or sweep.method == "grid":
            out[dim.key] = CategoricalDistribution(dim.grid_values())
        elif dim.int:
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


def create_study(sweeps: SweepStore, sweep_id: str, sweep: SweepSpec):
    import optuna

    quiet_optuna()
    study = optuna.create_study(
        storage=sweeps.storage(sweep_id),
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


def recover(study) -> list[int]:
    """Turn RUNNING trials (their process is gone) into FAIL + interrupted, and queue every interrupted trial's
    settings again once. Returns the numbers of the trials queued again."""
    import optuna
    from optuna.trial import TrialState

    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        trial = optuna.trial.Trial(study, frozen._trial_id)
        trial.set_user_attr("interrupted", True)
        trial.set_user_attr("error", "interrupted: the sweep stopped while this trial trained")
        study.tell(trial, state=TrialState.FAIL)
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    again = []
    for trial in trials:
        if trial.user_attrs.get("interrupted") and trial.number not in retried and trial.params:
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number}, skip_if_exists=False)
            again.append(trial.number)
    return again

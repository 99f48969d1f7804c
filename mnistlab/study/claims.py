"""Check the notebook's four takeaways against the runs in the store.

The notebook trained each model once. One run per model cannot tell a real difference from the luck of the
seed, so every claim here is judged from at least ``MIN_SEEDS`` seeds per preset: the mean and spread of each
preset's test accuracy, and for comparisons Welch's t-test (``mnistlab.study.stats``) at 95 %.

Which runs count (the same rule for every claim): completed runs of a notebook preset, trained on the full
training set (``train_subset`` None) for the standard number of epochs, one run per seed (the newest), on one
dataset (``dataset``: MNIST unless named), so a class can see where a claim holds on MNIST and where not on
Fashion-MNIST.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mnistlab.datasets import DEFAULT as DEFAULT_DATASET
from mnistlab.naming import study_run_name
from mnistlab.people.person import NotAllowed, Person, check_may_change
from mnistlab.specs import NOTEBOOK_PRESETS
from mnistlab.study import stats
from mnistlab.study.groups import Group
from mnistlab.training import TrainConfig

MIN_SEEDS = 3
STUDY_OWNER = "study"  # the owner of study jobs queued by no one in particular (this machine)
STUDY_PER_CLICK = 12  # the most study jobs one click queues, and one person may have queued or running
STUDY_LIMIT = STUDY_PER_CLICK
STANDARD_EPOCHS = TrainConfig().epochs
BASELINE_FLOOR = 0.965  # "~97 %": at least 96.5 %

RULE = (
    f"Counted: completed runs of the presets {', '.join(NOTEBOOK_PRESETS)} trained on all 60,000 training "
    f"images (no subset) for {STANDARD_EPOCHS} epochs; one run per seed (the newest). Each claim needs "
    f"{MIN_SEEDS} seeds of every preset it mentions."
)

HOLDS, FAILS, UNKNOWN = "holds", "does not hold", "not enough runs"


def counts(run, epochs: int = STANDARD_EPOCHS, dataset: str = DEFAULT_DATASET) -> bool:
    """Whether a run is counted by the claim check on ``dataset`` (see ``RULE``)."""
    config = run.config or {}
    return (
        (getattr(run, "dataset", None) or DEFAULT_DATASET) == dataset
        and run.status == "completed"
        and run.preset in NOTEBOOK_PRESETS
        and run.test_accuracy is not None
        and config.get("train_subset") is None
        and config.get("epochs") == epochs
        and isinstance(config.get("seed"), int)
    )


def group_runs(runs, epochs: int = STANDARD_EPOCHS, dataset: str = DEFAULT_DATASET) -> dict[str, Group]:
    """Counted runs of ``dataset`` grouped by preset; for a seed run more than once, the newest run counts."""
    by_seed: dict[str, dict[int, float]] = {p: {} for p in NOTEBOOK_PRESETS}
    for run in sorted(runs, key=lambda r: r.created):  # oldest first, so newer runs overwrite
        if counts(run, epochs, dataset):
            by_seed[run.preset][run.config["seed"]] = float(run.test_accuracy)
    return {
        p: Group(p, [found[s] for s in sorted(found)], seeds=sorted(found)) for p, found in by_seed.items()
    }


@dataclass
class Comparison:
    """Whether ``high`` beats ``low`` by more than the seed-to-seed spread."""

    high: str
    low: str
    difference: float  # mean(high) - mean(low), as a fraction
    t: float  # Welch t statistic
    critical: float  # 95 % two-sided critical value at Welch's degrees of freedom

    @property
    def clear(self) -> bool:
        return self.t > self.critical

    def plainly(self) -> str:
        """One sentence: which preset is higher, and whether the seeds can tell."""
        if self.t > self.critical:
            return f"{self.high} is clearly higher than {self.low}."
        if self.t < -self.critical:
            return f"The opposite: {self.low} is clearly higher than {self.high}."
        return f"{self.high} and {self.low} differ by less than the seed-to-seed spread."

    def describe(self) -> str:
        t = "∞" if math.isinf(self.t) else f"{self.t:.1f}"
        return (
            f"{self.high} − {self.low} = {self.difference * 100:+.2f} points; Welch t = {t} "
            f"(beyond the seed-to-seed spread if above {self.critical:.2f})"
        )


def welch(a: Group, b: Group) -> Comparison:
    """Compare mean(a) with mean(b): Welch's t and its critical value. Both groups need two or more runs."""
    test = stats.welch(a.values, b.values)
    return Comparison(a.preset, b.preset, test.difference, test.t, test.critical)


@dataclass
class Verdict:
    claim: str
    notebook: str  # what the notebook reported for it
    verdict: str  # HOLDS, FAILS or UNKNOWN
    detail: str
    needs: list[str] = field(default_factory=list)  # presets short of MIN_SEEDS


def _missing(groups: dict[str, Group], presets) -> list[str]:
    return [p for p in presets if groups[p].n < MIN_SEEDS]


def _not_enough(claim: str, notebook: str, groups, presets) -> Verdict | None:
    short = _missing(groups, presets)
    if not short:
        return None
    needs = ", ".join(f"{p} (have {groups[p].n})" for p in short)
    return Verdict(claim, notebook, UNKNOWN, f"Need {MIN_SEEDS} seeds of {needs}.", short)


def check_claims(runs, epochs: int = STANDARD_EPOCHS, dataset: str = DEFAULT_DATASET) -> list[Verdict]:
    """The four takeaways, each with a verdict from the counted runs of ``dataset`` in ``runs`` (the
    notebook's figures, quoted beside each, are MNIST's)."""
    from mnistlab.specs import NOTEBOOK_RESULTS

    groups = group_runs(runs, epochs, dataset)
    nb = {p: f"{NOTEBOOK_RESULTS[p][2]:.2f} %" for p in NOTEBOOK_PRESETS}
    verdicts = []

    claim = "One hidden layer already reaches ~97 %"
    note = f"baseline {nb['baseline']}"
    v = _not_enough(claim, note, groups, ["baseline"])
    if v is None:
        g = groups["baseline"]
        ok = g.mean >= BASELINE_FLOOR
        v = Verdict(
            claim,
            note,
            HOLDS if ok else FAILS,
            f"{g.describe()}; {'at least' if ok else 'below'} {BASELINE_FLOOR * 100:.1f} %.",
        )
    verdicts.append(v)

    claim = "Depth alone can hurt (deeper < baseline)"
    note = f"deeper {nb['deeper']} vs baseline {nb['baseline']}"
    v = _not_enough(claim, note, groups, ["baseline", "deeper"])
    if v is None:
        c = welch(groups["baseline"], groups["deeper"])
        v = Verdict(claim, note, HOLDS if c.clear else FAILS, _compared(c, groups))
    verdicts.append(v)

    claim = "Dropout is critical (dropout > deeper)"
    note = f"dropout {nb['dropout']} vs deeper {nb['deeper']}"
    v = _not_enough(claim, note, groups, ["deeper", "dropout"])
    if v is None:
        c = welch(groups["dropout"], groups["deeper"])
        v = Verdict(claim, note, HOLDS if c.clear else FAILS, _compared(c, groups))
    verdicts.append(v)

    claim = "Width + depth + dropout is best (tuned is highest)"
    note = f"tuned {nb['tuned']} vs dropout {nb['dropout']}"
    v = _not_enough(claim, note, groups, NOTEBOOK_PRESETS)
    if v is None:
        others = [p for p in NOTEBOOK_PRESETS if p != "tuned"]
        comparisons = [welch(groups["tuned"], groups[p]) for p in others]
        closest = min(comparisons, key=lambda c: c.t)
        if all(c.clear for c in comparisons):
            v = Verdict(
                claim,
                note,
                HOLDS,
                f"tuned beats every other preset clearly; closest: {_compared(closest, groups)}",
            )
        elif all(c.difference > 0 for c in comparisons):
            v = Verdict(
                claim,
                note,
                FAILS,
                "tuned has the highest mean, but not by more than the "
                f"seed-to-seed spread: {_compared(closest, groups)}",
            )
        else:
            best = max(NOTEBOOK_PRESETS, key=lambda p: groups[p].mean)
            v = Verdict(
                claim, note, FAILS, f"{best} has the highest mean, not tuned: {_compared(closest, groups)}"
            )
    verdicts.append(v)
    return verdicts


def verdicts_by_dataset(runs, datasets: list[str], epochs: int = STANDARD_EPOCHS) -> list[dict]:
    """One row per claim, one column per dataset (by title) with its verdict there: where a design choice
    matters and where it does not. ``datasets`` in column order (repeats dropped)."""
    from mnistlab.dataset_choice import title

    names = list(dict.fromkeys(datasets))
    columns = {name: check_claims(runs, epochs, name) for name in names}
    return (
        [
            {"Claim": v.claim, **{title(name): columns[name][i].verdict for name in names}}
            for i, v in enumerate(columns[names[0]])
        ]
        if names
        else []
    )


def _compared(c: Comparison, groups: dict[str, Group]) -> str:
    return f"{c.plainly()} {groups[c.high].describe()}; {groups[c.low].describe()}. {c.describe()}."


# ------------------------------------------------------------------------------------------ missing runs


def missing_runs(
    runs,
    epochs: int = STANDARD_EPOCHS,
    active: set[tuple[str, int]] = frozenset(),
    seeds: int = MIN_SEEDS,
    dataset: str = DEFAULT_DATASET,
) -> list[tuple[str, int]]:
    """(preset, seed) pairs still to train on ``dataset`` so every preset has ``seeds`` seeds there.

    Seeds 0, 1, 2... not yet counted are chosen in order; pairs in ``active`` (queued or training right now)
    count as on their way and are not asked for again.
    """
    groups = group_runs(runs, epochs, dataset)
    todo = []
    for p in NOTEBOOK_PRESETS:
        have = set(groups[p].by_seed) | {s for q, s in active if q == p}
        seed = 0
        while len(have) < seeds:
            if seed not in have:
                have.add(seed)
                todo.append((p, seed))
            seed += 1
    return todo


def active_pairs(jobs, dataset: str = DEFAULT_DATASET) -> set[tuple[str, int]]:
    """(preset, seed) of jobs on ``dataset`` that are queued or running and would count once they complete."""
    pairs = set()
    for job in jobs:
        config = job.config
        if (
            job.is_active
            and (getattr(config, "dataset", None) or DEFAULT_DATASET) == dataset
            and job.preset in NOTEBOOK_PRESETS
            and config.train_subset is None
            and config.epochs == STANDARD_EPOCHS
        ):
            pairs.add((job.preset, config.seed))
    return pairs


def is_study_job(job) -> bool:
    """Whether a job was queued by the study: a notebook preset named like "baseline seed 0"."""
    return job.owner == STUDY_OWNER or (
        job.preset in NOTEBOOK_PRESETS
        and job.name == study_run_name(job.preset, job.config.seed, getattr(job.config, "dataset", None))
    )


def active_study_jobs(runner, owner: str | None = None) -> list:
    """The study's jobs that are queued or running (everyone's, or ``owner``'s), newest first."""
    return [job for job in runner.active_jobs(owner=owner) if is_study_job(job)]


def stop_study(runner, actor: Person | None = None, owner: str | None = None) -> int:
    """Stop the study jobs of ``owner`` (default: the actor's own; with neither, every study job); returns
    how many were stopped. Raises ``NotAllowed``, stopping none, if the actor may not stop one of them."""
    owner = owner if owner is not None else (actor.id if actor is not None else None)
    jobs = active_study_jobs(runner, owner)
    for job in jobs:
        check_may_change(actor, job.owner, "stop these study runs")
    return sum(1 for job in jobs if runner.stop(job.id, actor=actor))


def group_rows(groups: dict[str, Group]) -> list[dict]:
    """One table row per preset: seeds counted, mean, spread, every accuracy and the notebook's figure."""
    from mnistlab.specs import NOTEBOOK_RESULTS

    return [
        {
            "preset": p,
            "seeds": g.n,
            "mean": "—" if g.mean is None else f"{g.mean:.2%}",
            "std": "—" if g.std is None else f"{g.std:.2%}",
            "accuracies": ", ".join(f"{v:.2%}" for v in g.values) or "—",
            "notebook (1 run)": f"{NOTEBOOK_RESULTS[p][2]} %",
        }
        for p, g in groups.items()
    ]


@dataclass
class Submission:
    submitted: list[tuple[str, int]]
    remaining: list[tuple[str, int]]
    message: str


def submit_missing(
    runner,
    runs,
    seeds: int = MIN_SEEDS,
    owner: str | None = None,
    actor: Person | None = None,
    dataset: str = DEFAULT_DATASET,
) -> Submission:
    """Queue, as background jobs of ``owner`` (default: the actor who pressed the button, else
    ``STUDY_OWNER``), the runs missing for each preset to have ``seeds`` seeds: at most ``STUDY_PER_CLICK``
    per click, and no more than that many study jobs of one person queued or running at once.

    This is the notebook's study: Home's button and the claim check both use it. Jobs already queued or
    running for a (preset, seed), anyone's, are not submitted twice; completed runs are not trained again.
    Raises ``NotAllowed`` for a pupil: in class mode the study is the teacher's.
    """
    from mnistlab.runs.jobs import JobError
    from mnistlab.specs import PRESETS

    if actor is not None and actor.is_pupil:
        raise NotAllowed("In a class only the teacher runs the notebook's study; the results show here.")
    owner = owner or (actor.id if actor is not None else STUDY_OWNER)
    todo = missing_runs(runs, active=active_pairs(runner.jobs(), dataset), seeds=seeds, dataset=dataset)
    others = sum(1 for job in runner.jobs(owner=owner) if job.is_active and not is_study_job(job))
    submitted, reason = [], ""
    for preset, seed in todo[:STUDY_PER_CLICK]:
        try:
            runner.submit(
                PRESETS[preset],
                TrainConfig(seed=seed, dataset=dataset),
                name=study_run_name(preset, seed, dataset),
                preset=preset,
                owner=owner,
                limit=others + STUDY_LIMIT,
                **({} if actor is None else {"actor": actor}),  # runners that know no people still work
            )
        except JobError as exc:
            reason = str(exc)
            break
        submitted.append((preset, seed))
    remaining = todo[len(submitted) :]
    if not todo:
        message = f"Nothing to run: every preset has {seeds} seed(s), done or queued."
    elif not remaining:
        message = f"Queued {len(submitted)} run(s); that is all that was missing."
    elif reason:
        message = f"Queued {len(submitted)} run(s); {len(remaining)} could not be queued now: {reason}"
    else:
        message = (
            f"Queued {len(submitted)} run(s), the most one click queues ({STUDY_PER_CLICK}); "
            f"{len(remaining)} more are missing: press again once these have finished."
        )
    return Submission(submitted, remaining, message.strip())

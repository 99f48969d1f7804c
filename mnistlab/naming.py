"""How a new run is named when its owner leaves the name empty, and how the study names its runs.

The name says what tells the run apart in a picker: the preset, and the seed when it is not the default one
("dropout", "dropout seed 2"). A second run that would get the same name is numbered as another run of it
("dropout seed 2 · run 2"), never with a bare number that reads like a seed or an epoch count ("dropout 3").
The study's runs on a set other than MNIST carry the set's title ("baseline seed 0 · Fashion-MNIST").
"""

from __future__ import annotations

from collections.abc import Iterable

from mnistlab.dataset_choice import title
from mnistlab.datasets import DEFAULT


def run_name_base(preset: str | None, seed: int) -> str:
    """``dropout`` for seed 0, ``dropout seed 2`` otherwise; ``custom`` for an architecture of one's own."""
    base = preset or "custom"
    return base if int(seed) == 0 else f"{base} seed {int(seed)}"


def study_run_name(preset: str, seed: int, dataset: str | None = None) -> str:
    """``baseline seed 0``: the study always names the seed, since it trains every preset with several. On a set
    other than MNIST its title follows (``baseline seed 0 · Fashion-MNIST``): the study of each set trains the
    same presets and seeds, and two runs of one name would be told apart only by opening them."""
    base = f"{preset} seed {int(seed)}"
    return base if (dataset or DEFAULT) == DEFAULT else f"{base} · {title(dataset)}"


def unused_run_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base · run 2``, ``base · run 3``... whichever is not in ``taken``."""
    taken = set(taken)
    if base not in taken:
        return base
    n = 2
    while f"{base} · run {n}" in taken:
        n += 1
    return f"{base} · run {n}"


def taken_names(store, runner=None) -> set[str]:
    """Names of the store's saved runs and of the runner's jobs (queued ones have no run yet)."""
    names = {run.name for run in store.list_runs()}
    if runner is not None:
        names |= {job.name for job in runner.jobs() if job.name}
    return names

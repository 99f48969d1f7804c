"""Time to the notebook's figure: each notebook preset trained with its recommended config against plain Keras
``fit``, several seeds, side by side in one process.

For every preset and seed, mnistlab's run and plain fit (Adam 1e-3, batch 128, all 60,000 images, at most
``fit_max_epochs`` epochs) are trained one after the other, the order alternating with the seed so a drift in the
machine's load does not favour either. The test set is scored after each epoch off the clock, so each curve is
(cumulative training seconds, test accuracy). Reported per preset: every seed's final accuracy, their mean and
the lowest (the accuracy target: the mean at the notebook's figure, no seed more than 0.1 point below it), the
seconds until the first epoch at the notebook's figure (mean and worst seed) on both sides, the speed-up, and the
seconds per epoch after the first (which pays for tracing) on both sides.
"""

from __future__ import annotations

import itertools
import statistics

from mnistlab.bench.accuracy import _data, first_reaching, fit_curve, mnistlab_curve
from mnistlab.bench.sizes import FIT_BATCH, MLP_PRESETS, Sizes
from mnistlab.data import Mnist
from mnistlab.recipes import recommended_config
from mnistlab.specs import NOTEBOOK_RESULTS, PRESETS

SEED_SLACK = 0.001  # no seed may end more than 0.1 point below the notebook's figure


def epoch_times(curve: list) -> list[float]:
    """Seconds of each epoch from a cumulative curve ``[[cumulative_s, accuracy], ...]``."""
    marks = [0.0] + [seconds for seconds, _ in curve]
    return [round(b - a, 3) for a, b in itertools.pairwise(marks)]


def steady_epoch_s(curve: list) -> float | None:
    """The median epoch after the first (which traces the graph); the only epoch when there is one."""
    times = epoch_times(curve)
    return statistics.median(times[1:] or times) if times else None


def _mean(values: list) -> float | None:
    return round(statistics.mean(values), 3) if values and None not in values else None


def summarise(name: str, target: float, seeds: list[dict]) -> dict:
    """One preset's row from its per-seed results (each with ``mnistlab`` and ``fit`` curves)."""
    finals = [s["mnistlab"]["curve"][-1][1] for s in seeds]
    ours = [s["mnistlab"]["time_s"] for s in seeds]
    theirs = [s["fit"]["time_s"] for s in seeds]
    mean_ours, mean_theirs = _mean(ours), _mean(theirs)
    ours_epoch = _mean([steady_epoch_s(s["mnistlab"]["curve"]) for s in seeds])
    fit_epoch = _mean([steady_epoch_s(s["fit"]["curve"]) for s in seeds])
    # When plain fit never gets there, the speed-up is at least its total time over ours
    fit_bound = [s["fit"]["time_s"] or s["fit"].get("after_s") for s in seeds]
    return {
        "preset": name,
        "target": target,
        "accuracies": finals,
        "mean_accuracy": round(statistics.mean(finals), 4),
        "worst_accuracy": min(finals),
        "accuracy_met": statistics.mean(finals) >= target - 1e-9
        and min(finals) >= target - SEED_SLACK - 1e-9,
        "time_to_target_s": {"mean": mean_ours, "worst": max(ours) if None not in ours else None},
        "fit_time_to_target_s": {"mean": mean_theirs, "worst": max(theirs) if None not in theirs else None},
        "speedup": round(mean_theirs / mean_ours, 2) if mean_ours and mean_theirs else None,
        "speedup_at_least": (
            round(statistics.mean(fit_bound) / mean_ours, 2) if mean_ours and None not in fit_bound else None
        ),
        "epoch_s": ours_epoch,
        "fit_epoch_s": fit_epoch,
        "epoch_ratio": round(fit_epoch / ours_epoch, 2) if ours_epoch and fit_epoch else None,
        "compute": sorted({s["mnistlab"]["compute"] for s in seeds}),
        "config": seeds[0]["mnistlab"]["config"],
        "seeds": seeds,
    }


def to_notebook(
    sizes: Sizes, data: Mnist | None = None, presets=MLP_PRESETS, compute: str | None = None
) -> dict:
    """Per notebook preset: ``sizes.seeds`` seeds of mnistlab's recommended config and of plain fit; see the
    module docstring. ``compute`` forces a precision for mnistlab's side (None: its own choice)."""
    data, x_test, y_test = _data(sizes, data)
    out: dict = {}
    for name in presets:
        target = NOTEBOOK_RESULTS[name][2] / 100
        seeds: list[dict] = []
        for seed in range(sizes.seeds):
            config = recommended_config(name, seed=seed, train_subset=sizes.train_subset)
            sides: dict = {}
            order = ("mnistlab", "fit") if seed % 2 == 0 else ("fit", "mnistlab")
            for side in order:
                if side == "mnistlab":
                    run = mnistlab_curve(PRESETS[name], config, data, x_test, y_test, compute=compute)
                    extra = {"compute": run["compute"], "config": config.to_dict()}
                else:
                    run = fit_curve(
                        PRESETS[name],
                        data,
                        x_test,
                        y_test,
                        sizes.fit_max_epochs,
                        target=target,
                        train_subset=sizes.train_subset,
                        seed=seed,
                    )
                    extra = {"batch_size": FIT_BATCH}
                sides[side] = {**first_reaching(run["curve"], target), "curve": run["curve"], **extra}
            seeds.append({"seed": seed, **sides})
        out[name] = summarise(name, target, seeds)
    return out

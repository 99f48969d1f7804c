"""How much training time does pruning save in a sweep, and does it cost accuracy? Prints JSON figures.

Runs the same sweep twice from the same seed, with pruning (median rule on per-epoch validation accuracy) and
without, in a fresh artifacts folder each, and reports for both: wall time, summed training time, trials
completed and pruned, best validation accuracy. The issue's target: at least 40 % of training time saved with
the best accuracy within 0.1 point. Defaults run the shipped example; --trials/--subset/--epochs shrink it.

    uv run python benchmarks/sweep_pruning.py [--sweep examples/sweeps/notebook_mlp.json] [--trials 24]
        [--subset 20000] [--epochs 4] [--pruner median|halving]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def run_once(raw: dict, prune: str | bool, folder: Path) -> dict:
    os.environ["MNISTLAB_ARTIFACTS"] = str(folder)
    from mnistlab.runs.jobs import JobRunner
    from mnistlab.runs.store import RunStore
    from mnistlab.sweeps.parsing import parse_sweep
    from mnistlab.sweeps.results import summary
    from mnistlab.sweeps.runner import run_sweep
    from mnistlab.sweeps.store import SweepStore
    from mnistlab.sweeps.study import load_study

    sweep = parse_sweep({**raw, "prune": prune})
    sweeps = SweepStore(folder / "sweeps")
    sweep_id = sweeps.create(sweep)
    runner = JobRunner(RunStore(folder / "runs"), workers=1)
    started = time.perf_counter()
    try:
        run_sweep(sweeps, sweep_id, runner, poll_s=0.2)
    finally:
        runner.shutdown()
    wall = time.perf_counter() - started
    data = summary(load_study(sweeps, sweep_id, sweep), sweep, sweep_id)
    return {
        "prune": prune,
        "wall_s": round(wall, 1),
        "train_s": data["train_s"],
        "completed": data["counts"]["completed"],
        "pruned": data["counts"]["pruned"],
        "best_val_accuracy": data["best"]["metric"] if data["best"] else None,
        "best_params": data["best"]["params"] if data["best"] else None,
        "importance": data["importance"],
        "epochs_trained": sum(t["epochs"] for t in data["trials"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sweep", default="examples/sweeps/notebook_mlp.json")
    parser.add_argument("--trials", type=int)
    parser.add_argument("--subset", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--pruner", choices=["median", "halving"], default="median")
    args = parser.parse_args()
    raw = json.loads(Path(args.sweep).read_text())
    if args.trials:
        raw["trials"] = args.trials
    raw["config"] = dict(raw.get("config", {}))
    if args.subset:
        raw["config"]["train_subset"] = args.subset
    if args.epochs:
        raw["config"]["epochs"] = args.epochs

    from mnistlab.bench.machine import cpu_info

    # Warm up first: TensorFlow's import and the first compiled graph cost seconds that would otherwise land on
    # whichever half runs first (measured: it doubled that half's time on a loaded 2-core machine).
    from mnistlab.data import load_mnist
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig, train

    train(PRESETS["baseline"], TrainConfig(epochs=1, train_subset=1000, batch_size=128), data=load_mnist())

    results = []
    for prune in (args.pruner, False):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run_once(raw, prune, Path(tmp)))
    with_p, without = results
    figures = {
        "cpu": cpu_info(),
        "sweep": {"trials": raw["trials"], "config": raw["config"], "method": raw.get("method")},
        "with_pruning": with_p,
        "without_pruning": without,
        "training_time_saved": round(1 - with_p["train_s"] / without["train_s"], 3)
        if without["train_s"]
        else None,
        "best_accuracy_gap_points": round(
            100 * (without["best_val_accuracy"] - with_p["best_val_accuracy"]), 2
        )
        if with_p["best_val_accuracy"] and without["best_val_accuracy"]
        else None,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

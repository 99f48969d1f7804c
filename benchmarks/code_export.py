"""Does the generated Keras script reach mnistlab's accuracy? Prints JSON figures.

For each seed: train the preset with mnistlab (``train`` with the default TrainConfig, all 60,000 digits) and
score it on the 10,000 test digits; then write the preset's standalone script (``mnistlab code``), run it as
its own Python process on the bundled MNIST files, and read its test accuracy. The two differ in small ways
(mnistlab computes hidden layers in bfloat16 where the CPU has it, seeds each layer's initial weights apart,
and runs 8 steps per compiled call), so they should agree within seed noise, not to the digit.

    uv run python benchmarks/code_export.py [--preset dropout] [--seeds 0,1] [--epochs 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="dropout")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--epochs", type=int, default=None, help="default: TrainConfig's")
    args = parser.parse_args()

    from mnistlab.bench.machine import cpu_info, versions
    from mnistlab.data import BUNDLED_DIR, load_mnist, to_float
    from mnistlab.evaluation import evaluate
    from mnistlab.export.code import script_filename, training_script
    from mnistlab.specs import preset
    from mnistlab.training import TrainConfig, train

    spec = preset(args.preset)
    data = load_mnist()
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        config = TrainConfig(seed=seed, **({"epochs": args.epochs} if args.epochs else {}))
        started = time.perf_counter()
        result = train(spec, config, data=data)
        ours = evaluate(result.model, to_float(data.x_test), data.y_test)["accuracy"]
        ours_s = time.perf_counter() - started

        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / script_filename(spec.name)
            script.write_text(training_script(spec, config))
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(script), "--data", str(BUNDLED_DIR)],
                capture_output=True,
                text=True,
                cwd=tmp,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
                check=True,
            )
            script_s = time.perf_counter() - started
        theirs = float(re.search(r"Test accuracy: ([0-9.]+)", done.stdout).group(1))
        rows.append(
            {
                "seed": seed,
                "mnistlab_accuracy": round(ours, 4),
                "script_accuracy": round(theirs, 4),
                "difference_pct_points": round(100 * (theirs - ours), 2),
                "mnistlab_s": round(ours_s, 1),
                "script_s_incl_startup": round(script_s, 1),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
    differences = [r["difference_pct_points"] for r in rows]
    print(
        json.dumps(
            {
                "preset": args.preset,
                "config": TrainConfig(**({"epochs": args.epochs} if args.epochs else {})).to_dict(),
                "runs": rows,
                "mean_difference_pct_points": round(statistics.mean(differences), 2),
                "cpu": cpu_info(),
                "versions": versions(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

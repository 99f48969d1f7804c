"""Do drawn digits survive the Draw page's preprocessing? Prints JSON figures.

Trains the ``tuned`` preset with the default TrainConfig (about 13 s on a 2-core CPU), then classifies MNIST
test digits twice: as given, and redrawn as a canvas would hold them (280x280, random position, size, stroke
thickness and colours) and passed through ``canvas_to_mnist``.
Target: redrawn accuracy >= 97 % and within 1 point of the original accuracy.

    uv run python benchmarks/draw_robustness.py [--n 10000] [--preset tuned] [--run RUN_ID]
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10000, help="test digits to redraw (default: all 10,000)")
    parser.add_argument("--preset", default="tuned", help="preset to train when --run is not given")
    parser.add_argument("--run", help="use the model of this saved run instead of training")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from mnistlab.bench.drawn_digits import measure_robustness
    from mnistlab.data import load_mnist

    data = load_mnist()
    started = time.perf_counter()
    if args.run:
        from mnistlab.runs.store import RunStore

        model, source = RunStore().load_model(args.run), f"run {args.run}"
    else:
        from mnistlab.specs import PRESETS
        from mnistlab.training import TrainConfig, train

        model = train(PRESETS[args.preset], TrainConfig(), data=data).model
        source = f"preset {args.preset}, default TrainConfig"
    prepared_s = time.perf_counter() - started

    figures = measure_robustness(model, n=args.n, seed=args.seed, data=data)
    figures.update(
        model=source,
        model_ready_s=round(prepared_s, 1),
        target_met=figures["redrawn_accuracy"] >= 0.97 and figures["drop_points"] <= 1.0,
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

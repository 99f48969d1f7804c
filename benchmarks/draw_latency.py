"""How long does the Draw page take from canvas to probabilities? Prints JSON figures.

Times ``canvas_to_mnist`` + ``predict_digit`` (a direct model call) on 500 synthetic 280x280 drawings, one
at a time as the page does. The weights do not change the time, so by default an untrained model of the
chosen preset is used; ``--run`` times a saved model instead. Target: p95 <= 10 ms.

    uv run python benchmarks/draw_latency.py [--n 500] [--preset tuned] [--run RUN_ID]
"""

from __future__ import annotations

import argparse
import json


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="drawings to time (default 500)")
    parser.add_argument("--preset", default="tuned", help="architecture to time when --run is not given")
    parser.add_argument("--run", help="time the model of this saved run")
    args = parser.parse_args()

    from mnistlab.bench.drawn_digits import measure_draw_latency

    if args.run:
        from mnistlab.runs.store import RunStore

        model, source = RunStore().load_model(args.run), f"run {args.run}"
    else:
        from mnistlab.models import build_model
        from mnistlab.specs import PRESETS

        model, source = build_model(PRESETS[args.preset], seed=0), f"preset {args.preset} (untrained)"

    figures = measure_draw_latency(model, n=args.n)
    figures.update(model=source, target_met=figures["p95_ms"] <= 10.0)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

"""Does training with ``augment`` help a model read drawn digits? Prints JSON figures, with the CPU.

Trains one preset (default: dropout, default TrainConfig) twice, without and with ``augment``, with the same
seed, and scores both on
  - the MNIST test set,
  - canvas redraws of test digits (upright: random size, place, pen and colours; ``redraw_as_canvas``),
  - tilted redraws (the same, also rotated by up to 25 degrees and slanted by up to 0.4; ``redraw_tilted``),
  - redraws with much thinner or thicker pens (``redraw_with_pen``),
  - optionally a folder of real drawings (``--drawings DIR``: PNG/JPEG + labels.csv, e.g. an exported set),
every redraw passed through the Draw page's ``canvas_to_mnist``. Repeats for ``--seeds`` seeds.
Targets: tilted redraws at least 2 points better with augment, MNIST test accuracy at most 0.3 point lower,
training time within 1.5x. The figures in docs/handwriting.json come from this script.

    uv run python benchmarks/augment.py [--preset dropout] [--epochs 8] [--seeds 1] [--n 10000] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="dropout")
    parser.add_argument("--epochs", type=int, help="default: TrainConfig's default")
    parser.add_argument("--seeds", type=int, default=1, help="train each variant with seeds 0..N-1")
    parser.add_argument("--n", type=int, default=10000, help="test digits to redraw (default: all 10,000)")
    parser.add_argument("--drawings", help="also score on this folder of drawings (PNG/JPEG + labels.csv)")
    parser.add_argument("--out", help="also write the JSON to this file")
    args = parser.parse_args()

    from mnistlab.bench.augment_effect import measure_augment

    figures = measure_augment(
        preset=args.preset, epochs=args.epochs, seeds=args.seeds, n=args.n, drawings=args.drawings
    )
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())

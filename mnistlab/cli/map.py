"""The map command: a run's test digits in 2-D, computed here (or read from the cache).

    mnistlab map RUN_ID                      # t-SNE of the last hidden layer
    mnistlab map RUN_ID --layer 0 --method pca --json

Never imports TensorFlow: activations come from the NumPy forward pass (``mnistlab.maps.layers``).
"""

from __future__ import annotations

import json
import time
from typing import TextIO

from mnistlab.cli.args import EXIT_OK, CliError
from mnistlab.maps import METHOD_NAMES, METHODS, MapError
from mnistlab.runs.run import check_run_id
from mnistlab.runs.store import RunStore


def _layer(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a layer is a whole number (0: the pixels), got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a layer is 0 (the pixels) or more, got {value}")
    return value


def register(commands) -> None:
    """Add ``map`` to the subparsers."""
    cmd = commands.add_parser(
        "map",
        help="embed a run's 10,000 test digits in 2-D (PCA or t-SNE) from one layer's activations",
        description="Compute (or read from the cache) a map of a run: the test digits in 2-D from a layer's "
        "activations. Maps are cached under the run's folder (maps/layer<N>-<method>.npz).",
    )
    cmd.add_argument("run_id", metavar="RUN_ID")
    cmd.add_argument("--layer", type=_layer, help="0: raw pixels, 1..: hidden layers (default: the last one)")
    cmd.add_argument("--method", choices=METHODS, default="tsne", help="default: tsne")
    cmd.add_argument("--json", action="store_true", help="print only a JSON summary")
    cmd.set_defaults(handler=cmd_map)


def cmd_map(args, out: TextIO, err: TextIO) -> int:
    from mnistlab.maps.cache import map_paths
    from mnistlab.maps.compute import check_request, get_or_compute

    store = RunStore()
    check_run_id(args.run_id)
    try:
        request = check_request(store, args.run_id, args.layer, args.method)
    except MapError as exc:
        raise CliError(str(exc)) from None
    shown = {"t": 0.0}

    def progress(fraction: float, text: str) -> None:
        now = time.monotonic()
        if not args.json and err.isatty() and (now - shown["t"] > 0.5 or fraction >= 1):
            shown["t"] = now
            err.write(f"\r{fraction:4.0%} {text:<40}")
            err.flush()

    started = time.perf_counter()
    run_map, from_cache = get_or_compute(store, request, progress=progress)
    took = time.perf_counter() - started
    if not args.json and err.isatty():
        err.write("\n")
    path = map_paths(store.path(request.run.id), request.layer, request.method)[0]
    summary = {
        "run": request.run.id,
        "layer": request.layer,
        "method": request.method,
        "points": int(run_map.info["points"]),
        "path": str(path),
        "cached": from_cache,
        "seconds": round(took, 3),
        "compute_seconds": run_map.info.get("seconds"),
        "mistakes": int(run_map.wrong.sum()),
    }
    if args.json:
        out.write(json.dumps(summary) + "\n")
        return EXIT_OK
    how = (
        f"read from the cache in {took:.2f} s (computed in {summary['compute_seconds']:.1f} s)"
        if from_cache
        else f"computed in {took:.1f} s"
    )
    out.write(
        f"{METHOD_NAMES[request.method]} map of {request.run.name!r}, layer {request.layer}: "
        f"{summary['points']:,} points ({summary['mistakes']} mistakes), {how}.\n{path}\n"
    )
    return EXIT_OK

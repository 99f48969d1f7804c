"""How long does a map take? Prints JSON figures naming the CPU and the load average.

Times, on all 10,000 test digits of a saved run (``--run``, default: the best run in $MNISTLAB_ARTIFACTS):
the activations of the last hidden layer (NumPy), a PCA map, a t-SNE map (openTSNE, 2 threads), placing one
drawing on the t-SNE map (kNN median, what the Draw page does on every stroke; median of ``--n`` test digits
placed one at a time) and, for comparison, openTSNE's own ``transform`` of one point. Nothing is written to
the run's cache. Targets on 2 cores: t-SNE map <= 30 s, placing a drawing <= 50 ms.

    uv run python benchmarks/map_speed.py [--run RUN_ID] [--n 50] [--no-transform]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        name = next(
            line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")
        )
        flags = next((line for line in out.splitlines() if line.startswith("Flags")), "")
        extras = [f for f in ("avx512f", "amx_tile") if f in flags.split()]
        return f"{name} ({os.cpu_count()} CPUs{', ' + ', '.join(extras) if extras else ''})"
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", help="the run to map (default: the best saved run)")
    parser.add_argument("--n", type=int, default=50, help="drawings placed one at a time (default 50)")
    parser.add_argument("--no-transform", action="store_true", help="skip openTSNE's transform of one point")
    args = parser.parse_args()

    import numpy as np

    from mnistlab.data import load_mnist
    from mnistlab.drawing import default_run_id
    from mnistlab.maps.cache import RunMap
    from mnistlab.maps.compute import check_request
    from mnistlab.maps.embedding import Embedding, fit, reduce, tsne_embedding
    from mnistlab.maps.layers import activations
    from mnistlab.maps.reading import land, neighbour_agreement
    from mnistlab.runs.store import RunStore

    load_before = os.getloadavg()
    store = RunStore()
    run_id = args.run or default_run_id(store.list_runs())
    request = check_request(store, run_id)
    data = load_mnist()
    images = data.x_test

    t = time.perf_counter()
    feats, probs = activations(request.model, images, request.layer)
    activations_s = time.perf_counter() - t
    t = time.perf_counter()
    fit(feats, "pca")
    pca_s = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    mean, components, reduced = reduce(feats, seed=0)
    fitted = tsne_embedding(reduced, seed=0)
    tsne_s, tsne_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    tsne = Embedding("tsne", np.asarray(fitted, dtype=np.float32), mean, components, reduced)

    run_map = RunMap(
        tsne, data.y_test, probs.argmax(axis=1), probs, {"layer": request.layer, "method": "tsne"}
    )
    drawings = images[: args.n].astype(np.float32) / 255
    land(run_map, request.model, drawings[0])  # warm
    times = []
    for image in drawings:
        t = time.perf_counter()
        land(run_map, request.model, image)
        times.append((time.perf_counter() - t) * 1000)

    figures = {
        "cpu": cpu_name(),
        "load_average_before": [round(v, 2) for v in load_before],
        "run": run_id,
        "layer": request.layer,
        "values_per_digit": int(feats.shape[1]),
        "points": len(images),
        "activations_s": round(activations_s, 2),
        "pca_map_s": round(pca_s, 2),
        "tsne_map_s": round(tsne_s, 2),
        "tsne_map_cpu_s": round(tsne_cpu_s, 2),  # CPU time of both threads: what a busy machine cannot hide
        "tsne_neighbour_agreement": round(neighbour_agreement(tsne.coords, data.y_test), 4),
        "place_drawing_ms_median": round(statistics.median(times), 2),
        "place_drawing_ms_max": round(max(times), 2),
    }
    if not args.no_transform:  # openTSNE's own placement of one new point, for comparison
        point = tsne.project(feats[:1])
        fitted.transform(point)  # warm
        t = time.perf_counter()
        fitted.transform(point)
        figures["opentsne_transform_one_point_ms"] = round((time.perf_counter() - t) * 1000, 1)
    figures["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    figures["targets_met"] = {
        "tsne_map_le_30_s": tsne_s <= 30,
        "place_drawing_le_50_ms": statistics.median(times) <= 50,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

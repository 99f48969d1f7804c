"""One map of one run: check the request, compute the activations of the test digits, fit, save.

``check_request`` is cheap (it reads the run and its weights, no fitting): pages and the CLI call it first,
so a bad request (no such run, no model, an imported model, no such layer) is a clear message at once.
``compute_map`` does the work; run it in a worker process (``mnistlab.maps.worker``), never in the server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mnistlab.files import StoreError
from mnistlab.inference import UnsupportedModel, load_numpy_model
from mnistlab.maps import METHODS
from mnistlab.maps.cache import RunMap, load_map, save_map
from mnistlab.maps.embedding import Progress, fit
from mnistlab.maps.layers import MapError, activations, check_layer, default_layer
from mnistlab.maps.reading import neighbour_agreement
from mnistlab.modelfile import ModelFileError
from mnistlab.runs.run import Run
from mnistlab.runs.store import RunStore


@dataclass(frozen=True)
class MapRequest:
    """A checked request: the run, its NumPy model, the layer number and the method."""

    run: Run
    model: object
    layer: int
    method: str


def check_request(store: RunStore, run_id: str, layer: int | None = None, method: str = "pca") -> MapRequest:
    """The checked request; ``StoreError`` (no such run) or ``MapError`` (anything else) with a clear message.

    ``layer`` None is the last hidden layer."""
    if method not in METHODS:
        raise MapError(f"Unknown map method {method!r}: use {' or '.join(METHODS)}.")
    run = store.load(run_id)
    if run.imported:
        raise MapError(
            f"Run {run.name!r} is an imported model: mnistlab cannot read its layers without TensorFlow, so it "
            "has no map. Train a run here to map it."
        )
    if not run.has_model:
        raise MapError(
            f"Run {run.name!r} is {run.status} and has no trained model, so there is nothing to map."
        )
    try:
        model = load_numpy_model(store.model_path(run_id))
    except StoreError:
        raise MapError(f"Run {run.name!r} has no saved model file, so there is nothing to map.") from None
    except UnsupportedModel as exc:
        raise MapError(f"Run {run.name!r} cannot be mapped: {exc}") from None
    except ModelFileError as exc:
        raise MapError(f"Run {run.name!r}: its model file cannot be read ({exc}).") from None
    layer = default_layer(model) if layer is None else layer
    check_layer(model, layer)
    return MapRequest(run, model, int(layer), method)


def cached(store: RunStore, request: MapRequest) -> RunMap | None:
    return load_map(store.path(request.run.id), request.layer, request.method)


def compute_map(
    store: RunStore,
    request: MapRequest,
    seed: int = 0,
    limit: int | None = None,
    progress: Progress | None = None,
    n_jobs: int = 2,
) -> RunMap:
    """Compute and save the map of ``request`` over the first ``limit`` test images (all by default) of the
    run's own dataset (MNIST's 10,000 test digits for an MNIST run)."""
    from mnistlab.datasets import load_dataset

    progress = progress or (lambda fraction, text: None)
    started = time.perf_counter()
    progress(0.0, "Reading the test images")
    data = load_dataset(request.run.dataset)
    images, labels = data.x_test[:limit], data.y_test[:limit]
    progress(0.02, "Activations of the test digits")
    feats, probabilities = activations(request.model, images, request.layer)
    embedding = fit(
        feats, request.method, seed=seed, progress=lambda f, t: progress(0.05 + 0.95 * f, t), n_jobs=n_jobs
    )
    info = {
        "run": request.run.id,
        "layer": request.layer,
        "method": request.method,
        "points": len(labels),
        "values_per_digit": int(feats.shape[1]),
        "seed": seed,
        "neighbour_agreement": round(neighbour_agreement(embedding.coords, labels), 4),
        "seconds": round(time.perf_counter() - started, 3),
        "created": time.time(),
    }
    run_map = RunMap(embedding, labels, probabilities.argmax(axis=1), probabilities, info)
    save_map(store.path(request.run.id), run_map)
    return run_map


def get_or_compute(store: RunStore, request: MapRequest, **options) -> tuple[RunMap, bool]:
    """(the map, whether it came from the cache)."""
    found = cached(store, request)
    if found is not None:
        return found, True
    return compute_map(store, request, **options), False


def accuracy(run_map: RunMap) -> float:
    return float(np.mean(run_map.labels == run_map.predicted))

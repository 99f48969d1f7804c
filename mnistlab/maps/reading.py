"""What the Map page reads off a computed map: a point's neighbours, a confusion cell's digits, where a new
digit (a drawing) lands and among which digits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from mnistlab.maps.cache import RunMap
from mnistlab.maps.embedding import K_PLACE
from mnistlab.maps.layers import MapError, activations

SPACES = ("map", "activations")


def neighbours(run_map: RunMap, index: int, k: int = 8, space: str = "activations") -> np.ndarray:
    """The ``k`` test digits nearest to digit ``index`` (itself excluded), nearest first: in the 2-D ``map``,
    or in the layer's ``activations`` (its principal components, see ``embedding``)."""
    n = len(run_map.labels)
    if not 0 <= int(index) < n:
        raise MapError(f"There is no point {index}: the map has points 0-{n - 1}.")
    if space not in SPACES:
        raise MapError(f"space must be one of {SPACES}, got {space!r}.")
    points = run_map.coords if space == "map" else run_map.embedding.reduced
    d = ((points - points[index]) ** 2).sum(axis=1)
    d[index] = np.inf
    k = max(0, min(int(k), n - 1))
    part = np.argpartition(d, k - 1)[:k] if k else np.array([], dtype=int)
    return part[np.argsort(d[part], kind="stable")]


def cell_indices(run_map: RunMap, true: int, predicted: int) -> np.ndarray:
    """The test digits of one confusion-matrix cell: true label ``true``, read as ``predicted``."""
    for name, value in (("true", true), ("pred", predicted)):
        if not isinstance(value, (int, np.integer)) or not 0 <= value <= 9:
            raise MapError(f"{name} must be a digit 0-9, got {value!r}.")
    return np.flatnonzero((run_map.labels == true) & (run_map.predicted == predicted))


@dataclass(frozen=True)
class Landing:
    """Where a new digit lands: its map position (2,), its nearest test digits and their most common label."""

    position: np.ndarray
    nearest: np.ndarray
    among: int  # the most common true label of ``nearest``
    share: float  # how many of ``nearest`` carry it (0-1)


def land(run_map: RunMap, model, image28: np.ndarray) -> Landing:
    """Place one 28x28 digit (float in [0, 1]) on ``run_map`` (made from ``model``, a ``NumpyModel``)."""
    feats, _ = activations(model, np.asarray(image28)[None], int(run_map.info["layer"]))
    e = run_map.embedding
    position = e.place(feats)[0]
    nearest = e.nearest(e.project(feats)[0], K_PLACE)
    label, count = Counter(int(v) for v in run_map.labels[nearest]).most_common(1)[0]
    return Landing(position, nearest, label, count / len(nearest))


def neighbour_agreement(coords: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """How well a map separates the digits: the share of each point's ``k`` nearest map neighbours that carry
    its true label (1.0: every digit sits among its own kind; about 0.1: no structure at all)."""
    from scipy.spatial import cKDTree

    coords, labels = np.asarray(coords), np.asarray(labels)
    k = max(1, min(int(k), len(coords) - 1))
    _, idx = cKDTree(coords).query(coords, k=k + 1)
    return float(np.mean(labels[idx[:, 1:]] == labels[:, None]))

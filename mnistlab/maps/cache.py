"""Maps saved per run, layer and method: ``artifacts/runs/<id>/maps/<layer>-<method>.npz`` + ``.json``.

The ``.npz`` holds the arrays (map positions, labels, predictions, probabilities and the projection that
places new points); the ``.json`` says what it is (run, layer, method, points, seconds, the model file it was
made from). Both are written atomically, the arrays first, so a ``.json`` always names a complete ``.npz``. A
map made from an older model file (same run id, a replaced model) is stale and not returned.
While a map is being computed, ``<layer>-<method>.progress.json`` says how far it is.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistlab.files import StoreError, atomic_write_bytes, atomic_write_json, friendly_os_error, read_json
from mnistlab.maps.embedding import Embedding

FOLDER = "maps"
ARRAYS = ("coords", "labels", "predicted", "probabilities", "mean", "components", "reduced")


@dataclass
class RunMap:
    """A computed map: an ``Embedding`` of N test digits with their labels (N,), predictions (N,) and
    probabilities (N, 10), and ``info`` (run, layer, method, points, seconds, ...)."""

    embedding: Embedding
    labels: np.ndarray
    predicted: np.ndarray
    probabilities: np.ndarray
    info: dict

    @property
    def coords(self) -> np.ndarray:
        return self.embedding.coords

    @property
    def wrong(self) -> np.ndarray:
        return self.labels != self.predicted


def stem(layer: int, method: str) -> str:
    return f"layer{int(layer)}-{method}"


def map_paths(run_folder: Path, layer: int, method: str) -> tuple[Path, Path, Path]:
    """(arrays .npz, description .json, progress .json) of one map of the run in ``run_folder``."""
    base = Path(run_folder) / FOLDER / stem(layer, method)
    return base.with_suffix(".npz"), base.with_suffix(".json"), base.with_suffix(".progress.json")


def model_stamp(run_folder: Path) -> dict:
    """What identifies the model file a map is made from (size and modification time)."""
    try:
        stat = (Path(run_folder) / "model.keras").stat()
    except OSError:
        return {}
    return {"model_bytes": stat.st_size, "model_mtime_ns": stat.st_mtime_ns}


def save_map(run_folder: Path, run_map: RunMap) -> Path:
    """Write ``run_map`` under the run's ``maps/`` folder (atomically); returns the ``.npz`` path."""
    info = run_map.info
    npz, meta, _ = map_paths(run_folder, info["layer"], info["method"])
    e = run_map.embedding
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        coords=e.coords,
        labels=run_map.labels.astype(np.uint8),
        predicted=run_map.predicted.astype(np.uint8),
        probabilities=run_map.probabilities.astype(np.float32),
        mean=e.mean,
        components=e.components,
        reduced=e.reduced,
    )
    try:
        npz.parent.mkdir(exist_ok=True)
        atomic_write_bytes(npz, buffer.getvalue())
        atomic_write_json(meta, {**info, **model_stamp(run_folder)})
    except OSError as exc:
        raise friendly_os_error(exc, "save the map") from None
    return npz


def load_map(run_folder: Path, layer: int, method: str) -> RunMap | None:
    """The cached map, or None when there is none (or it was made from another model file)."""
    npz, meta, _ = map_paths(run_folder, layer, method)
    try:
        info = read_json(meta)
        if not isinstance(info, dict):
            return None
        stamp = model_stamp(run_folder)
        if stamp and any(info.get(k) != v for k, v in stamp.items()):
            return None  # the run's model was replaced since: this map shows another network
        with np.load(npz, allow_pickle=False) as data:
            arrays = {name: data[name] for name in ARRAYS}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as exc:
        raise StoreError(
            f"The cached map {npz.name} could not be read ({exc}); delete it to compute it again."
        ) from None
    embedding = Embedding(
        info["method"], arrays["coords"], arrays["mean"], arrays["components"], arrays["reduced"]
    )
    return RunMap(embedding, arrays["labels"], arrays["predicted"], arrays["probabilities"], info)


_recent: dict[tuple, RunMap] = {}
_recent_lock = threading.Lock()
RECENT = 8


def load_map_shared(run_folder: Path, layer: int, method: str) -> RunMap | None:
    """``load_map``, kept in memory per process (at most ``RECENT`` maps) while its files do not change: the
    Draw page reads the map on every stroke. The arrays are shared: treat them as read-only."""
    npz, meta, _ = map_paths(run_folder, layer, method)
    try:
        key = (
            str(npz),
            meta.stat().st_mtime_ns,
            npz.stat().st_mtime_ns,
            tuple(model_stamp(run_folder).values()),
        )
    except OSError:
        return None
    with _recent_lock:
        if key in _recent:
            return _recent[key]
    found = load_map(run_folder, layer, method)
    if found is not None:
        with _recent_lock:
            while len(_recent) >= RECENT:
                _recent.pop(next(iter(_recent)))
            _recent[key] = found
    return found


def write_progress(run_folder: Path, layer: int, method: str, state: dict) -> None:
    """Record how far a computation is (``state``: status, fraction, text, pid, error)."""
    _, _, path = map_paths(run_folder, layer, method)
    path.parent.mkdir(exist_ok=True)
    atomic_write_json(path, state)


def read_progress(run_folder: Path, layer: int, method: str) -> dict | None:
    _, _, path = map_paths(run_folder, layer, method)
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def clear_progress(run_folder: Path, layer: int, method: str) -> None:
    map_paths(run_folder, layer, method)[2].unlink(missing_ok=True)

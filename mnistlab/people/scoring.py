"""The leaderboard's scores for a run: (public, hidden) accuracy over the test images of the run's own dataset
(MNIST's 10,000 test digits for an MNIST run), and the accuracy on the class's own handwriting (MNIST runs
only: the drawings are digits). NumPy only, never TensorFlow.

The per-digit predictions come from the run's saved test metrics when they list every mistake over all 10,000
digits (what ``mnistlab.evaluation.score`` writes at the end of a training), else from the run's model file run
by ``mnistlab.inference``'s NumPy predictor. Scores are cached in ``<artifacts>/people/scores/<run id>.json``
(written atomically), keyed by the model file's size and modification time, so a run is scored once.

    scorer = Scorer(store, artifacts_dir() / "people" / "scores")
    scorer.scores(run_id)                    # (0.981, 0.978) or None for a run that cannot be scored
    scorer.handwriting(run_id, hw, "our-class")   # 0.82, or None when the set has no drawings
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from mnistlab.files import atomic_write_json
from mnistlab.people.leaderboard import SPLIT_SEED, split_scores
from mnistlab.runs.run import RUN_ID

log = logging.getLogger(__name__)
TEST_DIGITS = 10_000


def handwriting_note(dataset: str) -> str | None:
    """None when a run of ``dataset`` can be scored on handwriting sets (MNIST); else the sentence saying why
    it is not (the sets are drawn digits)."""
    if dataset == "mnist":
        return None
    from mnistlab.datasets.registry import get_dataset

    try:
        title = get_dataset(dataset).title
    except Exception:  # a set this machine no longer knows
        title = dataset
    return f"Handwriting sets are MNIST digits: a {title} run is not scored on them."


def predictions_from_metrics(metrics: dict | None, labels: np.ndarray) -> np.ndarray | None:
    """Per-digit predicted labels rebuilt from saved test metrics (right everywhere but the listed mistakes),
    or None when the metrics do not cover all of ``labels`` or their mistakes are not all listed."""
    if not metrics or metrics.get("n") != len(labels) or "mistakes" not in metrics:
        return None
    predicted = np.asarray(labels, dtype=int).copy()
    for row in metrics["mistakes"]:
        index, true, said = int(row[0]), int(row[1]), int(row[2])
        if not 0 <= index < len(labels) or predicted[index] != true:
            return None  # not these test digits
        predicted[index] = said
    accuracy = metrics.get("accuracy")
    if accuracy is None or abs(float((predicted == labels).mean()) - float(accuracy)) > 1e-6:
        return None  # a shortened list: the NumPy predictor will say
    return predicted


def predictions_from_model(model_path: Path, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Predicted labels of uint8 ``images`` (N, 28, 28) by the model file, with NumPy. Raises
    ``ModelFileError`` (``UnsupportedModel`` included) when NumPy cannot run it."""
    from mnistlab.data import to_float
    from mnistlab.inference import load_numpy_model

    model = load_numpy_model(model_path)
    out = [
        np.asarray(model(to_float(images[i : i + batch]), training=False)).argmax(axis=1)
        for i in range(0, len(images), batch)
    ]
    return np.concatenate(out)


class Scorer:
    """Scores runs of ``store`` for the leaderboard; thread-safe, shared by every session of a server."""

    def __init__(self, store, cache_dir: str | Path):
        self.store = store
        self.cache_dir = Path(cache_dir)
        self._lock = threading.Lock()
        self._memory: dict[tuple, tuple[float, float] | None] = {}
        self._handwriting: dict[tuple, float | None] = {}

    def _model_key(self, run_id: str) -> list | None:
        try:
            stat = self.store.model_path(run_id).stat()
        except Exception:  # no model (yet): cannot be scored
            return None
        return [stat.st_size, stat.st_mtime_ns]

    def scores(self, run_id: str) -> tuple[float, float] | None:
        """(public, hidden) accuracy of the run, or None when it has no usable model."""
        if not RUN_ID.match(run_id):
            return None
        model_key = self._model_key(run_id)
        if model_key is None:
            return None
        key = (run_id, *model_key)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        got = self._cached(run_id, model_key)
        if got is None:
            got = self._compute(run_id)
            if got is not None:
                self._save(run_id, model_key, got)
        with self._lock:
            self._memory[key] = got
        return got

    def _file(self, run_id: str) -> Path:
        return self.cache_dir / f"{run_id}.json"

    def _cached(self, run_id: str, model_key: list) -> tuple[float, float] | None:
        try:
            data = json.loads(self._file(run_id).read_text())
        except (OSError, ValueError):
            return None
        if data.get("model") != model_key or data.get("split_seed") != SPLIT_SEED:
            return None
        try:
            return float(data["public"]), float(data["hidden"])
        except (KeyError, TypeError, ValueError):
            return None

    def _save(self, run_id: str, model_key: list, got: tuple[float, float]) -> None:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_json(
                self._file(run_id),
                {"model": model_key, "split_seed": SPLIT_SEED, "public": got[0], "hidden": got[1]},
            )
        except OSError:
            log.warning("could not cache the scores of run %s", run_id, exc_info=True)

    def _dataset(self, run_id: str) -> str | None:
        try:
            return self.store.load(run_id).dataset
        except Exception:  # a damaged run: not scored
            return None

    def _compute(self, run_id: str) -> tuple[float, float] | None:
        from mnistlab.data import DataError
        from mnistlab.datasets import load_dataset
        from mnistlab.modelfile import ModelFileError

        dataset = self._dataset(run_id)
        if dataset is None:
            return None
        try:  # always the run's own test set: a run of one dataset is never scored on another
            mnist = load_dataset(dataset)
        except DataError as exc:
            log.info("run %s cannot be scored: %s", run_id, exc)
            return None
        labels = np.asarray(mnist.y_test, dtype=int)
        try:
            predicted = predictions_from_metrics(self.store.metrics(run_id), labels)
        except Exception:  # damaged metrics: ask the model
            predicted = None
        if predicted is None:
            try:
                predicted = predictions_from_model(self.store.model_path(run_id), mnist.x_test)
            except (ModelFileError, OSError, ValueError) as exc:
                log.info("run %s cannot be scored with NumPy: %s", run_id, exc)
                return None
        return split_scores(predicted, labels)

    def handwriting(self, run_id: str, sets, name: str) -> float | None:
        """Accuracy of the run on the handwriting set ``name`` of ``sets`` (a ``HandwritingStore``), or None
        when the set does not exist, has no drawings, or the run cannot be scored."""
        if handwriting_note(self._dataset(run_id) or "") is not None:
            return None  # the drawings are digits: a run of another set is not scored on them
        try:
            if not sets.exists(name):
                return None
            version = sets.version(name)
        except (OSError, ValueError):
            return None
        model_key = self._model_key(run_id)
        if model_key is None:
            return None
        key = (run_id, *model_key, str(sets.root), name, version)
        with self._lock:
            if key in self._handwriting:
                return self._handwriting[key]
        got = None
        try:
            drawings = sets.drawings(name)
            if len(drawings):
                from mnistlab.inference import load_numpy_model

                model = load_numpy_model(self.store.model_path(run_id))
                predicted = np.asarray(model(drawings.images, training=False)).argmax(axis=1)
                got = float((predicted == np.asarray(drawings.labels)).mean())
        except Exception as exc:  # a set or model that cannot be read: no figure, never a broken board
            log.info("run %s not scored on %s: %s", run_id, name, exc)
        with self._lock:
            self._handwriting[key] = got
        return got

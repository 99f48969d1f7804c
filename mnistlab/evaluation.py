"""Test-set metrics from predicted probabilities: accuracy, loss, confusion matrix, per-class scores, mistakes.

``score(y_true, probs)`` is plain NumPy/scikit-learn and needs no TensorFlow; ``evaluate(model, x, y)`` runs the
model in batches (calling it directly, which is faster here than ``model.predict``) and then scores.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

CLASSES = list(range(10))  # MNIST's; other sets have as many classes as their model has outputs


def output_units(model) -> int:
    """How many classes ``model`` scores (its last output dimension; 10 when it does not say)."""
    shape = getattr(model, "output_shape", None)
    try:
        return int(shape[-1])
    except (TypeError, ValueError, IndexError):
        return len(CLASSES)


def predict_proba(model, images: np.ndarray, batch_size: int = 2000, dtype=np.float32) -> np.ndarray:
    """(N, 28, 28) float32 images in [0, 1] -> (N, number of classes) float32 probabilities, by direct calls of
    ``batch_size`` images. ``dtype=None`` passes the images as they are (uint8 to a model reading bytes)."""
    images = np.asarray(images, dtype=dtype)
    out = [
        np.asarray(model(images[i : i + batch_size], training=False), dtype=np.float32)
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, output_units(model)), np.float32)


def score(y_true: np.ndarray, probs: np.ndarray) -> dict:
    """Metrics as JSON-ready plain data.

    ``probs`` is (N, C): C classes (10 for MNIST). Returns ``accuracy``, ``loss`` (mean cross-entropy),
    ``confusion`` (CxC counts, rows = true class), ``per_class`` (precision, recall, f1, support: lists of C),
    and ``mistakes``: one
    ``[test index, true, predicted, confidence]`` row per misclassified digit, most confident first.
    """
    # Imported here, not at the top: scikit-learn takes seconds to import, and the pages that only read
    # saved metrics (Inspect, Compare, the charts) import this module without ever scoring anything.
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true = np.asarray(y_true).astype(int)
    probs = np.asarray(probs, dtype=np.float64)
    classes = list(range(probs.shape[1])) if probs.ndim == 2 and probs.shape[1] else CLASSES
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    picked = np.clip(probs[np.arange(len(y_true)), y_true], 1e-12, 1.0)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, pred, labels=classes, zero_division=0
    )
    wrong = np.flatnonzero(pred != y_true)
    wrong = wrong[np.argsort(-conf[wrong], kind="stable")]
    return {
        "accuracy": float((pred == y_true).mean()) if len(y_true) else 0.0,
        "loss": float(-np.log(picked).mean()) if len(y_true) else 0.0,
        "n": len(y_true),
        "confusion": confusion_matrix(y_true, pred, labels=classes).tolist(),
        "per_class": {
            "precision": [round(float(v), 6) for v in precision],
            "recall": [round(float(v), 6) for v in recall],
            "f1": [round(float(v), 6) for v in f1],
            "support": [int(v) for v in support],
        },
        "mistakes": [[int(i), int(y_true[i]), int(pred[i]), round(float(conf[i]), 5)] for i in wrong],
    }


def evaluate(model, images: np.ndarray, labels: np.ndarray) -> dict:
    """Score ``model`` on float32 ``images`` (N, 28, 28) and their ``labels``; see ``score``."""
    return score(labels, predict_proba(model, images))


def normalize_rows(confusion) -> np.ndarray:
    """Row-normalized confusion matrix: each true digit's row sums to 1 (rows with no examples stay 0)."""
    cm = np.asarray(confusion, dtype=float)
    totals = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)


def top_confusion(confusion) -> tuple[int, int]:
    """(true digit, predicted digit) of the most frequent mistake in a confusion matrix (ties: the later pair)."""
    cm = np.asarray(confusion)
    pairs = [(cm[t, p], t, p) for t in range(len(cm)) for p in range(len(cm)) if t != p]
    _, true, predicted = max(pairs)
    return int(true), int(predicted)


class Mistake(NamedTuple):
    """One misclassified test digit, as ``score`` lists it in ``metrics["mistakes"]``."""

    index: int  # position in the test set
    true: int
    predicted: int
    confidence: float  # the probability the model gave its (wrong) answer


def mistakes(metrics: dict, limit: int | None = None) -> list[Mistake]:
    """The run's mistakes, most confident first (at most ``limit``)."""
    rows = metrics.get("mistakes", [])
    return [Mistake(int(i), int(t), int(p), float(c)) for i, t, p, c in rows[:limit]]


def cell_mistakes(metrics: dict, true: int, predicted: int) -> list[Mistake]:
    """The mistakes of one confusion-matrix cell (true digit read as ``predicted``), most confident first."""
    return [m for m in mistakes(metrics) if m.true == true and m.predicted == predicted]

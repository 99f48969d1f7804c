"""The class challenge's leaderboard: each pupil's best qualifying run, a public and a hidden score.

A challenge is on one dataset (MNIST unless the teacher picks another): only runs trained on it are ranked, and
they are scored on its test set. Kaggle InClass style: the 10,000 test images are split once, by a fixed permutation, into a public half
(scores everyone sees while the lesson runs) and a hidden half (revealed by the teacher at the end). In class
mode the hidden digits are never shown as pictures, so a pupil cannot tune to them.

    public, hidden = split_scores(predicted_labels, y_test)
    rows = leaderboard(runs, challenge, scores, name_of)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mnistlab.people.classroom import Challenge
from mnistlab.people.person import owner_of

SPLIT_SEED = 20  # fixed: the same digits are hidden on every server and in every lesson


@lru_cache(maxsize=4)
def hidden_mask(n: int = 10_000) -> np.ndarray:
    """Boolean mask over the ``n`` test digits: True for the hidden half."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    mask = np.zeros(n, dtype=bool)
    mask[order[: n // 2]] = True
    mask.flags.writeable = False
    return mask


def shown_to(person, mistakes: list, class_on: bool, n: int = 10_000) -> list:
    """The mistakes (objects with an ``index`` into the test set) a person may see as pictures: in class mode
    a pupil never sees the hidden half, so the hidden score stays a fair test."""
    if not class_on or not getattr(person, "is_pupil", False):
        return list(mistakes)
    hidden = hidden_mask(n)
    return [m for m in mistakes if not hidden[m.index]]


def split_scores(predicted: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(public accuracy, hidden accuracy) of predicted labels (N,) against the true ones (N,)."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape:
        raise ValueError(f"{predicted.shape[0]} predictions for {labels.shape[0]} labels.")
    right = predicted == labels
    hidden = hidden_mask(len(labels))
    return float(right[~hidden].mean()), float(right[hidden].mean())


@dataclass(frozen=True)
class Row:
    """One pupil's line on the board. ``hidden`` is None until the teacher reveals it."""

    rank: int
    owner: str
    name: str
    run_id: str
    run_name: str
    params: int
    epochs: int
    public: float
    hidden: float | None
    handwriting: float | None  # accuracy on the class's own handwriting set, when it has drawings


def leaderboard(
    runs: Iterable,
    challenge: Challenge,
    scores: Callable[[str], tuple[float, float] | None],
    name_of: Callable[[str], str],
    handwriting: Callable[[str], float | None] = lambda run_id: None,
    people: set[str] | None = None,
) -> list[Row]:
    """Each owner's best qualifying finished run, ranked by public score (ties: fewer parameters, earlier).

    ``runs`` are store runs (``owner``, ``params``, ``config['epochs']``, ``dataset``); runs of another dataset
    than the challenge's never qualify. ``scores(run_id)`` gives (public, hidden) or None for a run that cannot
    be scored; ``people`` limits the board to the current class."""
    best: dict[str, tuple] = {}
    for run in runs:
        owner = owner_of(getattr(run, "owner", None))
        if people is not None and owner not in people:
            continue
        if getattr(run, "status", "completed") != "completed":
            continue
        epochs = int((run.config or {}).get("epochs", 0))
        if not challenge.qualifies(run.params, epochs, getattr(run, "dataset", "mnist")):
            continue
        got = scores(run.id)
        if got is None:
            continue
        key = (-got[0], run.params, run.created)
        if owner not in best or key < best[owner][0]:
            best[owner] = (key, run, got, epochs)
    ordered = sorted(best.items(), key=lambda item: item[1][0])
    return [
        Row(
            rank=i + 1,
            owner=owner,
            name=name_of(owner),
            run_id=run.id,
            run_name=run.name,
            params=run.params,
            epochs=epochs,
            public=got[0],
            hidden=got[1] if challenge.revealed else None,
            handwriting=handwriting(run.id),
        )
        for i, (owner, (_key, run, got, epochs)) in enumerate(ordered)
    ]

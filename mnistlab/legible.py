"""Is there a digit to read? A judgement on a drawing (and on what the model made of it) before showing a number.

A model always answers with one of ten digits, even for a single dot: scaled up to MNIST's 20 px box a dot
becomes a disc, and a disc is read as "0" with 90 % confidence. ``judge_drawing`` says instead when there is
too little ink to read, when the ink does not look like a digit, and when the model itself is unsure.

The thresholds are measured (``tests/test_legible.py`` checks the figures below on the same data):

- **Size.** The longer side of the ink's bounding box, as a share of the picture's longer side. Every MNIST
  test digit measures 0.61-0.71 (they fill a 20 px box in 28 px); canvas redraws of test digits (random size,
  place, pen and tilt, ``mnistlab.bench.drawn_digits``) 0.34-0.85; the browser tests' digits drawn at pens 6-40
  and at half size or more, 0.34 and up. A dot measures 0.03 (pen 6) to 0.15 (pen 40) on the 280 px canvas, a
  short stray line 0.14-0.17. Below ``MIN_SIZE`` = 0.25 is "too little ink".
- **Shape.** The ink's extent divided by its stroke width (twice the largest distance from any ink pixel to
  the background). A dot or a filled blob is about 1.0-1.2 whatever its size; MNIST test digits measure 1.49 and
  up, canvas redraws 1.36 and up. Below ``MIN_ELONGATION`` = 1.3 the ink "does not look like a digit".
- **Confidence.** With the dropout preset (3 epochs, 97.7 % on MNIST's test set), a top probability under
  ``MIN_CONFIDENCE`` = 0.6 flags 1.7 % of the test digits and 5.7 % of tilted canvas redraws, and the model is
  right on fewer than half of those (45 % and 42 %): there, "not sure, maybe 3 or 5" is the honest answer.

NumPy and SciPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnistlab.dataset_choice import with_article as _a
from mnistlab.drawing import INK_LEVEL, ink_map

MIN_SIZE = 0.25
MIN_ELONGATION = 1.3
MIN_CONFIDENCE = 0.6

EMPTY, TOO_LITTLE, UNSURE, OK = "empty", "too little ink", "unsure", "ok"


@dataclass(frozen=True)
class Judgement:
    """What to say about a drawing: ``verdict`` is one of ``empty``, ``too little ink``, ``unsure`` or ``ok``;
    ``message`` says it to the user (empty for ``ok``); ``size`` and ``elongation`` are the measured ink."""

    verdict: str
    message: str = ""
    size: float = 0.0
    elongation: float = 0.0

    @property
    def readable(self) -> bool:
        """True when a prediction may be shown (perhaps with a word of doubt): ``unsure`` or ``ok``."""
        return self.verdict in (UNSURE, OK)


def measure_ink(image: np.ndarray) -> tuple[float, float] | None:
    """(size, elongation) of the ink in ``image`` (any form ``ink_map`` accepts); None when there is no ink.

    ``size``: the longer side of the ink's bounding box over the picture's longer side (0-1).
    ``elongation``: that extent over the stroke width (a dot is about 1, a written digit 1.5 and more).
    """
    from scipy import ndimage

    mask = ink_map(image) > INK_LEVEL
    if not mask.any():
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    # The ink's box with a ring of background around it holds every ink pixel's nearest background pixel (or
    # one as near): the same widest stroke as the whole picture, at a third of the cost on a 280 px canvas.
    ink = np.pad(mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], 1)
    stroke = 2.0 * float(ndimage.distance_transform_edt(ink).max())
    return extent / max(mask.shape), extent / max(stroke, 1.0)


def judge_drawing(
    image: np.ndarray,
    probabilities: np.ndarray | None = None,
    item: str = "digit",
    class_names: tuple[str, ...] | None = None,
    framing: str = "centred",
) -> Judgement:
    """Judge a raw drawing (canvas RGBA, upload, or a 28x28 digit) and, if given, the model's ten probabilities.

    Ink first: nothing, or too little to read (a dot, a short stray line, a tiny digit) gives ``too little ink``
    and no prediction should be shown. Ink that is a blob rather than strokes, or a top probability under
    ``MIN_CONFIDENCE``, gives ``unsure``: show the best guesses as guesses. Otherwise ``ok``.

    ``item`` names one example in the messages ("digit", "item"); ``class_names`` names the classes (default:
    their numbers). For a ``filled`` set (Fashion-MNIST) a solid shape is what an item looks like, so the
    blob check is skipped.
    """
    measured = measure_ink(image)
    if measured is None:
        return Judgement(EMPTY, f"Nothing to read yet: draw {_a(item)}.")
    size, elongation = measured
    if size < MIN_SIZE:
        return Judgement(
            TOO_LITTLE,
            f"Too little ink to read: draw a bigger {item}, using most of the square.",
            size,
            elongation,
        )
    if elongation < MIN_ELONGATION and framing != "filled":
        return Judgement(
            UNSURE,
            f"This looks like a dot or a blob rather than {_a(item)}: draw the {item}'s strokes.",
            size,
            elongation,
        )
    if probabilities is not None:
        probabilities = np.asarray(probabilities, dtype=float)
        first, second = (int(d) for d in np.argsort(probabilities)[::-1][:2])
        if probabilities[first] < MIN_CONFIDENCE:
            name = lambda c: class_names[c] if class_names and c < len(class_names) else str(c)  # noqa: E731
            return Judgement(
                UNSURE,
                f"The model is not sure: {probabilities[first]:.0%} for {_a(name(first))}, "
                f"{probabilities[second]:.0%} for {_a(name(second))}. Try drawing it more clearly.",
                size,
                elongation,
            )
    return Judgement(OK, "", size, elongation)


@dataclass(frozen=True)
class Reading:
    """A drawing as the Draw page answers it: the judgement, and when there is something to read, the 28x28
    image the model saw and its ten probabilities (both None otherwise)."""

    judgement: Judgement
    image28: np.ndarray | None = None
    probabilities: np.ndarray | None = None


def read_drawing(
    picture: np.ndarray,
    model,
    framing: str = "centred",
    item: str = "digit",
    class_names: tuple[str, ...] | None = None,
) -> Reading:
    """Judge the ink of ``picture``; when it is readable, prepare it for the model's dataset (``framing``:
    MNIST's ``centred`` or Fashion-MNIST's ``filled``, see ``mnistlab.drawing.prepare_drawing``) and ask
    ``model`` (called directly, see ``mnistlab.drawing.predict_digit``), then judge the model's confidence too.
    ``item`` and ``class_names`` word the messages."""
    from mnistlab.drawing import predict_digit, prepare_drawing

    words = {"item": item, "class_names": class_names, "framing": framing}
    judgement = judge_drawing(picture, **words)
    if not judgement.readable:
        return Reading(judgement)
    image28 = prepare_drawing(picture, framing)
    if image28 is None:  # a hairline too faint to prepare: nothing the model could read either
        return Reading(
            Judgement(TOO_LITTLE, f"Too little ink to read: draw a bigger {item}.", judgement.size)
        )
    probabilities = predict_digit(model, image28)
    if judgement.verdict == OK:
        judgement = judge_drawing(picture, probabilities, **words)
    return Reading(judgement, image28, probabilities)

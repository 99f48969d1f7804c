"""How well and how fast drawn digits are recognised: synthetic canvas drawings made from MNIST test digits.

``redraw_as_canvas`` turns a 28x28 MNIST digit into what a person might leave on the 280x280 Draw canvas: a
larger digit at a random place and size, with thicker or thinner crisp anti-aliased strokes, in one of the
colour schemes a canvas or an uploaded picture can have. ``measure_robustness`` checks that a model keeps its
accuracy on such drawings after ``canvas_to_mnist``; ``measure_draw_latency`` times the whole Draw-page path.
Both are used by ``benchmarks/`` and ``mnistlab bench``.
"""

from __future__ import annotations

import time

import numpy as np
from PIL import Image, ImageFilter

from mnistlab.drawing import canvas_to_mnist, predict_digit, warm_up
from mnistlab.study import stats

CANVAS = 280
# Stroke thickness changes applied to the enlarged digit: Pillow rank-filter sizes (negative = erode).
THICKNESS = (-5, 0, 0, 5, 9)
SCHEMES = ("white_on_black", "black_on_white", "ink_on_transparent")


def redraw_as_canvas(
    digit: np.ndarray,
    rng: np.random.Generator,
    canvas: int = CANVAS,
    size_share: float | None = None,
    thickness: int | None = None,
    scheme: str | None = None,
    angle: float = 0.0,
    slant: float = 0.0,
) -> np.ndarray:
    """Return an RGBA uint8 canvas (``canvas`` x ``canvas``) with ``digit`` redrawn as a person might.

    Position is always random; the digit's longer side as a share of the canvas (``size_share``), the stroke
    change (``thickness``, a rank-filter size, negative thins) and the colour ``scheme`` are random unless given.
    ``angle`` tilts the digit (degrees, counter-clockwise) and ``slant`` shears it like italic writing
    (horizontal shift per unit of height, positive leans right); both default to upright.
    """
    ink = np.asarray(digit, dtype=np.float32)
    ink = ink / 255.0 if ink.max() > 1.0 else ink
    if angle or slant:
        ink = tilt(ink, angle, slant)
    rows = np.flatnonzero(ink.max(axis=1) > 0.1)
    cols = np.flatnonzero(ink.max(axis=0) > 0.1)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    longer = (size_share or rng.uniform(0.4, 0.85)) * canvas
    factor = longer / max(ink.shape)
    size = (max(1, round(ink.shape[1] * factor)), max(1, round(ink.shape[0] * factor)))
    smooth = np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.Resampling.BICUBIC))
    # A canvas stroke is solid with a soft one-pixel edge: threshold the smooth enlargement with a ramp.
    level = rng.uniform(0.35, 0.6)
    stroke = np.clip((smooth - level) / 0.12 + 0.5, 0.0, 1.0)
    stroke_image = Image.fromarray((stroke * 255).astype(np.uint8), mode="L")
    change = int(rng.choice(THICKNESS)) if thickness is None else thickness
    if change > 0:
        stroke_image = stroke_image.filter(ImageFilter.MaxFilter(change))
    elif change < 0:
        stroke_image = stroke_image.filter(ImageFilter.MinFilter(-change))

    plane = np.zeros((canvas, canvas), dtype=np.uint8)
    height, width = size[1], size[0]
    top = int(rng.integers(0, max(1, canvas - height + 1)))
    left = int(rng.integers(0, max(1, canvas - width + 1)))
    plane[top : top + height, left : left + width] = np.asarray(stroke_image)[: canvas - top, : canvas - left]
    return _colour(plane, scheme or SCHEMES[int(rng.integers(len(SCHEMES)))])


def tilt(ink: np.ndarray, angle: float = 0.0, slant: float = 0.0) -> np.ndarray:
    """``ink`` (float32, 0..1) slanted by ``slant`` then rotated by ``angle`` degrees, on a field large
    enough to keep all of it."""
    height, width = ink.shape
    pad = int(np.ceil(max(height, width) * (0.5 + abs(slant))))
    image = Image.fromarray(np.pad(ink, pad), mode="F")
    if slant:
        # Output pixel (x, y) takes input (x + slant * (y - middle), y): the top moves right for slant > 0.
        middle = image.height / 2
        image = image.transform(
            image.size, Image.Transform.AFFINE, (1, slant, -slant * middle, 0, 1, 0), Image.Resampling.BICUBIC
        )
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC)
    return np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)


def redraw_tilted(
    digit: np.ndarray, rng: np.random.Generator, max_angle: float = 25.0, max_slant: float = 0.4
) -> np.ndarray:
    """A canvas drawing of ``digit`` as people draw it off-guard: tilted by up to ``max_angle`` degrees,
    slanted by up to ``max_slant``, with a random size, place, pen (thin to thick) and colours."""
    angle = float(rng.uniform(-max_angle, max_angle))
    slant = float(rng.uniform(-max_slant, max_slant))
    return redraw_as_canvas(digit, rng, angle=angle, slant=slant)


# Pens well beyond the usual: rank-filter sizes on the enlarged digit (about 1.5 px thinner to 1.5 px thicker
# once the digit is scaled back to MNIST's 20 px box).
PENS = (-9, -5, 11, 15)


def redraw_with_pen(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A canvas drawing of ``digit`` with a much thinner or thicker pen than MNIST's, upright."""
    return redraw_as_canvas(digit, rng, thickness=int(rng.choice(PENS)))


def _colour(plane: np.ndarray, scheme: str) -> np.ndarray:
    """Paint an ink plane (uint8, 255 = ink) in one colour scheme as RGBA."""
    rgba = np.empty((*plane.shape, 4), dtype=np.uint8)
    if scheme == "white_on_black":
        rgba[..., :3] = plane[..., None]
        rgba[..., 3] = 255
    elif scheme == "black_on_white":
        rgba[..., :3] = 255 - plane[..., None]
        rgba[..., 3] = 255
    else:  # dark-blue ink on a transparent canvas: only alpha tells where the ink is
        rgba[..., :3] = (20, 30, 90)
        rgba[..., 3] = plane
    return rgba


def measure_robustness(model, n: int = 2000, seed: int = 0, data=None) -> dict:
    """Accuracy of ``model`` on ``n`` MNIST test digits, as given and redrawn on a canvas + ``canvas_to_mnist``."""
    from mnistlab.data import load_mnist, to_float
    from mnistlab.evaluation import predict_proba

    data = data or load_mnist()
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(data.x_test), size=min(n, len(data.x_test)), replace=False)
    images, labels = data.x_test[picks], data.y_test[picks]

    original = predict_proba(model, to_float(images)).argmax(axis=1)
    prepared = [canvas_to_mnist(redraw_as_canvas(image, rng)) for image in images]
    empty = sum(item is None for item in prepared)
    batch = np.stack([item if item is not None else np.zeros((28, 28), np.float32) for item in prepared])
    redrawn = predict_proba(model, batch).argmax(axis=1)

    original_accuracy = float((original == labels).mean())
    redrawn_accuracy = float((redrawn == labels).mean())
    return {
        "n": len(labels),
        "original_accuracy": round(original_accuracy, 4),
        "redrawn_accuracy": round(redrawn_accuracy, 4),
        "drop_points": round(100 * (original_accuracy - redrawn_accuracy), 2),
        "empty_drawings": int(empty),
    }


def measure_draw_latency(model, n: int = 500, seed: int = 0, data=None) -> dict:
    """Time ``canvas_to_mnist`` + ``predict_digit`` on ``n`` 280x280 drawings; milliseconds per drawing."""
    from mnistlab.data import load_mnist

    data = data or load_mnist()
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(data.x_test), size=n, replace=len(data.x_test) < n)
    canvases = [redraw_as_canvas(data.x_test[i], rng) for i in picks]
    warm_up(model)

    preprocess, total = [], []
    for canvas in canvases:
        start = time.perf_counter()
        image28 = canvas_to_mnist(canvas)
        middle = time.perf_counter()
        predict_digit(model, image28)
        end = time.perf_counter()
        preprocess.append(middle - start)
        total.append(end - start)

    def ms(values, q):
        return round(stats.percentile(values, q) * 1000, 3)

    return {
        "n": n,
        "p50_ms": ms(total, 50),
        "p95_ms": ms(total, 95),
        "mean_ms": round(float(np.mean(total)) * 1000, 3),
        "preprocess_p50_ms": ms(preprocess, 50),
        "preprocess_p95_ms": ms(preprocess, 95),
        "predict_p50_ms": ms([t - p for t, p in zip(total, preprocess, strict=True)], 50),
        "predict_p95_ms": ms([t - p for t, p in zip(total, preprocess, strict=True)], 95),
    }

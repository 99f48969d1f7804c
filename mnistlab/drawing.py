"""Turn a drawing (canvas, upload, photo of a digit) into the 28x28 image a model expects.

MNIST digits were made in a particular way: the ink was cropped to its bounding box, scaled with
anti-aliasing so that the longer side is 20 pixels (keeping the aspect ratio), and placed in a 28x28 field so
that its centre of mass sits at the centre. A model trained on MNIST only recognises drawings prepared the
same way, so ``canvas_to_mnist`` repeats those steps. NumPy and Pillow only; TensorFlow is not imported here.
"""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

FIELD = 28  # MNIST image side
BOX = 20  # the longer side of the digit inside the field
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096
ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")

# A pixel counts as ink above this level (0..1), and a drawing needs this share of the canvas as ink
# (or at least MIN_INK_PIXELS) before we classify it: a stray click is not a digit.
INK_LEVEL = 0.2
MIN_INK_SHARE = 0.0005
MIN_INK_PIXELS = 4


class ImageError(ValueError):
    """An uploaded image that cannot be used; the message says why."""


def ink_map(image: np.ndarray) -> np.ndarray:
    """Return the ink of ``image`` as float32 in [0, 1] (1 = full ink), whatever the colours.

    Accepts HxW (grey), HxWx3 (RGB) or HxWx4 (RGBA) arrays of uint8 (or floats in [0, 1]). The background
    is what most of the border looks like: light backgrounds are inverted, and a transparent background
    (a canvas without background colour) means the ink is wherever the alpha is.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ImageError(f"Expected an HxW, HxWx3 or HxWx4 image, got shape {image.shape}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ImageError("The image is empty (zero width or height).")
    scale = 255.0 if image.dtype == np.uint8 or image.max(initial=0) > 1.0 else 1.0
    pixels = image.astype(np.float32) / scale

    if pixels.ndim == 2:
        grey = pixels
    else:
        grey = pixels[..., 0] * 0.299 + pixels[..., 1] * 0.587 + pixels[..., 2] * 0.114
        if pixels.shape[2] == 4:
            alpha = pixels[..., 3]
            if np.median(_border(alpha)) < 0.5:
                return np.clip(alpha, 0.0, 1.0)
            grey = grey * alpha  # composite any translucent pixels onto black

    background = float(np.median(_border(grey)))
    if background > 0.5:
        grey = 1.0 - grey
        background = 1.0 - background
    # Remove the background level (a grey sheet of paper), keeping full contrast for the ink.
    return np.clip((grey - background) / max(1.0 - background, 1e-3), 0.0, 1.0)


def _border(plane: np.ndarray) -> np.ndarray:
    """The outermost pixels of a 2-D array (all of it when it is tiny)."""
    if min(plane.shape) <= 2:
        return plane.ravel()
    return np.concatenate([plane[0], plane[-1], plane[1:-1, 0], plane[1:-1, -1]])


def canvas_to_mnist(image: np.ndarray, normalize: bool = True) -> np.ndarray | None:
    """Prepare a drawing the way MNIST digits were prepared; return 28x28 float32 in [0, 1] or None.

    Crops the ink to its bounding box, scales the longer side to 20 px with anti-aliasing (aspect ratio kept)
    and places the result so that its centre of mass is at the centre of the 28x28 field. Returns None when
    the canvas is empty or holds only a speck. With ``normalize`` the brightest pixel becomes 1, like the
    full-intensity strokes of MNIST.
    """
    ink = ink_map(image)
    mask = ink > INK_LEVEL
    if mask.sum() < max(MIN_INK_PIXELS, MIN_INK_SHARE * ink.size):
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    height, width = crop.shape
    factor = BOX / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    scaled = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.LANCZOS))
    scaled = np.clip(scaled, 0.0, 1.0)  # Lanczos rings slightly below 0 and above 1
    if normalize and scaled.max() > 0:
        scaled = scaled / scaled.max()
    return _place_by_centre_of_mass(scaled.astype(np.float32))


FILL_LEVEL = (
    0.6  # the grey a closed outline is filled with for a "filled" set (a sketch becomes a solid item)
)


def canvas_to_filled(image: np.ndarray, normalize: bool = True, fill: bool = True) -> np.ndarray | None:
    """Prepare a drawing the way Fashion-MNIST items were prepared; return 28x28 float32 in [0, 1] or None.

    Fashion-MNIST's product photos were trimmed to the item, scaled so the longer side is 28 px and centred:
    the item fills the frame (unlike MNIST's 20 px box placed by centre of mass). A sketch is an outline
    while the photos are solid shapes, so with ``fill`` the inside of every closed outline is filled with
    ``FILL_LEVEL`` grey. Returns None when there is no ink (as ``canvas_to_mnist``).
    """
    from scipy import ndimage

    ink = ink_map(image)
    mask = ink > INK_LEVEL
    if mask.sum() < max(MIN_INK_PIXELS, MIN_INK_SHARE * ink.size):
        return None
    if fill:
        inside = ndimage.binary_fill_holes(mask) & ~mask
        ink = np.where(inside, np.maximum(ink, FILL_LEVEL), ink).astype(np.float32)
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = crop.shape
    factor = FIELD / max(height, width)
    size = (max(1, min(FIELD, round(width * factor))), max(1, min(FIELD, round(height * factor))))
    scaled = np.clip(np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.LANCZOS)), 0, 1)
    if normalize and scaled.max() > 0:
        scaled = scaled / scaled.max()
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    top, left = (FIELD - size[1]) // 2, (FIELD - size[0]) // 2
    field[top : top + size[1], left : left + size[0]] = scaled
    return field


def prepare_drawing(image: np.ndarray, framing: str = "centred") -> np.ndarray | None:
    """The 28x28 image a model of a set with this ``framing`` expects (see ``mnistlab.datasets.Dataset``):
    ``centred`` is MNIST's (``canvas_to_mnist``), ``filled`` Fashion-MNIST's (``canvas_to_filled``)."""
    return canvas_to_filled(image) if framing == "filled" else canvas_to_mnist(image)


def _place_by_centre_of_mass(digit: np.ndarray) -> np.ndarray:
    """Put ``digit`` in a 28x28 field with its centre of mass at the field centre (clipped at the edges)."""
    total = float(digit.sum())
    ys, xs = np.indices(digit.shape)
    centre_y = float((ys * digit).sum()) / total
    centre_x = float((xs * digit).sum()) / total
    # MNIST digits have their centre of mass at pixel (14, 14) (std 0.29: whole-pixel shifts), not at the
    # geometric 13.5; matching that is worth about a point of accuracy on drawings.
    middle = FIELD / 2
    top = round(middle - centre_y)
    left = round(middle - centre_x)

    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    # Intersect the digit's rectangle with the field, so a lopsided digit is clipped rather than wrapped.
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + digit.shape[0], FIELD), min(left + digit.shape[1], FIELD)
    if y1 > y0 and x1 > x0:
        field[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return field


def read_image(
    data: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> np.ndarray:
    """Decode an uploaded PNG/JPEG/GIF/BMP/WebP into an RGBA uint8 array; raise ``ImageError`` if unusable.

    Refuses empty or oversized files, anything that is not an image, and decompression bombs: the pixel
    count declared in the header is checked before any pixel is decoded.
    """
    if not data:
        raise ImageError("The file is empty (0 bytes).")
    if len(data) > max_bytes:
        raise ImageError(f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            width, height = picture.size
            if width * height > max_pixels:
                raise ImageError(
                    f"The image is {width} x {height} pixels; the limit is {max_pixels:,} pixels in total. "
                    "Please upload a smaller picture."
                )
            picture.load()
            picture = ImageOps.exif_transpose(picture)  # photos taken sideways
            rgba = np.asarray(picture.convert("RGBA"))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("This file is not an image Pillow can read; please upload a PNG or JPEG.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            "The image declares too many pixels to decode safely (a decompression bomb?)."
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt files
        raise ImageError(f"The image could not be decoded: {exc}") from None
    if rgba.shape[0] == 0 or rgba.shape[1] == 0:
        raise ImageError("The image has no pixels.")
    return rgba


def predict_digit(model, image28: np.ndarray) -> np.ndarray:
    """Return the model's class probabilities (float32, shape (classes,), ten for MNIST) for one 28x28 image in [0, 1].

    ``model`` is a Keras model or a ``mnistlab.inference.NumpyModel`` (the Draw page's, no TensorFlow): both are
    called directly as ``model(batch, training=False)``, never through ``predict`` and its per-call overhead."""
    image28 = np.asarray(image28, dtype=np.float32)
    if image28.shape != (FIELD, FIELD):
        raise ValueError(f"Expected a 28x28 image, got shape {image28.shape}.")
    probabilities = model(image28[None], training=False)
    return np.asarray(probabilities, dtype=np.float32)[0]


def warm_up(model) -> None:
    """Run the model once on a blank image so the first real prediction is not slowed by tracing."""
    predict_digit(model, np.zeros((FIELD, FIELD), dtype=np.float32))


def upscale_for_display(image28: np.ndarray, size: int = 140) -> np.ndarray:
    """The 28x28 image as uint8, enlarged with nearest-neighbour so each model pixel stays a visible square."""
    factor = max(1, size // FIELD)
    pixels = np.clip(np.asarray(image28, dtype=np.float32) * 255.0, 0, 255).astype(np.uint8)
    return np.kron(pixels, np.ones((factor, factor), dtype=np.uint8))


def top_prediction(probabilities: np.ndarray) -> tuple[int, float]:
    """The predicted digit and its probability."""
    probabilities = np.asarray(probabilities)
    digit = int(probabilities.argmax())
    return digit, float(probabilities[digit])


def default_run_id(runs: list, wanted: str | None = None) -> str | None:
    """The run to draw for: ``wanted`` if it has a model, else the best run with a model
    (``mnistlab.runs.choice.best_run_id``), else None when no run has a model."""
    from mnistlab.runs.choice import best_run_id

    return best_run_id([run for run in runs if run.has_model], wanted)

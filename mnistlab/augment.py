"""Data augmentation for training only: digits tilted, slanted, resized and drawn with a thicker pen, at random;
clothing mirrored and shifted (``settings_for``: the variations fit for a set, by its framing).

MNIST's digits are upright, size-normalised and centred; digits drawn on a canvas are centred and
size-normalised too (``canvas_to_mnist`` repeats MNIST's preparation) but are often tilted, slanted and drawn
with a thicker pen. ``TrainConfig(augment=True)`` shows the model such variations of part of every batch.
Clothing (Fashion-MNIST) is upright and fills the frame, so tilts and a thicker pen would make items it never
shows; there ``augment`` mirrors items left to right and moves them by up to 2 pixels (docs/study/fashion-mnist.md).

How, and why this way: the variations are one random affine transform per digit (rotation, shear, zoom and
a small shift composed into one matrix about the digit's centre of mass) applied with Keras' own
``keras.ops.image.affine_transform`` (the op behind RandomRotation, RandomShear, RandomZoom and
RandomTranslation), plus a stroke-thickness jitter made of max-pooling. Stacking the four Keras layers instead
made training the dropout preset 4.9x slower on 2 cores (each layer interpolates every image again; the
model itself costs only ~6 ms per batch of 512), one composed transform on a share of each batch keeps the
cost within the 1.5x budget. Figures: docs/HANDWRITING.md.

The variations live in a separate stack that ``fit`` runs in front of the model being trained
(``with_augmentation``); the model that is returned, saved and used for predictions never contains them, so
its architecture, its file and its predictions are exactly those of a model trained without augmentation.
The stack is inactive outside training, so validation sees the digits as they are.
TensorFlow is imported lazily, only when a model is built.
"""

from __future__ import annotations

import math
from functools import cache

# How far each variation goes, and how much of each batch is varied (the rest stays as MNIST has it, so
# accuracy on MNIST itself is kept). Rotations and slants are what canvas drawings add most; sizes and
# places vary little after canvas_to_mnist, so zoom and shift stay small.
SETTINGS = {
    "share": 0.5,  # of each batch
    "rotation_degrees": 20.0,
    "shear": 0.3,  # horizontal shift per unit of height (slant)
    "zoom": 0.08,
    "shift_px": 1.0,
    "thicker_share": 0.25,  # of the varied digits: drawn with a thicker pen (3x3 max-pool)
}
CENTRE = 14.0  # MNIST's digits have their centre of mass at pixel (14, 14)
# Clothing (Fashion-MNIST, framing "filled"): items stand upright and fill the frame, and a shirt seen in a
# mirror is still a shirt, so no tilts, slants, zoom or pen: half the varied items mirrored left to right and
# all of them moved by whole pixels (no interpolation, so the fabric's texture stays sharp).
CLOTHING = {
    **SETTINGS,
    "rotation_degrees": 0.0,
    "shear": 0.0,
    "zoom": 0.0,
    "shift_px": 2.0,
    "whole_px": True,  # shifts rounded to whole pixels
    "thicker_share": 0.0,
    "mirror_share": 0.5,  # of the varied items
    "centre": 13.5,  # the frame's centre (the pivot of the mirror)
}
# A set's framing (mnistlab.datasets.Dataset.framing) -> its augmentation: TrainConfig(augment=True) means
# the variations fit for the set trained on.
BY_FRAMING = {"centred": SETTINGS, "filled": CLOTHING}


def settings_for(dataset: str | None) -> dict:
    """The augmentation settings for the set called ``dataset`` (by its framing; digits' when unknown)."""
    from mnistlab.data import DataError
    from mnistlab.datasets import get_dataset

    try:
        framing = get_dataset(dataset).framing
    except DataError:
        framing = "centred"
    return dict(BY_FRAMING.get(framing, SETTINGS))


def with_augmentation(model, seed: int = 0, settings: dict | None = None):
    """A model for ``fit`` only: random variations of part of each (batch, 28, 28) batch, then ``model``.

    It shares ``model``'s layers (and so its weights): training it trains ``model``, which stays free of any
    augmentation layer. Outside training the variations are switched off, so both give the same outputs.
    """
    from mnistlab.tf import keras

    inputs = keras.Input(shape=(28, 28), name="image")
    varied = _layer_class()(seed=seed, settings=settings, name="augmentation")(inputs)
    return keras.Model(inputs, model(varied), name=f"{model.name}_augmented")


def augment_images(images, seed: int = 0, settings: dict | None = None):
    """(N, 28, 28) float32 digits -> the same digits varied at random as training sees them (NumPy).

    Every digit is varied here (``share`` is ignored), to show what the variations look like.
    """
    import numpy as np

    from mnistlab.tf import keras

    layer = _layer_class()(seed=seed, settings={**SETTINGS, **(settings or {}), "share": 1.0})
    varied = layer(keras.ops.convert_to_tensor(np.asarray(images, dtype=np.float32)), training=True)
    return keras.ops.convert_to_numpy(varied)


@cache
def _layer_class():
    from mnistlab.tf import keras

    ops = keras.ops

    class RandomHandwriting(keras.layers.Layer):
        """Varies the first ``share`` of each (shuffled) batch: one random affine transform per digit, and a
        thicker pen for some. Identity outside training."""

        def __init__(self, seed: int = 0, settings: dict | None = None, **kwargs):
            super().__init__(**kwargs)
            self.settings = {**SETTINGS, **(settings or {})}
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, images, training=None):
            if not training:
                return images
            s = self.settings
            n = ops.shape(images)[0]
            k = ops.cast(ops.ceil(ops.cast(n, "float32") * s["share"]), "int32")
            head, tail = images[:k], images[k:]

            def uniform(limit):
                return keras.random.uniform(
                    ops.stack([k]), minval=-limit, maxval=limit, seed=self.seed_generator
                )

            # Drawn only where used, so the digits' random stream (and their variations) stay as they were.
            if s.get("mirror_share", 0.0) > 0:
                flip = keras.random.uniform(ops.stack([k, 1, 1]), seed=self.seed_generator)
                head = ops.where(flip < s["mirror_share"], ops.flip(head, axis=2), head)
            angle = uniform(math.radians(s["rotation_degrees"]))
            shear = uniform(s["shear"])
            zoom = 1.0 + uniform(s["zoom"])
            shift_x, shift_y = uniform(s["shift_px"]), uniform(s["shift_px"])
            if s.get("whole_px"):
                shift_x, shift_y = ops.round(shift_x), ops.round(shift_y)
            # affine_transform maps each output pixel to the input pixel it comes from: the inverse of
            # "rotate, then shear, then zoom about the centre, then shift": B = Z^-1 Sh^-1 R^-1.
            cos, sin = ops.cos(angle), ops.sin(angle)
            b00, b01 = (cos + shear * sin) / zoom, (sin - shear * cos) / zoom
            b10, b11 = -sin / zoom, cos / zoom
            centre = s.get("centre", CENTRE)
            cx, cy = centre + shift_x, centre + shift_y
            b02 = centre - b00 * cx - b01 * cy
            b12 = centre - b10 * cx - b11 * cy
            zeros = ops.zeros_like(angle)
            transform = ops.stack([b00, b01, b02, b10, b11, b12, zeros, zeros], axis=1)
            varied = keras.ops.image.affine_transform(
                head[..., None], transform, fill_mode="constant", data_format="channels_last"
            )
            if s["thicker_share"] > 0:
                thicker = ops.max_pool(varied, 3, strides=1, padding="same")
                pick = keras.random.uniform(ops.stack([k, 1, 1, 1]), seed=self.seed_generator)
                varied = ops.where(pick < s["thicker_share"], thicker, varied)
            return ops.concatenate([ops.clip(varied[..., 0], 0.0, 1.0), tail], axis=0)

        def compute_output_shape(self, input_shape):
            return input_shape

    return RandomHandwriting

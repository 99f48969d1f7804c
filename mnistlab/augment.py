"""Data augmentation for training only: digits tilted, slanted, resized, moved and re-inked at random.

MNIST's digits are upright, size-normalised and centred; digits drawn on a canvas are often tilted, slanted
and drawn with a thicker or thinner pen. ``TrainConfig(augment=True)`` shows the model random variations of
each training digit, built from Keras' own preprocessing layers (RandomRotation, RandomShear, RandomZoom,
RandomTranslation) plus a stroke-thickness jitter made of max-pooling (a thicker pen) and min-pooling
(a thinner one).

The variations live in a separate stack that ``fit`` runs in front of the model being trained
(``with_augmentation``); the model that is returned, saved and used for predictions never contains them, so
its architecture, its file and its predictions are exactly those of a model trained without augmentation.
Keras' random layers are inactive outside training, so validation sees the digits as they are.
TensorFlow is imported lazily, only when a model is built.
"""

from __future__ import annotations

from functools import cache

# How far each variation goes. MNIST digits fill a 20x20 box inside the 28x28 field, so a 10 % translation
# (2.8 px) keeps the ink inside; 15 degrees and a 0.25 shear span typical tilts and slants of handwriting.
ROTATION_DEGREES = 15
SHEAR = 0.25
ZOOM = 0.12
TRANSLATION = 0.1
# Share of digits drawn with a thicker pen (3x3 max-pool) and with a thinner one (min-pool, blended halfway
# so thin strokes thin out rather than vanish, then brought back to full intensity).
THICKER, THINNER = 0.25, 0.25
THIN_BLEND = 0.5

SETTINGS = {
    "rotation_degrees": ROTATION_DEGREES,
    "shear": SHEAR,
    "zoom": ZOOM,
    "translation": TRANSLATION,
    "thicker_share": THICKER,
    "thinner_share": THINNER,
}


def augmentation_layers(seed: int = 0):
    """The random layers, in order, for (batch, 28, 28, 1) images in [0, 1]; empty areas fill with black."""
    from mnistlab.tf import keras

    layers = keras.layers
    fill = {"fill_mode": "constant", "fill_value": 0.0}
    return [
        _StrokeJitter(seed=seed + 1, name="stroke_jitter"),
        layers.RandomRotation(ROTATION_DEGREES / 360, seed=seed + 2, name="rotation", **fill),
        layers.RandomShear(x_factor=SHEAR, y_factor=0.0, seed=seed + 3, name="shear", **fill),
        layers.RandomZoom(ZOOM, seed=seed + 4, name="zoom", **fill),
        layers.RandomTranslation(TRANSLATION, TRANSLATION, seed=seed + 5, name="translation", **fill),
    ]


def with_augmentation(model, seed: int = 0):
    """A model for ``fit`` only: random variations of each (batch, 28, 28) digit, then ``model``.

    It shares ``model``'s layers (and so its weights): training it trains ``model``, which stays free of any
    augmentation layer. Outside training the variations are switched off, so both give the same outputs.
    """
    from mnistlab.tf import keras

    layers = keras.layers
    inputs = keras.Input(shape=(28, 28), name="image")
    x = layers.Reshape((28, 28, 1), name="to_channels")(inputs)
    for layer in augmentation_layers(seed):
        x = layer(x)
    x = layers.Reshape((28, 28), name="from_channels")(x)
    return keras.Model(inputs, model(x), name=f"{model.name}_augmented")


def augment_images(images, seed: int = 0):
    """(N, 28, 28) float32 digits -> the same digits varied at random as training sees them (NumPy)."""
    import numpy as np

    from mnistlab.tf import keras

    x = keras.ops.convert_to_tensor(np.asarray(images, dtype=np.float32)[..., None])
    for layer in augmentation_layers(seed):
        x = layer(x, training=True)
    return np.clip(keras.ops.convert_to_numpy(x)[..., 0], 0.0, 1.0)


@cache
def _stroke_jitter_class():
    from mnistlab.tf import keras

    ops = keras.ops

    class StrokeJitter(keras.layers.Layer):
        """Thicker strokes (3x3 max-pool) for some digits, thinner (3x3 min-pool, blended) for others."""

        def __init__(self, seed: int = 0, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, images, training=None):
            if not training:
                return images
            thick = ops.max_pool(images, 3, strides=1, padding="same")
            thin = -ops.max_pool(-images, 3, strides=1, padding="same")
            thin = THIN_BLEND * thin + (1 - THIN_BLEND) * images
            # Back to full-intensity ink, as canvas_to_mnist gives every drawing.
            thin = thin / ops.maximum(ops.max(thin, axis=(1, 2, 3), keepdims=True), 1e-3)
            pick = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), seed=self.seed_generator)
            return ops.where(pick < THICKER, thick, ops.where(pick < THICKER + THINNER, thin, images))

        def compute_output_shape(self, input_shape):
            return input_shape

    return StrokeJitter


def _StrokeJitter(**kwargs):
    return _stroke_jitter_class()(**kwargs)

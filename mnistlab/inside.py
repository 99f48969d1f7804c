"""Views inside a trained network: hidden activations, saliency and first-layer weights.

Plain functions over a Keras model and one 28x28 digit (float in [0, 1], or uint8 0-255). TensorFlow is
imported only inside the functions that need it. The probe model that exposes the hidden layers is built once
per model and kept as long as the model lives.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from mnistlab.specs import INPUT_SHAPE

_probes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class InsideError(ValueError):
    """A view that cannot be computed for this model or image; the message says why."""


def as_image(image28) -> np.ndarray:
    """A float32 (28, 28) image in [0, 1]; uint8 images are scaled from 0-255. Raises ``InsideError``."""
    image = np.asarray(image28)
    if image.shape != INPUT_SHAPE:
        raise InsideError(f"Expected one 28x28 digit, got an array of shape {image.shape}.")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    image = image.astype(np.float32)
    if not np.isfinite(image).all():
        raise InsideError("The digit contains NaN or infinite pixels.")
    return image


def _kind(layer, keras) -> str | None:
    if isinstance(layer, keras.layers.Dense):
        return "dense"
    if isinstance(layer, keras.layers.Conv2D):
        return "conv2d"
    if isinstance(layer, keras.layers.MaxPooling2D):
        return "max_pool"
    return None


def hidden_layers(model) -> list[tuple[str, str]]:
    """(name, kind) of the layers whose outputs ``activations`` reports: Dense, Conv2D and pooling layers
    before the output layer. Dropout, Flatten and Reshape are left out (they add nothing to look at)."""
    from mnistlab.tf import keras

    found = []
    for layer in model.layers[:-1]:
        kind = _kind(layer, keras)
        if kind:
            found.append((layer.name, kind))
    return found


def _probe(model):
    """A model from ``model``'s input to [hidden layer outputs..., output layer input], cached per model."""
    from mnistlab.tf import keras

    with _lock:
        probe = _probes.get(model)
        if probe is None:
            names = [name for name, _ in hidden_layers(model)]
            outputs = [model.get_layer(n).output for n in names] + [model.layers[-1].input]
            inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # as the model is called
            probe = keras.Model(inputs, outputs, name=f"{model.name}_probe")
            _probes[model] = probe
        return probe


def activations(model, image28) -> list[tuple[str, str, np.ndarray]]:
    """(layer name, kind, values) for each hidden layer, for one digit, at inference (no dropout).

    Dense layers give a vector (units,); conv and pooling layers give feature maps (H, W, C).
    """
    image = as_image(image28)
    probe = _probe(model)
    outputs = probe(image[None], training=False)
    names = hidden_layers(model)
    return [
        (name, kind, np.asarray(values)[0]) for (name, kind), values in zip(names, outputs[:-1], strict=False)
    ]


def _logit_layer(model, keras):
    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense) and last.activation is keras.activations.softmax:
        return last
    return None


def saliency(model, image28, class_index: int | None = None, of: str = "score") -> np.ndarray:
    """How much each pixel moves the class's output: |d output / d pixel| as a (28, 28) array.

    ``class_index`` defaults to the predicted class. ``of='score'`` differentiates the class's score before
    softmax (when the model ends in a softmax Dense layer; its probability otherwise), which stays informative
    when the probability is saturated near 1; ``of='probability'`` differentiates the probability itself.
    """
    from mnistlab.tf import keras, tf

    if of not in ("score", "probability"):
        raise InsideError(f"of must be 'score' or 'probability', got {of!r}.")
    if class_index is not None and not (isinstance(class_index, (int, np.integer)) and 0 <= class_index < 10):
        raise InsideError(f"class_index must be a digit 0-9, got {class_index!r}.")
    image = tf.constant(as_image(image28)[None])
    dense = _logit_layer(model, keras) if of == "score" else None
    probe = _probe(model) if dense is not None else None
    with tf.GradientTape() as tape:
        tape.watch(image)
        if dense is not None:
            features = probe(image, training=False)[-1]
            out = tf.matmul(features, dense.kernel) + dense.bias
        else:
            out = model(image, training=False)
        if class_index is None:
            class_index = int(tf.argmax(out[0]))
        picked = out[0, class_index]
    grad = tape.gradient(picked, image)
    return np.abs(np.asarray(grad)[0])


def first_dense_layer(model):
    """The first Dense layer, when it reads the pixels directly; raises ``InsideError`` for conv models."""
    from mnistlab.tf import keras

    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D)):
            raise InsideError(
                "This is a convolutional model: its first layer is a set of small filters, not "
                "one 28x28 weight image per unit. Look at its feature maps instead."
            )
        if isinstance(layer, keras.layers.Dense):
            return layer
    raise InsideError("This model has no Dense layer.")


def first_layer_weights(model, units) -> np.ndarray:
    """The first Dense layer's incoming weights of ``units`` as (len(units), 28, 28) images.

    Each image shows how strongly each pixel excites (positive) or inhibits (negative) that unit.
    """
    layer = first_dense_layer(model)
    kernel = np.asarray(layer.kernel)
    pixels = INPUT_SHAPE[0] * INPUT_SHAPE[1]
    if kernel.shape[0] != pixels:
        raise InsideError(f"The first Dense layer reads {kernel.shape[0]} values, not the {pixels} pixels.")
    units = [int(u) for u in units]
    bad = [u for u in units if not 0 <= u < kernel.shape[1]]
    if bad:
        raise InsideError(f"Unit(s) {bad} do not exist: the first layer has units 0-{kernel.shape[1] - 1}.")
    return kernel[:, units].T.reshape(len(units), *INPUT_SHAPE)


def strongest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values (channels: by mean activation), strongest first."""
    values = np.asarray(values)
    if values.ndim == 3:
        values = values.mean(axis=(0, 1))
    k = max(0, min(int(k), values.size))
    return np.argsort(-values, kind="stable")[:k]

"""Build a Keras model from an ``ArchitectureSpec``.

The model takes float32 images of shape (batch, 28, 28) in [0, 1] and returns (batch, num_classes) class
probabilities (10 for MNIST; the dataset's number of classes).
Hidden layers are named ``<kind>_<n>`` after their position in the spec (``dense_1``, ``dropout_2``...), so
views inside the network can map a Keras layer back to the spec line that made it.
"""

from __future__ import annotations

from mnistlab.specs import INPUT_SHAPE, NUM_CLASSES, ArchitectureSpec, is_convolutional
from mnistlab.tf import keras


def layer_name(kind: str, index: int) -> str:
    """Name of the Keras layer built from the spec's layer at 0-based ``index``."""
    return f"{kind}_{index + 1}"


def build_model(
    spec: ArchitectureSpec, seed: int | None = None, num_classes: int = NUM_CLASSES
) -> keras.Model:
    """A fresh, uncompiled ``keras.Model`` for ``spec`` with ``num_classes`` outputs. ``seed`` fixes the initial
    weights."""
    layers = keras.layers
    init = {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed)} if seed is not None else {}
    x = inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    if is_convolutional(spec):
        x = layers.Reshape((*INPUT_SHAPE, 1), name="channels")(x)
    flat = False
    for i, layer in enumerate(spec.layers):
        name = layer_name(layer.kind, i)
        if layer.kind == "dense" and not flat:
            x, flat = layers.Flatten(name=f"flatten_auto_{i + 1}")(x), True
        if layer.kind == "dense":
            x = layers.Dense(layer.units, activation=layer.activation, name=name, **_seeded(init, i))(x)
        elif layer.kind == "dropout":
            x = layers.Dropout(layer.rate, seed=None if seed is None else seed + i, name=name)(x)
        elif layer.kind == "conv2d":
            x = layers.Conv2D(
                layer.filters, layer.kernel_size, activation=layer.activation, name=name, **_seeded(init, i)
            )(x)
        elif layer.kind == "max_pool":
            x = layers.MaxPooling2D(layer.size, name=name)(x)
        elif layer.kind == "flatten" and not flat:
            x, flat = layers.Flatten(name=name)(x), True
    if not flat:
        x = layers.Flatten(name="flatten_out")(x)
    outputs = layers.Dense(
        num_classes, activation="softmax", name="output", **_seeded(init, len(spec.layers))
    )(x)
    return keras.Model(inputs, outputs, name=_model_name(spec.name))


def _seeded(init: dict, index: int) -> dict:
    # Each layer gets its own seed: one shared initializer object would give every layer the same weights.
    if not init:
        return {}
    seed = init["kernel_initializer"].seed
    return {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed * 1009 + index)}


def _model_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:40]
    return cleaned or "model"


# Training steps run per call into TensorFlow: fewer Python round trips, progress still every chunk.
STEPS_PER_EXECUTION = 8


def bfloat16_twin(model, keras):
    """A copy of ``model`` whose hidden layers compute in bfloat16 (weights stay float32), same initial weights.

    The output layer keeps float32 so softmax and the loss keep their precision. Training the twin and copying
    its weights back gives a float32 model that behaves the same everywhere.
    """
    config = model.get_config()
    for layer in config["layers"]:
        if layer["name"] != "output" and isinstance(layer["config"].get("dtype"), dict):
            layer["config"]["dtype"] = {**layer["config"]["dtype"], "config": {"name": "mixed_bfloat16"}}
    twin = keras.Model.from_config(config)
    twin.set_weights(model.get_weights())
    return twin


def reading_bytes(model, keras):
    """A model for ``fit`` only: (batch, 28, 28) uint8 images as stored, scaled to [0, 1] in each batch, then
    ``model`` (whose layers, and so weights, it shares).

    Training from the stored bytes spares a float32 copy of the training set (4x the memory: 170 MB for MNIST's
    54,000 fit images, about 0.6 s of first-touched memory to fill on a 2-core Zen 4 EPYC) and the copy of it ``fit`` makes into
    TensorFlow in its first epoch; each batch is then gathered from a quarter of the bytes. The division is the
    same as ``mnistlab.data.to_float``'s, so the numbers the network sees do not change."""
    inputs = keras.Input(shape=INPUT_SHAPE, dtype="uint8", name="image_bytes")
    scaled = keras.ops.divide(keras.ops.cast(inputs, "float32"), 255.0)
    return keras.Model(inputs, model(scaled), name=f"{model.name}_from_bytes")

"""The layers a map can be drawn from, and their activations for many digits, in NumPy.

Layer 0 is the raw pixels; layers 1..k are the hidden layers (Dense, Conv2D and pooling outputs before the
output layer), in order. The forward pass is ``mnistlab.inference``'s NumPy model, so no TensorFlow is needed:
a model it cannot run (an imported file with other layers) cannot be mapped, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnistlab.inference import NumpyModel, _conv, _dense, _pool

CHUNK = 1000  # digits per forward step: a cnn's im2col of 10,000 digits at once would take ~250 MB


class MapError(ValueError):
    """A map that cannot be made or read (no such layer, no model, an imported model); the message says why."""


@dataclass(frozen=True)
class MapLayer:
    """One layer a map can show: ``index`` 0 is the pixels, 1.. the hidden layers in order."""

    index: int
    kind: str  # pixels, dense, conv2d, max_pool
    size: int  # values per digit

    @property
    def label(self) -> str:
        if self.index == 0:
            return "Raw pixels (784 values)"
        kind = {"dense": "Dense", "conv2d": "Conv2D", "max_pool": "Max pooling"}[self.kind]
        return f"Hidden layer {self.index} · {kind} ({self.size:,} values)"


_KINDS = {_dense: "dense", _conv: "conv2d", _pool: "max_pool"}


def _hidden_steps(model: NumpyModel) -> list[int]:
    """Indices in ``model.ops`` after which a hidden layer's output is ready (the output layer excluded)."""
    return [i for i, op in enumerate(model.ops[:-1]) if op[0] in _KINDS]


def map_layers(model) -> list[MapLayer]:
    """The pixels and every hidden layer of ``model`` (a ``NumpyModel``). Raises ``MapError`` otherwise."""
    model = _numpy(model)
    layers = [MapLayer(0, "pixels", 784)]
    x = np.zeros((1, 28, 28), np.float32)
    for op in model.ops[:-1]:
        x = op[0](x, *op[1:])
        if op[0] in _KINDS:
            layers.append(MapLayer(len(layers), _KINDS[op[0]], int(np.prod(x.shape[1:]))))
    return layers


def default_layer(model) -> int:
    """The last hidden layer (the pixels for a model without one)."""
    return len(map_layers(model)) - 1


def check_layer(model, layer: int) -> MapLayer:
    """The ``MapLayer`` numbered ``layer``; ``MapError`` naming the valid numbers otherwise."""
    layers = map_layers(model)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < len(layers):
        last = len(layers) - 1
        raise MapError(
            f"This model has no layer {layer!r}: choose 0 (the raw pixels)"
            + (f" or a hidden layer 1-{last}." if last else "; it has no hidden layer.")
        )
    return layers[int(layer)]


def activations(model, images: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """(activations (N, size) float32, probabilities (N, 10) float32) of ``images`` (N, 28, 28) in [0, 1]
    (uint8 is scaled), at map layer ``layer`` (0: the pixels)."""
    model = _numpy(model)
    check_layer(model, layer)
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    images = images.astype(np.float32, copy=False)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise MapError(f"Expected digits of shape (N, 28, 28), got {images.shape}.")
    stop = _hidden_steps(model)[layer - 1] if layer else -1
    feats, probs = [], []
    for start in range(0, len(images), CHUNK):
        x = images[start : start + CHUNK]
        feat = x.reshape(len(x), -1)
        for i, op in enumerate(model.ops):
            x = op[0](x, *op[1:])
            if i == stop:
                feat = x.reshape(len(x), -1).copy()  # relu works in place: keep this layer's copy
        feats.append(feat)
        probs.append(x)
    return np.concatenate(feats).astype(np.float32), np.concatenate(probs).astype(np.float32)


def _numpy(model) -> NumpyModel:
    if not isinstance(model, NumpyModel):
        raise MapError(
            "This model's layers cannot be read without TensorFlow (it is not a model mnistlab builds), so "
            "it has no map. Train a run here to map it."
        )
    return model

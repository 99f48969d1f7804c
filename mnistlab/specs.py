"""Architectures as plain data.

An ``ArchitectureSpec`` is a name plus an ordered list of hidden layers. Every model takes a 28x28 image in and
ends in Dense(10, softmax); only the layers in between are described. Specs round-trip through JSON
(``to_dict``/``from_dict``) so the same object flows from the UI and CLI into training, the run store and back.

Layer kinds and their settings:

    dense(units, activation)          units 1-4096
    dropout(rate)                     0 <= rate < 1
    conv2d(filters, kernel_size, activation)   filters 1-512, kernel 1-7, 'valid' padding
    max_pool(size)                    size 2-4
    flatten()                         added automatically before the first dense layer if missing

``validate`` rejects anything else with a ``SpecError`` that names the layer and the allowed range.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass, field

KINDS = ("dense", "dropout", "conv2d", "max_pool", "flatten")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu", "selu", "swish", "linear")
PARAMS = {
    "dense": ("units", "activation"),
    "dropout": ("rate",),
    "conv2d": ("filters", "kernel_size", "activation"),
    "max_pool": ("size",),
    "flatten": (),
}
LIMITS = {"units": (1, 4096), "filters": (1, 512), "kernel_size": (1, 7), "size": (2, 4)}
MAX_LAYERS = 24
# 8M trainable parameters is ~32 MB of weights (~130 MB with Adam's state): big enough for any MNIST idea,
# small enough that a typo cannot exhaust a laptop's memory.
MAX_PARAMS = 8_000_000
NAME_MAX = 64
INPUT_SHAPE = (28, 28)
NUM_CLASSES = 10


# Characters that steer a terminal or the text direction rather than print: C0/C1 controls (U+009B is an 8-bit
# escape to some terminals), line and paragraph separators, and the bidirectional overrides and isolates.
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds characters that control a display instead of showing (newlines, escapes, bidi)."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI for c in text)


class SpecError(ValueError):
    """An architecture spec that cannot be built. The message names the layer and what is allowed."""


@dataclass(frozen=True)
class LayerSpec:
    kind: str
    units: int | None = None
    activation: str | None = None
    rate: float | None = None
    filters: int | None = None
    kernel_size: int | None = None
    size: int | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{p: getattr(self, p) for p in PARAMS.get(self.kind, ())}}

    def label(self) -> str:
        """Short human form, e.g. ``Dense(256)``, ``Dropout(0.3)``, ``Conv2D(32, 3x3)``."""
        if self.kind == "dense":
            act = "" if self.activation == "relu" else f", {self.activation}"
            return f"Dense({self.units}{act})"
        if self.kind == "dropout":
            return f"Dropout({self.rate:g})"
        if self.kind == "conv2d":
            act = "" if self.activation == "relu" else f", {self.activation}"
            return f"Conv2D({self.filters}, {self.kernel_size}x{self.kernel_size}{act})"
        if self.kind == "max_pool":
            return f"MaxPool({self.size})"
        return "Flatten"


def dense(units: int, activation: str = "relu") -> LayerSpec:
    return LayerSpec("dense", units=units, activation=activation)


def dropout(rate: float) -> LayerSpec:
    return LayerSpec("dropout", rate=rate)


def conv2d(filters: int, kernel_size: int = 3, activation: str = "relu") -> LayerSpec:
    return LayerSpec("conv2d", filters=filters, kernel_size=kernel_size, activation=activation)


def max_pool(size: int = 2) -> LayerSpec:
    return LayerSpec("max_pool", size=size)


def flatten() -> LayerSpec:
    return LayerSpec("flatten")


@dataclass(frozen=True)
class ArchitectureSpec:
    """A validated architecture: building one with a bad layer or name raises ``SpecError``."""

    name: str
    layers: tuple[LayerSpec, ...] = field(default_factory=tuple)
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        validate(self)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "layers": [layer.to_dict() for layer in self.layers],
        }

    def summary(self) -> str:
        """One line: ``Dense(256) → Dropout(0.3) → Dense(128) → Dropout(0.2)``."""
        return " → ".join(layer.label() for layer in self.layers) or "(no hidden layers)"


# ---------------------------------------------------------------------------------------------- validation


def _number(value, what: str, integer: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{what} must be a number, got {value!r}.")
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(f"{what} must be a finite number, got {value!r}.")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise SpecError(f"{what} must be a whole number, got {value!r}.")
        return int(value)
    return float(value)


def _layer_from_dict(raw, index: int) -> LayerSpec:
    where = f"Layer {index + 1}"
    if not isinstance(raw, dict):
        raise SpecError(f'{where} must be an object like {{"kind": "dense", "units": 128}}, got {raw!r}.')
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SpecError(f"{where} has unknown kind {kind!r}; known kinds: {', '.join(KINDS)}.")
    unknown = set(raw) - {"kind", *PARAMS[kind]}
    if unknown:
        raise SpecError(
            f"{where} ({kind}) has unknown settings {sorted(unknown)}; it takes {list(PARAMS[kind])}."
        )
    values = {}
    for param in PARAMS[kind]:
        value = raw.get(param)
        if param == "activation":
            value = "relu" if value is None else value
        elif param == "kernel_size" and value is None:
            value = 3
        elif param == "size" and value is None:
            value = 2
        elif value is None:
            raise SpecError(f"{where} ({kind}) needs '{param}'.")
        if param != "activation":
            value = _number(value, f"{where} ({kind}) {param}", integer=param != "rate")
        values[param] = value
    return LayerSpec(kind=kind, **values)


def from_dict(raw) -> ArchitectureSpec:
    """Build and validate a spec from plain data (e.g. parsed JSON). Raises ``SpecError``."""
    if not isinstance(raw, dict):
        raise SpecError(f"A spec must be a JSON object with 'name' and 'layers', got {type(raw).__name__}.")
    layers_raw = raw.get("layers")
    if not isinstance(layers_raw, list):
        raise SpecError("A spec needs 'layers': a list of layer objects (it may be empty).")
    if len(layers_raw) > MAX_LAYERS:
        raise SpecError(
            f"A spec may have at most {MAX_LAYERS} hidden layers, this one has {len(layers_raw)}."
        )
    name = raw.get("name", "custom")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SpecError("'description' must be text.")
    return ArchitectureSpec(
        name=name if isinstance(name, str) else repr(name),
        layers=tuple(_layer_from_dict(layer, i) for i, layer in enumerate(layers_raw)),
        description=description,
    )


def from_json(text: str) -> ArchitectureSpec:
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise SpecError(f"The spec is not valid JSON: {exc}.") from None
    except RecursionError:
        raise SpecError("The spec is not valid JSON: it is nested too deeply.") from None
    return from_dict(raw)


def validate(spec: ArchitectureSpec) -> ArchitectureSpec:
    """Check every layer and the parameter budget; return the spec unchanged or raise ``SpecError``.

    ``ArchitectureSpec`` calls this when it is built, so code that holds a spec can trust it.
    """
    if not isinstance(spec.name, str) or not spec.name.strip() or len(spec.name) > NAME_MAX:
        raise SpecError(f"The spec name must be 1-{NAME_MAX} characters of text.")
    if has_control_characters(spec.name):
        raise SpecError("The spec name may not contain control characters.")
    if len(spec.layers) > MAX_LAYERS:
        raise SpecError(
            f"A spec may have at most {MAX_LAYERS} hidden layers, this one has {len(spec.layers)}."
        )
    flat = False
    for i, layer in enumerate(spec.layers):
        where = f"Layer {i + 1} ({layer.kind})"
        if not isinstance(layer, LayerSpec):
            raise SpecError(f"Layer {i + 1} must be a LayerSpec, got {type(layer).__name__}.")
        if layer.kind not in KINDS:
            raise SpecError(
                f"Layer {i + 1} has unknown kind {layer.kind!r}; known kinds: {', '.join(KINDS)}."
            )
        for param in PARAMS[layer.kind]:
            value = getattr(layer, param)
            if param == "activation":
                if value not in ACTIVATIONS:
                    raise SpecError(
                        f"{where} activation {value!r} is unknown; use one of {', '.join(ACTIVATIONS)}."
                    )
            elif param == "rate":
                value = _number(value, f"{where} rate", integer=False)
                if not 0.0 <= value < 1.0:
                    raise SpecError(
                        f"{where} rate is {value:g}; it must be at least 0 and below 1 (e.g. 0.3)."
                    )
            else:
                value = _number(value, f"{where} {param}", integer=True)
                low, high = LIMITS[param]
                if not low <= value <= high:
                    raise SpecError(f"{where} {param} is {value}; allowed range is {low}-{high}.")
        if layer.kind in ("conv2d", "max_pool") and flat:
            raise SpecError(
                f"{where} comes after the image was flattened; conv and pooling layers must come first."
            )
        if layer.kind in ("dense", "flatten"):
            flat = True
    layer_shapes(spec)  # raises on a feature map that shrinks to nothing
    total = count_params(spec)
    if total > MAX_PARAMS:
        raise SpecError(
            f"This architecture has {total:,} trainable parameters; the limit is {MAX_PARAMS:,}. "
            "Use fewer units or add a pooling layer before flattening."
        )
    return spec


# ------------------------------------------------------------------------------ shapes and parameter counts


def layer_shapes(spec: ArchitectureSpec) -> list[tuple[int, ...]]:
    """Output shape (without batch) after each hidden layer, computed without TensorFlow."""
    h, w, c = INPUT_SHAPE[0], INPUT_SHAPE[1], 1
    flat: int | None = None
    shapes: list[tuple[int, ...]] = []
    for i, layer in enumerate(spec.layers):
        if layer.kind == "conv2d":
            h, w, c = h - layer.kernel_size + 1, w - layer.kernel_size + 1, layer.filters
            if h < 1 or w < 1:
                raise SpecError(
                    f"Layer {i + 1} (conv2d) shrinks the image to nothing; use a smaller kernel "
                    "or fewer conv/pool layers."
                )
            shapes.append((h, w, c))
        elif layer.kind == "max_pool":
            h, w = h // layer.size, w // layer.size
            if h < 1 or w < 1:
                raise SpecError(
                    f"Layer {i + 1} (max_pool) shrinks the image to nothing; remove a pooling layer."
                )
            shapes.append((h, w, c))
        elif layer.kind == "flatten":
            flat = flat or h * w * c
            shapes.append((flat,))
        elif layer.kind == "dense":
            flat = layer.units
            shapes.append((flat,))
        else:  # dropout keeps the shape
            shapes.append(shapes[-1] if shapes else (h, w) if c == 1 else (h, w, c))
    return shapes


def layer_params(spec: ArchitectureSpec, num_classes: int = NUM_CLASSES) -> list[int]:
    """Trainable parameters of each hidden layer, then of the Dense(num_classes) output (last entry)."""
    h, w, c = INPUT_SHAPE[0], INPUT_SHAPE[1], 1
    width: int | None = None  # features once flattened
    counts = []
    for layer in spec.layers:
        if layer.kind == "conv2d":
            counts.append((layer.kernel_size**2 * c + 1) * layer.filters)
            h, w, c = h - layer.kernel_size + 1, w - layer.kernel_size + 1, layer.filters
        elif layer.kind == "max_pool":
            counts.append(0)
            h, w = h // layer.size, w // layer.size
        elif layer.kind == "dense":
            fan_in = width if width is not None else h * w * c
            counts.append((fan_in + 1) * layer.units)
            width = layer.units
        else:
            counts.append(0)
            if layer.kind == "flatten" and width is None:
                width = h * w * c
    fan_in = width if width is not None else h * w * c
    counts.append((fan_in + 1) * num_classes)
    return counts


def count_params(spec: ArchitectureSpec, num_classes: int = NUM_CLASSES) -> int:
    """Total trainable parameters, output layer of ``num_classes`` units included (baseline, 10: 101,770)."""
    return sum(layer_params(spec, num_classes))


def is_convolutional(spec: ArchitectureSpec) -> bool:
    return any(layer.kind in ("conv2d", "max_pool") for layer in spec.layers)


# ----------------------------------------------------------------------------------------------- presets

# The notebook's study: preset name -> (experiment number, title, reported test accuracy in %).
NOTEBOOK_RESULTS: dict[str, tuple[int, str, float]] = {
    "baseline": (1, "Baseline", 97.31),
    "deeper": (2, "Deeper", 96.86),
    "dropout": (3, "Dropout", 98.11),
    "tuned": (4, "Tuned", 98.12),
}
# The notebook's presets in its order: the one list of its four experiments.
NOTEBOOK_PRESETS = tuple(NOTEBOOK_RESULTS)


def _experiment(preset: str) -> str:
    number, _, accuracy = NOTEBOOK_RESULTS[preset]
    return f"experiment {number} ({accuracy} %)"


PRESETS: dict[str, ArchitectureSpec] = {
    "baseline": ArchitectureSpec(
        "baseline", (dense(128),), f"One hidden layer: the notebook's {_experiment('baseline')}."
    ),
    "deeper": ArchitectureSpec(
        "deeper", (dense(256), dense(128)), f"Two hidden layers, no regularisation: {_experiment('deeper')}."
    ),
    "dropout": ArchitectureSpec(
        "dropout",
        (dense(256), dropout(0.3), dense(128), dropout(0.2)),
        f"Experiment 2 plus dropout after each hidden layer: {_experiment('dropout')}.",
    ),
    "tuned": ArchitectureSpec(
        "tuned",
        (dense(512), dropout(0.3), dense(256), dropout(0.2), dense(128)),
        f"Wider funnel with dropout: {_experiment('tuned')}.",
    ),
    "cnn": ArchitectureSpec(
        "cnn",
        (conv2d(16, 5), max_pool(2), conv2d(32, 5), max_pool(2), flatten(), dense(128), dropout(0.3)),
        "A small LeNet-like convnet: two 5x5 conv + pool blocks. Not in the notebook; shows what "
        "convolutions add (99 % in about ten seconds on 2 cores).",
    ),
}


def preset(name: str) -> ArchitectureSpec:
    """The preset called ``name``; raises ``SpecError`` listing the presets when unknown."""
    try:
        return PRESETS[name]
    except KeyError:
        raise SpecError(f"Unknown preset {name!r}; presets: {', '.join(PRESETS)}.") from None

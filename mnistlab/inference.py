"""Predict with a saved model without TensorFlow: the Draw page's fast path.

A ``.keras`` file is a zip of ``config.json`` (the architecture as data) and ``model.weights.h5`` (the arrays).
For the layers mnistlab builds (Dense, Conv2D, MaxPooling2D, Dropout, Flatten, Reshape) we read both with
``zipfile`` + ``json`` + ``h5py`` and run the forward pass in NumPy:

- nothing from the file is executed (the config is only compared with known layer classes and settings);
- loading takes well under a second and needs no ``import tensorflow`` (about 12 s on a quiet 2-core machine);
- one digit costs ~0.02 ms (MLP) to ~0.15 ms (cnn) instead of 2-8 ms for an eager Keras call;
- outputs equal Keras' to float32 rounding (``tests/test_inference.py`` checks every preset: max |diff| <= 1e-5).

Any other model (a Sequential file, another layer class or setting, an imported file) is refused with
``UnsupportedModel``; ``load_predictor`` then falls back to Keras ``safe_mode`` loading (``mnistlab.modelfile``).
"""

from __future__ import annotations

import io
import json
import math
import re
import threading
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mnistlab.modelfile import MAX_MODEL_BYTES, ModelFileError, check_model_archive

ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu", "selu", "swish", "silu", "linear", "softmax")
LAYER_CLASSES = ("InputLayer", "Reshape", "Flatten", "Dropout", "Dense", "Conv2D", "MaxPooling2D")
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


class UnsupportedModel(ModelFileError):
    """A well-formed model this module does not run in NumPy (load it with Keras instead)."""


class NumpyModel:
    """A saved classifier of 28x28 images (MNIST, Fashion-MNIST, ...) as NumPy arrays.

    Called like a Keras model: ``model(images)`` with images (N, 28, 28) float32 in [0, 1] returns (N, classes)
    float32 probabilities; ``training`` is accepted and ignored (dropout is the identity at inference).
    """

    def __init__(self, name: str, ops: list[tuple], layer_names: list[str]):
        self.name = name
        self.ops = ops
        self.layer_names = layer_names  # the Keras layers it stands for, in order (for messages and tests)

    def __call__(self, images, training: bool = False) -> np.ndarray:
        x = np.asarray(images, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"Expected images of shape (N, 28, 28), got {x.shape}.")
        for op in self.ops:
            x = op[0](x, *op[1:])
        return x

    def __repr__(self) -> str:
        return f"NumpyModel({self.name!r}, {len(self.ops)} steps)"


# ------------------------------------------------------------------------------------------ forward steps


def _activate(x: np.ndarray, name: str) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0, out=x)
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == "selu":
        return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    if name in ("swish", "silu"):
        return x / (1 + np.exp(-x))
    if name == "gelu":  # Keras' default is the exact form, x * Phi(x)
        from scipy.special import erf

        return (0.5 * x * (1 + erf(x / np.float32(math.sqrt(2))))).astype(np.float32)
    return x  # linear


def _dense(x, kernel, bias, activation):
    x = x @ kernel
    if bias is not None:
        x += bias
    return _activate(x, activation)


def _conv(x, kernel, bias, size, activation):
    # im2col: every (kh, kw) window of every position, in Keras' kernel order (kh, kw, cin), then one matmul.
    n, _, _, cin = x.shape
    windows = sliding_window_view(x, size, axis=(1, 2))  # (n, oh, ow, cin, kh, kw)
    oh, ow = windows.shape[1:3]
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, size[0] * size[1] * cin)
    x = cols @ kernel
    if bias is not None:
        x += bias
    return _activate(x, activation).reshape(n, oh, ow, -1)


def _pool(x, size):
    n, h, w, c = x.shape
    sh, sw = size
    x = x[:, : h // sh * sh, : w // sw * sw]
    return x.reshape(n, h // sh, sh, w // sw, sw, c).max(axis=(2, 4))


def _reshape(x, shape):
    return x.reshape(len(x), *shape)


def _flatten(x):
    return x.reshape(len(x), -1)


# ------------------------------------------------------------------------------------------------ loading


def _snake(name: str) -> str:
    """Keras' ``to_snake_case``: the weights file keys layers by class (Conv2D -> conv2d), not by name."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _dtype_name(dtype) -> str | None:
    if isinstance(dtype, str):
        return dtype
    if isinstance(dtype, dict):
        return (dtype.get("config") or {}).get("name")
    return None


def _pair(value, what: str) -> tuple[int, int]:
    if isinstance(value, int):
        value = (value, value)
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise UnsupportedModel(f"{what} must be two whole numbers, got {value!r}.")
    return int(value[0]), int(value[1])


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise UnsupportedModel(message)


def _read_archive(path: Path, max_bytes: int) -> tuple[dict, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            for member in ("config.json", "model.weights.h5"):
                if member not in members:
                    raise ModelFileError(f"{path.name} has no {member}; it is not a Keras 3 .keras file.")
                if members[member].file_size > max_bytes:
                    raise ModelFileError(
                        f"{path.name}: {member} unpacks to more than {max_bytes // 2**20} MB."
                    )
            config = json.loads(archive.read("config.json"))
            weights = archive.read("model.weights.h5")
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path.name} could not be read: {exc}") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{path.name}: config.json is not an object.")
    return config, weights


def _chain(config: dict) -> list[dict]:
    """The layers of a Functional model that is a single chain from one input to one output."""
    _require(
        config.get("class_name") == "Functional", f"a {config.get('class_name')!r} model, not Functional"
    )
    body = config.get("config")
    _require(isinstance(body, dict) and isinstance(body.get("layers"), list), "no layer list")
    layers = body["layers"]
    _require(len(layers) >= 2 and all(isinstance(layer, dict) for layer in layers), "too few layers")
    unknown = sorted({str(layer.get("class_name")) for layer in layers} - set(LAYER_CLASSES))
    _require(not unknown, f"layer classes {unknown} are not ones the NumPy forward pass knows")
    names = [layer.get("name") for layer in layers]
    _require(body.get("input_layers") == [names[0], 0, 0], "not a single input")
    _require(body.get("output_layers") == [names[-1], 0, 0], "not a single output at the end")
    for previous, layer in zip(names, layers[1:], strict=False):
        nodes = layer.get("inbound_nodes")
        ok = isinstance(nodes, list) and len(nodes) == 1 and isinstance(nodes[0], dict)
        args = nodes[0].get("args") if ok else None
        ok = ok and isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict)
        ok = ok and nodes[0].get("kwargs") in (
            {},
            None,
            {"training": False},
        )  # Dropout records training=False
        history = (args[0].get("config") or {}).get("keras_history") if ok else None
        _require(
            ok and history == [previous, 0, 0], f"layer {layer.get('name')!r} is not fed by the one before"
        )
    return layers


def _compile_layers(layers: list[dict], weights) -> tuple[list[tuple], list[str]]:
    """Turn the checked config + weights into forward steps; shapes are tracked and checked as we go."""
    seen: dict[str, int] = {}
    ops: list[tuple] = []
    shape: tuple[int, ...] | None = None
    last_dense: tuple[int, str] | None = None
    for layer in layers:
        cls, cfg = layer.get("class_name"), layer.get("config")
        _require(isinstance(cls, str) and isinstance(cfg, dict), "a layer without class or config")
        base = _snake(cls)
        key = base if base not in seen else f"{base}_{seen[base]}"
        seen[base] = seen.get(base, 0) + 1
        group = weights.get(f"layers/{key}/vars")
        arrays = [np.asarray(group[str(i)], dtype=np.float32) for i in range(len(group))] if group else []
        where = f"layer {layer.get('name')!r} ({cls})"
        if cls != "InputLayer":
            _require(_dtype_name(cfg.get("dtype")) == "float32", f"{where} does not compute in float32")
            _require(layer.get("module") == "keras.layers" and layer.get("registered_name") is None, where)
        last_dense = None
        if cls == "InputLayer":
            _require(
                shape is None and cfg.get("batch_shape") == [None, 28, 28], f"{where}: not a 28x28 input"
            )
            shape = (28, 28)
        elif cls == "Reshape":
            target = tuple(cfg.get("target_shape") or ())
            _require(target == (28, 28, 1) and shape == (28, 28), f"{where}: unsupported reshape")
            ops.append((_reshape, target))
            shape = target
        elif cls == "Flatten":
            _require(cfg.get("data_format", "channels_last") == "channels_last", f"{where}: channels first")
            ops.append((_flatten,))
            shape = (math.prod(shape),)
        elif cls == "Dropout":
            pass  # the identity at inference
        elif cls == "Dense":
            activation = cfg.get("activation")
            _require(activation in ACTIVATIONS, f"{where}: activation {activation!r}")
            _require(not cfg.get("lora_rank") and cfg.get("quantization_config") is None, f"{where}: adapted")
            use_bias = cfg.get("use_bias", True)
            _require(
                len(shape) == 1 and len(arrays) == (2 if use_bias else 1), f"{where}: unexpected weights"
            )
            units = int(cfg.get("units", -1))
            _require(arrays[0].shape == (shape[0], units), f"{where}: kernel {arrays[0].shape}")
            _require(not use_bias or arrays[1].shape == (units,), f"{where}: bias {arrays[1].shape}")
            ops.append((_dense, arrays[0], arrays[1] if use_bias else None, activation))
            shape, last_dense = (units,), (units, activation)
        elif cls == "Conv2D":
            activation = cfg.get("activation")
            _require(activation in ACTIVATIONS, f"{where}: activation {activation!r}")
            _require(cfg.get("padding") == "valid" and cfg.get("data_format") == "channels_last", where)
            _require(_pair(cfg.get("strides"), "strides") == (1, 1), f"{where}: strides")
            _require(_pair(cfg.get("dilation_rate"), "dilation") == (1, 1), f"{where}: dilation")
            _require(cfg.get("groups", 1) == 1 and not cfg.get("lora_rank"), f"{where}: groups")
            use_bias = cfg.get("use_bias", True)
            _require(
                len(shape) == 3 and len(arrays) == (2 if use_bias else 1), f"{where}: unexpected weights"
            )
            kh, kw = _pair(cfg.get("kernel_size"), "kernel_size")
            filters = int(cfg.get("filters", -1))
            _require(arrays[0].shape == (kh, kw, shape[2], filters), f"{where}: kernel {arrays[0].shape}")
            _require(not use_bias or arrays[1].shape == (filters,), f"{where}: bias")
            _require(shape[0] >= kh and shape[1] >= kw, f"{where}: kernel larger than its input")
            kernel = arrays[0].reshape(kh * kw * shape[2], filters)
            ops.append((_conv, kernel, arrays[1] if use_bias else None, (kh, kw), activation))
            shape = (shape[0] - kh + 1, shape[1] - kw + 1, filters)
        elif cls == "MaxPooling2D":
            size = _pair(cfg.get("pool_size"), "pool_size")
            strides = size if cfg.get("strides") is None else _pair(cfg.get("strides"), "strides")
            _require(strides == size and cfg.get("padding") == "valid", f"{where}: strides or padding")
            _require(cfg.get("data_format") == "channels_last" and len(shape) == 3, f"{where}: layout")
            _require(shape[0] >= size[0] and shape[1] >= size[1], f"{where}: window larger than its input")
            ops.append((_pool, size))
            shape = (shape[0] // size[0], shape[1] // size[1], shape[2])
        else:
            raise UnsupportedModel(f"{where}: not a layer class the NumPy forward pass knows")
        if cls not in ("InputLayer", "Dense", "Conv2D") and arrays:
            raise UnsupportedModel(f"{where} carries weights")
    _require(
        last_dense is not None and last_dense[0] >= 2 and last_dense[1] == "softmax",
        "the model does not end in a Dense(classes, softmax) layer",
    )
    return ops, [layer["name"] for layer in layers]


def load_numpy_model(path: str | Path, max_bytes: int = MAX_MODEL_BYTES) -> NumpyModel:
    """Read a mnistlab ``.keras`` file into a ``NumpyModel`` without TensorFlow and without running its code.

    Raises ``ModelFileError`` for files that are not usable at all (missing, too big, not a zip, broken JSON or
    weights) and ``UnsupportedModel`` (a subclass) for well-formed models with other layers or settings.
    """
    path = Path(path)
    check_model_archive(path, max_bytes)
    config, weight_bytes = _read_archive(path, max_bytes)
    try:
        layers = _chain(config)
    except UnsupportedModel as exc:
        raise UnsupportedModel(f"{path.name}: {exc}") from None
    import h5py

    try:
        with h5py.File(io.BytesIO(weight_bytes), "r") as weights:
            ops, names = _compile_layers(layers, weights)
    except UnsupportedModel as exc:
        raise UnsupportedModel(f"{path.name}: {exc}") from None
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path.name}: the weights could not be read ({exc}).") from None
    name = (config.get("config") or {}).get("name") or path.stem
    return NumpyModel(str(name), ops, names)


def load_predictor(path: str | Path, max_bytes: int = MAX_MODEL_BYTES):
    """The fastest safe model for single predictions: a ``NumpyModel`` when the file is one we know,
    otherwise the Keras model loaded with ``safe_mode`` (imports TensorFlow). Both are called as
    ``model(images, training=False)``. Raises ``ModelFileError`` when neither can load it."""
    try:
        return load_numpy_model(path, max_bytes)
    except UnsupportedModel:
        from mnistlab.modelfile import load_model_file

        return load_model_file(path, max_bytes)


class PredictorCache:
    """Loaded predictors per model file, shared by every session of a server (thread-safe, at most ``size``).

    Keyed by the file's path, size and modification time, so a replaced file is read again. ``get`` loads a
    file once even when several threads (a page and the start-up warm-up) ask for it at the same time.
    """

    def __init__(self, size: int = 8):
        self.size = size
        self._models: dict[tuple, object] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(path: Path) -> tuple:
        try:
            stat = path.stat()
        except OSError as exc:
            raise ModelFileError(f"Cannot read the model file {path.name}: {exc.strerror}.") from None
        return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)

    def get(self, path: str | Path, keras_fallback: bool = True):
        """The predictor for ``path`` (see ``load_predictor``). With ``keras_fallback=False`` a model NumPy
        cannot run raises ``UnsupportedModel`` instead of importing TensorFlow."""
        path = Path(path)
        key = self._key(path)
        with self._lock:
            if key in self._models:
                return self._models[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._models:
                    return self._models[key]
            if keras_fallback:
                model = load_predictor(path)
                from mnistlab.drawing import warm_up

                warm_up(model)  # a Keras model traces its graph now, not on the first stroke
            else:
                model = load_numpy_model(path)
            with self._lock:
                while len(self._models) >= self.size:
                    self._models.pop(next(iter(self._models)))
                self._models[key] = model
                self._locks.pop(key, None)
            return model

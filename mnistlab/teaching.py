"""The numbers behind the Learn page: activations, vanishing gradients, softmax, layer sizes and their cost.

Everything here is NumPy and computed on demand, so the page shows live values, never typed-in ones. The timing
of real training steps for the widths demo lives in ``mnistlab.bench.width_speed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from mnistlab.specs import INPUT_SHAPE, NUM_CLASSES

INPUTS = INPUT_SHAPE[0] * INPUT_SHAPE[1]  # 784 pixels
# One training step costs about three forward passes: the forward pass itself, then the backward pass
# computes two products of the same size (gradients w.r.t. the layer's input and w.r.t. its weights).
TRAIN_COST_FACTOR = 3


# ------------------------------------------------------------------------------------- activation functions


def sigmoid(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # same as 1 / (1 + e^-x), without overflow for large |x|


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(np.asarray(x, dtype=float))


def relu_derivative(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x, dtype=float) > 0).astype(float)


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


# name -> (function, derivative)
ACTIVATIONS = {
    "relu": (relu, relu_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
}


def activation_curves(x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each activation: its values and its derivative's values at ``x``."""
    return {name: (f(x), df(x)) for name, (f, df) in ACTIVATIONS.items()}


# ------------------------------------------------------------------------------------ vanishing gradients


@dataclass
class GradientFlow:
    """How large the gradient is at each layer of one random deep network, for one activation.

    ``norms[k]`` is the mean (over the batch) norm of dLoss/d(activations of layer k+1): ``norms[-1]`` is at
    the last hidden layer, ``norms[0]`` at the first. ``factors[k]`` is the mean |f'(z)| of layer k+1, the
    factor by which each unit's gradient is scaled on its way back through that layer's activation.
    """

    activation: str
    depth: int
    init: str
    norms: np.ndarray
    factors: np.ndarray

    @property
    def first_layer(self) -> float:
        return float(self.norms[0])

    @property
    def shrink(self) -> float:
        """How many times smaller the gradient is at the first layer than at the last hidden layer."""
        return float(self.norms[-1] / self.norms[0]) if self.norms[0] > 0 else float("inf")


def gradient_flow(
    activation: str, depth: int, width: int = 64, batch: int = 32, seed: int = 0, init: str = "standard"
) -> GradientFlow:
    """Back-propagate through a random ``depth``-layer MLP and record the gradient reaching each layer.

    The network maps ``width`` random inputs through ``depth`` Dense(``width``) layers with ``activation``
    to 10 outputs; the loss is softmax cross-entropy against random labels. ``init='standard'`` uses each
    activation's usual initialisation (He for ReLU, Glorot for sigmoid and tanh); ``init='glorot'`` uses
    Glorot for all (the Keras default). Same seed, same network.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; use one of {', '.join(ACTIVATIONS)}.")
    if not 1 <= depth <= 200:
        raise ValueError(f"depth must be between 1 and 200, got {depth}.")
    if init not in ("standard", "glorot"):
        raise ValueError(f"init must be 'standard' or 'glorot', got {init!r}.")
    f, df = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    he = init == "standard" and activation == "relu"
    # Normal initialisation with the variance each scheme prescribes for a square layer.
    scale = np.sqrt(2.0 / width) if he else np.sqrt(2.0 / (width + width))
    weights = [rng.normal(0.0, scale, (width, width)) for _ in range(depth)]
    out_w = rng.normal(0.0, np.sqrt(2.0 / (width + NUM_CLASSES)), (width, NUM_CLASSES))
    x = rng.normal(0.0, 1.0, (batch, width))
    labels = rng.integers(0, NUM_CLASSES, batch)

    pre, h = [], x
    for w in weights:
        z = h @ w
        pre.append(z)
        h = f(z)
    probs = softmax(h @ out_w)
    grad = probs.copy()  # dLoss/dlogits of mean cross-entropy, times batch size
    grad[np.arange(batch), labels] -= 1.0
    grad /= batch

    grad_h = grad @ out_w.T  # dLoss/d(last hidden activations)
    norms, factors = np.zeros(depth), np.zeros(depth)
    for k in range(depth - 1, -1, -1):
        norms[k] = np.linalg.norm(grad_h, axis=1).mean()
        factor = df(pre[k])
        factors[k] = np.abs(factor).mean()
        grad_h = (grad_h * factor) @ weights[k].T
    return GradientFlow(activation, depth, "he" if he else "glorot", norms, factors)


# ------------------------------------------------------------------------------------------------ softmax


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """Probabilities from scores along the last axis; ``temperature`` > 1 flattens them, < 1 sharpens."""
    if not temperature > 0:
        raise ValueError(f"temperature must be above 0, got {temperature!r}.")
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=-1, keepdims=True)  # e^z cannot overflow once the largest score is 0
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------- widths and cost


def check_widths(widths) -> list[int]:
    """Hidden widths as a list of whole numbers 1-4096 (an empty list is a model with no hidden layer)."""
    out = []
    for i, w in enumerate(widths):
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or not 1 <= w <= 4096:
            raise ValueError(f"Hidden layer {i + 1} width must be a whole number from 1 to 4096, got {w!r}.")
        out.append(int(w))
    return out


def funnel(widths, classes: int = NUM_CLASSES) -> list[tuple[str, int]]:
    """The layer sizes from input to output: [('input', 784), ('hidden 1', 128), ..., ('output', 10)]; the
    output has one unit per class of the dataset (``classes``)."""
    widths = check_widths(widths)
    hidden = [(f"hidden {i + 1}", w) for i, w in enumerate(widths)]
    return [("input", INPUTS), *hidden, ("output", int(classes))]


@dataclass
class Cost:
    """Size and training cost of a dense 784 -> widths -> classes network."""

    widths: list[int]
    layer_params: list[int]  # per hidden layer, then the output layer
    layer_macs: list[int]  # multiply-adds of one forward pass, per hidden layer, then the output layer
    params: int
    macs_per_example: int  # multiply-adds of one forward pass
    train_macs_per_example: int  # forward + backward
    train_macs_per_epoch: int
    examples_per_epoch: int
    seconds_per_epoch: float | None  # None without a measured throughput


def training_cost(
    widths, examples_per_epoch: int = 54_000, macs_per_second: float | None = None, classes: int = NUM_CLASSES
) -> Cost:
    """Parameters and multiply-adds of a dense network with ``classes`` outputs; seconds per epoch from a
    measured throughput.

    ``examples_per_epoch`` defaults to the 54,000 images left for fitting after a 10 % validation split.
    ``macs_per_second`` is training multiply-adds per second measured on this machine (see
    ``measure_width_speed`` or ``throughput_from_runs``).
    """
    widths = check_widths(widths)
    sizes = [INPUTS, *widths, int(classes)]
    macs = [a * b for a, b in pairwise(sizes)]
    params = [m + b for m, b in zip(macs, sizes[1:], strict=False)]  # weights plus one bias per unit
    forward = sum(macs)
    train = TRAIN_COST_FACTOR * forward
    per_epoch = train * examples_per_epoch
    seconds = per_epoch / macs_per_second if macs_per_second else None
    return Cost(widths, params, macs, sum(params), forward, train, per_epoch, examples_per_epoch, seconds)


def dense_widths(spec) -> list[int] | None:
    """The hidden Dense widths of a spec without conv layers, or None if it has conv/pool layers."""
    if any(layer.kind in ("conv2d", "max_pool") for layer in spec.layers):
        return None
    return [layer.units for layer in spec.layers if layer.kind == "dense"]


def throughput_from_runs(runs) -> tuple[float, str] | None:
    """Training multiply-adds per second achieved by the completed dense full-data runs in ``runs``.

    Uses the fastest such run (durations include validation and saving, so this is a cautious figure).
    Returns (macs per second, run name) or None when no run qualifies.
    """
    best = None
    for run in runs:
        widths = dense_widths(run.spec)
        if (
            run.status != "completed"
            or widths is None
            or not run.duration_s
            or not run.epochs_done
            or run.config.get("train_subset") is not None
        ):
            continue
        n_fit = int(60_000 * (1 - float(run.config.get("validation_split", 0.1))))
        done = training_cost(widths, n_fit).train_macs_per_epoch * run.epochs_done
        rate = done / float(run.duration_s)
        if best is None or rate > best[0]:
            best = (rate, run.name)
    return best


def throughput_source(speeds: list | None, runs) -> tuple[float, str] | None:
    """The training speed to price an epoch with: the width-speed measurement of this session if there is one
    (its fastest width), else the fastest completed dense run. Returns (multiply-adds per second, where from)."""
    if speeds:
        return max(s.macs_per_s for s in speeds), "the speed measured below"
    found = throughput_from_runs(runs)
    if found:
        return found[0], f"run “{found[1]}” (whole run time, validation included)"
    return None


def dropout_demo_run(runs):
    """The run whose first layer the dropout demo shows: a dense run with a model, the dropout preset first,
    newest first; None when there is none."""
    usable = [run for run in runs if run.has_model and dense_widths(run.spec)]
    return min(usable, key=lambda run: (run.preset != "dropout", -run.created), default=None)


# ---------------------------------------------------------------------------------------------- dropout


def parse_widths(text: str) -> list[int]:
    """'512, 256, 128' -> [512, 256, 128]; raises ValueError with a helpful message."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        widths = [int(p) for p in parts]
    except ValueError:
        raise ValueError(
            f"Widths must be whole numbers separated by commas, e.g. 256, 128 (got {text!r})."
        ) from None
    if len(widths) > 8:
        raise ValueError(f"At most 8 hidden layers here, got {len(widths)}.")
    return check_widths(widths)


def dropout_mask(size: int, rate: float, seed: int = 0) -> np.ndarray:
    """A random keep (1) / drop (0) mask: each unit is dropped with probability ``rate``."""
    if not 0 <= rate < 1:
        raise ValueError(f"The dropout rate must be at least 0 and below 1, got {rate!r}.")
    return (np.random.default_rng(seed).random(size) >= rate).astype(float)


def apply_dropout(values: np.ndarray, rate: float, seed: int = 0, training: bool = True) -> np.ndarray:
    """Inverted dropout as Keras does it: in training, drop units and scale the kept ones by 1 / (1 - rate)
    so the layer's expected output is unchanged; at inference, return the values untouched."""
    values = np.asarray(values, dtype=float)
    if not training:
        return values.copy()
    return values * dropout_mask(values.size, rate, seed).reshape(values.shape) / (1.0 - rate)


def dropout_average(values: np.ndarray, rate: float, masks: int = 1000, seed: int = 0) -> np.ndarray:
    """The mean of ``masks`` dropped-out versions of ``values``: close to ``values`` thanks to the scaling."""
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    keep = rng.random((masks, values.size)) >= rate
    return (keep * values.reshape(-1)).mean(axis=0).reshape(values.shape) / (1.0 - rate)


def accuracy_gap(history: dict) -> list[float | None]:
    """Per epoch: training accuracy minus validation accuracy (how much the model does better on digits it
    has seen). None where either is missing."""
    acc, val = history.get("accuracy") or [], history.get("val_accuracy") or []
    return [a - v if a is not None and v is not None else None for a, v in zip(acc, val, strict=False)]

"""Train a spec on an image set (MNIST by default, ``TrainConfig.dataset``) with live progress and a stop switch.

    result = train(PRESETS["dropout"], TrainConfig(epochs=8), on_progress=print, should_stop=lambda: False)

Speed comes from six choices, each measured on a 2-core CPU (see docs/BENCHMARKS.md): batches of 256 with a
learning rate scaled to match and a warm-up + cosine schedule (fewer, larger steps that still converge);
several steps per compiled call (``steps_per_execution``, so Python runs between chunks of batches, not between
batches); the training set held as its bytes and scaled in each batch (``mnistlab.models.reading_bytes``);
batches from a tf.data pipeline without autotuning (``mnistlab.batches``: no stalls between epochs);
validation by direct calls rather than a second traced graph; and, where the CPU does bfloat16 natively
(AVX-512 BF16 / AMX) and it measured quicker for this network (``mnistlab.compute``), hidden layers computing in
bfloat16 while weights, the output layer and the loss stay float32.
The returned model is always plain float32, so saved files and predictions do not depend on the CPU.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from mnistlab import batches
from mnistlab.data import DataError, ImageSet, subset, validation_split
from mnistlab.progress import Progress, Tracker
from mnistlab.specs import ArchitectureSpec

OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("warmup_cosine", "constant")
SUGGESTED_LR = {"adam": 4e-3, "sgd": 0.08, "rmsprop": 8e-4}  # peak rates at LONG_RUN_BATCH (256)
# Batches per compiled call: Python (progress, stop checks) runs once per chunk. 8 x 512 images is ~50 ms here.
# Hidden layers compute in bfloat16 where the CPU has native support and it measured quicker for this network
# ("auto", see mnistlab.compute); "float32" or "bfloat16" force one (also MNISTLAB_COMPUTE, from outside).
COMPUTES = ("auto", "float32", "bfloat16")

# ---- Defaults chosen by training FLOPs to accuracy (docs/BENCHMARKS.md, "Short runs"), not by one CPU's speed.
# A run's budget is its epochs; what it needs is enough optimizer steps. So the batch comes from the epoch budget
# (smaller batches for short runs: ~800+ steps even in one epoch), the peak learning rate from the batch, and the
# warm-up is a share of ALL steps (a 1-epoch run warms up over 5 % of it, not over its whole first epoch).
# Measured on baseline and dropout (seed 0, test %), this beats plain fit (Adam 1e-3, batch 32 and 128) at 1, 2,
# 3, 5 and 8 epochs, e.g. baseline after 1 epoch 95.98 vs 95.84, after 2 epochs 97.27 vs 96.76.
# Long runs use batch 256 at 4e-3, not 512 at 5e-3: at 512 dropout ended at 97.99-98.21 % over seeds 0-2 (mean
# under the notebook's 98.11 %), at 256 at 98.06-98.38 % and passes 98.11 % one to two epochs earlier, which
# pays for the slower epochs (docs/BENCHMARKS.md, "Accuracy of every preset").
AUTO = "auto"
AUTO_BATCH = ((2, 64), (7, 128))  # (up to this many epochs, batch size); longer runs: LONG_RUN_BATCH
LONG_RUN_BATCH = 256  # the run is long enough for fewer, larger steps
WARMUP_SHARE = 0.05  # linear warm-up over this share of all steps, then cosine decay to zero


def recommended_batch_size(epochs: int) -> int:
    """The batch size for a run of ``epochs`` (1-2: 64, 3-7: 128, 8 or more: 256)."""
    return next((batch for most, batch in AUTO_BATCH if epochs <= most), LONG_RUN_BATCH)


def recommended_learning_rate(optimizer: str, batch_size: int) -> float:
    """Peak rate for ``optimizer`` at ``batch_size``: the rate suggested at batch 256 x (batch / 256) ** 0.3,
    to one significant figure (Adam: b32 2e-3, b64 and b128 3e-3, b256 4e-3, b512 5e-3; each measured best or
    near-best in short runs; the "linear scaling" rates 1e-3-2e-3 at b32-b128 are clearly worse)."""
    rate = SUGGESTED_LR.get(optimizer, SUGGESTED_LR["adam"]) * (batch_size / LONG_RUN_BATCH) ** 0.3
    return float(f"{rate:.0e}")


def warmup_steps(total_steps: int) -> int:
    """Warm-up steps of the warm-up + cosine schedule: ``WARMUP_SHARE`` of all steps, at least one."""
    return max(1, min(total_steps, round(total_steps * WARMUP_SHARE)))


class ConfigError(ValueError):
    """A training setting out of range; the message names it and the allowed range."""


FULL_TRAIN_SET = 60_000


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Defaults reach the notebook's accuracies in seconds per preset on 2 cores.

    Settings are checked when the config is built: a bad one raises ``ConfigError`` naming it and its range,
    so code holding a ``TrainConfig`` can trust it. ``train_subset`` of 60,000 (all digits) is stored as None.
    ``batch_size`` and ``learning_rate`` of "auto" are resolved from the epochs (and optimizer) when the config
    is built, so a config (and a saved run's config.json) always holds the numbers actually used.
    """

    epochs: int = 8
    batch_size: int | str = AUTO  # "auto": recommended_batch_size(epochs); stored resolved
    optimizer: str = "adam"
    learning_rate: float | str = (
        AUTO  # "auto": recommended_learning_rate(optimizer, batch_size); stored resolved
    )
    schedule: str = "warmup_cosine"
    validation_split: float = 0.1
    seed: int = 0
    train_subset: int | None = None
    augment: bool = False  # training-time variations fit for the dataset: digits tilted, slanted..., clothing
    # mirrored and shifted (mnistlab.augment, by the set's framing)
    dataset: str = "mnist"  # the image set to train and score on, by name (mnistlab.datasets)

    def __post_init__(self) -> None:
        for name, value in _checked(self).items():
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> TrainConfig:
        """Build and validate from plain data; unknown keys are refused."""
        if not isinstance(raw, dict):
            raise ConfigError("A training config must be an object of settings.")
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"Unknown training settings {sorted(unknown)}; known: {sorted(known)}.")
        return cls(**raw)

    def replace(self, **changes) -> TrainConfig:
        return TrainConfig(**{**asdict(self), **changes})

    def auto_replace(self, **changes) -> TrainConfig:
        """Like ``replace``, but batch size and learning rate not named in ``changes`` are chosen again ("auto")
        for the new epochs/optimizer."""
        return self.replace(**{"batch_size": AUTO, "learning_rate": AUTO, **changes})


def _whole(name: str, value, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()))
    ):
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}.")
    if not low <= value <= high:
        raise ConfigError(f"{name} is {int(value)}; allowed range is {low}-{high}.")
    return int(value)


def _checked(config: TrainConfig) -> dict:
    """The config's settings with numbers normalised; raises ``ConfigError`` naming the bad setting."""
    epochs = _whole("epochs", config.epochs, 1, 200)
    batch = config.batch_size
    batch = _whole("batch_size", recommended_batch_size(epochs) if batch == AUTO else batch, 1, 8192)
    seed = _whole("seed", config.seed, 0, 2**31 - 1)
    sub = (
        None
        if config.train_subset is None
        else _whole("train_subset", config.train_subset, 100, FULL_TRAIN_SET)
    )
    if config.optimizer not in OPTIMIZERS:
        raise ConfigError(f"optimizer {config.optimizer!r} is unknown; use one of {', '.join(OPTIMIZERS)}.")
    if config.schedule not in SCHEDULES:
        raise ConfigError(f"schedule {config.schedule!r} is unknown; use one of {', '.join(SCHEDULES)}.")
    lr = config.learning_rate
    if lr == AUTO and config.optimizer in OPTIMIZERS:
        lr = recommended_learning_rate(config.optimizer, batch)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or not 0 < lr <= 1:
        raise ConfigError(f"learning_rate must be a number above 0 and at most 1, got {lr!r}.")
    vs = config.validation_split
    if (
        isinstance(vs, bool)
        or not isinstance(vs, (int, float))
        or not math.isfinite(vs)
        or not 0 <= vs <= 0.5
    ):
        raise ConfigError(f"validation_split must be between 0 and 0.5, got {vs!r}.")
    n_fit = int((sub or FULL_TRAIN_SET) * (1 - vs))
    if batch > n_fit and config.batch_size == AUTO:  # a tiny subset: one batch of everything
        batch = max(1, n_fit)
    if batch > n_fit:
        raise ConfigError(
            f"batch_size {batch} is larger than the {n_fit} training examples; use at most {n_fit}."
        )
    if not isinstance(config.augment, bool):
        raise ConfigError(f"augment must be true or false, got {config.augment!r}.")
    _check_dataset(config.dataset)
    return {
        "epochs": epochs,
        "batch_size": batch,
        "learning_rate": float(lr),
        "validation_split": float(vs),
        "seed": seed,
        "train_subset": None if sub == FULL_TRAIN_SET else sub,
    }


def _check_dataset(name) -> None:
    """Raise ``ConfigError`` unless ``name`` is a dataset the lab knows (its files need not be here yet)."""
    from mnistlab.datasets.registry import BUILTIN_NAMES, get_dataset

    if not isinstance(name, str) or not name:
        raise ConfigError(f"dataset must be a dataset's name, like 'mnist' or 'fashion-mnist', got {name!r}.")
    if name in BUILTIN_NAMES:  # no file to read for the common case
        return
    try:
        get_dataset(name)
    except DataError as exc:
        raise ConfigError(f"dataset: {exc}") from None


@dataclass
class TrainResult:
    model: object
    history: dict  # per epoch: loss, accuracy, val_loss, val_accuracy, epoch_s, lists of equal length
    batches: list = field(default_factory=list)  # [[global step, loss, accuracy], ...]: each chunk's own mean
    status: str = "completed"  # or "stopped"
    duration_s: float = 0.0
    epochs_done: int = 0
    samples_per_s: float = 0.0
    compute: str = "float32"  # the precision of the hidden layers while training: "float32" or "bfloat16"


def dataset_for(config: TrainConfig, data: ImageSet | None = None) -> ImageSet:
    """``data`` when it is the config's dataset, else the config's dataset loaded (verified, cached)."""
    if data is not None and data.name == config.dataset:
        return data
    from mnistlab.datasets import load_dataset

    return load_dataset(config.dataset)


def prepare_data(config: TrainConfig, data: ImageSet | None = None):
    """Fit/validation arrays for ``config``: (x_fit, y_fit, x_val, y_val), images as stored (uint8, 0-255;
    ``train`` scales them in each batch, see ``mnistlab.models.reading_bytes``), labels int32."""
    data = dataset_for(config, data)
    x, y = subset(data.x_train, data.y_train, config.train_subset, config.seed)
    x_fit, y_fit, x_val, y_val = validation_split(x, y, config.validation_split, config.seed)
    return _bytes(x_fit), y_fit.astype(np.int32), _bytes(x_val), y_val.astype(np.int32)


def _bytes(images: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(images, dtype=np.uint8)


def make_optimizer(config: TrainConfig, total_steps: int):
    from mnistlab.tf import keras

    lr = config.learning_rate
    if config.schedule == "warmup_cosine":
        # Warm up over a share of all steps (so short runs are not mostly warm-up), then a cosine to zero.
        warmup = warmup_steps(total_steps)
        lr = keras.optimizers.schedules.CosineDecay(
            0.0,
            decay_steps=max(1, total_steps - warmup),
            alpha=0.0,
            warmup_target=config.learning_rate,
            warmup_steps=warmup,
        )
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)


def train(
    spec: ArchitectureSpec,
    config: TrainConfig | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: ImageSet | None = None,
    on_epoch_end: Callable[[dict, object], None] | None = None,
    compute: str | None = None,
) -> TrainResult:
    """Train a fresh model for ``spec``; returns the model, its per-epoch history and status.

    ``on_progress(Progress)`` is called every few batches and after each epoch. ``should_stop()`` is polled
    as often; when it returns True training ends within one chunk of batches, keeping the partial history.
    ``on_epoch_end(history, model)`` gets the history so far and the float32 model with this epoch's weights,
    as a Keras callback would (for checkpointing, or scoring the model between epochs).
    ``compute`` is "auto" (bfloat16 hidden layers where the CPU has them and they measured quicker for this
    network and batch size, see ``mnistlab.compute``), "float32" or "bfloat16"; None reads ``$MNISTLAB_COMPUTE``.
    Same spec, config and seed give the same history on the same CPU.
    """
    config = config or TrainConfig()
    from mnistlab.models import STEPS_PER_EXECUTION, bfloat16_twin, build_model, reading_bytes
    from mnistlab.tf import keras

    precision = choose_compute(spec, config, compute)
    data = dataset_for(config, data)
    x_fit, y_fit, x_val, y_val = prepare_data(config, data)
    keras.utils.set_random_seed(config.seed)
    model = build_model(spec, seed=config.seed, num_classes=data.num_classes)
    trainee = bfloat16_twin(model, keras) if precision == "bfloat16" else model
    steps_per_epoch = batches.steps_per_epoch(len(x_fit), config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    fitter = trainee
    if config.augment:  # the variations run in front of the trainee during fit only, never in `model`
        from mnistlab.augment import settings_for, with_augmentation

        fitter = with_augmentation(trainee, seed=config.seed, settings=settings_for(config.dataset))
    fitter = reading_bytes(fitter, keras)
    fitter.compile(
        optimizer=make_optimizer(config, total_steps),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=min(STEPS_PER_EXECUTION, steps_per_epoch),
    )
    sync = None if trainee is model else (lambda: model.set_weights(trainee.get_weights()))
    validate = (lambda: validation_scores(fitter, x_val, y_val)) if len(x_val) else None
    tracker = Tracker(
        config, steps_per_epoch, total_steps, on_progress, should_stop, on_epoch_end, model, sync, validate
    )
    fitter.fit(
        batches.training_batches(x_fit, y_fit, config.batch_size, config.seed),
        epochs=config.epochs,
        shuffle=False,  # the batches reshuffle themselves each epoch
        verbose=0,
        callbacks=[tracker.callback(keras)],
    )
    duration = time.perf_counter() - tracker.start
    if sync:
        sync()
    epochs_done = len(tracker.history["loss"])
    return TrainResult(
        model=model,
        history=tracker.history,
        batches=tracker.batches,
        status="stopped" if tracker.stopped else "completed",
        duration_s=duration,
        epochs_done=epochs_done,
        samples_per_s=tracker.samples / duration if duration > 0 else 0.0,
        compute=precision,
    )


def validation_scores(fitter, x_val: np.ndarray, y_val: np.ndarray) -> dict:
    """Validation loss (mean cross-entropy) and accuracy of the network in training, by direct calls.

    Rather than ``fit``'s own validation, which traces a second graph in the first epoch (0.2-0.3 s on a 2-core
    Zen 4 EPYC) and then runs at the training batch size: there a direct call on 2,000 images takes 15-40 ms for
    the MLPs."""
    from mnistlab.evaluation import predict_proba

    probs = predict_proba(fitter, x_val, dtype=None)  # the bytes, as the fitter reads them
    picked = np.clip(probs[np.arange(len(y_val)), y_val], 1e-7, 1.0)  # Keras' clipping of the loss
    return {
        "val_loss": float(-np.log(picked).mean()),
        "val_accuracy": float(np.mean(probs.argmax(axis=1) == y_val)),
    }


def uses_bfloat16(compute: str | None = None) -> bool:
    """Whether bfloat16 hidden layers are possible here at all (``compute``, else the environment, and the CPU
    decide); whether a given network uses them is ``mnistlab.compute.choose``."""
    from mnistlab import compute as precision

    try:
        wanted = precision.requested(compute)
    except precision.ComputeError as exc:
        raise ConfigError(str(exc)) from None
    return wanted == "bfloat16" or (wanted == "auto" and precision.cpu_has_bfloat16())


def choose_compute(spec: ArchitectureSpec, config: TrainConfig, compute: str | None = None) -> str:
    """The precision ``train`` uses for ``spec`` with ``config``: "float32" or "bfloat16"."""
    from mnistlab import compute as precision

    n_fit = int((config.train_subset or FULL_TRAIN_SET) * (1 - config.validation_split))
    try:
        return precision.choose(spec, config.batch_size, compute, images=n_fit * config.epochs)
    except precision.ComputeError as exc:
        raise ConfigError(str(exc)) from None

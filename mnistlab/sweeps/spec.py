"""A sweep as plain data: which architecture and training settings to vary, how to search, what to measure.

    {"name": "widths and dropout", "base": {"preset": "dropout"},
     "config": {"epochs": 4, "train_subset": 20000},
     "method": "tpe", "trials": 24, "seed": 0, "seeds_per_point": 1,
     "space": {"layers.0.units": {"low": 32, "high": 1024, "log": true, "int": true},
               "layers.1.rate": {"low": 0.0, "high": 0.6},
               "learning_rate": {"low": 1e-4, "high": 2e-2, "log": true},
               "batch_size": [128, 256, 512, 1024]},
     "metric": "val_accuracy", "prune": true}

``dataset`` (optional, default "mnist") names the image set every trial trains on; it is kept in ``config``.
``base`` is ``{"preset": NAME}`` or ``{"spec": {...architecture spec...}}`` (a bare architecture spec works too).
A ``space`` key is a path into the base spec, ``layers.N.field`` (N counts from 0), or the name of a training
setting. A list is a categorical choice; an object is a range (``low``, ``high``, optional ``log``, ``int``, and
``steps`` for a grid). ``prune`` is off unless the file asks for it (true means "median").
``mnistlab.sweeps.parsing.parse_sweep`` checks everything before anything runs and raises ``SweepError`` naming
the key and what is allowed; a ``SweepSpec`` that exists is valid. A grid's points are drawn by index
(``mnistlab.sweeps.grid``), never listed whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mnistlab.specs import ACTIVATIONS, ArchitectureSpec, SpecError
from mnistlab.specs import from_dict as spec_from_dict
from mnistlab.sweeps.grid import grid_plan, grid_size
from mnistlab.training import OPTIMIZERS, SCHEDULES, ConfigError, TrainConfig

METHODS = ("grid", "random", "tpe")
# name -> (direction, what it is). val_* are read per epoch from the job's history; test_accuracy from the run.
METRICS = {
    "val_accuracy": ("maximize", "validation accuracy after the last epoch"),
    "val_loss": ("minimize", "validation loss after the last epoch"),
    "test_accuracy": ("maximize", "accuracy on the dataset's test images"),
}
PRUNERS = ("median", "halving")
# Training settings a sweep may vary. seed is varied by seeds_per_point; validation_split changes what the
# validation metric measures, so it stays fixed within a sweep.
TRAIN_SETTINGS = ("epochs", "batch_size", "optimizer", "learning_rate", "schedule", "train_subset")
CATEGORICAL_ONLY = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES, "activation": ACTIVATIONS}
INTEGER_SETTINGS = {"epochs": (1, 200), "batch_size": (1, 8192), "train_subset": (100, 60_000)}
MAX_TRIALS = 200
MAX_SEEDS = 5
MAX_RUNS = 400  # trials x seeds: a sweep's runs all land in the store
MAX_DIMENSIONS = 12
MAX_CHOICES = 32
MAX_STEPS = 20
MAX_PARALLEL = 8
NAME_MAX = 64
KEYS = (
    "name",
    "base",
    "config",
    "method",
    "trials",
    "seed",
    "seeds_per_point",
    "space",
    "metric",
    "prune",
    "parallel",
    "description",
    "dataset",
)


class SweepError(ValueError):
    """A sweep that cannot run; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Dimension:
    """One searched setting: ``choices`` (categorical) or a range ``low``..``high`` (``log``, ``whole``,
    ``steps``). ``whole`` is the file's ``"int"``: a field named ``int`` would hide the builtin from type hints."""

    key: str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    whole: bool = False
    steps: int | None = None

    @property
    def is_categorical(self) -> bool:
        return self.choices is not None

    def grid_values(self) -> list:
        """The values a grid tries: the choices, or ``steps`` points from low to high (geometric when log)."""
        if self.is_categorical:
            return list(self.choices)
        n = self.steps or 2
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            values = [math.exp(a + (b - a) * i / (n - 1)) for i in range(n)]
        else:
            values = [self.low + (self.high - self.low) * i / (n - 1) for i in range(n)]
        values[0], values[-1] = self.low, self.high  # exact ends, whatever the rounding
        if self.whole:
            return list(dict.fromkeys(round(v) for v in values))
        return [float(f"{v:.6g}") for v in values]

    def to_dict(self) -> Any:
        if self.is_categorical:
            return list(self.choices)
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.whole:
            out["int"] = True
        if self.steps is not None:
            out["steps"] = self.steps
        return out

    def describe(self) -> str:
        if self.is_categorical:
            return " | ".join(str(c) for c in self.choices)
        scale = ", log" if self.log else ""
        return f"{self.low:g} … {self.high:g}{scale}"


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep. Build it with ``parse_sweep``; ``to_dict`` gives back plain data that parses again."""

    name: str
    base: ArchitectureSpec
    base_preset: str | None
    config: TrainConfig
    method: str
    trials: int
    space: tuple[Dimension, ...]
    metric: str = "val_accuracy"
    prune: str | None = None  # off unless asked for, as in a sweep file
    seed: int = 0
    seeds_per_point: int = 1
    parallel: int | None = None
    description: str = ""

    @property
    def direction(self) -> str:
        return METRICS[self.metric][0]

    @property
    def keys(self) -> list[str]:
        return [d.key for d in self.space]

    def dimension(self, key: str) -> Dimension:
        return next(d for d in self.space if d.key == key)

    def to_dict(self) -> dict:
        base = {"preset": self.base_preset} if self.base_preset else {"spec": self.base.to_dict()}
        out = {
            "name": self.name,
            "base": base,
            "config": self.config.to_dict(),
            "method": self.method,
            "trials": self.trials,
            "seed": self.seed,
            "seeds_per_point": self.seeds_per_point,
            "space": {d.key: d.to_dict() for d in self.space},
            "metric": self.metric,
            "prune": self.prune or False,
        }
        if self.parallel is not None:
            out["parallel"] = self.parallel
        if self.description:
            out["description"] = self.description
        return out

    @property
    def grid_size(self) -> int:
        """How many points the grid of the dimensions' grid values has (a product of lengths)."""
        return grid_size(self.space)

    def grid_plan(self) -> list[dict]:
        """The grid points the sweep runs: all of them, or ``trials`` of them drawn with the sweep's seed."""
        return grid_plan(self.space, self.trials, self.seed)

    @property
    def budget(self) -> int:
        """How many trials the sweep runs (a grid never runs more than its points)."""
        return min(self.trials, self.grid_size) if self.method == "grid" else self.trials

    def apply(self, params: dict) -> tuple[ArchitectureSpec, TrainConfig]:
        """The architecture and training config of one trial. Raises ``SweepError`` if they are not valid
        together (e.g. two wide layers over the parameter limit)."""
        return apply_params(self.base, self.config, params)


# --------------------------------------------------------------------------------------------- applying


def apply_params(
    base: ArchitectureSpec, config: TrainConfig, params: dict
) -> tuple[ArchitectureSpec, TrainConfig]:
    layers = [layer.to_dict() for layer in base.layers]
    changes = {}
    for key, value in params.items():
        if key.startswith("layers."):
            _, index, name = key.split(".")
            layers[int(index)][name] = value
        else:
            changes[key] = value
    try:
        spec = spec_from_dict({"name": base.name, "description": base.description, "layers": layers})
        trial_config = config.replace(**changes)
    except (SpecError, ConfigError) as exc:
        raise SweepError(f"These settings do not make a valid training: {exc}") from None
    return spec, trial_config

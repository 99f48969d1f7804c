"""The Sweep page's form as plain data: which settings a base can vary, and form rows -> a sweep's JSON.

A form row is ``{"setting": KEY, "values": TEXT, "log": bool, "steps": int | None}`` where TEXT is either a
list (``128, 256, 512``) or a range (``32 .. 1024``). ``sweep_from_form`` turns the rows and the other fields
into the same plain data a JSON file holds, and ``parse_sweep`` validates it, so the form and files share every
check and message.
"""

from __future__ import annotations

import math

from mnistlab.specs import ArchitectureSpec
from mnistlab.sweeps.spec import OPTIMIZERS, SCHEDULES, SweepError

# What the form suggests for each kind of setting: values text and log scale.
_SUGGESTIONS = {
    "units": ("32 .. 1024", True),
    "filters": ("8 .. 64", True),
    "kernel_size": ("3, 5", False),
    "size": ("2, 3", False),
    "rate": ("0 .. 0.6", False),
    "activation": ("relu, tanh, gelu", False),
    "learning_rate": ("0.0001 .. 0.02", True),
    "batch_size": ("128, 256, 512, 1024", False),
    "optimizer": (", ".join(OPTIMIZERS), False),
    "schedule": (", ".join(SCHEDULES), False),
    "epochs": ("2, 4, 8", False),
    "train_subset": ("5000, 20000, 60000", False),
}
# Training settings offered in the form, in the order a student thinks of them.
FORM_SETTINGS = ("learning_rate", "batch_size", "optimizer", "epochs", "schedule", "train_subset")


def setting_options(base: ArchitectureSpec) -> dict[str, str]:
    """KEY -> label for every setting the form can vary: each layer's parameters, then training settings."""
    options = {}
    for i, layer in enumerate(base.layers):
        for param in ("units", "rate", "filters", "kernel_size", "size", "activation"):
            if param in layer.to_dict():
                options[f"layers.{i}.{param}"] = f"layer {i}: {layer.label()} · {param}"
    for key in FORM_SETTINGS:
        options[key] = f"training · {key.replace('_', ' ')}"
    return options


def suggestion(key: str) -> tuple[str, bool]:
    """The values text and log flag the form fills in when a setting is picked."""
    return _SUGGESTIONS.get(key.rsplit(".", 1)[-1], ("", False))


def default_rows(base: ArchitectureSpec) -> list[dict]:
    """The first widths and dropout rates of the base, plus the learning rate: a sensible first sweep."""
    rows = []
    for key in setting_options(base):
        if (
            key.endswith((".units", ".filters", ".rate"))
            and sum(r["setting"].startswith("layers.") for r in rows) < 2
        ):
            text, log = suggestion(key)
            rows.append({"setting": key, "values": text, "log": log, "steps": None})
    text, log = suggestion("learning_rate")
    rows.append({"setting": "learning_rate", "values": text, "log": log, "steps": None})
    return rows


def _number(text: str):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def dimension_from_text(key: str, text: str, log: bool = False, steps: int | None = None):
    """``"32 .. 1024"`` -> a range, ``"128, 256"`` -> a list (numbers where they are numbers). Raises
    ``SweepError`` naming the setting when the text is neither."""
    text = (text or "").strip()
    if not text:
        raise SweepError(f"{key}: give values, e.g. {suggestion(key)[0] or '1, 2, 3'}.")
    if ".." in text:
        parts = [p.strip() for p in text.split("..")]
        try:
            low, high = (_number(p) for p in parts) if len(parts) == 2 else (None, None)
        except ValueError:
            low = high = None
        if low is None:
            raise SweepError(f"{key}: a range is two numbers, like 32 .. 1024; got {text!r}.")
        out = {"low": low, "high": high}
        if log:
            out["log"] = True
        if isinstance(low, int) and isinstance(high, int) and not key.endswith((".rate", "learning_rate")):
            out["int"] = True
        if steps:
            out["steps"] = int(steps)
        return out
    items = [p.strip() for p in text.split(",") if p.strip()]
    values = []
    for item in items:
        try:
            values.append(_number(item))
        except ValueError:
            values.append(item)
    return values


def sweep_from_form(
    name: str,
    preset: str,
    rows: list[dict],
    method: str,
    trials: int,
    epochs: int,
    train_subset: int | None,
    metric: str = "val_accuracy",
    prune: str | bool = "median",
    seed: int = 0,
    seeds_per_point: int = 1,
) -> dict:
    """The form's fields as a sweep's plain data (validate it with ``parse_sweep``)."""
    space = {}
    for row in rows:
        key = row.get("setting")
        if not key:
            continue
        if key in space:
            raise SweepError(f"{key} is listed twice; keep one row per setting.")
        steps = row.get("steps")
        steps = None if steps is None or (isinstance(steps, float) and math.isnan(steps)) else int(steps)
        space[key] = dimension_from_text(key, str(row.get("values") or ""), bool(row.get("log")), steps)
    config = {"epochs": epochs}
    if train_subset:
        config["train_subset"] = train_subset
    return {
        "name": name,
        "base": {"preset": preset},
        "config": config,
        "method": method,
        "trials": trials,
        "seed": seed,
        "seeds_per_point": seeds_per_point,
        "space": space,
        "metric": metric,
        "prune": prune or False,
    }

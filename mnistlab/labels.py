"""The names people see for settings and layer kinds, and messages rewritten in those names.

Specs, configs and the CLI use identifiers (``learning_rate``, ``train_subset``, ``max_pool``); the dashboard's
form says "Learning rate", "Training images", "MaxPool". ``user_words`` turns a validation message into the
form's words, so the page never asks for a field the user cannot find.
"""

from __future__ import annotations

import re

# Training settings, as the Train form labels them.
SETTING_LABELS = {
    "epochs": "Epochs",
    "batch_size": "Batch size",
    "optimizer": "Optimizer",
    "learning_rate": "Learning rate",
    "schedule": "Schedule",
    "validation_split": "Validation split",
    "seed": "Seed",
    "train_subset": "Training images",
    "augment": "Augment",
    "dataset": "Dataset",
}
# Layer settings and kinds, as the architecture builder labels them.
LAYER_PARAM_LABELS = {
    "units": "Units",
    "activation": "Activation",
    "rate": "Rate",
    "filters": "Filters",
    "kernel_size": "Kernel",
    "size": "Pool size",
}
KIND_LABELS = {
    "dense": "Dense",
    "dropout": "Dropout",
    "conv2d": "Conv2D",
    "max_pool": "MaxPool",
    "flatten": "Flatten",
}

# Identifiers with an underscore or a digit cannot be ordinary words: replaced wherever they stand.
_ALWAYS = {
    name: label
    for name, label in {**SETTING_LABELS, **LAYER_PARAM_LABELS, **KIND_LABELS}.items()
    if "_" in name or any(c.isdigit() for c in name)
}
_ALWAYS_RE = re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, _ALWAYS)) + r")(?![\w'])")
# Plain words ("units", "rate", "epochs", "dense") only where a message uses them as names: first word of the
# message, right after "Layer 2 (dense) ", or a kind in brackets.
_KIND_IN_BRACKETS = re.compile(r"\((" + "|".join(map(re.escape, KIND_LABELS)) + r")\)")
_PARAM_AFTER_LAYER = re.compile(
    r"(Layer \d+ \([^)]*\) )(" + "|".join(map(re.escape, {**LAYER_PARAM_LABELS, **SETTING_LABELS})) + r")\b"
)
_FIRST_WORD = re.compile(r"^(" + "|".join(map(re.escape, {**SETTING_LABELS, **LAYER_PARAM_LABELS})) + r")\b")


def setting_label(name: str) -> str:
    """The form's label for a training or layer setting (unknown names come back as they are)."""
    return SETTING_LABELS.get(name) or LAYER_PARAM_LABELS.get(name) or name


def user_words(message: str) -> str:
    """``message`` with internal names replaced by the form's labels.

    ``"learning_rate must be above 0"`` -> ``"Learning rate must be above 0"``;
    ``"Layer 2 (max_pool) size is 0"`` -> ``"Layer 2 (MaxPool): Pool size is 0"``.
    """
    text = str(message)
    text = _KIND_IN_BRACKETS.sub(lambda m: f"({KIND_LABELS[m.group(1)]})", text)
    text = _PARAM_AFTER_LAYER.sub(lambda m: m.group(1).rstrip() + ": " + setting_label(m.group(2)), text)
    text = _FIRST_WORD.sub(lambda m: setting_label(m.group(1)), text)
    return _ALWAYS_RE.sub(lambda m: _ALWAYS[m.group(1)], text)

"""The Train page's training settings follow the recommended rule: picking a preset loads its recommended
config (``mnistlab.recipes``), changing the epochs picks the batch size and peak rate for that budget, changing
the optimizer or batch picks its rate (``mnistlab.training``). Widget callbacks only; the user may still type
any value afterwards."""

from __future__ import annotations

import streamlit as st

from mnistlab.datasets import DEFAULT as DEFAULT_DATASET
from mnistlab.recipes import recommended_config
from mnistlab.training import ConfigError, recommended_learning_rate

EPOCHS, BATCH, OPTIMIZER, RATE = "train_epochs", "train_batch", "train_optimizer", "train_lr"
DATASET = "train_dataset"
RECIPE_SET = "train_recipe_dataset"  # the set the settings last followed (a dataset change compares with it)
SEED, SUBSET, AUGMENT, NAME, START = (
    "train_seed",
    "train_subset",
    "train_augment",
    "train_name",
    "train_start",
)
RULE_HELP = (
    "Follows the epochs unless you change it: 1-2 epochs → 64, 3-7 → 128, 8 or more → 256 (enough optimizer "
    "steps for short runs, fewer and larger steps for long ones); the cnn preset trains at 256."
)


def start_values(epochs: int, batch_size: int, learning_rate: float) -> None:
    """Give epochs, batch size and rate their first values through Session State (once per visit).

    The callbacks below set these keys too, so the widgets must take their values from Session State only:
    a widget created with a ``value``/``index`` whose key was also set through Session State makes Streamlit
    log "... was created with a default value but also had its value set via the Session State API"."""
    st.session_state.setdefault(EPOCHS, epochs)
    st.session_state.setdefault(BATCH, batch_size)
    st.session_state.setdefault(RATE, learning_rate)


def _recipe(preset: str | None, dataset: str | None) -> tuple:
    config = recommended_config(preset, optimizer=st.session_state.get(OPTIMIZER), dataset=dataset)
    return config.epochs, config.batch_size, config.learning_rate, config.augment


def _settings() -> tuple:
    state = st.session_state
    return state.get(EPOCHS), state.get(BATCH), state.get(RATE), bool(state.get(AUGMENT, False))


def apply_preset(preset: str | None) -> None:
    """Set epochs, batch size, rate and augmentation to ``preset``'s recommended config on the chosen dataset
    (keeps the chosen optimizer): Fashion-MNIST's cnn, for one, trains 30 epochs on augmented images."""
    try:
        recipe = _recipe(preset, st.session_state.get(DATASET))
    except ConfigError:  # an unknown set: the picker says so, the settings stay
        return
    for key, value in zip((EPOCHS, BATCH, RATE, AUGMENT), recipe, strict=True):
        st.session_state[key] = value
    st.session_state[RECIPE_SET] = st.session_state.get(DATASET)


def follow_dataset(preset: str | None) -> None:
    """After the dataset changed: settings still at the preset's recipe for the set before take the recipe for
    the new set; settings the user changed (and a custom architecture's) stay as they are."""
    before = st.session_state.get(RECIPE_SET, DEFAULT_DATASET)
    st.session_state[RECIPE_SET] = st.session_state.get(DATASET)
    if preset is None:
        return
    try:
        untouched = _settings() == _recipe(preset, before)
    except ConfigError:
        untouched = False
    if untouched:
        apply_preset(preset)


def follow_epochs(preset: str | None) -> None:
    """After the epochs changed: the batch size and rate recommended for that budget."""
    try:
        config = recommended_config(
            preset,
            epochs=st.session_state.get(EPOCHS),
            optimizer=st.session_state.get(OPTIMIZER),
            dataset=st.session_state.get(DATASET),
        )
    except ConfigError:  # an out-of-range number: the Start button reports it
        return
    st.session_state[BATCH] = config.batch_size
    st.session_state[RATE] = config.learning_rate


def follow_batch() -> None:
    """After the optimizer or batch size changed: the rate recommended for them."""
    optimizer, batch = st.session_state.get(OPTIMIZER, "adam"), st.session_state.get(BATCH)
    if isinstance(batch, int):
        st.session_state[RATE] = recommended_learning_rate(optimizer, batch)

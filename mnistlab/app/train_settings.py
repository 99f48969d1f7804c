"""The Train page's training settings follow the recommended rule: picking a preset loads its recommended
config (``mnistlab.recipes``), changing the epochs picks the batch size and peak rate for that budget, changing
the optimizer or batch picks its rate (``mnistlab.training``). Widget callbacks only; the user may still type
any value afterwards."""

from __future__ import annotations

import streamlit as st

from mnistlab.recipes import recommended_config
from mnistlab.training import ConfigError, recommended_learning_rate

EPOCHS, BATCH, OPTIMIZER, RATE = "train_epochs", "train_batch", "train_optimizer", "train_lr"
DATASET = "train_dataset"
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


def apply_preset(preset: str | None) -> None:
    """Set epochs, batch size and rate to ``preset``'s recommended config (keeps the chosen optimizer)."""
    config = recommended_config(preset, optimizer=st.session_state.get(OPTIMIZER))
    st.session_state[EPOCHS] = config.epochs
    st.session_state[BATCH] = config.batch_size
    st.session_state[RATE] = config.learning_rate


def follow_epochs(preset: str | None) -> None:
    """After the epochs changed: the batch size and rate recommended for that budget."""
    try:
        config = recommended_config(
            preset, epochs=st.session_state.get(EPOCHS), optimizer=st.session_state.get(OPTIMIZER)
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

"""The Train page's training settings form and its Start button: every problem named at once, or one job queued.

``check_start`` is plain Python (no Streamlit): it turns the form's values into a ``TrainConfig`` and a run name,
or into the list of problems the page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from mnistlab.app import state  # called through the module: tests replace its functions
from mnistlab.app import train_settings as keys
from mnistlab.app.identity import current_person
from mnistlab.app.widgets import as_text, show_error
from mnistlab.dataset_choice import augment_words
from mnistlab.files import StoreError
from mnistlab.labels import SETTING_LABELS, user_words
from mnistlab.naming import run_name_base, taken_names, unused_run_name
from mnistlab.people import NotAllowed, acting
from mnistlab.runs.jobs import JobError
from mnistlab.runs.run import check_run_name
from mnistlab.specs import ArchitectureSpec
from mnistlab.training import FULL_TRAIN_SET, OPTIMIZERS, ConfigError, TrainConfig

BATCH_SIZES = [32, 64, 128, 256, 512, 1024, 2048]
FOCUS, SHOW_JOB = "train_focus_job", "train_show_job"  # the job the live view shows; its picker's key


@dataclass(frozen=True)
class Settings:
    """What the form holds (not yet validated)."""

    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float
    seed: int
    train_subset: int
    augment: bool
    run_name: str
    start: bool  # the Start button was pressed in this run
    dataset: str = "mnist"  # the image set to train on (the page's picker)
    dataset_missing: str | None = None  # why that set cannot be trained on here (its files are missing)


def augment_checkbox(dataset: str = "mnist", key: str = keys.AUGMENT) -> bool:
    """The Train page's ``augment`` option, in words that fit ``dataset``."""
    label, help = augment_words(dataset)
    return st.checkbox(label, key=key, help=help)


def settings_form(preset: str | None, dataset: str = "mnist", missing: str | None = None) -> Settings:
    """Epochs, batch size, optimizer, rate, augment, seed, training images, run name and the Start button."""
    defaults = TrainConfig()
    # First values through Session State only (the widgets take none): the callbacks set these keys too.
    keys.start_values(defaults.epochs, defaults.batch_size, defaults.learning_rate)
    with st.container(border=True):
        c = st.columns(4)
        epochs = c[0].number_input(
            SETTING_LABELS["epochs"],
            step=1,
            key=keys.EPOCHS,
            on_change=keys.follow_epochs,
            args=(preset,),
        )
        batch_size = c[1].selectbox(
            SETTING_LABELS["batch_size"],
            BATCH_SIZES,
            key=keys.BATCH,
            on_change=keys.follow_batch,
            help=keys.RULE_HELP,
        )
        optimizer = c[2].selectbox(
            SETTING_LABELS["optimizer"], OPTIMIZERS, key=keys.OPTIMIZER, on_change=keys.follow_batch
        )
        learning_rate = c[3].number_input(
            SETTING_LABELS["learning_rate"],
            step=0.0005,
            format="%g",  # 0.005, 0.0001, 1e-05: small rates stay readable
            key=keys.RATE,
            help=f"Peak rate of the warm-up + cosine schedule; set for {optimizer} at this batch size when you "
            "change either (a larger batch takes a larger rate).",
        )
        augment = augment_checkbox(dataset)
        c = st.columns(4)
        seed = c[0].number_input(
            SETTING_LABELS["seed"],
            value=0,
            step=1,
            key=keys.SEED,
            help="Same seed, same settings → the same run.",
        )
        subset = c[1].number_input(
            SETTING_LABELS["train_subset"],
            value=FULL_TRAIN_SET,
            step=1000,
            key=keys.SUBSET,
            help="Train on a random subset (100 – 60,000) for quicker experiments.",
        )
        run_name = c[2].text_input(
            "Run name",
            key=keys.NAME,
            placeholder=run_name_base(preset, seed),
            help="Shown on Compare and Inspect; left empty, the preset's name (and the seed, if not 0).",
        )
        c[3].markdown("&nbsp;")
        start = c[3].button(
            "Start training", type="primary", key=keys.START, icon=":material/play_arrow:", width="stretch"
        )
    return Settings(
        epochs,
        int(batch_size),
        optimizer,
        learning_rate,
        seed,
        subset,
        augment,
        run_name,
        start,
        dataset,
        missing,
    )


def code_settings(settings: Settings) -> dict:
    """The settings the exported Keras code uses."""
    keep = (
        "epochs",
        "batch_size",
        "optimizer",
        "learning_rate",
        "seed",
        "train_subset",
        "augment",
        "dataset",
    )
    return {name: getattr(settings, name) for name in keep}


def check_start(
    settings: Settings, spec_error: Exception | None, preset: str | None, taken: Callable[[], set[str]]
) -> tuple[TrainConfig | None, str | None, list[str]]:
    """The config and run name to submit, and every problem found (the job is submitted only without any).

    An empty run name becomes the preset's (and seed's) name, made unique among ``taken()`` (asked only then:
    it reads the store, and a ``StoreError`` it raises is a problem with the name)."""
    problems = []
    if spec_error:  # its message is already shown under Model summary: point there rather than repeat it
        problems.append("Architecture: fix the layer named under Model summary first.")
    if settings.dataset_missing:
        problems.append(f"Dataset: {settings.dataset_missing}")
    config = name = None
    try:
        config = TrainConfig(
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            optimizer=settings.optimizer,
            learning_rate=settings.learning_rate,
            seed=settings.seed,
            train_subset=settings.train_subset,
            augment=settings.augment,
            dataset=settings.dataset,
        )
    except ConfigError as exc:
        problems.append(f"Training settings: {user_words(exc)}")
    try:
        name = (
            check_run_name(settings.run_name)
            if settings.run_name.strip()
            else unused_run_name(run_name_base(preset, settings.seed), taken())
        )
    except StoreError as exc:
        problems.append(f"Run name: {exc}")
    return config, name, problems


def start_training(settings: Settings, spec: ArchitectureSpec | None, spec_error, preset: str | None) -> None:
    """After Start: show every problem, or queue the job and focus the live view on it."""
    config, name, problems = check_start(
        settings, spec_error, preset, taken=lambda: taken_names(state.get_store(), state.get_runner())
    )
    for problem in problems:
        st.error(as_text(problem), icon=":material/error:")
    if problems:
        return
    try:
        job = acting.submit_job(state.get_runner(), spec, config, current_person(), name=name, preset=preset)
    except (JobError, NotAllowed) as exc:
        show_error(exc)
    else:
        st.session_state[FOCUS] = job.id
        st.session_state.pop(SHOW_JOB, None)  # the picker then opens on the new job
        st.toast(f"Queued {name}.", icon=":material/schedule:")

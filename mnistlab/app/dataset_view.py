"""The dataset widgets every page shares: a picker that names missing sets instead of failing, and a filter that
keeps runs of one dataset together (``mnistlab.dataset_choice`` decides; this module only draws)."""

from __future__ import annotations

import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.datasets import DEFAULT


def dataset_picker(
    key: str, label: str = "Dataset", help: str | None = None, on_change=None, args: tuple = ()
) -> tuple[str, str | None]:
    """A select box over every known set (MNIST first), calling ``on_change(*args)`` when the choice changes.
    Returns (the chosen name, None when its files are here or else the sentence saying how to get them, already
    shown as a warning)."""
    options = {o.name: o for o in choice.dataset_options()}
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)  # an added set removed since: back to MNIST
    name = (
        st.selectbox(
            label,
            list(options),
            key=key,
            format_func=lambda n: options[n].label,
            help=help,
            on_change=on_change,
            args=args,
        )
        or DEFAULT
    )
    missing = options[name].missing
    if missing:
        st.warning(missing, icon=":material/download:")
    return name, missing


def dataset_filter(
    runs: list, key: str, wanted_run: str | None = None, label: str = "Dataset"
) -> tuple[str, list]:
    """With runs of more than one dataset, a segmented control (opening on the dataset of the run a link names,
    else of the newest run) and only that dataset's runs; with one dataset, no widget and every run.
    Returns (the dataset shown, its runs)."""
    names = choice.datasets_in(runs)
    if len(names) <= 1:
        return (names[0] if names else DEFAULT), runs
    start = choice.default_dataset(runs, wanted_run)
    if st.session_state.get(key) not in names:
        st.session_state[key] = start
    if wanted_run is not None and st.session_state.get(f"{key}_wanted") != wanted_run:
        st.session_state[f"{key}_wanted"] = wanted_run  # a new link: follow its run's dataset once
        st.session_state[key] = start
    counts = {n: len(choice.runs_on(runs, n)) for n in names}
    name = st.segmented_control(
        label,
        names,
        key=key,
        required=True,
        format_func=lambda n: f"{choice.title(n)} ({counts[n]})",
        help="Runs of different datasets are never ranked together: a score on one set says nothing about "
        "the other.",
    )
    name = name or start
    return name, choice.runs_on(runs, name)

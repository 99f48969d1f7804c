"""Learn's "How many neurons?" and "Why dropout?" tabs, each on the dataset its picker names.

The numbers come from ``mnistlab.teaching`` and the runs of the chosen set from ``mnistlab.lesson_sets``; this
module only draws. A tab opens on the dataset of the newest run (what was just trained), as the other pages do.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab import inside, lesson_sets, teaching
from mnistlab.app import learn_charts as charts
from mnistlab.app import state, widgets
from mnistlab.app.dataset_view import dataset_picker
from mnistlab.app.inside_view import runs_with_models
from mnistlab.bench.width_speed import compare_speeds, measure_width_speed
from mnistlab.files import StoreError
from mnistlab.modelfile import ModelFileError
from mnistlab.specs import PRESETS
from mnistlab.study import claims

MODEL_ERRORS = (StoreError, ModelFileError, inside.InsideError, OSError, ValueError)
SPEED_KEY = "learn_width_speed"


def lesson_dataset(key: str, runs: list, label: str, help: str) -> str:
    """A narrow dataset picker opening on the newest run's set; returns the chosen set's name."""
    if key not in st.session_state:
        st.session_state[key] = choice.default_dataset(runs)
    with st.columns([1, 2])[0]:
        name, _ = dataset_picker(key, label, help=help)
    return name


# ------------------------------------------------------------------------------------------------ widths


def width_lesson() -> None:
    all_runs = widgets.list_runs_safely(state.get_store())
    dataset = lesson_dataset(
        "widths_dataset",
        all_runs,
        "Runs from",
        "Which set's runs give the seconds per epoch and the accuracies below; the shapes are the same for "
        "every 28×28 set with 10 classes.",
    )
    runs = lesson_sets.lesson_runs(all_runs, dataset)
    data = choice.dataset_of(dataset)
    st.subheader(f"The funnel: 784 pixels down to {lesson_sets.classes_phrase(dataset)}")
    note = lesson_sets.shapes_note(dataset)
    if note:
        st.caption(note)
    text = st.text_input(
        "Hidden layer widths, first to last",
        "512, 256, 128",
        key="widths",
        help="Comma-separated, e.g. 128 (the baseline) or 256, 128 (deeper and dropout).",
    )
    try:
        widths = teaching.parse_widths(text)
    except ValueError as exc:
        st.error(str(exc), icon="🚫")
        widths = None
    if widths is not None:
        layers = teaching.funnel(widths, data.num_classes)
        st.plotly_chart(charts.funnel_figure(layers))
        throughput = teaching.throughput_source(st.session_state.get(SPEED_KEY), runs)
        cost = teaching.training_cost(
            widths, macs_per_second=throughput[0] if throughput else None, classes=data.num_classes
        )
        cols = st.columns(4)
        cols[0].metric("Parameters", f"{cost.params:,}")
        cols[1].metric(
            f"Multiply-adds / {data.item}",
            f"{cost.macs_per_example:,}",
            help="One forward pass: one multiply-add per weight.",
        )
        cols[2].metric(
            "Training / epoch",
            f"{cost.train_macs_per_epoch / 1e9:,.1f} G",
            help="Billions of multiply-adds to train one epoch (forward + backward).",
        )
        cols[3].metric(
            "Seconds / epoch",
            "—" if cost.seconds_per_epoch is None else f"≈ {cost.seconds_per_epoch:.2f} s",
            help="Training multiply-adds divided by the measured throughput.",
        )
        st.dataframe(
            [
                {
                    "layer": f"{name} ({n} units)",
                    "parameters": f"{p:,}",
                    f"multiply-adds / {data.item}": f"{m:,}",
                }
                for (name, n), p, m in zip(layers[1:], cost.layer_params, cost.layer_macs, strict=False)
            ],
            hide_index=True,
        )
        st.caption(
            f"Training costs about {teaching.TRAIN_COST_FACTOR}× a forward pass (forward, then two "
            f"products of the same size backward), over {cost.examples_per_epoch:,} {data.item}s per epoch. "
            + (
                f"Throughput from {throughput[1]}: {throughput[0] / 1e9:.1f} billion multiply-adds/s."
                if throughput
                else f"Measure the speed below (or train a run on {data.title}) to get seconds."
            )
        )
        st.markdown(
            f"The notebook's four models, through the same calculator, with the claim check's runs on "
            f"{data.title}:"
        )
        st.dataframe(lesson_sets.preset_rows(runs, dataset), hide_index=True)
        st.caption("The notebook trained each model once, on MNIST. " + claims.RULE)
    powers_of_two()


def powers_of_two() -> None:
    """The width-speed measurement: random 28×28 inputs, so the same on every set."""
    st.subheader("Powers of two: a convention, not a rule")
    st.markdown(
        "Widths like 128 or 256 are habits from GPUs, whose hardware works in blocks of 32 or more. "
        "Does 128 train faster than 100 on this CPU? Measure it: the button times real training "
        "steps (Adam, batches of 512) of 784 → Dense(u) → 10 for u = 100, 128 and 256, taking "
        "turns so that a busy moment of the machine hits all three alike. The inputs are random 28×28 "
        "images, so the answer is the same for every dataset."
    )
    if st.button("Measure 100 vs 128 vs 256 units", key="measure_speed"):
        with st.spinner("Timing training steps (a few seconds)…"):
            st.session_state[SPEED_KEY] = measure_width_speed()
        st.rerun()
    speeds = st.session_state.get(SPEED_KEY)
    if speeds:
        st.plotly_chart(charts.width_speed_figure(speeds))
        st.markdown("\n".join(f"- {compare_speeds(a, b)}" for a, b in pairwise(speeds)))
        st.caption(
            "Bars: median of 7 timings of 50 steps each; whiskers: the middle half of the timings. "
            "If 128 were special, it would cost less than its extra 28 % of work."
        )
    else:
        st.info("Not measured yet in this session.")


# ------------------------------------------------------------------------------------------------ dropout


def dropout_lesson() -> None:
    store = state.get_store()
    all_runs = widgets.list_runs_safely(store)
    dataset = lesson_dataset(
        "dropout_dataset",
        all_runs,
        "Runs from",
        "Which set's runs the layer and the measured effect come from: runs of two sets are never mixed.",
    )
    runs = lesson_sets.lesson_runs(all_runs, dataset)
    data = choice.dataset_of(dataset)
    st.subheader("What dropout does to a layer")
    values, source = dropout_layer(teaching.dropout_demo_run(runs_with_models(store, runs)), data)
    c1, c2 = st.columns(2)
    rate = c1.slider("Dropout rate p", 0.0, 0.9, 0.3, 0.05, key="dropout_rate")
    seed = c2.number_input("Mask (a new number draws a new mask)", 0, 10_000, 0, key="dropout_seed")
    trained = teaching.apply_dropout(values, rate, seed)
    kept = teaching.dropout_mask(values.size, rate, seed).astype(bool)
    shown = np.arange(min(values.size, 64))
    st.caption(
        f"Showing {source}"
        + (
            f"; the chart shows units 0-{len(shown) - 1} of {values.size}."
            if len(shown) < values.size
            else "."
        )
    )
    st.plotly_chart(charts.dropout_figure(values, trained, rate, shown))
    average = teaching.dropout_average(values, rate)
    cols = st.columns(3)
    cols[0].metric("Units dropped by this mask", f"{(~kept).sum()} of {values.size}")
    cols[1].metric("Layer total: inference", f"{values.sum():.2f}")
    cols[2].metric("Layer total: this training mask", f"{trained.sum():.2f}")
    st.markdown(
        f"Inverted dropout (what Keras does): during training each unit is zeroed with probability p and the "
        f"survivors are scaled by 1/(1−p), so the next layer sees the same total on average: averaged over "
        f"1,000 masks the total is **{average.sum():.2f}** vs **{values.sum():.2f}** at inference. At "
        "inference nothing is dropped and nothing is scaled. Because any unit may vanish, no unit can rely "
        "on another one: the layer must spread what it knows, which is what stops it memorising the "
        "training set."
    )
    st.markdown(
        "**Why 0.3 then 0.2?** The notebook's choice, for MNIST. The first hidden layer is the wide one (256 "
        "units reading 784 pixels): it has the most weights to overfit with and the most redundancy to spare, "
        "so it gets the stronger rate. The second layer is narrower (128) and feeds the output directly; "
        "dropping too much there removes evidence the output needs. The exact numbers are a sensible choice, "
        "not a law: train variants on the Train page and compare."
    )
    measured_effect(runs, dataset, data)


def dropout_layer(run, data) -> tuple[np.ndarray, str]:
    """The first layer's activations of ``run`` for a test image it picks (with the image), and a sentence
    saying what they are; a random ReLU vector when there is no run or its model cannot be read."""
    if run is not None:
        images = state.test_images(run.dataset)
        c1, c2 = st.columns([3, 1])
        index = c1.number_input(f"Test {data.item} #", 0, len(images) - 1, 0, key="dropout_digit")
        label = choice.class_label(run.dataset, int(state.test_labels(run.dataset)[index]))
        c1.caption(f"Test {data.item} #{index} of {data.title} is {choice.with_article(label)}.")
        c2.image(widgets.digit_tile(images[index], scale=2))
        try:
            model = state.cached_keras_model(run.id)
            name, _, values = inside.activations(model, images[index])[0]
            return values, (
                f"the real activations of `{name}` ({values.size} units) in run “{run.name}” for "
                f"test {data.item} #{index}"
            )
        except MODEL_ERRORS as exc:  # a damaged model file: fall back to a random vector, and say so
            st.warning(f"Could not use run “{run.name}” ({exc}); showing a random vector instead.")
    values = teaching.relu(np.random.default_rng(0).normal(0, 1, 64))
    return values, f"a random ReLU vector of 64 units (train a run on {data.title} to see a real layer here)"


def measured_effect(runs: list, dataset: str, data) -> None:
    """Deeper vs dropout on ``dataset``: the claim check's counted runs, and their train-validation gaps."""
    st.subheader(f"The measured effect on {data.title}: deeper vs dropout")
    st.caption(claims.RULE)
    groups = claims.group_runs(runs, dataset=dataset)
    cols = st.columns(2)
    for col, preset in zip(cols, lesson_sets.COMPARED, strict=False):
        g = groups[preset]
        spread = f" ± {g.std:.2%}" if g.std is not None else ""
        col.metric(preset, f"{g.mean:.2%}{spread}" if g.n else "no runs", help=PRESETS[preset].summary())
        col.caption(f"{g.n} seed(s) on {data.title} · {lesson_sets.notebook_note(preset)}")
    counted = lesson_sets.compared_runs(runs, dataset)
    if counted:
        st.plotly_chart(
            charts.gap_figure([(r.preset, r.name, teaching.accuracy_gap(r.history)) for r in counted])
        )
        st.caption(
            f"One line per run. Above zero, the model does better on {data.item}s it trained on than on "
            "held-out ones; that gap is overfitting. Dropout's training accuracy is measured with "
            "dropout switched on, which pulls its line down."
        )
    else:
        st.info(
            f"No counted deeper or dropout runs on {data.title} yet: queue them from the Claim check tab."
        )

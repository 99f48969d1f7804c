"""Learn: why the notebook's models look the way they do, with every number computed live."""

from itertools import pairwise

import numpy as np
import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab import inside, teaching
from mnistlab.app import learn_charts as charts
from mnistlab.app import state, study_view, widgets
from mnistlab.app.dataset_view import dataset_picker
from mnistlab.app.handwriting_lesson_view import learn_section
from mnistlab.app.inside_view import runs_with_models, show_inside
from mnistlab.app.live_jobs import poll_jobs
from mnistlab.bench.width_speed import compare_speeds, measure_width_speed
from mnistlab.files import StoreError
from mnistlab.modelfile import ModelFileError
from mnistlab.runs.choice import best_run_id
from mnistlab.specs import NOTEBOOK_RESULTS, PRESETS
from mnistlab.study import claims

MODEL_ERRORS = (StoreError, ModelFileError, inside.InsideError, OSError, ValueError)
SPEED_KEY = "learn_width_speed"

st.title("Learn")
st.caption(
    "The notebook's three design choices (ReLU, layer widths, dropout) explained with numbers "
    "computed right now, its four takeaways checked against your runs, and a look inside a trained "
    "network."
)

relu_tab, width_tab, dropout_tab, claims_tab, inside_tab, handwriting_tab = st.tabs(
    [
        "Why ReLU?",
        "How many neurons?",
        "Why dropout?",
        "Claim check",
        "Inside the network",
        "Why does it misread my 7?",
    ],
    key="learn_tab",
    on_change="rerun",
)

# ------------------------------------------------------------------------------------------------ ReLU
if relu_tab.open:
    st.subheader("ReLU, sigmoid and tanh")
    x = np.linspace(-6, 6, 241)
    st.plotly_chart(charts.activation_figure(x, teaching.activation_curves(x)))
    peak = teaching.activation_curves(np.array([0.0]))["sigmoid"][1][0]
    st.markdown(
        f"The sigmoid's slope is at most **{peak:.2f}** (at 0) and nearly 0 once |x| > 4. "
        "ReLU's slope is exactly 1 for every positive input and 0 otherwise."
    )

    st.subheader("The gradient on its way back to the first layer")
    c1, c2 = st.columns([2, 1])
    depth = c1.slider("Hidden layers (N)", 2, 50, 20, key="relu_depth")
    glorot = c2.toggle(
        "Glorot init for ReLU too",
        key="relu_glorot",
        help="Keras' default. ReLU's usual init is He (weights √2 larger), which keeps the "
        "gradient's size constant; with Glorot it halves every two layers.",
    )
    flows = {
        name: teaching.gradient_flow(name, depth, init="glorot" if glorot else "standard")
        for name in teaching.ACTIVATIONS
    }
    st.plotly_chart(charts.gradient_figure(flows, depth))
    cols = st.columns(3)
    for col, (name, flow) in zip(cols, flows.items(), strict=False):
        col.metric(f"{name}: gradient at layer 1", f"{flow.first_layer:.2e}")
        col.caption(f"{flow.shrink:,.3g}× smaller than at layer {depth}")
    sig = flows["sigmoid"]
    st.markdown(
        f"A random {depth}-layer network (64 units per layer, 32 random inputs, cross-entropy loss), "
        f"back-propagated with NumPy. On the way back each layer multiplies the gradient by its activation's "
        f"slope: for sigmoid that factor averages **{sig.factors.mean():.3f}** here, for ReLU "
        f"**{flows['relu'].factors.mean():.2f}** (half the units pass it whole, half block it). Through "
        f"{depth} sigmoid layers the first layer gets **{sig.shrink:,.3g}×** less signal than the last: it "
        "barely learns. The notebook's models are 1–3 layers deep, where sigmoid would still train; ReLU "
        "trains faster there too and never saturates for positive inputs."
    )

    st.subheader("Softmax: scores in, probabilities out")
    st.caption(
        "The output layer gives each digit a score (logit); softmax turns the scores into "
        "probabilities that sum to 1. Move the scores of four look-alike digits."
    )
    digits = ["3", "5", "8", "9"]
    cols = st.columns(5)
    logits = [
        cols[i].slider(f"score of {d}", -5.0, 10.0, v, 0.5, key=f"logit_{d}")
        for i, (d, v) in enumerate(zip(digits, [4.0, 2.0, 1.0, -1.0], strict=False))
    ]
    temperature = cols[4].slider(
        "temperature",
        0.1,
        5.0,
        1.0,
        0.1,
        key="softmax_t",
        help="Scores are divided by it: above 1 flattens, below 1 sharpens.",
    )
    probs = teaching.softmax(np.array(logits), temperature)
    st.plotly_chart(charts.softmax_figure(digits, probs))
    st.markdown(
        f"Probabilities: {', '.join(f'p({d}) = {p:.3f}' for d, p in zip(digits, probs, strict=False))}; "
        f"sum = {probs.sum():.3f}. Adding the same amount to every score changes nothing; only "
        "differences between scores matter."
    )

# ------------------------------------------------------------------------------------------------ widths
if width_tab.open:
    st.subheader("The funnel: 784 pixels down to 10 digits")
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
        layers = teaching.funnel(widths)
        st.plotly_chart(charts.funnel_figure(layers))
        throughput = teaching.throughput_source(
            st.session_state.get(SPEED_KEY), widgets.list_runs_safely(state.get_store())
        )
        cost = teaching.training_cost(widths, macs_per_second=throughput[0] if throughput else None)
        cols = st.columns(4)
        cols[0].metric("Parameters", f"{cost.params:,}")
        cols[1].metric(
            "Multiply-adds / digit",
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
                {"layer": f"{name} ({n} units)", "parameters": f"{p:,}", "multiply-adds / digit": f"{m:,}"}
                for (name, n), p, m in zip(layers[1:], cost.layer_params, cost.layer_macs, strict=False)
            ],
            hide_index=True,
        )
        st.caption(
            f"Training costs about {teaching.TRAIN_COST_FACTOR}× a forward pass (forward, then two "
            f"products of the same size backward), over {cost.examples_per_epoch:,} digits per epoch. "
            + (
                f"Throughput from {throughput[1]}: {throughput[0] / 1e9:.1f} billion multiply-adds/s."
                if throughput
                else "Measure the speed below (or train a run) to get seconds."
            )
        )
        rows = [
            {
                "preset": p,
                "widths": ", ".join(map(str, w)),
                "parameters": f"{teaching.training_cost(w).params:,}",
                "notebook accuracy": f"{NOTEBOOK_RESULTS[p][2]} %",
            }
            for p in NOTEBOOK_RESULTS
            if (w := teaching.dense_widths(PRESETS[p])) is not None
        ]
        st.markdown("The notebook's four models, through the same calculator:")
        st.dataframe(rows, hide_index=True)

    st.subheader("Powers of two: a convention, not a rule")
    st.markdown(
        "Widths like 128 or 256 are habits from GPUs, whose hardware works in blocks of 32 or more. "
        "Does 128 train faster than 100 on this CPU? Measure it: the button times real training "
        "steps (Adam, batches of 512) of 784 → Dense(u) → 10 for u = 100, 128 and 256, taking "
        "turns so that a busy moment of the machine hits all three alike."
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
if dropout_tab.open:
    st.subheader("What dropout does to a layer")
    runs = widgets.list_runs_safely(state.get_store())
    run = teaching.dropout_demo_run(runs_with_models(state.get_store(), runs))
    values, source = None, ""
    if run is not None:
        c1, c2 = st.columns([3, 1])
        index = c1.number_input("Test digit #", 0, 9999, 0, key="dropout_digit")
        c2.image(widgets.digit_tile(state.test_images(run.dataset)[index], scale=2))
        try:
            model = state.cached_keras_model(run.id)
            name, _, values = inside.activations(model, state.test_images(run.dataset)[index])[0]
            source = (
                f"the real activations of `{name}` ({values.size} units) in run “{run.name}” for "
                f"test digit #{index}"
            )
        except MODEL_ERRORS as exc:  # a damaged model file: fall back to a random vector, and say so
            st.warning(f"Could not use run “{run.name}” ({exc}); showing a random vector instead.")
            values = None
    if values is None:
        values = teaching.relu(np.random.default_rng(0).normal(0, 1, 64))
        source = "a random ReLU vector of 64 units (train a run to see a real layer here)"
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
        "**Why 0.3 then 0.2?** The first hidden layer is the wide one (256 units reading 784 pixels): it has "
        "the most weights to overfit with and the most redundancy to spare, so it gets the stronger rate. "
        "The second layer is narrower (128) and feeds the output directly; dropping too much there removes "
        "evidence the output needs. The exact numbers are a sensible choice, not a law: train variants on "
        "the Train page and compare."
    )

    st.subheader("The measured effect: deeper vs dropout")
    st.caption(claims.RULE)
    groups = claims.group_runs(runs)
    cols = st.columns(2)
    for col, preset in zip(cols, ("deeper", "dropout"), strict=False):
        g = groups[preset]
        spread = f" ± {g.std:.2%}" if g.std is not None else ""
        col.metric(preset, f"{g.mean:.2%}{spread}" if g.n else "no runs", help=PRESETS[preset].summary())
        col.caption(f"{g.n} seed(s) · notebook (one run): {NOTEBOOK_RESULTS[preset][2]} %")
    counted = [r for r in runs if claims.counts(r) and r.preset in ("deeper", "dropout")]
    if counted:
        st.plotly_chart(
            charts.gap_figure([(r.preset, r.name, teaching.accuracy_gap(r.history)) for r in counted])
        )
        st.caption(
            "One line per run. Above zero, the model does better on digits it trained on than on "
            "held-out ones; that gap is overfitting. Dropout's training accuracy is measured with "
            "dropout switched on, which pulls its line down."
        )
    else:
        st.info("No counted deeper or dropout runs yet: queue them from the Claim check tab.")

# ------------------------------------------------------------------------------------------------ claims
if claims_tab.open:
    st.subheader("Do the notebook's takeaways hold?")
    st.markdown(
        "The notebook trained each model once. A second seed can move test accuracy by a tenth of a "
        "point, about the size of some of its differences, so each claim is judged over "
        f"{claims.MIN_SEEDS} or more seeds per model: a difference counts when it is larger than the "
        "seed-to-seed spread (Welch's t beyond the 95 % critical value)."
    )
    st.caption(claims.RULE)
    runs = widgets.list_runs_safely(state.get_store())
    dataset, dataset_missing = dataset_picker(
        "claims_dataset",
        "Check the claims on",
        help="The notebook's claims were made on MNIST, where every network is 97-99 %. On Fashion-MNIST "
        "depth, width and dropout separate more: see where each claim holds.",
    )
    st.dataframe(claims.group_rows(claims.group_runs(runs, dataset=dataset)), hide_index=True)
    badges = {claims.HOLDS: "green", claims.FAILS: "red", claims.UNKNOWN: "orange"}
    for v in claims.check_claims(runs, dataset=dataset):
        with st.container(border=True):
            st.markdown(f":{badges[v.verdict]}-badge[{v.verdict}] **{v.claim}**. *(Notebook: {v.notebook}.)*")
            st.caption(v.detail)

    compared = list(dict.fromkeys([*choice.datasets_in(runs), dataset]))  # every set with runs, and this one
    if len(compared) > 1:
        st.markdown("**Side by side**: the same claims on each dataset, from the runs here.")
        st.dataframe(claims.verdicts_by_dataset(runs, compared), hide_index=True)

    runner = state.get_runner()
    on_the_way = claims.active_study_jobs(runner)
    missing = claims.missing_runs(runs, active=claims.active_pairs(runner.jobs(), dataset), dataset=dataset)
    if dataset_missing:
        missing = []  # nothing can train on a set that is not here: the warning above says how to get it
    if missing:
        st.markdown(
            f"**{len(missing)} run(s) missing** ({', '.join(f'{p} seed {s}' for p, s in missing)}) on "
            f"{choice.title(dataset)}; "
            "each trains for about 10 s once it reaches the front of the queue. The button queues "
            "them all as background jobs."
        )
        if st.button("Run what is missing", key="claims_run", type="primary"):
            st.session_state["claims_message"] = study_view.queue_study(runs, dataset=dataset)
            st.rerun()
    elif not on_the_way and not dataset_missing:
        st.success("Every preset has its seeds: the verdicts above are complete.")
    if st.session_state.get("claims_message") and (missing or on_the_way):
        st.info(st.session_state["claims_message"])
    if on_the_way:

        def claim_jobs(active: list) -> None:
            study_view.study_jobs_table(active, key="learn_stop_study")
            st.caption("Updates by itself every few seconds; the verdicts refresh as runs finish.")

        # A run that finishes reruns the page: the verdicts above are computed afresh.
        poll_jobs("learn_claim_ids", lambda: claims.active_study_jobs(runner), claim_jobs, every=3)

# ------------------------------------------------------------------------------------------------ inside
if inside_tab.open:
    st.subheader("Inside a trained network")
    runs = runs_with_models(state.get_store(), widgets.list_runs_safely(state.get_store()))
    if not runs:
        widgets.no_runs_yet("Nothing to look inside yet")
    else:
        run = widgets.run_picker("Run", runs, default=best_run_id(runs), key="inside_run")
        images = state.test_images(run.dataset)
        names, item = choice.class_names(run.dataset), choice.item_word(run.dataset)
        c1, c2 = st.columns([1, 3])
        index = c1.number_input(f"Test {item} #", 0, len(images) - 1, 0, key="inside_digit")
        c2.caption(
            f"Any of {choice.title(run.dataset)}'s {len(images):,} test {item}s (the run's own test set); to try "
            "your own drawing, use the Draw page."
        )
        try:
            model = state.cached_keras_model(run.id)
        except MODEL_ERRORS as exc:  # a damaged or missing model file
            widgets.show_error(exc, "Could not load this run's model: ")
        else:
            label = names[int(state.test_labels(run.dataset)[index])]
            st.caption(f"Test {item} #{index} is {choice.with_article(label)}.")
            show_inside(model, images[index], run.spec, key="learn_inside", class_names=names)

# ------------------------------------------------------------------------------------------- handwriting
if handwriting_tab.open:
    learn_section()

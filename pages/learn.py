"""Learn: why the notebook's models look the way they do, with every number computed live."""

import numpy as np
import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab import teaching
from mnistlab.app import learn_charts as charts
from mnistlab.app import state, study_view, widgets
from mnistlab.app.dataset_view import dataset_picker
from mnistlab.app.handwriting_lesson_view import learn_section
from mnistlab.app.inside_view import runs_with_models, show_inside
from mnistlab.app.learn_lessons_view import MODEL_ERRORS, dropout_lesson, width_lesson
from mnistlab.app.live_jobs import poll_jobs
from mnistlab.runs.choice import best_run_id
from mnistlab.study import claims

state.ensure_app_navigation()
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
    width_lesson()

# ------------------------------------------------------------------------------------------------ dropout
if dropout_tab.open:
    dropout_lesson()

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
            show_inside(model, images[index], run.spec, key="learn_inside", class_names=names, item=item)

# ------------------------------------------------------------------------------------------- handwriting
if handwriting_tab.open:
    learn_section()

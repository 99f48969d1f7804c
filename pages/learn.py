"""Learn: why the notebook's models look the way they do, with every number computed live."""

from itertools import pairwise

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from mnistlab import claims, inside, teaching, ui
from mnistlab.modelfile import ModelFileError
from mnistlab.specs import NOTEBOOK_RESULTS, PRESETS
from mnistlab.store import StoreError
from mnistlab.ui_inside import runs_with_models, show_inside

COLORS = {"relu": "#4c78a8", "sigmoid": "#e45756", "tanh": "#54a24b", "deeper": "#f58518",
          "dropout": "#4c78a8"}
MODEL_ERRORS = (StoreError, ModelFileError, inside.InsideError, OSError, ValueError)
TIGHT, TITLED = {"l": 0, "r": 0, "t": 10, "b": 0}, {"l": 0, "r": 0, "t": 30, "b": 0}
SPEED_KEY = "learn_width_speed"

st.title("Learn")
st.caption("The notebook's three design choices (ReLU, layer widths, dropout) explained with numbers "
           "computed right now, its four takeaways checked against your runs, and a look inside a trained "
           "network.")

relu_tab, width_tab, dropout_tab, claims_tab, inside_tab = st.tabs(
    ["Why ReLU?", "How many neurons?", "Why dropout?", "Claim check", "Inside the network"],
    key="learn_tab", on_change="rerun")

# ------------------------------------------------------------------------------------------------ ReLU
if relu_tab.open:
    st.subheader("ReLU, sigmoid and tanh")
    x = np.linspace(-6, 6, 241)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("f(x)", "f′(x): how much a gradient passes"))
    for name, (y, dy) in teaching.activation_curves(x).items():
        fig.add_trace(go.Scatter(x=x, y=y, name=name, line_color=COLORS[name]), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=dy, name=f"{name}′", line_color=COLORS[name], line_dash="dot",
                                 showlegend=False), row=1, col=2)
    fig.update_layout(height=300, margin=TITLED)
    st.plotly_chart(fig)
    peak = teaching.activation_curves(np.array([0.0]))["sigmoid"][1][0]
    st.markdown(f"The sigmoid's slope is at most **{peak:.2f}** (at 0) and nearly 0 once |x| > 4. "
                "ReLU's slope is exactly 1 for every positive input and 0 otherwise.")

    st.subheader("The gradient on its way back to the first layer")
    c1, c2 = st.columns([2, 1])
    depth = c1.slider("Hidden layers (N)", 2, 50, 20, key="relu_depth")
    glorot = c2.toggle("Glorot init for ReLU too", key="relu_glorot",
                       help="Keras' default. ReLU's usual init is He (weights √2 larger), which keeps the "
                            "gradient's size constant; with Glorot it halves every two layers.")
    flows = {name: teaching.gradient_flow(name, depth, init="glorot" if glorot else "standard")
             for name in teaching.ACTIVATIONS}
    fig = go.Figure()
    for name, flow in flows.items():
        fig.add_trace(go.Scatter(x=np.arange(depth, 0, -1), y=flow.norms, name=f"{name} ({flow.init} init)",
                                 mode="lines+markers", line_color=COLORS[name]))
    fig.update_layout(height=320, margin=TIGHT, yaxis_type="log",
                      xaxis_title="hidden layer (1 = first, nearest the pixels)",
                      yaxis_title="|dLoss / d activations|", xaxis_autorange="reversed",
                      yaxis_exponentformat="power")
    st.plotly_chart(fig)
    cols = st.columns(3)
    for col, (name, flow) in zip(cols, flows.items()):
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
        "trains faster there too and never saturates for positive inputs.")

    st.subheader("Softmax: scores in, probabilities out")
    st.caption("The output layer gives each digit a score (logit); softmax turns the scores into "
               "probabilities that sum to 1. Move the scores of four look-alike digits.")
    digits = ["3", "5", "8", "9"]
    cols = st.columns(5)
    logits = [cols[i].slider(f"score of {d}", -5.0, 10.0, v, 0.5, key=f"logit_{d}")
              for i, (d, v) in enumerate(zip(digits, [4.0, 2.0, 1.0, -1.0]))]
    temperature = cols[4].slider("temperature", 0.1, 5.0, 1.0, 0.1, key="softmax_t",
                                 help="Scores are divided by it: above 1 flattens, below 1 sharpens.")
    probs = teaching.softmax(np.array(logits), temperature)
    fig = go.Figure(go.Bar(x=digits, y=probs, text=[f"{p:.1%}" for p in probs], marker_color="#4c78a8"))
    fig.update_layout(height=260, margin=TIGHT, yaxis={"range": [0, 1], "tickformat": ".0%"},
                      xaxis_type="category")
    st.plotly_chart(fig)
    st.markdown(f"Probabilities: {', '.join(f'p({d}) = {p:.3f}' for d, p in zip(digits, probs))}; "
                f"sum = {probs.sum():.3f}. Adding the same amount to every score changes nothing; only "
                "differences between scores matter.")

# ------------------------------------------------------------------------------------------------ widths
if width_tab.open:
    st.subheader("The funnel: 784 pixels down to 10 digits")
    text = st.text_input("Hidden layer widths, first to last", "512, 256, 128", key="widths",
                         help="Comma-separated, e.g. 128 (the baseline) or 256, 128 (deeper and dropout).")
    try:
        widths = teaching.parse_widths(text)
    except ValueError as exc:
        st.error(str(exc), icon="🚫")
        widths = None
    if widths is not None:
        layers = teaching.funnel(widths)
        fig = go.Figure(go.Funnel(y=[name for name, _ in layers], x=[n for _, n in layers],
                                  textinfo="value", marker_color="#4c78a8"))
        fig.update_layout(height=60 * len(layers) + 40, margin=TIGHT)
        st.plotly_chart(fig)

        speeds = st.session_state.get(SPEED_KEY)
        throughput = None
        if speeds:
            throughput = (max(s.macs_per_s for s in speeds), "the speed measured below")
        else:
            runs = ui.list_runs_safely(ui.get_store())
            throughput = teaching.throughput_from_runs(runs)
            if throughput:
                throughput = (throughput[0],
                              f"run “{throughput[1]}” (whole run time, validation included)")
        cost = teaching.training_cost(widths, macs_per_second=throughput[0] if throughput else None)
        cols = st.columns(4)
        cols[0].metric("Parameters", f"{cost.params:,}")
        cols[1].metric("Multiply-adds / digit", f"{cost.macs_per_example:,}",
                       help="One forward pass: one multiply-add per weight.")
        cols[2].metric("Training / epoch", f"{cost.train_macs_per_epoch / 1e9:,.1f} G",
                       help="Billions of multiply-adds to train one epoch (forward + backward).")
        cols[3].metric("Seconds / epoch",
                       "—" if cost.seconds_per_epoch is None else f"≈ {cost.seconds_per_epoch:.2f} s",
                       help="Training multiply-adds divided by the measured throughput.")
        sizes = [n for _, n in layers]
        per_layer = pd.DataFrame({"layer": [f"{name} ({n} units)" for name, n in layers[1:]],
                                  "parameters": [f"{p:,}" for p in cost.layer_params],
                                  "multiply-adds / digit": [f"{a * b:,}" for a, b in pairwise(sizes)]})
        st.dataframe(per_layer, hide_index=True)
        st.caption(f"Training costs about {teaching.TRAIN_COST_FACTOR}× a forward pass (forward, then two "
                   f"products of the same size backward), over {cost.examples_per_epoch:,} digits per epoch. "
                   + (f"Throughput from {throughput[1]}: {throughput[0] / 1e9:.1f} billion multiply-adds/s."
                      if throughput else "Measure the speed below (or train a run) to get seconds."))
        rows = [{"preset": p, "widths": ", ".join(map(str, w)),
                 "parameters": f"{teaching.training_cost(w).params:,}",
                 "notebook accuracy": f"{NOTEBOOK_RESULTS[p][2]} %"}
                for p in NOTEBOOK_RESULTS if (w := teaching.dense_widths(PRESETS[p])) is not None]
        st.markdown("The notebook's four models, through the same calculator:")
        st.dataframe(pd.DataFrame(rows), hide_index=True)

    st.subheader("Powers of two: a convention, not a rule")
    st.markdown("Widths like 128 or 256 are habits from GPUs, whose hardware works in blocks of 32 or more. "
                "Does 128 train faster than 100 on this CPU? Measure it: the button times real training "
                "steps (Adam, batches of 512) of 784 → Dense(u) → 10 for u = 100, 128 and 256, taking "
                "turns so that a busy moment of the machine hits all three alike.")
    if st.button("Measure 100 vs 128 vs 256 units", key="measure_speed"):
        with st.spinner("Timing training steps (a few seconds)…"):
            st.session_state[SPEED_KEY] = teaching.measure_width_speed()
        st.rerun()
    speeds = st.session_state.get(SPEED_KEY)
    if speeds:
        fig = go.Figure(go.Bar(
            x=[f"Dense({s.units})" for s in speeds], y=[s.ms_per_step for s in speeds],
            error_y={"type": "data", "symmetric": False, "array": [s.ms_high - s.ms_per_step for s in speeds],
                         "arrayminus": [s.ms_per_step - s.ms_low for s in speeds]},
            text=[f"{s.ms_per_step:.2f} ms" for s in speeds], marker_color="#4c78a8"))
        fig.update_layout(height=260, margin=TIGHT, yaxis_title="ms per training step")
        st.plotly_chart(fig)
        st.markdown("\n".join(f"- {teaching.compare_speeds(a, b)}" for a, b in pairwise(speeds)))
        st.caption("Bars: median of 7 timings of 50 steps each; whiskers: the middle half of the timings. "
                   "If 128 were special, it would cost less than its extra 28 % of work.")
    else:
        st.info("Not measured yet in this session.")

# ------------------------------------------------------------------------------------------------ dropout
if dropout_tab.open:
    st.subheader("What dropout does to a layer")
    runs = ui.list_runs_safely(ui.get_store())
    dense_runs = [r for r in runs_with_models(ui.get_store(), runs) if teaching.dense_widths(r.spec)]
    values, source = None, ""
    if dense_runs:
        dense_runs.sort(key=lambda r: (r.preset != "dropout", -r.created))
        run = dense_runs[0]
        c1, c2 = st.columns([3, 1])
        index = c1.number_input("Test digit #", 0, 9999, 0, key="dropout_digit")
        c2.image(ui.digit_tile(ui.test_images()[index], scale=2))
        try:
            model = ui.cached_model(run.id)
            name, _, values = inside.activations(model, ui.test_images()[index])[0]
            source = (f"the real activations of `{name}` ({values.size} units) in run “{run.name}” for "
                      f"test digit #{index}")
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
    st.caption(f"Showing {source}" + (f"; the chart shows units 0-{len(shown) - 1} of {values.size}."
                                      if len(shown) < values.size else "."))
    fig = go.Figure([
        go.Bar(x=shown, y=values[shown], name="inference: every unit, unchanged", marker_color="#9ecae9"),
        go.Bar(x=shown, y=trained[shown], name=f"training: dropped units are 0, kept ones × 1/(1−p) = "
                                                f"{1 / (1 - rate):.2f}", marker_color="#e45756"),
    ])
    fig.update_layout(barmode="group", height=300, margin=TIGHT, xaxis_title="unit",
                      legend={"orientation": "h", "y": 1.12})
    st.plotly_chart(fig)
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
        "training set.")
    st.markdown(
        "**Why 0.3 then 0.2?** The first hidden layer is the wide one (256 units reading 784 pixels): it has "
        "the most weights to overfit with and the most redundancy to spare, so it gets the stronger rate. "
        "The second layer is narrower (128) and feeds the output directly; dropping too much there removes "
        "evidence the output needs. The exact numbers are a sensible choice, not a law: train variants on "
        "the Train page and compare.")

    st.subheader("The measured effect: deeper vs dropout")
    st.caption(claims.RULE)
    groups = claims.group_runs(runs)
    cols = st.columns(2)
    for col, preset in zip(cols, ("deeper", "dropout")):
        g = groups[preset]
        spread = f" ± {g.std:.2%}" if g.std is not None else ""
        col.metric(preset, f"{g.mean:.2%}{spread}" if g.n else "no runs", help=PRESETS[preset].summary())
        col.caption(f"{g.n} seed(s) · notebook (one run): {NOTEBOOK_RESULTS[preset][2]} %")
    counted = [r for r in runs if claims.counts(r) and r.preset in ("deeper", "dropout")]
    if counted:
        fig = go.Figure()
        shown_legend = set()
        for r in counted:
            gap = teaching.accuracy_gap(r.history)
            fig.add_trace(go.Scatter(x=list(range(1, len(gap) + 1)), y=gap, mode="lines", name=r.preset,
                                     legendgroup=r.preset, showlegend=r.preset not in shown_legend,
                                     line_color=COLORS[r.preset], hovertext=r.name))
            shown_legend.add(r.preset)
        fig.update_layout(height=300, margin=TIGHT, xaxis_title="epoch",
                          yaxis_title="train − validation accuracy", yaxis_tickformat=".1%")
        st.plotly_chart(fig)
        st.caption("One line per run. Above zero, the model does better on digits it trained on than on "
                   "held-out ones; that gap is overfitting. Dropout's training accuracy is measured with "
                   "dropout switched on, which pulls its line down.")
    else:
        st.info("No counted deeper or dropout runs yet: queue them from the Claim check tab.")

# ------------------------------------------------------------------------------------------------ claims
if claims_tab.open:
    st.subheader("Do the notebook's takeaways hold?")
    st.markdown("The notebook trained each model once. A second seed can move test accuracy by a tenth of a "
                "point, about the size of some of its differences, so each claim is judged over "
                f"{claims.MIN_SEEDS} or more seeds per model: a difference counts when it is larger than the "
                "seed-to-seed spread (Welch's t beyond the 95 % critical value).")
    st.caption(claims.RULE)
    runs = ui.list_runs_safely(ui.get_store())
    groups = claims.group_runs(runs)
    st.dataframe(pd.DataFrame([{
        "preset": p, "seeds": g.n,
        "mean": "—" if g.mean is None else f"{g.mean:.2%}",
        "std": "—" if g.std is None else f"{g.std:.2%}",
        "accuracies": ", ".join(f"{v:.2%}" for v in g.values) or "—",
        "notebook (1 run)": f"{NOTEBOOK_RESULTS[p][2]} %"} for p, g in groups.items()]), hide_index=True)
    badges = {claims.HOLDS: "green", claims.FAILS: "red", claims.UNKNOWN: "orange"}
    for v in claims.check_claims(runs):
        with st.container(border=True):
            st.markdown(f":{badges[v.verdict]}-badge[{v.verdict}] **{v.claim}**. *(Notebook: {v.notebook}.)*")
            st.caption(v.detail)

    runner = ui.get_runner()
    on_the_way = [j for j in runner.jobs(owner=claims.STUDY_OWNER) if j.status in ("queued", "running")]
    missing = claims.missing_runs(runs, active=claims.active_pairs(runner.jobs()))
    if missing:
        st.markdown(f"**{len(missing)} run(s) missing** ({', '.join(f'{p} seed {s}' for p, s in missing)}); "
                    "each trains for about 10 s once it reaches the front of the queue. The button queues "
                    "them all as background jobs.")
        if st.button("Run what is missing", key="claims_run", type="primary"):
            result = claims.submit_missing(runner, runs)
            st.session_state["claims_message"] = result.message
            st.rerun()
    elif not on_the_way:
        st.success("Every preset has its seeds: the verdicts above are complete.")
    if st.session_state.get("claims_message") and (missing or on_the_way):
        st.info(st.session_state["claims_message"])
    if on_the_way:

        @st.fragment(run_every=3)
        def claim_jobs(expected: int) -> None:
            active = [j for j in runner.jobs(owner=claims.STUDY_OWNER) if j.status in ("queued", "running")]
            if len(active) != expected:
                st.rerun()  # a run finished: recompute the verdicts
            st.dataframe(pd.DataFrame([ui.job_row(j, runner.position(j.id)) for j in active]),
                         hide_index=True)
            st.caption("Updates by itself every few seconds; the verdicts refresh as runs finish.")

        claim_jobs(len(on_the_way))

# ------------------------------------------------------------------------------------------------ inside
if inside_tab.open:
    st.subheader("Inside a trained network")
    runs = runs_with_models(ui.get_store(), ui.list_runs_safely(ui.get_store()))
    if not runs:
        ui.no_runs_yet("Nothing to look inside yet")
    else:
        run = ui.run_picker("Run", runs, key="inside_run")
        images = ui.test_images()
        c1, c2 = st.columns([1, 3])
        index = c1.number_input("Test digit #", 0, len(images) - 1, 0, key="inside_digit")
        c2.caption("Any of MNIST's 10,000 test digits; to try your own handwriting, use the Draw page.")
        try:
            model = ui.cached_model(run.id)
        except MODEL_ERRORS as exc:  # a damaged or missing model file
            ui.show_error(exc, "Could not load this run's model: ")
        else:
            from mnistlab.data import load_mnist

            st.caption(f"Test digit #{index} is a {int(load_mnist().y_test[index])}.")
            show_inside(model, images[index], run.spec, key="learn_inside")

"""Train: pick a preset or build an architecture, set hyperparameters, and watch training live."""

import streamlit as st

from mnistlab.app import builder, train_settings
from mnistlab.app.charts import batch_curves, epoch_curves
from mnistlab.app.export_view import code_view
from mnistlab.app.handwriting_view import augment_checkbox
from mnistlab.app.layer_row import layer_buttons
from mnistlab.app.layout import flow
from mnistlab.app.state import get_runner, get_store, session_owner
from mnistlab.app.widgets import (
    STATUS_ICONS,
    as_text,
    job_row,
    link,
    progress_text,
    show_error,
)
from mnistlab.labels import user_words
from mnistlab.naming import run_name_base, taken_names, unused_run_name
from mnistlab.progress import work_done
from mnistlab.runs.jobs import JobError
from mnistlab.runs.store import StoreError, check_run_name
from mnistlab.specs import ACTIVATIONS, PRESETS, SpecError
from mnistlab.text import duration, plural
from mnistlab.training import FULL_TRAIN_SET, OPTIMIZERS, SUGGESTED_LR, ConfigError, TrainConfig

DRAFT, PRESET, FOCUS, NEXT_UID = "train_draft", "train_preset", "train_focus_job", "train_next_uid"
EDITED = "your own (edited) — pick a preset to start again"
BATCH_SIZES = [32, 64, 128, 256, 512, 1024, 2048]
ADD_LABELS = {
    "dense": "Dense",
    "dropout": "Dropout",
    "conv2d": "Conv2D",
    "max_pool": "MaxPool",
    "flatten": "Flatten",
}
NUMBER_PARAMS = {
    "units": ("Units", 16),
    "rate": ("Rate", 0.05),
    "filters": ("Filters", 8),
    "kernel_size": ("Kernel", 1),
    "size": ("Pool size", 1),
}

st.title("Train")


def _use_preset(name: str) -> None:
    # Fresh uids, never used before in this session: the browser would refill old keys with old values.
    first = st.session_state.get(NEXT_UID, 1)
    st.session_state[DRAFT] = builder.from_spec(PRESETS[name], first_uid=first)
    st.session_state[NEXT_UID] = first + len(PRESETS[name].layers)
    st.session_state[PRESET] = name


if DRAFT not in st.session_state:
    _use_preset("baseline")


def _load_preset() -> None:
    choice = st.session_state["train_start_from"]
    if choice in PRESETS:
        _use_preset(choice)
        st.session_state["train_name"] = ""
        train_settings.apply_preset(choice)


def _add_layer(kind: str) -> None:
    uid = st.session_state.get(NEXT_UID, 1)
    st.session_state[NEXT_UID] = uid + 1
    _edit(builder.add_layer, kind, None, uid)


def _edit(change, *args) -> None:
    st.session_state[DRAFT] = change(st.session_state[DRAFT], *args)
    st.session_state[PRESET] = None


def _suggest_lr() -> None:
    train_settings.follow_batch()


# ------------------------------------------------------------------------------------------ architecture

arch_col, summary_col = st.columns([3, 2], gap="large")
with arch_col:
    st.subheader("Architecture")
    # Once the layers are edited the box says so: picking the same preset again is then a change, which
    # loads its layers afresh (a selectbox calls on_change only when its value changes).
    if st.session_state[PRESET] is None and st.session_state.get("train_start_from") in PRESETS:
        st.session_state["train_start_from"] = EDITED
    st.selectbox(
        "Start from a preset",
        [*PRESETS, EDITED] if st.session_state[PRESET] is None else list(PRESETS),
        key="train_start_from",
        on_change=_load_preset,
        format_func=lambda p: f"{p} — {PRESETS[p].summary()}" if p in PRESETS else p,
        help="Loads the preset's layers below; edit them freely to make your own architecture.",
    )
    st.caption(
        "Input 28×28 → your hidden layers → Dense(10, softmax). Flatten is added before the first dense "
        "layer when needed."
    )
    draft = st.session_state[DRAFT]
    for index, layer in enumerate(draft):
        uid, kind = layer["uid"], layer["kind"]
        with st.container(border=True), flow(vertical_alignment="bottom"):
            # Name, up to three settings (conv2d has three), then move up / down / remove: a row that wraps.
            st.markdown(f"**{index + 1}. {ADD_LABELS[kind]}**", width=90)
            for param in builder.PARAMS[kind]:
                key = f"layer_{uid}_{param}"
                if param == "activation":
                    value = st.selectbox(
                        "Activation",
                        ACTIVATIONS,
                        key=key,
                        index=ACTIVATIONS.index(layer[param]) if layer[param] in ACTIVATIONS else 0,
                        width=130,
                    )
                else:
                    label, step = NUMBER_PARAMS[param]
                    is_rate = param == "rate"
                    value = st.number_input(
                        label,
                        value=float(layer[param]) if is_rate else int(layer[param]),
                        step=step,
                        key=key,
                        format="%.2f" if is_rate else "%d",
                        width=130,
                    )
                if value != layer[param]:
                    was_preset = st.session_state[PRESET]
                    _edit(builder.set_value, uid, param, value)
                    if was_preset:
                        st.rerun()  # so the preset box above says "edited" right away
            layer_buttons(index, uid, len(draft), _edit)
    with flow():
        for kind in builder.DEFAULTS:
            st.button(
                f"+ {ADD_LABELS[kind]}",
                key=f"add_{kind}",
                help=f"Add a {ADD_LABELS[kind]} layer at the end",
                on_click=_add_layer,
                args=(kind,),
            )

spec, spec_error = None, None
preset_name = st.session_state[PRESET]
try:
    spec = builder.to_spec(st.session_state[DRAFT], name=preset_name or "custom")
except SpecError as exc:
    spec_error = exc

with summary_col:
    st.subheader("Model summary")
    if spec_error:
        show_error(user_words(spec_error))
    else:
        rows = builder.summary_rows(spec)
        st.metric(
            "Trainable parameters",
            f"{builder.total_params(spec):,}",
            help="Weights and biases the optimizer learns; the output Dense(10) is included.",
        )
        st.dataframe(
            rows,
            hide_index=True,
            column_config={
                "Parameters": st.column_config.NumberColumn(format="localized"),
                "Output shape": st.column_config.TextColumn("Shape"),  # a short header: fits at 800 px
            },
        )
        st.caption(
            f"{'Preset ' + repr(preset_name) if preset_name else 'Custom architecture'}: {spec.summary()}"
        )

# ------------------------------------------------------------------------------------------ hyperparameters

DEFAULTS = TrainConfig()
# The first values go through Session State (the widgets take none): the callbacks set these keys too.
train_settings.start_values(DEFAULTS.epochs, DEFAULTS.batch_size, SUGGESTED_LR["adam"])
st.subheader("Training")
with st.container(border=True):
    c = st.columns(4)
    epochs = c[0].number_input(
        "Epochs",
        step=1,
        key="train_epochs",
        on_change=train_settings.follow_epochs,
        args=(preset_name,),
    )
    batch_size = c[1].selectbox(
        "Batch size",
        BATCH_SIZES,
        key="train_batch",
        on_change=_suggest_lr,
        help=train_settings.RULE_HELP,
    )
    optimizer = c[2].selectbox("Optimizer", OPTIMIZERS, key="train_optimizer", on_change=_suggest_lr)
    learning_rate = c[3].number_input(
        "Learning rate",
        step=0.0005,
        format="%g",  # 0.005, 0.0001, 1e-05: small rates stay readable
        key="train_lr",
        help=f"Peak rate of the warm-up + cosine schedule; set for {optimizer} at this batch size when you "
        "change either (a larger batch takes a larger rate).",
    )
    augment = augment_checkbox(key="train_augment")
    c = st.columns(4)
    seed = c[0].number_input(
        "Seed", value=0, step=1, key="train_seed", help="Same seed, same settings → the same run."
    )
    subset = c[1].number_input(
        "Training digits",
        value=FULL_TRAIN_SET,
        step=1000,
        key="train_subset",
        help="Train on a random subset (100 – 60,000) for quicker experiments.",
    )
    run_name = c[2].text_input(
        "Run name",
        key="train_name",
        placeholder=run_name_base(preset_name, seed),
        help="Shown on Compare and Inspect; left empty, the preset's name (and the seed, if not 0).",
    )
    c[3].markdown("&nbsp;")
    start = c[3].button(
        "Start training", type="primary", key="train_start", icon=":material/play_arrow:", width="stretch"
    )

settings = dict(epochs=epochs, batch_size=int(batch_size), optimizer=optimizer, learning_rate=learning_rate)
code_view(spec, {**settings, "seed": seed, "train_subset": subset, "augment": augment}, key="train_code")

if start:
    problems = []
    if spec_error:  # its message is already shown under Model summary: point there rather than repeat it
        problems.append("Architecture: fix the layer named under Model summary first.")
    try:
        config = TrainConfig(
            epochs=epochs,
            batch_size=int(batch_size),
            optimizer=optimizer,
            learning_rate=learning_rate,
            seed=seed,
            train_subset=subset,
            augment=augment,
        )
    except ConfigError as exc:
        problems.append(f"Training settings: {user_words(exc)}")
    name = None
    try:
        name = (
            check_run_name(run_name)
            if run_name.strip()
            else unused_run_name(run_name_base(preset_name, seed), taken_names(get_store(), get_runner()))
        )
    except StoreError as exc:
        problems.append(f"Run name: {exc}")
    if problems:
        for problem in problems:
            st.error(as_text(problem), icon=":material/error:")
    else:
        try:
            job = get_runner().submit(spec, config, name=name, preset=preset_name, owner=session_owner())
        except JobError as exc:
            show_error(exc)
        else:
            st.session_state[FOCUS] = job.id
            st.session_state.pop("train_show_job", None)  # the picker then opens on the new job
            st.toast(f"Queued {name}.", icon=":material/schedule:")

# ------------------------------------------------------------------------------------------ live jobs


def _stop_job(runner, job_id: str) -> None:
    runner.stop(
        job_id
    )  # no st.toast here: a callback that draws, inside the jobs fragment, makes Streamlit warn
    st.session_state["train_stopping"] = job_id


def _show_job(job, runner) -> None:
    """The live (or final) view of one job."""
    if st.session_state.get("train_stopping") == job.id:
        st.session_state.pop("train_stopping")
        st.toast("Stopping… the run keeps what it learned so far.", icon=":material/stop_circle:")
    st.markdown(f"#### {STATUS_ICONS.get(job.status, '')} {job.name or job.spec.name}")
    st.caption(
        f"{job.spec.summary()} · {job.config.epochs} epochs · batch {job.config.batch_size} · "
        f"{job.config.optimizer} lr {job.config.learning_rate:g} · seed {job.config.seed}"
    )
    if job.status == "queued":
        st.info(
            f"Queued: number {runner.position(job.id) or '?'} in line. It starts when a worker is free.",
            icon=":material/schedule:",
        )
    elif job.status == "running":
        bar, stop = st.columns([6, 1], vertical_alignment="center")
        bar.progress(job.fraction, text=progress_text(job.progress))
        # In the click's callback: it runs first thing, before the live view redraws its charts.
        stop.button(
            "Stop",
            key=f"stop_{job.id}",
            icon=":material/stop_circle:",
            width="stretch",
            on_click=_stop_job,
            args=(runner, job.id),
        )
    elif job.status in ("completed", "stopped"):
        try:
            run = get_store().load(job.run_id) if job.run_id else None
        except StoreError as exc:
            run = None
            show_error(exc)
        if run is not None and run.test_accuracy is not None:
            word = "Finished" if job.status == "completed" else "Stopped early"
            done = work_done(job.progress) if job.status == "stopped" else None
            st.success(
                f"{word}: test accuracy **{run.test_accuracy:.2%}** after "
                f"{done or plural(run.epochs_done, 'epoch')} in {duration(run.duration_s)}.",
                icon=":material/target:",
            )
            links = st.columns(3)
            link(
                "inspect",
                "Inspect its mistakes",
                icon=":material/search:",
                query_params={"run": run.id},
                where=links[0],
            )
            link(
                "draw",
                "Draw a digit for it",
                icon=":material/draw:",
                query_params={"run": run.id},
                where=links[1],
            )
            link("compare", "Compare with other runs", icon=":material/bar_chart:", where=links[2])
        elif job.status == "stopped":
            st.info("Stopped before the first epoch ended: nothing to evaluate.")
    else:
        st.error(f"This job {job.status}: {job.error or 'no details'}", icon=":material/error:")
        if job.can_resubmit and st.button("Try again", key=f"again_{job.id}", icon=":material/replay:"):
            try:
                again = runner.resubmit(job.id, owner=session_owner())
            except JobError as exc:
                show_error(exc)
            else:
                st.session_state[FOCUS] = again.id
                st.session_state.pop("train_show_job", None)
                st.rerun()
    if job.batches:
        st.plotly_chart(batch_curves(job.batches))
    if job.history.get("loss"):
        st.plotly_chart(epoch_curves(job.history))


def jobs_panel() -> None:
    runner = get_runner()
    owner = session_owner()
    everyone = runner.jobs(curves=False)  # the focused job's curve is fetched on its own below
    mine = [job for job in everyone if job.owner == owner]
    others = [job for job in everyone if job.owner != owner and job.is_active]
    active_ids = {job.id for job in everyone if job.is_active}
    # A job of ours just ended: rerun the whole page once so it stops refreshing and shows the result.
    was_active = st.session_state.get("train_active_ids", set())
    st.session_state["train_active_ids"] = active_ids
    if was_active - active_ids and not active_ids:
        st.rerun()
    # One of ours left the queue and trains now: rerun the page, which then refreshes every second.
    if {job.id for job in mine if job.status == "running"} - st.session_state.get("train_running_ids", set()):
        st.rerun()
    if not mine and not others:
        st.caption("No trainings yet in this session. Choose an architecture and press **Start training**.")
        return
    if mine:
        ids = [job.id for job in mine]
        focus = st.session_state.get(FOCUS)
        if focus not in ids:
            focus = next((job.id for job in mine if job.is_active), ids[0])
        by_id = {job.id: job for job in mine}
        if len(mine) > 1:
            # The picker's key holds the focus (a keyed widget ignores ``index`` after its first run).
            if st.session_state.get("train_show_job") not in ids:
                st.session_state["train_show_job"] = focus
            focus = st.selectbox("Show", ids, format_func=lambda i: by_id[i].label, key="train_show_job")
        st.session_state[FOCUS] = focus
        _show_job(runner.get(focus) or by_id[focus], runner)
        st.markdown("##### Your trainings")
        st.dataframe([job_row(job, runner.position(job.id)) for job in mine], hide_index=True)
    if others:
        st.markdown("##### Other sessions' trainings (queue)")
        st.dataframe([job_row(job, runner.position(job.id), mine=False) for job in others], hide_index=True)


st.subheader("Trainings")
try:
    _active = get_runner().active_jobs()
except (OSError, StoreError) as exc:  # the runner could not start: the page still works for building
    show_error(exc, "The training runner is unavailable: ")
else:
    # Every second while one of this session's jobs trains; a tab that only waits in the queue checks every
    # few seconds (its place in line changes slowly, and a class of watching tabs adds up on the server).
    _mine_running = {job.id for job in _active if job.owner == session_owner() and job.status == "running"}
    st.session_state["train_running_ids"] = _mine_running
    st.fragment(jobs_panel, run_every=1.0 if _mine_running else 3.0 if _active else None)()

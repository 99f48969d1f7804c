"""Draw: draw a digit (or upload a picture) and watch saved models classify it, MNIST-style."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnistlab import dataset_choice as choice
from mnistlab.app import class_view, draw_view
from mnistlab.app.export_view import import_uploader
from mnistlab.app.handwriting_view import keep_drawing, manage_sets
from mnistlab.app.identity import current_person
from mnistlab.app.inside_view import show_inside
from mnistlab.app.layout import flow
from mnistlab.app.live_jobs import poll_jobs
from mnistlab.app.map_view import drawing_on_map
from mnistlab.app.state import cached_keras_model, cached_model, ensure_app_navigation, get_runner, get_store
from mnistlab.app.widgets import (
    list_runs_safely,
    progress_text,
    query_run,
    run_picker,
    show_error,
    show_problems,
)
from mnistlab.drawing import ImageError, default_run_id, predict_digit, read_image, top_prediction
from mnistlab.files import StoreError
from mnistlab.legible import EMPTY, read_drawing
from mnistlab.modelfile import ModelFileError
from mnistlab.people import NotAllowed
from mnistlab.runs.jobs import JobError
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

ensure_app_navigation()
CANVAS_SIZE = 280
QUICK_JOB = "draw_quick_job"
QUICK_NAME, QUICK_TAG = "quick start", "draw-quick-start"

title_slot = st.empty()  # "Draw a digit", or "Draw an item" once the model's dataset is known
title_slot.title("Draw a digit")
store = get_store()
runs = [run for run in list_runs_safely(store) if run.has_model]

# ------------------------------------------------------------------------------- first time: no model yet


def _quick_job():
    """This session's quick-start job, or one another session already started (one training serves all)."""
    runner = get_runner()
    job = runner.get(st.session_state.get(QUICK_JOB, ""))
    if job is None:
        job = next((j for j in runner.jobs() if j.tag == QUICK_TAG and j.is_active), None)
    return job


def _quick_progress(jobs: list) -> None:
    for job in jobs:
        if job.status == "queued":
            st.info(
                f"Quick training queued (number {get_runner().position(job.id) or '?'} in line)…",
                icon=":material/schedule:",
            )
        elif job.status == "running":
            st.progress(job.fraction, text=f"Training a small model · {progress_text(job.progress)}")
        elif job.status != "completed":
            st.error(
                f"The quick training {job.status}: {job.error or 'no details'}. Try again.",
                icon=":material/error:",
            )


if not runs:
    st.info(
        "There is no trained model yet. Train a small one here in a few seconds (3 epochs of the "
        "baseline MLP on all 60,000 digits), or build your own on the Train page.",
        icon=":material/info:",
    )
    job = _quick_job()
    idle = job is None or job.is_finished
    slot = st.empty()
    if idle and slot.button(
        "Train a quick model", type="primary", icon=":material/bolt:", key="draw_quick_start"
    ):
        try:
            job = get_runner().submit(
                PRESETS["baseline"],
                TrainConfig(epochs=3),
                name=QUICK_NAME,
                preset="baseline",
                owner=current_person().id,
                actor=current_person(),
                tag=QUICK_TAG,
            )
        except (JobError, NotAllowed) as exc:
            show_error(exc)
        else:
            st.session_state[QUICK_JOB] = job.id
            slot.empty()  # one click is enough: the progress below takes over
    if _quick_job() is not None:
        # Once it ends and its model is saved, the whole page again, now with the canvas.
        poll_jobs(
            "draw_quick_ids",
            lambda: [job for job in [_quick_job()] if job is not None],
            _quick_progress,
            every=1.0,
            ready=lambda: any(run.has_model for run in list_runs_safely(store)),
        )
    import_uploader(store, key="draw_import")
    show_problems(store)
    st.stop()

# ----------------------------------------------------------------------------------------- the drawing

# The answer sits right beside the canvas (under it on a phone): uploads and imports come after both.
draw_col, result_col = st.columns([1, 1], gap="large")
more = st.container()

with draw_col:
    runs = class_view.scope_switch(runs, "draw_scope", keep=query_run(runs))  # class mode: mine / class
    class_view.offer_class_set("draw_keep")  # class mode: kept drawings go to the class's set first
    run = run_picker(
        "Model",
        runs,
        default=default_run_id(runs, query_run(runs)),
        key="draw_run",
        help="Any saved run with a model; the best test accuracy is chosen first.",
    )
    if st.query_params.get("run") != run.id:
        st.query_params["run"] = run.id  # the address names the model, so the page can be shared
    data = choice.dataset_of(run.dataset)  # classes, words and how a drawing is prepared: the model's set
    if data.item != "digit":
        title_slot.title(f"Draw {'an' if data.item[0] in 'aeiou' else 'a'} {data.item}")
        st.caption(choice.draw_hint(run.dataset))
    canvas = st_canvas(
        stroke_width=st.session_state.get("draw_stroke", 18),
        stroke_color="#FFFFFF",
        background_color="#000000",
        drawing_mode="freedraw",
        update_streamlit=True,
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        initial_drawing=draw_view.initial_drawing(),  # one canvas for good: Clear empties it in place
        return_image_data=True,
        key=draw_view.CANVAS_KEY,
    )
    with flow(vertical_alignment="bottom"):
        st.button("Clear", icon=":material/ink_eraser:", key="draw_clear", on_click=draw_view.clear_canvas)
        st.slider("Stroke width", 6, 40, 18, key="draw_stroke", width=200)

with more:
    upload = st.file_uploader(
        f"…or upload a picture of {'a digit' if data.item == 'digit' else 'one ' + data.item} (PNG or JPEG)"
        + (", on a plain background" if data.item != "digit" else ""),
        type=["png", "jpg", "jpeg"],
        key="draw_upload",
    )
    import_uploader(store, key="draw_import")

# The picture to classify: an upload wins over the canvas while it is there.
source, picture = None, None
if upload is not None:
    try:
        picture, source = read_image(upload.getvalue()), "upload"
    except ImageError as exc:
        with more:
            show_error(exc, f"{upload.name}: ")
elif draw_view.follow(canvas.json_data, run.id):  # not the drawing that was just cleared
    try:
        picture, source = canvas.image_data, "canvas"
    except RuntimeError:  # an older canvas without image data: nothing to classify
        picture = None

# ---------------------------------------------------------------------------------------- the prediction

with result_col:
    try:
        model = cached_model(run.id)
    except (StoreError, ModelFileError) as exc:
        model = None
        show_error(exc, "This model cannot be used: ")
    reading = (
        read_drawing(picture, model, data.framing, data.item, data.class_names)
        if picture is not None and model is not None
        else None
    )
    if reading is None or reading.judgement.verdict == EMPTY:
        keep_drawing(None, None, None, key=draw_view.KEEP)  # the last "kept" confirmation, if any
        st.info(
            f"The uploaded picture looks empty: no {data.item} found."
            if source == "upload"
            else f"Nothing to classify yet: draw one {data.item}, large, with white strokes on the black square. "
            "The prediction updates when you lift the pen.",
            icon=":material/draw:",
        )
    else:
        draw_view.show_reading(reading, run.name, from_upload=source == "upload", dataset=run.dataset)
    if reading is not None and reading.probabilities is not None:
        image28 = reading.image28
        others = [r for r in runs if r.id != run.id and r.dataset == run.dataset]  # same classes only
        if others:
            with st.expander("Compare models", icon=":material/compare:"):
                by_id = {r.id: r for r in others}
                chosen = st.multiselect(
                    "Also ask",
                    list(by_id),
                    default=list(by_id)[:2],
                    format_func=lambda run_id: by_id[run_id].label,
                    key="draw_compare",
                    max_selections=4,
                )
                for col, run_id in zip(st.columns(max(len(chosen), 1)), chosen, strict=False):
                    try:
                        other = cached_model(run_id)
                    except (StoreError, ModelFileError) as exc:
                        col.error(f"{by_id[run_id].name}: {exc}")
                        continue
                    other_digit, other_confidence = top_prediction(predict_digit(other, image28))
                    col.metric(
                        by_id[run_id].name,
                        choice.class_label(run.dataset, other_digit),
                        f"{other_confidence:.1%} confident",
                        delta_color="off",
                        delta_arrow="off",
                    )
                    col.caption(by_id[run_id].spec.summary())
        with st.expander("Where it lands on the map", icon=":material/scatter_plot:", expanded=True):
            drawing_on_map(run, image28)  # a marker among the test digits, if the run's map is cached
        if run.dataset == "mnist":  # handwriting sets are digits
            digit, _ = top_prediction(reading.probabilities)
            keep_drawing(picture, image28, digit, key=draw_view.KEEP, on_kept=draw_view.clear_canvas)
    # Always on the page, so it stays on through Clear; switched off, it costs nothing on each stroke.
    inside_on = st.toggle(
        "Inside the network: activations, saliency, first-layer weights", key="draw_inside_on"
    )

if inside_on and reading is not None and reading.probabilities is not None:
    st.subheader("Inside the network", anchor=False)
    try:  # layers and gradients need Keras: loaded (TensorFlow imported) only once the toggle is on
        show_inside(
            cached_keras_model(run.id),
            reading.image28,
            run.spec,
            key="draw_inside",
            class_names=data.class_names,
            item=data.item,
        )
    except (StoreError, ModelFileError) as exc:
        show_error(exc, "This model cannot be shown inside: ")

manage_sets(key="draw_sets")

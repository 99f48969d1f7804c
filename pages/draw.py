"""Draw: draw a digit (or upload a picture) and watch saved models classify it, MNIST-style."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnistlab.app import class_view
from mnistlab.app.charts import probability_bars
from mnistlab.app.export_view import import_uploader
from mnistlab.app.handwriting_view import keep_drawing, manage_sets
from mnistlab.app.inside_view import show_inside
from mnistlab.app.live_jobs import poll_jobs
from mnistlab.app.map_view import drawing_on_map
from mnistlab.app.state import cached_keras_model, cached_model, get_runner, get_store, session_owner
from mnistlab.app.widgets import (
    list_runs_safely,
    progress_text,
    query_run,
    run_picker,
    show_error,
    show_problems,
)
from mnistlab.drawing import (
    ImageError,
    canvas_to_mnist,
    default_run_id,
    predict_digit,
    read_image,
    top_prediction,
    upscale_for_display,
)
from mnistlab.files import StoreError
from mnistlab.modelfile import ModelFileError
from mnistlab.runs.jobs import JobError
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

CANVAS_SIZE = 280
QUICK_JOB, CANVAS_ROUND = "draw_quick_job", "draw_canvas_round"
QUICK_NAME, QUICK_TAG = "quick start", "draw-quick-start"

st.title("Draw a digit")
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
                owner=session_owner(),
                tag=QUICK_TAG,
            )
        except JobError as exc:
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


def _clear_canvas() -> None:
    st.session_state[CANVAS_ROUND] = st.session_state.get(CANVAS_ROUND, 0) + 1  # new key: a fresh canvas


draw_col, result_col = st.columns([1, 1], gap="large")

with draw_col:
    runs = class_view.scope_switch(runs, "draw_scope", keep=query_run(runs))  # class mode: mine / class
    class_view.offer_class_set("draw_keep")  # class mode: kept drawings go to the class's set first
    default = default_run_id(runs, query_run(runs))
    run = run_picker(
        "Model",
        runs,
        default=default,
        key="draw_run",
        help="Any saved run with a model; the best test accuracy is chosen first.",
    )
    if st.query_params.get("run") != run.id:
        st.query_params["run"] = run.id  # the address names the model, so the page can be shared
    st.caption(
        "Draw one digit, large and centred-ish, with white strokes on the black square. "
        "The prediction updates when you lift the pen."
    )
    stroke = st.slider("Stroke width", 6, 40, 18, key="draw_stroke")
    round_ = st.session_state.setdefault(CANVAS_ROUND, 0)
    canvas = st_canvas(
        stroke_width=stroke,
        stroke_color="#FFFFFF",
        background_color="#000000",
        drawing_mode="freedraw",
        update_streamlit=True,
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        return_image_data=True,
        key=f"draw_canvas_{round_}",
    )
    st.button("Clear", icon=":material/ink_eraser:", key="draw_clear", on_click=_clear_canvas)
    upload = st.file_uploader(
        "…or upload a picture of a digit (PNG or JPEG)", type=["png", "jpg", "jpeg"], key="draw_upload"
    )
    import_uploader(store, key="draw_import")

# The picture to classify: an upload wins over the canvas while it is there.
source, picture = None, None
if upload is not None:
    try:
        picture, source = read_image(upload.getvalue()), "upload"
    except ImageError as exc:
        with draw_col:
            show_error(exc, f"{upload.name}: ")
else:
    try:
        picture, source = canvas.image_data, "canvas"
    except RuntimeError:  # an older canvas without image data: nothing to classify
        picture = None
image28 = canvas_to_mnist(picture) if picture is not None else None

# ---------------------------------------------------------------------------------------- the prediction

with result_col:
    try:
        model = cached_model(run.id)
    except (StoreError, ModelFileError) as exc:
        model = None
        show_error(exc, "This model cannot be used: ")
    if image28 is None:
        keep_drawing(None, None, None, key="draw_keep")  # the last "kept" confirmation, if any
        where = "the uploaded picture" if source == "upload" else "the canvas"
        st.info(
            f"Nothing to classify yet: draw a digit on {where}."
            if source != "upload"
            else "The uploaded picture looks empty: no digit found.",
            icon=":material/draw:",
        )
    elif model is not None:
        probabilities = predict_digit(model, image28)
        digit, confidence = top_prediction(probabilities)
        st.markdown(f"<h1 style='margin:0; padding:0'>Prediction: {digit}</h1>", unsafe_allow_html=True)
        st.markdown(
            f"**{confidence:.1%}** confident · model *{run.name}*"
            + (" · from the uploaded picture (remove it to use the canvas)" if source == "upload" else "")
        )
        seen_col, chart_col = st.columns([1, 2.4], vertical_alignment="center")
        seen_col.image(upscale_for_display(image28, 140), caption="What the model sees (28×28)", width=140)
        with chart_col:
            st.plotly_chart(probability_bars(probabilities, height=220), key="draw_probabilities")

        others = [r for r in runs if r.id != run.id]
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
                        f"{other_digit}",
                        f"{other_confidence:.1%} confident",
                        delta_color="off",
                        delta_arrow="off",
                    )
                    col.caption(by_id[run_id].spec.summary())

        with st.expander("Where it lands on the map", icon=":material/scatter_plot:", expanded=True):
            drawing_on_map(run, image28)  # a marker among the test digits, if the run's map is cached

        keep_drawing(picture, image28, digit, key="draw_keep", on_kept=_clear_canvas)

        # A toggle rather than an expander: switched off, it costs nothing on each stroke.
        st.toggle("Inside the network: activations, saliency, first-layer weights", key="draw_inside_on")

if image28 is not None and model is not None and st.session_state.get("draw_inside_on"):
    st.subheader("Inside the network", anchor=False)
    try:  # layers and gradients need Keras: loaded (TensorFlow imported) only once the toggle is on
        show_inside(cached_keras_model(run.id), image28, run.spec, key="draw_inside")
    except (StoreError, ModelFileError) as exc:
        show_error(exc, "This model cannot be shown inside: ")

manage_sets(key="draw_sets")

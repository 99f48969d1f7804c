"""Home: what mnistlab is, sample digits, the notebook's study beside the runs saved here, and the way in."""

import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.app import study_view
from mnistlab.app.dataset_view import dataset_picker
from mnistlab.app.layout import flow
from mnistlab.app.live_jobs import poll_jobs
from mnistlab.app.state import ensure_app_navigation, get_runner, get_store
from mnistlab.app.widgets import digit_strip, link, list_runs_safely, show_problems
from mnistlab.data import DataError
from mnistlab.datasets import DEFAULT, load_dataset_test_part
from mnistlab.specs import NOTEBOOK_RESULTS
from mnistlab.study.claims import active_study_jobs
from mnistlab.study.comparison import notebook_rows
from mnistlab.text import markdown_table, plural

ensure_app_navigation()
st.title("✍️ mnistlab")
st.markdown(
    "**mnistlab** is a hands-on lab for handwritten-digit recognition: design a neural network, train it live "
    "on MNIST's 60,000 digits, and see what it gets right and wrong.  \n"
    "It grew from a notebook study of four small networks — rerun that study here, compare your own "
    "architectures against it, or draw a digit and watch a model read it. Fashion-MNIST (clothes, the same "
    "28×28 size, and harder) trains through the same pages: pick it on Train."
)

with flow():  # wraps onto two lines on a narrow window
    link("train", "Train a model", icon=":material/model_training:")
    link("compare", "Compare runs", icon=":material/bar_chart:")
    link("inspect", "Inspect mistakes", icon=":material/search:")
    link("draw", "Draw a digit", icon=":material/draw:")
    link("sweep", "Sweep settings", icon=":material/tune:")
    link("learn", "Learn how it works", icon=":material/school:")

st.divider()
store = get_store()
runs = list_runs_safely(store)

st.subheader("The notebook's study, and your runs")
mnist_runs = choice.runs_on(runs, DEFAULT)  # the notebook's study was on MNIST: other sets' runs never count
rows = notebook_rows(mnist_runs)
# A Markdown table, not st.dataframe: four fixed rows, and Home opens without importing pandas.
st.markdown(
    markdown_table(
        [{**row, "Notebook (%)": f"{row['Notebook (%)']:.2f} %"} for row in rows],
        ["#", "Experiment", "Notebook (%)", "Runs here", "Architecture"],
    )
)
if not runs:
    st.caption("No runs saved yet: start the study below, or train one on the Train page.")
else:
    st.caption(
        f"{len(runs)} run(s) saved here. *Runs here*: completed runs of each preset with the study's "
        "settings (all digits, standard epochs) on MNIST, mean ± standard deviation over seeds."
        + (
            f" {len(runs) - len(mnist_runs)} run(s) on other datasets are not counted here: see Compare."
            if len(mnist_runs) < len(runs)
            else ""
        )
    )

left, right = st.columns(2, gap="large")

with left:
    st.subheader("The data: 28×28 grey-scale images")
    name, missing = dataset_picker(
        "home_dataset", help="MNIST's handwritten digits, or Fashion-MNIST's clothes (the same size, harder)."
    )
    if not missing:
        try:
            with st.spinner(
                "Loading the sample images…"
            ):  # the first visit after a start reads the test files
                data = load_dataset_test_part(name)  # not the training images: a seventh of the work
        except DataError as exc:
            st.error(f"{choice.title(name)} could not be loaded: {exc}")
        else:
            n = choice.dataset_of(name).num_classes
            for row in choice.sample_rows(data.x_test, data.y_test, n):  # two rows, class 0 first in each
                st.image(digit_strip(row, scale=2))  # natural width, narrowed to fit a phone
            st.caption(choice.samples_caption(name, data.train_count, len(data.y_test)))

with right:
    with st.container(border=True):
        st.markdown(
            "**Rerun the study** — the notebook's four networks, each with several seeds, as background "
            "jobs. Runs already saved (full data, standard settings) count; only what is missing trains."
        )
        c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
        seeds = int(
            c1.number_input(
                "Seeds per network", min_value=1, max_value=10, value=3, step=1, key="study_seeds"
            )
        )
        if c2.button(
            f"Start the study ({len(NOTEBOOK_RESULTS)} networks × {plural(seeds, 'seed')})",
            type="primary",
            key="start_study",
        ):
            st.session_state["study_message"] = study_view.queue_study(mnist_runs, seeds)
        if st.session_state.get("study_message"):
            st.info(st.session_state["study_message"])

        def study_jobs(active: list) -> None:
            if active:
                study_view.study_jobs_table(active, key="home_stop_study")
                st.caption("Study jobs in the queue; results appear here and on Compare as they finish.")

        # Polls only while the study runs; a finished study run redraws the page so its table shows the result.
        poll_jobs(
            "home_study_ids",
            lambda: active_study_jobs(get_runner()),
            study_jobs,
            every=2.0 if active_study_jobs(get_runner()) else None,
        )
        link("train", "Watch the jobs on the Train page", icon=":material/timer:")

show_problems(store)

"""Take it with you, on the pages: the Keras code of a network, downloads of a run, importing a .keras file.

Each page calls one function: ``code_view`` (Train: the builder's spec and settings), ``take_it_with_you``
(Inspect: downloads, code and import for the chosen run) and ``import_uploader`` (Draw). The work is done in
``mnistlab.export``; heavy conversions (TFLite, SavedModel) run only when their download button is clicked.
"""

from __future__ import annotations

import streamlit as st

from mnistlab.app.state import cached_keras_model
from mnistlab.app.widgets import show_error
from mnistlab.datasets import class_names_for
from mnistlab.export.code import script_filename, training_script
from mnistlab.export.formats import history_csv, json_bytes, metrics_csv, savedmodel_zip, tflite_bytes
from mnistlab.export.importing import import_model_bytes, keras_layer_rows
from mnistlab.files import StoreError
from mnistlab.modelfile import MAX_MODEL_BYTES, ModelFileError
from mnistlab.runs.run import Run
from mnistlab.runs.store import RunStore
from mnistlab.specs import ArchitectureSpec
from mnistlab.training import ConfigError, TrainConfig


def code_view(spec: ArchitectureSpec | None, settings: dict | TrainConfig, key: str) -> None:
    """An expander with the standalone Keras script for ``spec`` and ``settings``, and a download button."""
    with st.expander("Code: this network in plain Keras", icon=":material/code:"):
        if spec is None:
            st.caption("Fix the architecture above to see its code.")
            return
        try:
            config = settings if isinstance(settings, TrainConfig) else TrainConfig(**settings)
        except ConfigError as exc:
            show_error(exc, "Fix the training settings to see the code: ")
            return
        script = training_script(spec, config)
        name = script_filename(spec.name)
        st.caption(
            f"A standalone script: Keras and NumPy only, the same layers and schedule. Run it with "
            f"`python {name} --data mnist.npz` (or a folder of the MNIST IDX files); add "
            "`--epochs 1 --limit 2000` for a quick try."
        )
        st.download_button(
            f"Download {name}",
            script,
            file_name=name,
            mime="text/x-python",
            icon=":material/download:",
            key=f"{key}_download",
            on_click="ignore",
        )
        st.code(script, language="python", line_numbers=True, height=420)


CONVERSIONS = {  # what the slow downloads are converted with: TensorFlow, a few seconds each
    "tflite": lambda model, run_id: tflite_bytes(model),
    "savedmodel": lambda model, run_id: savedmodel_zip(model, f"{run_id}-savedmodel"),
}


@st.cache_data(show_spinner=False, max_entries=4)
def _converted(run_id: str, kind: str, model_version: float, _model) -> bytes:
    return CONVERSIONS[kind](_model, run_id)


def _converted_download(where, store: RunStore, run: Run, kind: str, label: str, **button) -> None:
    """A slow download in two steps, so the wait shows: a button that converts (with a spinner saying so),
    then the download button with the converted file. Converted files are kept for the next click."""
    wanted = f"export_{kind}_for"
    if st.session_state.get(wanted) != run.id:
        where.button(
            label,
            icon=button["icon"],
            key=f"export_{kind}_prepare",
            help=button["help"],
            on_click=lambda: st.session_state.update({wanted: run.id}),
        )
        return
    try:
        version = store.model_path(run.id).stat().st_mtime
        with where, st.spinner(f"Converting to {label} (a few seconds)…"):
            data = _converted(run.id, kind, version, cached_keras_model(run.id))
    except (StoreError, ModelFileError, OSError) as exc:
        show_error(exc, f"Could not convert to {label}: ")
        return
    where.download_button(f"Download {label}", data, key=f"export_{kind}", on_click="ignore", **button)


def download_panel(store: RunStore, run: Run) -> None:
    """Download buttons for the run: .keras, TFLite, SavedModel (zip), history/metrics CSV and JSON."""
    try:
        metrics = store.metrics(run.id)
    except StoreError:
        metrics = None
    with st.container(border=True):
        st.markdown("**Download**")
        row = st.container(horizontal=True, gap="small")  # buttons wrap on narrow screens
        cols = [row, row, row]
        if run.has_model:
            try:
                keras_file = store.model_path(run.id).read_bytes()
            except (StoreError, OSError) as exc:
                show_error(exc)
            else:
                cols[0].download_button(
                    ".keras model",
                    keras_file,
                    file_name=f"{run.id}.keras",
                    mime="application/zip",
                    icon=":material/download:",
                    key="export_keras",
                    on_click="ignore",
                    help="Load it with keras.models.load_model(path).",
                )
            _converted_download(
                cols[1],
                store,
                run,
                "tflite",
                "TensorFlow Lite",
                file_name=f"{run.id}.tflite",
                mime="application/octet-stream",
                icon=":material/smartphone:",
                help="For phones and small devices (converted when you click; a few seconds).",
            )
            _converted_download(
                cols[2],
                store,
                run,
                "savedmodel",
                "SavedModel (zip)",
                file_name=f"{run.id}-savedmodel.zip",
                mime="application/zip",
                icon=":material/folder_zip:",
                help="For TensorFlow Serving and TensorFlow.js's converter (exported when you click).",
            )
        cols[0].download_button(
            "History (CSV)",
            history_csv(run.history),
            file_name=f"{run.id}-history.csv",
            mime="text/csv",
            icon=":material/table:",
            key="export_history_csv",
            on_click="ignore",
            disabled=not run.history.get("loss"),
        )
        cols[1].download_button(
            "Test scores (CSV)",
            metrics_csv(metrics, class_names_for(run.dataset)),
            file_name=f"{run.id}-metrics.csv",
            mime="text/csv",
            icon=":material/table:",
            key="export_metrics_csv",
            on_click="ignore",
            disabled=not metrics,
        )
        cols[2].download_button(
            "Run as JSON",
            json_bytes(run, metrics),
            file_name=f"{run.id}.json",
            mime="application/json",
            icon=":material/data_object:",
            key="export_json",
            on_click="ignore",
        )
        st.caption(
            f"TensorBoard logs: `mnistlab export {run.id} --format tensorboard --out logs`, then "
            "`tensorboard --logdir logs`."
        )


def import_uploader(store: RunStore, key: str) -> None:
    """Upload a .keras file; on success the page switches to the new imported run."""
    with st.expander("Bring your own model (.keras)", icon=":material/upload_file:"):
        st.caption(
            "A Keras 3 model that reads 28x28 (or 784) pixels in 0-1 and gives 10 outputs. It is loaded "
            "safely (no Lambda layers, no code), scored on the 10,000 test digits and saved as an imported run."
        )
        upload = st.file_uploader(
            "Model file", type=["keras"], key=f"{key}_file", max_upload_size=MAX_MODEL_BYTES // 2**20
        )
        name = st.text_input("Run name", key=f"{key}_name", placeholder="the file name")
        if st.button("Import", key=f"{key}_go", icon=":material/input:", disabled=upload is None):
            with st.spinner("Checking and scoring the model on 10,000 test digits…"):
                try:
                    run_id = import_model_bytes(
                        upload.getvalue(), upload.name, store, name=name.strip() or None
                    )
                except (ModelFileError, StoreError, OSError) as exc:
                    show_error(exc, "Not imported: ")
                    return
            run = store.load(run_id)
            st.query_params["run"] = run_id
            for state_key in ("inspect_run", "draw_run"):  # the pickers open on the new run
                st.session_state.pop(state_key, None)
            st.toast(
                f"Imported {run.name}: {run.test_accuracy:.2%} on the test set.", icon=":material/check:"
            )
            st.rerun()


def imported_architecture(run: Run) -> None:
    """The layers of an imported model, read from the model itself (it has no spec of ours to show)."""
    try:
        rows = keras_layer_rows(cached_keras_model(run.id))
    except (StoreError, ModelFileError) as exc:
        show_error(exc, "The model cannot be read: ")
        return
    st.dataframe(
        rows,
        hide_index=True,
        column_config={"Parameters": st.column_config.NumberColumn(format="localized")},
    )
    st.caption(f"{run.spec.description.rstrip('.')}. No training settings: it was trained elsewhere.")


def take_it_with_you(store: RunStore, run: Run) -> None:
    """Inspect's section: downloads and code for ``run``, and importing a model."""
    st.subheader("Take it with you")
    download_panel(store, run)
    if run.imported:
        st.caption(
            "This model was trained elsewhere: mnistlab does not know how, so there is no code to show."
        )
    else:
        try:
            config = TrainConfig.from_dict(run.config)
        except (ConfigError, TypeError) as exc:
            show_error(exc, "This run's settings cannot be read: ")
        else:
            code_view(run.spec, config, key="inspect_code")
    import_uploader(store, key="inspect_import")

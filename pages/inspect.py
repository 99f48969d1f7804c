"""Inspect one run: confusion matrix, the digits behind each cell, per-class scores, worst mistakes, curves."""

import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.app import class_view
from mnistlab.app.builder import summary_rows
from mnistlab.app.charts import confusion_heatmap, epoch_curves
from mnistlab.app.export_view import imported_architecture, take_it_with_you
from mnistlab.app.handwriting_view import score_run_on_set
from mnistlab.app.identity import current_person
from mnistlab.app.state import ensure_app_navigation, get_store, test_images
from mnistlab.app.widgets import (
    choose_afresh,
    digit_gallery,
    link,
    query_run,
    run_header,
    run_picker,
    runs_or_stop,
    show_error,
    show_problems,
)
from mnistlab.data import DataError
from mnistlab.evaluation import cell_mistakes, mistakes, top_confusion
from mnistlab.files import StoreError
from mnistlab.labels import setting_label
from mnistlab.people.classroom import class_mode
from mnistlab.people.leaderboard import shown_to
from mnistlab.runs.choice import best_run_id

ensure_app_navigation()
MAX_SHOWN = 24

st.title("Inspect")
store = get_store()
runs = runs_or_stop(store, "Nothing to inspect yet")
runs = class_view.scope_switch(runs, "inspect_scope", keep=query_run(runs))  # class mode: mine / class

run = run_picker("Run", runs, default=best_run_id(runs, query_run(runs)), key="inspect_run")
if st.query_params.get("run") != run.id:
    st.query_params["run"] = run.id  # the address names the run, so it can be shared or reloaded
run_header(run)
names = choice.class_names(run.dataset)  # the run's own classes, scored on its own test set
classes = list(range(len(names)))
item = choice.item_word(run.dataset)
cls = "digit" if item == "digit" else "class"

try:
    metrics = store.metrics(run.id)
except StoreError as exc:
    metrics = None
    show_error(exc)


def _images(indices):
    try:
        x_test = test_images(run.dataset)
    except DataError as exc:
        show_error(exc, f"The {choice.title(run.dataset)} test images could not be loaded: ")
        return None
    return [x_test[i] for i in indices]


if not metrics:
    st.info(
        f"This run is **{run.status}** and has no test results, so there is no confusion matrix. "
        "Its training curves and architecture are below.",
        icon=":material/info:",
    )
else:
    matrix_col, cell_col = st.columns([5, 4], gap="large")
    with matrix_col:
        st.subheader("Confusion matrix")
        scale = st.segmented_control(
            "Show", ["Counts", "Row-normalized"], default="Counts", key="cm_scale", required=True
        )
        event = st.plotly_chart(
            confusion_heatmap(metrics["confusion"], normalized=scale == "Row-normalized", class_names=names),
            key="cm_chart",
            on_select="rerun",
            selection_mode="points",
            config={"displayModeBar": False},
        )
        st.caption(f"Rows: the true {cls}; columns: what the model said. Click a cell to see its {item}s.")
    # Another set's run starts on its most frequent confusion; the pickers then show its class names.
    top_true, top_pred = top_confusion(metrics["confusion"])
    choose_afresh("cell_classes", names, {"cell_true": top_true, "cell_pred": top_pred})
    points = (event.selection.points if event and event.selection else None) or []
    if points:  # a click on the heatmap picks the cell for the selectboxes below
        picked = (int(points[0]["y"]), int(points[0]["x"]))
        if picked != st.session_state.get("cm_last_click"):
            st.session_state["cm_last_click"] = picked
            st.session_state["cell_true"], st.session_state["cell_pred"] = picked
    cell_query = (st.query_params.get("true"), st.query_params.get("pred"))  # links from the Map page
    if all(v in [str(c) for c in classes] for v in cell_query) and cell_query != st.session_state.get(
        "cm_query"
    ):
        st.session_state["cm_query"] = cell_query
        st.session_state["cell_true"], st.session_state["cell_pred"] = map(int, cell_query)
    with cell_col:
        st.subheader(f"{item.capitalize()}s in a cell")
        for cell_key in ("cell_true", "cell_pred"):  # another run may have fewer classes
            if st.session_state.get(cell_key) not in classes:
                st.session_state[cell_key] = 0
        t_col, p_col = st.columns(2)
        label = lambda c: choice.class_choice(run.dataset, c)  # noqa: E731
        true = t_col.selectbox(f"True {cls}", classes, key="cell_true", format_func=label)
        pred = p_col.selectbox(f"Predicted {cls}", classes, key="cell_pred", format_func=label)
        count = metrics["confusion"][true][pred]
        if true == pred:
            st.caption(
                f"{count} test {item}(s) of {names[true]} were read correctly. Pick an off-diagonal cell to see "
                "mistakes."
            )
        else:
            found = shown_to(current_person(), cell_mistakes(metrics, true, pred), class_mode())
            st.markdown(
                f"**{len(found)}** test {item}(s) of **{names[true]}** read as **{names[pred]}**"
                + (f" (showing the {MAX_SHOWN} most confident)" if len(found) > MAX_SHOWN else "")
            )
            if found:
                images = _images([m.index for m in found[:MAX_SHOWN]])
                if images is not None:
                    digit_gallery(images, [f"{m.confidence:.0%} sure" for m in found[:MAX_SHOWN]])
            else:
                st.caption("No mistakes in this cell.")
        link(
            "map",
            f"Light these {item}s up on the map",
            icon=":material/scatter_plot:",
            query_params={"run": run.id, "true": true, "pred": pred},
        )

    scores_col, worst_col = st.columns([4, 5], gap="large")
    with scores_col:
        st.subheader("Per-class scores")
        per = metrics.get("per_class", {})
        st.dataframe(
            [
                {
                    cls.capitalize(): d if names[d] == str(d) else names[d],
                    "Precision": per["precision"][d],
                    "Recall": per["recall"][d],
                    "F1": per["f1"][d],
                    f"Test {item}s": per["support"][d],
                }
                for d in classes
            ]
            if per
            else [],
            hide_index=True,
            column_config={
                k: st.column_config.NumberColumn(format="%.3f") for k in ("Precision", "Recall", "F1")
            },
        )
        st.caption(
            f"Precision: of the {item}s it called c, how many were c. Recall: of the real c's, how many it "
            "found."
        )
    with worst_col:
        st.subheader("Most confident mistakes")
        worst = shown_to(current_person(), mistakes(metrics), class_mode())[:24]
        if worst:
            images = _images([m.index for m in worst])
            if images is not None:
                digit_gallery(
                    images, [choice.mistake_caption(names, m.true, m.predicted, m.confidence) for m in worst]
                )
            st.caption(
                f"True → predicted · confidence. {len(metrics.get('mistakes', []))} mistakes in all "
                f"out of {metrics.get('n', 10000):,} test {item}s of {choice.title(run.dataset)}."
            )
        else:
            st.caption("No mistakes at all.")

score_run_on_set(run, key="inspect_hw")

curves_col, spec_col = st.columns([3, 2], gap="large")
with curves_col:
    st.subheader("Training curves")
    if run.history.get("loss"):
        st.plotly_chart(epoch_curves(run.history))
    else:
        st.caption(
            "Imported: trained elsewhere, so there are no curves here."
            if run.imported
            else "No epoch finished, so there are no curves."
        )
with spec_col:
    st.subheader("Architecture and settings")
    if run.imported:
        imported_architecture(run)
    else:
        st.dataframe(
            summary_rows(run.spec),
            hide_index=True,
            column_config={"Parameters": st.column_config.NumberColumn(format="localized")},
        )
        st.dataframe(
            [{"Setting": setting_label(k), "Value": str(v)} for k, v in run.config.items()], hide_index=True
        )
    if run.has_model:
        link(
            "draw",
            f"Draw {'a digit' if item == 'digit' else 'an ' + item} for this model",
            icon=":material/draw:",
            query_params={"run": run.id},
        )

take_it_with_you(store, run)
show_problems(store)

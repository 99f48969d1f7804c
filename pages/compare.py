"""Compare: runs side by side — table, curves, accuracy with seed spread, size vs accuracy, diffs, housekeeping."""

import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.app import class_view
from mnistlab.app.charts import accuracy_bars, accuracy_vs_params, overlay_curves
from mnistlab.app.dataset_view import dataset_filter
from mnistlab.app.handwriting_view import compare_on_set
from mnistlab.app.manage_runs import manage_runs
from mnistlab.app.state import ensure_app_navigation, get_store
from mnistlab.app.widgets import query_run, runs_or_stop, show_problems
from mnistlab.runs.choice import best_run_id
from mnistlab.study import comparison

ensure_app_navigation()
st.title("Compare")
store = get_store()
runs = runs_or_stop(store, "Nothing to compare yet")
runs = class_view.scope_switch(runs, "compare_scope", keep=query_run(runs))  # class mode: mine / class
all_by_id = {run.id: run for run in runs}  # housekeeping (rename, delete) covers every dataset
dataset, runs = dataset_filter(runs, "compare_dataset", wanted_run=query_run(runs))  # never ranked together

by_id = {run.id: run for run in runs}
if st.session_state.get("compare_runs_dataset") != dataset:  # another dataset: start its own selection
    st.session_state.pop("compare_runs", None)
    st.session_state["compare_runs_dataset"] = dataset
if "compare_runs" in st.session_state:  # drop runs deleted since they were picked
    st.session_state["compare_runs"] = [i for i in st.session_state["compare_runs"] if i in by_id]
if "compare_runs" not in st.session_state:  # a link (e.g. a sweep's best trial) may name a run to include
    wanted = best_run_id(runs, query_run(runs))  # the run every page opens with comes first
    defaults = comparison.default_selection(runs)
    st.session_state["compare_runs"] = [wanted, *(i for i in defaults if i != wanted)] if wanted else defaults
chosen_ids = st.multiselect(
    "Runs to compare",
    list(by_id),
    key="compare_runs",
    format_func=lambda run_id: by_id[run_id].label,
    help="Starts with your best run and the latest completed run of each preset, all on one dataset.",
)
st.caption(f"Runs on **{choice.title(dataset)}**: test accuracies are scored on its own test set.")
chosen = [by_id[i] for i in chosen_ids]
if not chosen:
    st.info("Pick one or more runs above.")
    show_problems(store)
    st.stop()

rows = comparison.table_rows(chosen)
st.dataframe(
    rows,
    hide_index=True,
    column_config={
        "Parameters": st.column_config.NumberColumn(format="localized"),
        "Test accuracy (%)": st.column_config.NumberColumn(format="%.2f"),
        "Training time (s)": st.column_config.NumberColumn(format="%.1f"),
        "Architecture": st.column_config.TextColumn(width="medium"),
    },
)
st.download_button(
    "Download table as CSV",
    comparison.csv_bytes(rows),
    file_name="mnistlab-runs.csv",
    mime="text/csv",
    icon=":material/download:",
    key="compare_csv",
    on_click="ignore",
)

curves_col, bars_col = st.columns(2, gap="large")
with curves_col:
    st.subheader("Training curves")
    metric_label = st.selectbox("Metric", list(comparison.CURVE_METRICS), key="compare_metric")
    series = comparison.curve_series(chosen, comparison.CURVE_METRICS[metric_label or "Validation accuracy"])
    if series:
        st.plotly_chart(overlay_curves(series, metric_label or "Validation accuracy"))
    else:
        st.caption("None of these runs has finished an epoch yet.")

groups = comparison.seed_groups(chosen)
with bars_col:
    st.subheader("Test accuracy")
    st.caption(
        "Runs that differ only by seed are grouped: bar = mean, whisker = ± standard deviation. "
        + ("Red marks: the notebook's reported accuracy." if dataset == "mnist" else "")
    )
    if groups:
        reference = comparison.notebook_references(groups)
        st.plotly_chart(
            accuracy_bars(
                [g.label for g in groups],
                [100 * g.mean for g in groups],
                [None if g.std is None else 100 * g.std for g in groups],  # one run: no error bar
                reference,
            )
        )
    else:
        st.caption("No finished runs with a test accuracy among these.")

scatter_col, diff_col = st.columns(2, gap="large")
with scatter_col:
    st.subheader("Accuracy vs size")
    if groups:
        st.plotly_chart(
            accuracy_vs_params(
                [g.label for g in groups], [g.params for g in groups], [100 * g.mean for g in groups]
            )
        )
with diff_col:
    st.subheader("Two runs side by side")
    ids = [run.id for run in chosen]
    if len(ids) < 2:
        st.caption("Pick at least two runs to see their differences.")
    else:
        a_col, b_col = st.columns(2)
        a = a_col.selectbox("A", ids, index=0, key="diff_a", format_func=lambda i: by_id[i].name)
        b = b_col.selectbox("B", ids, index=1, key="diff_b", format_func=lambda i: by_id[i].name)
        diff = comparison.diff_rows(by_id[a], by_id[b])
        only_diff = st.toggle("Only what differs", key="diff_only")
        shown = [row for row in diff if row["Differs"]] if only_diff else diff
        st.dataframe(
            [
                {"Setting": r["Setting"], "A": r["A"], "B": r["B"], "≠": "●" if r["Differs"] else ""}
                for r in shown
            ],
            hide_index=True,
            height=min(36 * (len(shown) + 1) + 3, 600),
        )

compare_on_set(chosen, key="compare_hw")

st.divider()
manage_runs(store, all_by_id)

show_problems(store)

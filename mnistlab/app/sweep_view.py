"""The Sweep page's widgets: the sweep picker and controls, the live trial table, the results (figures from
``sweep_charts``), the best trial's links and the CSV export. The new-sweep form is in ``sweep_form_view``.

Sweeps run on background threads of the server (``SweepManager``, one per artifacts folder), so a sweep goes
on while its page is closed; every session sees every sweep, and the one that started a sweep may stop it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import streamlit as st

from mnistlab.app.identity import current_person
from mnistlab.app.state import get_runner
from mnistlab.app.sweep_charts import (
    importance_bars,
    metric_vs_cost,
    metric_vs_setting,
    parallel_coordinates,
    trial_curves,
)
from mnistlab.app.widgets import STATUS_ICONS, link, show_error
from mnistlab.dataset_choice import draw_link
from mnistlab.files import StoreError, artifacts_dir
from mnistlab.people import NotAllowed
from mnistlab.sweeps.manager import SweepManager
from mnistlab.sweeps.results import best_row, format_param, format_value, importances, trial_rows
from mnistlab.sweeps.store import SweepInfo, SweepStore
from mnistlab.sweeps.study import load_study

SELECTED = "sweep_selected"


# ------------------------------------------------------------------------------------------ shared objects


@st.cache_resource(show_spinner=False)
def _manager_for(artifacts: str) -> SweepManager:
    return SweepManager(SweepStore(Path(artifacts) / "sweeps"), get_runner)


def get_manager() -> SweepManager:
    """The process-wide sweep manager of the current artifacts folder."""
    return _manager_for(str(artifacts_dir().resolve()))


# ------------------------------------------------------------------------------------------- picking one


def _dataset_title(info: SweepInfo) -> str:
    """ "Fashion-MNIST · " for a sweep on a set other than MNIST, else nothing."""
    from mnistlab.dataset_choice import title

    dataset = info.sweep.config.dataset if info.sweep is not None else "mnist"
    return "" if dataset == "mnist" else f"{title(dataset)} · "


def sweep_picker(infos: list[SweepInfo]) -> SweepInfo | None:
    by_id = {info.id: info for info in infos}
    wanted = st.query_params.get("sweep")
    if wanted in by_id and SELECTED not in st.session_state:
        st.session_state[SELECTED] = wanted
    if st.session_state.get(SELECTED) not in by_id:
        st.session_state[SELECTED] = infos[0].id
    chosen = st.selectbox(
        "Sweep",
        list(by_id),
        key=SELECTED,
        format_func=lambda i: f"{by_id[i].name} · {_dataset_title(by_id[i])}{by_id[i].status} · {i}",
    )
    if st.query_params.get("sweep") != chosen:
        st.query_params["sweep"] = chosen
    return by_id.get(chosen)


def controls(info: SweepInfo) -> None:
    """Stop or resume, for its owner (from any of their tabs or devices) and the teacher; the manager checks."""
    manager, person = get_manager(), current_person()
    allowed = person.may_change(info.owner)
    if info.status == "running":
        if st.button(
            "Stop sweep",
            icon=":material/stop:",
            key="sweep_stop",
            disabled=not allowed,
            help=None
            if allowed
            else "Someone else started this sweep; only they or the teacher can stop it.",
        ):
            try:
                manager.stop(info.id, actor=person)
            except NotAllowed as exc:
                show_error(exc)
            else:
                st.toast("Stopping: the trials in flight end after their current batches.")
    elif info.status in ("stopped", "interrupted", "created"):
        if st.button("Resume sweep", icon=":material/play_arrow:", key="sweep_resume", disabled=not allowed):
            try:
                manager.start(info.id, owner=info.owner, actor=person)
            except (StoreError, NotAllowed) as exc:
                show_error(exc)
            else:
                st.rerun()


# ---------------------------------------------------------------------------------------------- results


@st.cache_data(show_spinner=False, max_entries=32)
def _importance(sweep_id: str, completed: int, artifacts: str) -> dict:
    """fANOVA importance for this many completed trials: from summary.json when the sweep wrote it for the same
    trials (a finished sweep opens without fitting a forest, or importing scikit-learn), else computed."""
    sweeps = SweepStore(Path(artifacts) / "sweeps")
    try:
        saved = json.loads((sweeps.path(sweep_id) / "summary.json").read_text())
        if saved.get("counts", {}).get("completed") == completed and saved.get("importance"):
            return saved["importance"]
    except (OSError, ValueError, AttributeError):
        pass
    sweep = sweeps.load_spec(sweep_id)
    return importances(load_study(sweeps, sweep_id, sweep), sweep)


def table_rows(rows: list[dict], metric: str) -> list[dict]:
    """The live trial table: one row per trial."""
    out = []
    for r in rows:
        status = r["status"] + (
            f" (epoch {r['pruned_at']})" if r["status"] == "pruned" and r["pruned_at"] else ""
        )
        row = {"#": r["number"], "Status": status}
        row.update({k: format_param(v) for k, v in r["params"].items()})
        row[metric] = (
            None
            if r["value"] is None
            else round(100 * r["value"], 2)
            if metric.endswith("accuracy")
            else r["value"]
        )
        row["Epochs"] = r["epochs"]
        row["Time (s)"] = r["train_s"]
        row["Run"] = ", ".join(r["run_ids"])
        out.append(row)
    return out


def csv_bytes(rows: list[dict], keys: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["trial", "status", *keys, "value", "epochs", "pruned_at", "train_s", "params", "run_ids", "error"]
    )
    for r in rows:
        writer.writerow(
            [
                r["number"],
                r["status"],
                *(r["params"].get(k) for k in keys),
                r["value"],
                r["epochs"],
                r["pruned_at"],
                r["train_s"],
                r["params_count"],
                " ".join(r["run_ids"]),
                r["error"] or "",
            ]
        )
    return buffer.getvalue().encode()


def results(info: SweepInfo) -> None:
    """Status, the trial table and every figure of one sweep (call inside a fragment to keep it live)."""
    sweep = info.sweep
    manager = get_manager()
    status = manager.sweeps.status(info.id, manager.live())
    try:
        study = load_study(manager.sweeps, info.id, sweep)
        rows = trial_rows(study, sweep)
    except Exception as exc:  # a damaged or missing study.db (SQLAlchemy, Optuna and OS errors alike)
        show_error(f"Could not read this sweep's study ({type(exc).__name__}): {exc}")
        return
    done = sum(r["status"] in ("completed", "pruned") or r["status"] == "failed" for r in rows)
    counts = {s: sum(r["status"] == s for r in rows) for s in ("completed", "pruned", "running", "failed")}
    st.progress(
        min(1.0, done / max(1, sweep.budget)),
        text=f"{STATUS_ICONS.get(status, '')} {status} · {done}/{sweep.budget} trials · "
        + " · ".join(f"{n} {s}" for s, n in counts.items() if n),
    )
    message = manager.errors.get(info.id) or manager.sweeps.state(info.id).get("message")
    if message:
        st.warning(message)
    if not rows:
        st.info(
            "The first trial is starting (TensorFlow loads once per server).", icon=":material/hourglass_top:"
        )
        return
    metric = sweep.metric
    table = table_rows(rows, metric)
    st.dataframe(
        table,
        hide_index=True,
        key="sweep_table",
        column_config={
            metric: st.column_config.NumberColumn(
                f"{metric} (%)" if metric.endswith("accuracy") else metric, format="%.2f"
            ),
            "Time (s)": st.column_config.NumberColumn(format="%.1f"),
        },
    )
    st.download_button(
        "Download trials as CSV",
        csv_bytes(rows, sweep.keys),
        file_name=f"{info.id}-trials.csv",
        mime="text/csv",
        icon=":material/download:",
        key="sweep_csv",
        on_click="ignore",
    )
    best = best_row(rows, sweep)
    if best:
        best_panel(best, metric, sweep.config.dataset)
    space = sweep.to_dict()["space"]
    st.subheader("Parallel coordinates")
    if sum(r["status"] == "completed" for r in rows) >= 1:
        st.plotly_chart(parallel_coordinates(rows, space, metric), key="sweep_parcoords")
        st.caption("Each line is a completed trial, coloured by its accuracy; drag along an axis to filter.")
    else:
        st.caption("Appears once a trial completes.")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Which settings mattered")
        completed = sum(r["status"] == "completed" for r in rows)
        found = _importance(info.id, completed, str(manager.sweeps.root.parent))
        if found:
            st.plotly_chart(importance_bars(found), key="sweep_importance")
            st.caption(
                f"fANOVA over {completed} completed trials: how much of the spread in {metric} each setting "
                "explains. With few trials, read it as a hint, not a verdict."
            )
        else:
            st.caption("Needs at least three completed trials that differ.")
    with right:
        st.subheader("Accuracy against a setting")
        key = st.selectbox("Setting", sweep.keys, key="sweep_x")
        log = isinstance(space.get(key), dict) and bool(space[key].get("log"))
        st.plotly_chart(metric_vs_setting(rows, key, metric, log=log), key="sweep_vs_setting")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Accuracy against cost")
        cost = st.radio(
            "Cost",
            ["train_s", "params_count"],
            horizontal=True,
            key="sweep_cost",
            format_func={"train_s": "training time", "params_count": "parameters"}.get,
        )
        st.plotly_chart(
            metric_vs_cost(rows, cost, metric, sweep.direction == "maximize"), key="sweep_vs_cost"
        )
        st.caption("Orange: the Pareto front, trials no other trial beats on both accuracy and cost.")
    with right:
        st.subheader("Epoch by epoch")
        st.plotly_chart(trial_curves(rows, metric), key="sweep_curves")
        st.caption(
            "Dotted grey lines are pruned trials: stopped after an epoch where they trailed the others."
        )


def best_panel(best: dict, metric: str, dataset: str = "mnist") -> None:
    with st.container(border=True):
        settings = ", ".join(f"`{k}` = {format_param(v)}" for k, v in best["params"].items())
        st.markdown(
            f"**Best trial #{best['number']}**: {metric} {format_value(metric, best['value'])} · {settings}"
        )
        if best["run_ids"]:
            run_id = best["run_ids"][0]
            cols = st.columns(3)
            link("inspect", "Inspect", icon=":material/search:", query_params={"run": run_id}, where=cols[0])
            link(
                "draw",
                draw_link(dataset),
                icon=":material/draw:",
                query_params={"run": run_id},
                where=cols[1],
            )
            link(
                "compare", "Compare", icon=":material/bar_chart:", query_params={"run": run_id}, where=cols[2]
            )

"""Sweep: define a search over a preset's settings, watch its trials train and get pruned, read what mattered."""

import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.app import sweep_form_view, sweep_view
from mnistlab.app.state import ensure_app_navigation
from mnistlab.text import epochs_on_digits

ensure_app_navigation()
st.title("Sweep")
st.caption(
    "Which choices matter? Vary a preset's widths, dropout, learning rate or batch size; Optuna picks the trials, "
    "stops the hopeless ones early, and says which settings explained the accuracy."
)
manager = sweep_view.get_manager()
infos = manager.sweeps.list_sweeps(manager.live())

with st.expander("New sweep", expanded=not infos, icon=":material/add:"):
    sweep_form_view.new_sweep_form()

if not infos:
    st.info("No sweeps yet: define one above, or run `mnistlab sweep examples/sweeps/notebook_mlp.json`.")
    st.stop()

info = sweep_view.sweep_picker(infos)
if info is None or info.sweep is None:
    st.error(info.message if info else "This sweep cannot be read.")
    st.stop()
top = st.columns([4, 1])
top[0].caption(
    f"{info.sweep.method} over {', '.join(info.sweep.keys)} on **{choice.title(info.sweep.config.dataset)}** · "
    f"base {info.sweep.base.summary()} · "
    f"{epochs_on_digits(info.sweep.config.epochs, info.sweep.config.train_subset or 60000)} · "
    f"pruning {info.sweep.prune or 'off'}"
)
with top[1]:
    sweep_view.controls(info)

running = info.status == "running"


@st.fragment(run_every=2.0 if running else None)
def live() -> None:
    sweep_view.results(info)
    if running and manager.sweeps.status(info.id, manager.live()) != "running":
        st.rerun()  # the sweep just ended: refresh the controls


live()

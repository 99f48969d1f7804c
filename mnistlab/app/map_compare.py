"""The Map page's comparisons: one run layer by layer (raw pixels -> hidden layers: the clusters tighten),
and two runs side by side. Only cached maps are drawn; missing ones are queued in the map worker on request."""

from __future__ import annotations

import streamlit as st

from mnistlab.app.map_charts import map_figure
from mnistlab.app.state import get_store
from mnistlab.app.widgets import show_error
from mnistlab.files import StoreError
from mnistlab.maps import METHOD_NAMES, MapError
from mnistlab.maps.cache import load_map_shared
from mnistlab.maps.compute import MapRequest, check_request
from mnistlab.runs.run import Run

SMALL = 2000  # digits per small map
HEIGHT = 300


def _small_map(request: MapRequest, title: str, key: str) -> bool:
    """A small map of ``request`` under ``title`` if it is cached; returns whether it was."""
    run_map = load_map_shared(get_store().path(request.run.id), request.layer, request.method)
    st.markdown(f"**{title}**")
    if run_map is None:
        st.caption("Not computed yet.")
        return False
    fig = map_figure(run_map, "true", height=HEIGHT, sample=SMALL)
    fig.update_layout(showlegend=False)
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})
    agreement = run_map.info.get("neighbour_agreement")
    if agreement is not None:
        st.caption(f"{agreement:.0%} of each digit's 10 nearest map neighbours are the same digit.")
    return True


def _queue(requests: list[MapRequest], label: str, key: str) -> None:
    from mnistlab.maps import worker

    if st.button(label, key=key, icon=":material/play_arrow:"):
        for request in requests:
            worker.start(get_store().root, request)
        st.toast("Queued in the map worker: the maps appear here as they are saved (reload the page).")


def layer_by_layer(run: Run, method: str, key: str = "map_layers") -> None:
    """Maps of the raw pixels and of every hidden layer of ``run``, side by side."""
    store = get_store()
    try:
        first = check_request(store, run.id, 0, method)
        from mnistlab.maps.layers import map_layers

        layers = map_layers(first.model)
    except (StoreError, MapError) as exc:
        show_error(exc)
        return
    requests = [MapRequest(first.run, first.model, layer.index, method) for layer in layers]
    cols = st.columns(len(requests))
    missing = []
    for col, request, layer in zip(cols, requests, layers, strict=True):
        with col:
            if not _small_map(request, layer.label, key=f"{key}_{layer.index}"):
                missing.append(request)
    if missing:
        _queue(missing, f"Compute the {len(missing)} missing {METHOD_NAMES[method]} map(s)", f"{key}_go")


def side_by_side(runs: list[Run], run: Run, method: str, key: str = "map_pair") -> None:
    """``run``'s map next to another run's (each at its last hidden layer, same method)."""
    others = {r.id: r for r in runs if r.id != run.id}
    if not others:
        st.caption("Train a second run to compare two maps.")
        return
    other_id = st.selectbox(
        "Compare with", list(others), format_func=lambda run_id: others[run_id].label, key=f"{key}_run"
    )
    requests = []
    for one in (run, others[other_id]):
        try:
            requests.append(check_request(get_store(), one.id, None, method))
        except (StoreError, MapError) as exc:
            show_error(exc, f"{one.name}: ")
    if len(requests) < 2:
        return
    missing = []
    for col, request in zip(st.columns(2), requests, strict=True):
        with col:
            title = f"{request.run.name} · layer {request.layer}"
            if not _small_map(request, title, key=f"{key}_{request.run.id}"):
                missing.append(request)
    if missing:
        _queue(missing, "Compute the missing map(s)", f"{key}_go")

"""The Map page's views, and the Draw page's "where it lands on the map".

Computing a map is the map worker's job (``mnistlab.maps.worker``, a separate process): these views only read
cached maps, start a computation and poll its progress file in a fragment, so a page never waits for one.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.app.state import cached_model, get_store, test_images
from mnistlab.app.widgets import digit_gallery, digit_tile, link, show_error
from mnistlab.files import StoreError
from mnistlab.maps import METHOD_NAMES, METHODS, MapError
from mnistlab.maps.cache import RunMap, load_map_shared
from mnistlab.maps.compute import MapRequest, check_request
from mnistlab.maps.layers import default_layer, map_layers
from mnistlab.modelfile import ModelFileError
from mnistlab.runs.run import Run

POLL_S = 1.0
DRAW_SAMPLE = 2000  # test digits drawn under the Draw page's marker: it redraws on every stroke


def choose_map(run: Run, key: str = "map") -> MapRequest | None:
    """Layer and method pickers for ``run``; the checked request, or None after a clear message."""
    try:  # the run's NumPy model: an imported run is refused here, before anything imports TensorFlow
        model = check_request(get_store(), run.id).model
        layers = map_layers(model)
    except (StoreError, ModelFileError, MapError) as exc:
        show_error(exc, "No map for this run: ")
        return None
    by_index = {layer.index: layer for layer in layers}
    layer_col, method_col = st.columns([3, 2])
    if st.session_state.get(f"{key}_layer") not in by_index:
        st.session_state.pop(f"{key}_layer", None)  # another run, fewer layers: back to the default
    layer = layer_col.selectbox(
        "Layer",
        list(by_index),
        index=default_layer(model),
        format_func=lambda i: by_index[i].label,
        key=f"{key}_layer",
        help="Whose activations place the digits: the last hidden layer shows what the network learned.",
    )
    # t-SNE when its map is ready, else PCA: a first visit gets a map in seconds, and t-SNE (half a minute of
    # the map worker) only when asked for
    has_tsne = load_map_shared(get_store().path(run.id), layer, "tsne") is not None
    method = method_col.segmented_control(
        "Method",
        METHODS,
        default="tsne" if has_tsne else "pca",
        format_func=METHOD_NAMES.get,
        key=f"{key}_method",
        required=True,
        help="PCA: the two directions of largest spread (instant). t-SNE: keeps neighbours together "
        "(about half a minute), so clusters show.",
    )
    return MapRequest(run, model, int(layer), method)


def cached_map(request: MapRequest) -> RunMap | None:
    try:
        return load_map_shared(get_store().path(request.run.id), request.layer, request.method)
    except StoreError as exc:
        show_error(exc)
        return None


def map_or_progress(request: MapRequest, key: str = "map") -> RunMap | None:
    """The cached map; otherwise start computing it in the map worker and show its progress (the page reruns
    once it is saved) and return None."""
    from mnistlab.maps import worker

    found = cached_map(request)
    if found is not None:
        return found
    root = get_store().root
    state = worker.status(root, request)
    if state["status"] == "failed":
        st.error(f"Computing this map failed: {state.get('error')}", icon=":material/error:")
        if st.button("Try again", key=f"{key}_retry"):
            worker.forget_failure(root, request)
            st.rerun()
        return None
    try:
        worker.start(root, request)
    except (OSError, RuntimeError) as exc:
        show_error(exc, "The map worker could not start: ")
        return None

    def progress() -> None:
        now = worker.status(root, request)
        if now["status"] in ("done", "failed"):
            st.rerun(scope="app")
        what = f"{METHOD_NAMES[request.method]} of layer {request.layer}"
        st.progress(
            float(now.get("fraction") or 0.0),
            text=f"Computing the map ({what}) in the map worker… {now.get('text', '')}",
        )

    st.fragment(progress, run_every=POLL_S)()
    return None


def point_detail(run: Run, run_map: RunMap, index: int, key: str = "map") -> None:
    """One clicked digit: large, its labels and probabilities, its 8 nearest neighbours, a link to Inspect."""
    from mnistlab.app.charts import probability_bars
    from mnistlab.maps.reading import neighbours

    images = test_images(run.dataset)
    names, item = choice.class_names(run.dataset), choice.item_word(run.dataset)
    true, pred = int(run_map.labels[index]), int(run_map.predicted[index])
    verdict = "right" if true == pred else "**wrong**"
    st.markdown(
        f"#### Test {item} #{index}: {choice.with_article(names[true])}, read as {names[pred]} ({verdict})"
    )
    big_col, bars_col = st.columns([1, 2], vertical_alignment="center")
    big_col.image(
        digit_tile(images[index], 6), caption=f"True {names[true]} · predicted {names[pred]}", width=168
    )
    with bars_col:
        st.plotly_chart(
            probability_bars(run_map.probabilities[index], height=200, class_names=names), key=f"{key}_probs"
        )
    space = st.segmented_control(
        "Nearest neighbours",
        ["activations", "map"],
        default="activations",
        format_func={"activations": "in the layer's activations", "map": "on the 2-D map"}.get,
        key=f"{key}_space",
        required=True,
    )
    near = neighbours(run_map, index, k=8, space=space)
    st.caption(
        f"The 8 test {item}s closest to it "
        + (
            "in the layer's activations (50 principal components)."
            if space == "activations"
            else "on the map."
        )
    )
    digit_gallery(
        [images[i] for i in near],
        [f"{names[run_map.labels[i]]}→{names[run_map.predicted[i]]}" for i in near],
        scale=2,
    )
    link(
        "inspect",
        f"Its confusion-matrix cell on Inspect ({names[true]} read as {names[pred]})",
        icon=":material/grid_on:",
        query_params={"run": run.id, "true": true, "pred": pred},
    )


def query_cell(num_classes: int = 10) -> tuple[int, int] | None:
    """The confusion cell named by ``?true=3&pred=5`` (links from Inspect); a warning when it is not one."""
    true, pred = st.query_params.get("true"), st.query_params.get("pred")
    if true is None and pred is None:
        return None
    if true in [str(d) for d in range(num_classes)] and pred in [str(d) for d in range(num_classes)]:
        return int(true), int(pred)
    st.warning(
        f"?true={true}&pred={pred} is not a confusion-matrix cell: both must be class numbers 0-{num_classes - 1}."
    )
    return None


def drawing_on_map(run: Run, image28: np.ndarray) -> None:
    """Where a drawing lands on ``run``'s map (the last hidden layer, t-SNE or else PCA, if one is cached):
    a marker among the test digits and which digits it lands among. Costs a few ms per stroke."""
    from mnistlab.app.map_charts import map_figure
    from mnistlab.maps.reading import land

    try:
        model = cached_model(run.id)
        layer = default_layer(model)
        folder = get_store().path(run.id)
        run_map = next((m for m in (load_map_shared(folder, layer, x) for x in ("tsne", "pca")) if m), None)
    except (StoreError, ModelFileError, MapError) as exc:
        st.caption(f"No map for this model: {exc}")
        return
    if run_map is None:
        st.caption("This model has no map yet.")
        link("map", "Compute its map", icon=":material/scatter_plot:", query_params={"run": run.id})
        return
    landing = land(run_map, model, image28)
    names, item = choice.class_names(run.dataset), choice.item_word(run.dataset)
    among = names[landing.among] + ("s" if item == "digit" else "")  # "the 7s", "the Trouser"
    st.markdown(
        f"Your drawing **lands among the {among}** ({landing.share:.0%} of its nearest test {item}s)."
    )
    st.plotly_chart(
        map_figure(
            run_map,
            "true",
            extra=[("your drawing", landing.position)],
            height=380,
            sample=DRAW_SAMPLE,
            class_names=names,
        ),
        key="draw_map_chart",
        config={"displayModeBar": False},
    )
    st.caption(
        f"{METHOD_NAMES[run_map.info['method']]} map of the test digits "
        f"({min(len(run_map.labels), DRAW_SAMPLE):,} of {len(run_map.labels):,} shown), last hidden layer; the star is "
        "your drawing, placed among its nearest test digits."
    )

"""Streamlit widget: what a trained network does with one digit (activations, saliency, first-layer weights).

Used by the Learn page and the Draw page. The numbers come from ``mnistlab.inside``; this module only lays
them out as Plotly figures.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from mnistlab import inside, palette
from mnistlab.app.charts import probability_bars
from mnistlab.app.widgets import choose_afresh
from mnistlab.dataset_choice import are_digits, shown_names
from mnistlab.files import StoreError

TOP_UNITS = 16
MARGIN = {"l": 0, "r": 0, "t": 30, "b": 0}
MAX_MAPS = 16
# Transparent at 0, solid red at the strongest pixel: laid over the grey digit.
SALIENCY_SCALE = [
    [0.0, "rgba(255,40,0,0)"],
    [0.2, "rgba(255,40,0,0)"],
    [0.5, "rgba(255,60,0,0.6)"],
    [1.0, "rgba(255,220,0,0.95)"],
]


def _square(fig: go.Figure, height: int = 260) -> go.Figure:
    fig.update_layout(height=height, margin=MARGIN)
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    return fig


def saliency_figure(image: np.ndarray, sal: np.ndarray, title: str = "") -> go.Figure:
    """The digit in grey with the saliency laid over it (brighter = the pixel moves the score more)."""
    top = float(sal.max()) or 1.0
    fig = go.Figure(
        [
            go.Heatmap(z=image, colorscale="gray_r", showscale=False, hoverinfo="skip"),
            go.Heatmap(
                z=sal / top,
                colorscale=SALIENCY_SCALE,
                zmin=0,
                zmax=1,
                showscale=False,
                hovertemplate="row %{y}, col %{x}<br>saliency %{z:.2f} of the max<extra></extra>",
            ),
        ]
    )
    return _square(fig.update_layout(title=title))


def units_figure(values: np.ndarray, k: int = TOP_UNITS) -> go.Figure:
    """The ``k`` most active units as bars, and every unit as a heat strip underneath."""
    from plotly.subplots import make_subplots

    order = inside.strongest(values, k)
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.78, 0.22],
        vertical_spacing=0.2,
        subplot_titles=(f"strongest {len(order)} of {values.size} units", ""),
    )
    fig.add_trace(
        go.Bar(
            x=[f"#{u}" for u in order],
            y=values[order],
            marker_color=palette.BLUE,
            hovertemplate="unit %{x}: %{y:.3f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Heatmap(
            z=values[None, :],
            colorscale="Viridis",
            showscale=False,
            hovertemplate="unit %{x}: %{z:.3f}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.update_xaxes(type="category", row=1, col=1)
    fig.update_yaxes(showticklabels=False, title_text="all", row=2, col=1)
    fig.update_layout(height=300, margin=MARGIN, showlegend=False)
    return fig


def maps_figure(maps: np.ndarray, k: int = MAX_MAPS) -> go.Figure:
    """The ``k`` most active feature maps (H, W, C) in a grid."""
    order = inside.strongest(maps, k)
    return _image_grid(
        np.moveaxis(maps[..., order], -1, 0),
        [f"#{c}" for c in order],
        row_height=110,
        color_continuous_scale="Viridis",
    )


def weights_figure(weights: np.ndarray, units) -> go.Figure:
    """Incoming weights of first-layer units as 28x28 images: red excites the unit, blue inhibits it."""
    limit = float(np.abs(weights).max()) or 1.0
    return _image_grid(
        weights,
        [f"unit #{u}" for u in units],
        row_height=120,
        color_continuous_scale="RdBu_r",
        zmin=-limit,
        zmax=limit,
    )


def _image_grid(stack: np.ndarray, titles: list[str], row_height: int, **colors) -> go.Figure:
    """Images (N, H, W) in rows of eight, each titled, without axes or a colour bar."""
    import plotly.express as px

    fig = px.imshow(
        stack, facet_col=0, facet_col_wrap=8, facet_col_spacing=0.01, facet_row_spacing=0.04, **colors
    )
    for annotation, title in zip(fig.layout.annotations, titles, strict=False):
        annotation.text = title
    rows = -(-len(titles) // 8)
    fig.update_layout(height=row_height * rows + 40, margin=MARGIN, coloraxis_showscale=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig


def _layer_labels(model, spec) -> dict[str, str]:
    """Keras layer name -> the spec line that made it (``dense_1`` -> ``Dense(256)``)."""
    if spec is None:
        return {}
    from mnistlab.models import layer_name

    return {layer_name(layer.kind, i): layer.label() for i, layer in enumerate(spec.layers)}


def show_inside(
    model,
    image28,
    spec=None,
    key: str = "inside",
    class_names: tuple[str, ...] | None = None,
    item: str | None = None,
) -> None:
    """Show what ``model`` does with ``image28``: prediction, saliency, activations, first-layer weights.

    ``spec`` (the run's ArchitectureSpec, optional) labels layers with the lines of the spec; ``class_names``
    (the run's dataset's, default the digits) name the classes and ``item`` what one image is ("digit", "item").
    """
    try:
        image = inside.as_image(image28)
        found = inside.activations(model, image)
        probs = np.asarray(model(image[None], training=False))[0]
    except inside.InsideError as exc:
        st.error(str(exc), icon="🚫")
        return
    labels = _layer_labels(model, spec)
    predicted = int(probs.argmax())

    names = shown_names(class_names, len(probs))
    digits = are_digits(names)
    item = item or ("digit" if digits else "image")
    st.markdown(f"**The network says {names[predicted]}** ({probs[predicted]:.1%} sure).")
    left, right = st.columns([1, 2])
    with left:
        # Starts at the network's answer, then keeps the pick; afresh when the classes change (another set).
        choose_afresh(f"{key}_class_names", names, {f"{key}_class": predicted})
        chosen = st.selectbox(
            "Saliency for digit" if digits else "Saliency for class",
            list(range(len(names))),
            key=f"{key}_class",
            format_func=names.__getitem__,
            help="Which output's score the pixels are judged against.",
        )
        sal = inside.saliency(model, image, class_index=int(chosen))
        st.plotly_chart(
            saliency_figure(image, sal, f"Pixels that move the score of {names[chosen]}"),
            key=f"{key}_saliency",
        )
        st.caption(
            f"Saliency: |d score / d pixel|, the gradient of the {'digit' if digits else 'class'}'s score "
            "before softmax. Red to yellow marks the pixels where a small change of ink would change the score "
            "most (the faintest fifth is left clear)."
        )
    with right:
        st.plotly_chart(
            probability_bars(
                probs,
                height=240,
                title="Output probabilities (softmax)",
                class_names=None if digits else tuple(names),
            ),
            key=f"{key}_probs",
        )

    st.markdown("**Hidden layers** (at inference: dropout switched off)")
    if not found:
        st.info("This model has no hidden layers: the pixels go straight into the output layer.")
    for name, kind, values in found:
        title = f"`{name}` {labels.get(name, '')}"
        if kind == "dense":
            active = int((values > 0).sum())
            st.markdown(f"{title}: {active} of {values.size} units active (> 0)")
            st.plotly_chart(units_figure(values), key=f"{key}_act_{name}")
        else:
            st.markdown(
                f"{title}: {values.shape[2]} feature maps of {values.shape[0]}x{values.shape[1]}; "
                f"the {min(MAX_MAPS, values.shape[2])} most active"
            )
            st.plotly_chart(maps_figure(values), key=f"{key}_act_{name}")

    st.markdown("**What first-layer units look for**")
    try:
        layer = inside.first_dense_layer(model)
    except inside.InsideError as exc:
        st.info(str(exc))
        return
    first = next(values for name, _, values in found if name == layer.name)
    top = [int(u) for u in inside.strongest(first, 8)]
    units = st.multiselect(
        f"Units of `{layer.name}` (default: the 8 most active for this {item})",
        list(range(first.size)),
        default=top,
        key=f"{key}_units",
        max_selections=24,
    )
    if units:
        st.plotly_chart(weights_figure(inside.first_layer_weights(model, units), units), key=f"{key}_weights")
        st.caption(
            f"Each image is one unit's 784 incoming weights laid out as the {item}'s 28×28 grid: red pixels "
            "excite the unit, blue ones inhibit it. A unit fires when the ink falls on its red parts."
        )


def runs_with_models(store, runs) -> list:
    """The runs among ``runs`` whose model file is really there (a run can finish without one)."""
    found = []
    for run in runs:
        if not run.has_model:
            continue
        try:
            store.model_path(run.id)
        except StoreError:
            continue
        found.append(run)
    return found

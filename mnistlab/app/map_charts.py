"""The Map page's figures: the test digits as a Plotly WebGL scatter, coloured by digit or by right/wrong.

Each point carries its test-set index as ``customdata``, so a click (Streamlit's selection event) says which
digit it was whatever trace it belongs to (``clicked_index``).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from mnistlab.maps.cache import RunMap
from mnistlab.palette import HIGHLIGHT, MUTED, PALETTE

COLOUR_BY = {"true": "True digit", "predicted": "Predicted digit", "right": "Right or wrong"}


def _points(run_map: RunMap, idx: np.ndarray, name: str, **marker) -> go.Scattergl:
    xy = run_map.coords[idx]
    text = [f"#{i}: {run_map.labels[i]} read as {run_map.predicted[i]}" for i in idx]
    return go.Scattergl(
        x=xy[:, 0],
        y=xy[:, 1],
        mode="markers",
        name=name,
        customdata=idx,
        text=text,
        hoverinfo="text",
        marker=marker,
    )


def map_figure(
    run_map: RunMap,
    colour_by: str = "true",
    highlight: np.ndarray | None = None,
    highlight_name: str = "Highlighted",
    selected: int | None = None,
    extra: list[tuple[str, np.ndarray]] | None = None,
    height: int = 560,
    sample: int | None = None,
    class_names: tuple[str, ...] | None = None,
) -> go.Figure:
    """The map: one trace per class (named by ``class_names``, default the digits) (or right/wrong), mistakes as red crosses on top, then ``highlight``
    (indices, as rings), the ``selected`` digit (a star) and ``extra`` (name, (2,) position) markers.
    ``sample`` draws only that many digits (an even, fixed subset): a lighter figure for pages that redraw
    it often (Draw, on every stroke)."""
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour_by must be one of {list(COLOUR_BY)}, got {colour_by!r}.")
    shown = np.ones(len(run_map.labels), bool)
    if sample is not None and sample < len(shown):
        shown[:] = False
        shown[np.linspace(0, len(shown) - 1, sample).astype(int)] = True
    wrong = np.flatnonzero(run_map.wrong & shown)
    traces = []
    if colour_by == "right":
        right = np.flatnonzero(~run_map.wrong & shown)
        traces.append(_points(run_map, right, "right", size=4, color=MUTED, opacity=0.6))
        traces.append(_points(run_map, wrong, "wrong", size=7, color=HIGHLIGHT, symbol="x"))
    else:
        by = run_map.labels if colour_by == "true" else run_map.predicted
        names = list(class_names) if class_names else [str(d) for d in range(10)]
        for d, name in enumerate(names):
            traces.append(
                _points(
                    run_map,
                    np.flatnonzero((by == d) & shown),
                    name,
                    size=4,
                    color=PALETTE[d % len(PALETTE)],
                    opacity=0.7,
                )
            )
        traces.append(
            _points(
                run_map,
                wrong,
                "mistakes",
                size=6,
                color="rgba(0,0,0,0)",
                symbol="x-thin",
                line={"width": 1.5, "color": "#222222"},
            )
        )
    if highlight is not None and len(highlight):
        traces.append(
            _points(
                run_map,
                np.asarray(highlight),
                highlight_name,
                size=13,
                color="rgba(0,0,0,0)",
                symbol="circle-open",
                line={"width": 2.5, "color": "#111111"},
            )
        )
    if selected is not None:
        traces.append(
            _points(
                run_map,
                np.array([selected]),
                "selected",
                size=20,
                color="#FFD400",
                symbol="star",
                line={"width": 1.5, "color": "#111111"},
            )
        )
    fig = go.Figure(traces)
    for name, position in extra or []:
        fig.add_trace(
            go.Scattergl(
                x=[position[0]],
                y=[position[1]],
                mode="markers",
                name=name,
                hoverinfo="name",
                marker={
                    "size": 24,
                    "symbol": "star",
                    "color": "#FF00AA",
                    "line": {"width": 2, "color": "#111111"},
                },
            )
        )
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"itemsizing": "constant", "orientation": "h", "y": -0.02, "yanchor": "top"},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="white",
        uirevision="map",  # keep the zoom when the page reruns
        dragmode="pan",
        clickmode="event+select",
    )
    return fig


def clicked_index(points: list[dict]) -> int | None:
    """The test-set index of the first clicked map point in a Streamlit selection (None for other markers)."""
    for point in points or []:
        data = point.get("customdata")
        if isinstance(data, list):
            data = data[0] if data else None
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return int(data)
    return None

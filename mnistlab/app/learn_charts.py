"""The Learn page's figures, as pure functions of the numbers ``mnistlab.teaching`` computes.

Each returns a Plotly figure; the page only places them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mnistlab import palette

COLORS = {
    "relu": palette.BLUE,
    "sigmoid": palette.RED,
    "tanh": palette.GREEN,
    "deeper": palette.ORANGE,
    "dropout": palette.BLUE,
}
TIGHT, TITLED = {"l": 0, "r": 0, "t": 10, "b": 0}, {"l": 0, "r": 0, "t": 30, "b": 0}


def activation_figure(x: np.ndarray, curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> go.Figure:
    """Each activation f(x) on the left and its slope f'(x) on the right."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("f(x)", "f′(x): how much a gradient passes"))
    for name, (y, dy) in curves.items():
        fig.add_trace(go.Scatter(x=x, y=y, name=name, line_color=COLORS[name]), row=1, col=1)
        fig.add_trace(
            go.Scatter(
                x=x, y=dy, name=f"{name}′", line_color=COLORS[name], line_dash="dot", showlegend=False
            ),
            row=1,
            col=2,
        )
    fig.update_layout(height=300, margin=TITLED)
    return fig


def gradient_figure(flows: dict, depth: int) -> go.Figure:
    """The gradient's size at each hidden layer on its way back, one line per activation (log scale)."""
    fig = go.Figure()
    for name, flow in flows.items():
        fig.add_trace(
            go.Scatter(
                x=np.arange(depth, 0, -1),
                y=flow.norms,
                name=f"{name} ({flow.init} init)",
                mode="lines+markers",
                line_color=COLORS[name],
            )
        )
    fig.update_layout(
        height=320,
        margin=TIGHT,
        yaxis_type="log",
        xaxis_title="hidden layer (1 = first, nearest the pixels)",
        yaxis_title="|dLoss / d activations|",
        xaxis_autorange="reversed",
        yaxis_exponentformat="power",
    )
    return fig


def softmax_figure(labels: Sequence[str], probabilities: np.ndarray) -> go.Figure:
    """Probabilities of a few digits as labelled bars."""
    fig = go.Figure(
        go.Bar(
            x=list(labels),
            y=probabilities,
            text=[f"{p:.1%}" for p in probabilities],
            marker_color=palette.BLUE,
        )
    )
    fig.update_layout(
        height=260, margin=TIGHT, yaxis={"range": [0, 1], "tickformat": ".0%"}, xaxis_type="category"
    )
    return fig


def funnel_figure(layers: list[tuple[str, int]]) -> go.Figure:
    """Layer sizes from the 784 pixels down to the 10 digits."""
    fig = go.Figure(
        go.Funnel(
            y=[name for name, _ in layers],
            x=[n for _, n in layers],
            textinfo="value",
            marker_color=palette.BLUE,
        )
    )
    fig.update_layout(height=60 * len(layers) + 40, margin=TIGHT)
    return fig


def width_speed_figure(speeds: list) -> go.Figure:
    """Milliseconds per training step for each width, with the middle half of the timings as whiskers."""
    fig = go.Figure(
        go.Bar(
            x=[f"Dense({s.units})" for s in speeds],
            y=[s.ms_per_step for s in speeds],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [s.ms_high - s.ms_per_step for s in speeds],
                "arrayminus": [s.ms_per_step - s.ms_low for s in speeds],
            },
            text=[f"{s.ms_per_step:.2f} ms" for s in speeds],
            marker_color=palette.BLUE,
        )
    )
    fig.update_layout(height=260, margin=TIGHT, yaxis_title="ms per training step")
    return fig


def dropout_figure(values: np.ndarray, dropped: np.ndarray, rate: float, shown: np.ndarray) -> go.Figure:
    """A layer's activations at inference beside the same layer under one training-time dropout mask."""
    fig = go.Figure(
        [
            go.Bar(
                x=shown, y=values[shown], name="inference: every unit, unchanged", marker_color=palette.MUTED
            ),
            go.Bar(
                x=shown,
                y=dropped[shown],
                name=f"training: dropped units are 0, kept ones × 1/(1−p) = {1 / (1 - rate):.2f}",
                marker_color=palette.RED,
            ),
        ]
    )
    fig.update_layout(
        barmode="group", height=300, margin=TIGHT, xaxis_title="unit", legend={"orientation": "h", "y": 1.12}
    )
    return fig


def gap_figure(lines: list[tuple[str, str, list[float]]]) -> go.Figure:
    """Train minus validation accuracy per epoch: one line per (preset, run name, gaps), one legend entry
    per preset."""
    fig = go.Figure()
    shown = set()
    for preset, name, gap in lines:
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(gap) + 1)),
                y=gap,
                mode="lines",
                name=preset,
                legendgroup=preset,
                showlegend=preset not in shown,
                line_color=COLORS.get(preset, palette.BLUE),
                hovertext=name,
            )
        )
        shown.add(preset)
    fig.update_layout(
        height=300,
        margin=TIGHT,
        xaxis_title="epoch",
        yaxis_title="train − validation accuracy",
        yaxis_tickformat=".1%",
    )
    return fig

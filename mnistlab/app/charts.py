"""Plotly figures as pure functions of plain data (no Streamlit): training curves, comparisons, confusion
matrix, class probabilities, and the Learn page's demonstrations."""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mnistlab import palette
from mnistlab.evaluation import normalize_rows

PALETTE = palette.PALETTE
TRAIN_COLOR, VAL_COLOR = palette.TRAIN, palette.VALIDATION


def _layout(fig: go.Figure, height: int = 320, **kw) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.12, "x": 0},
        **kw,
    )
    return fig


def ema(values: list[float], alpha: float = 0.15) -> list[float]:
    """Exponential moving average (NaN-tolerant): smooths noisy per-batch curves."""
    out: list[float] = []
    level = None
    for v in values:
        if v is None or not np.isfinite(v):
            out.append(level if level is not None else float("nan"))
            continue
        level = v if level is None else alpha * v + (1 - alpha) * level
        out.append(level)
    return out


def debiased_ema(values: list[float], alpha: float) -> list[float]:
    """An EMA that starts from nothing and divides out its start-up bias (as Adam does), NaN-tolerant.

    A plain EMA starts at the first value and drags it along for many points: on a short run, where the loss
    falls steeply in the first few chunks, the smoothed line stayed far above the real one. Here every point is
    the exponentially weighted mean of the values seen so far, so the line follows from the start.
    """
    out: list[float] = []
    level, weight = 0.0, 0.0
    for v in values:
        if v is not None and np.isfinite(v):
            level = alpha * v + (1 - alpha) * level
            weight = alpha + (1 - alpha) * weight
        out.append(level / weight if weight else float("nan"))
    return out


def smoothing_for(points: int, alpha: float = 0.3) -> float:
    """The EMA weight for a curve of ``points``: ``alpha``, or more (less smoothing) on a short run, so the
    smoothing window is at most about an eighth of the curve."""
    return min(0.7, max(alpha, 2 / (points / 8 + 1)))


# ---- The Train page's live view redraws these every second while a job trains, on the same cores as the
# training. So they are built cheaply: the two-panel layout (make_subplots, about 30 ms) is made once and copied,
# the traces are plain dicts in an unvalidated figure, values are rounded to 4 decimals and long curves are thinned,
# which keeps each update a few KB and the browser's redraw small. Same traces and looks as before.
LIVE_POINTS = 200  # points per batch-curve line: a 300 px chart shows no more


@functools.cache
def _two_panels(titles: tuple[str, str], x_title: str) -> str:
    """The layout of a 1 x 2 subplot figure with ``titles``, as JSON (copied per figure; built once)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles)
    fig.update_xaxes(title_text=x_title)
    return json.dumps(_layout(fig, height=300).to_plotly_json()["layout"])


def _panel_figure(titles: tuple[str, str], x_title: str, traces: list[tuple[int, dict]]) -> go.Figure:
    """A two-panel figure from ``(column, scatter trace dict)`` pairs, without re-validating known-good data."""
    data = [
        {"type": "scatter", **trace, **({"xaxis": "x2", "yaxis": "y2"} if col == 2 else {})}
        for col, trace in traces
    ]
    return go.Figure({"data": data, "layout": json.loads(_two_panels(titles, x_title))}, _validate=False)


def _r(value):
    """A curve value rounded to 4 decimals (None/NaN kept as None): shorter JSON, no visible change."""
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


def batch_curves(batches: list[list[float]], alpha: float = 0.3, max_points: int = LIVE_POINTS) -> go.Figure:
    """Per-batch loss and accuracy from ``[[step, loss, acc], ...]``: each chunk's mean (faint) and its EMA (bold).

    The EMA is computed on every point; at most ``max_points`` evenly spaced points (always the newest) are drawn,
    so a long run costs the browser no more than a short one.
    """
    keep = thin(len(batches), max_points)
    steps = [batches[i][0] for i in keep]
    traces = []
    for col in (1, 2):
        raw = [b[col] for b in batches]
        smooth = debiased_ema(raw, smoothing_for(len(raw), alpha))
        color = PALETTE[col - 1]
        common = {"x": steps, "mode": "lines", "showlegend": col == 1}
        traces += [
            (
                col,
                {
                    **common,
                    "y": [_r(raw[i]) for i in keep],
                    "name": "each chunk of batches",
                    "legendgroup": "raw",
                    "line": {"color": color, "width": 1},
                    "opacity": 0.35,
                },
            ),
            (
                col,
                {
                    **common,
                    "y": [_r(smooth[i]) for i in keep],
                    "name": "smoothed (EMA)",
                    "legendgroup": "ema",
                    "line": {"color": color, "width": 2.5},
                },
            ),
        ]
    return _panel_figure(("Loss per batch", "Accuracy per batch"), "batch", traces)


def thin(n: int, max_points: int) -> list[int]:
    """At most ``max_points`` (+1) indices of ``range(n)``, evenly spaced, always including the last."""
    if n <= max_points:
        return list(range(n))
    stride = n / max_points
    return sorted({int(i * stride) for i in range(max_points)} | {n - 1})


def epoch_curves(history: dict) -> go.Figure:
    """Train vs validation loss and accuracy per epoch from a run's history dict."""
    n = len(history.get("loss") or [])
    epochs = list(range(1, n + 1))
    traces = []
    for col, key in ((1, "loss"), (2, "accuracy")):
        for prefix, color, label in (("", TRAIN_COLOR, "train"), ("val_", VAL_COLOR, "validation")):
            values = (history.get(prefix + key) or [])[:n]
            if values and any(v is not None for v in values):
                trace = {
                    "x": epochs[: len(values)],
                    "y": [_r(v) for v in values],
                    "mode": "lines+markers",
                    "name": label,
                    "line": {"color": color},
                    "legendgroup": label,
                    "showlegend": col == 1,
                }
                traces.append((col, trace))
    fig = _panel_figure(("Loss", "Accuracy"), "epoch", traces)
    if n <= 20:
        fig.update_xaxes(dtick=1)
    return fig


def overlay_curves(series: dict[str, list[float | None]], metric_label: str) -> go.Figure:
    """One line per run of a per-epoch metric."""
    fig = go.Figure()
    for i, (label, values) in enumerate(series.items()):
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=values,
                mode="lines+markers",
                name=label,
                line={"color": PALETTE[i % len(PALETTE)]},
            )
        )
    longest = max((len(v) for v in series.values()), default=0)
    fig.update_xaxes(title_text="epoch", dtick=1 if longest <= 20 else None)
    fig.update_yaxes(title_text=metric_label)
    return _layout(fig, height=360)


LABEL_CHARS = 28  # longer run names are cut with "…" in figures (the hover text has them whole)
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down")


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters with "…" (a figure's label; hover shows the whole name)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def accuracy_bars(
    labels: list[str], means: list[float], stds: list[float], reference: dict[str, float] | None = None
) -> go.Figure:
    """Test accuracy (in %) per group as horizontal bars with ± std whiskers; optional reference marks
    (label -> %). One row per group, its name and value on the left: labels never overlap, however many."""
    shown = [f"{short_label(label)}  <b>{m:.2f} %</b>" for label, m in zip(labels, means, strict=False)]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=means,
            orientation="h",
            error_x={"type": "data", "array": stds, "visible": True},
            marker_color=PALETTE[0],
            name="test accuracy",
            hovertemplate="%{y}<br>%{x:.2f} %<extra></extra>",
        )
    )
    if reference:
        ys = [label for label in labels if label in reference]
        fig.add_trace(
            go.Scatter(
                y=ys,
                x=[reference[y] for y in ys],
                mode="markers",
                name="notebook",
                marker={"symbol": "line-ns-open", "size": 22, "color": PALETTE[3], "line_width": 3},
            )
        )
    low = min([m - (s or 0) for m, s in zip(means, stds, strict=False)] or [0])  # None: no spread
    fig.update_xaxes(title_text="test accuracy (%)", range=[max(0.0, low - 2), 100])
    # Each bar's name and value on its left, where nothing (whisker, the notebook's mark) can cross them out.
    fig.update_yaxes(tickvals=labels, ticktext=shown, autorange="reversed", automargin=True)
    return _layout(fig, height=130 + 40 * max(len(labels), 2), bargap=0.35)


def accuracy_vs_params(names: list[str], params: list[int], accuracies: list[float]) -> go.Figure:
    """Scatter of test accuracy (%) against trainable parameters on a log axis: one marker per group, named
    in the legend under the plot (names next to the points overlap as soon as two runs share a size)."""
    fig = go.Figure()
    for i, (name, count, accuracy) in enumerate(zip(names, params, accuracies, strict=False)):
        fig.add_trace(
            go.Scatter(
                x=[count],
                y=[accuracy],
                mode="markers",
                name=short_label(name),
                marker={
                    "size": 12,
                    "color": PALETTE[i % len(PALETTE)],
                    "symbol": SYMBOLS[(i // len(PALETTE)) % len(SYMBOLS)],
                },
                hovertext=[name],
                hovertemplate="%{hovertext}<br>%{x:,} params<br>%{y:.2f} %<extra></extra>",
            )
        )
    # Room around the points: half a decade either side, and a margin above and below.
    logs = [math.log10(max(p, 1)) for p in params] or [0.0]
    low, high = min(accuracies or [0.0]), max(accuracies or [100.0])
    pad = max(0.5, (high - low) * 0.15)
    fig.update_xaxes(
        type="log", title_text="trainable parameters (log scale)", range=[min(logs) - 0.5, max(logs) + 0.5]
    )
    fig.update_yaxes(title_text="test accuracy (%)", range=[low - pad, high + pad])
    _layout(fig, height=330 + 24 * math.ceil(len(names) / 2))
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.32, "x": 0}, margin={"t": 20})
    return fig


def confusion_heatmap(
    confusion, normalized: bool = False, class_names: tuple[str, ...] | None = None
) -> go.Figure:
    """The confusion matrix (classes x classes), rows = true class, columns = predicted; counts or row
    fractions. Cells are addressed by class number; ``class_names`` label the axes (default: the numbers)."""
    cm = np.asarray(confusion, dtype=float)
    if normalized:
        cm = normalize_rows(cm)
        text = [[f"{v:.2f}" if v >= 0.005 else "" for v in row] for row in cm]
    else:
        text = [[f"{int(v)}" if v else "" for v in row] for row in cm]
    digits = [str(d) for d in range(cm.shape[0])]
    named = class_names is not None and list(class_names) != digits
    # A log-like colour scale keeps small off-diagonal counts visible next to the big diagonal.
    z = np.sqrt(cm)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=digits,
            y=digits,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hoverinfo="skip",
            xgap=1,
            ygap=1,
        )
    )
    # Heatmaps emit no selection events; a nearly invisible marker on every cell makes each one clickable.
    xs = [d for _ in digits for d in digits]
    ys = [t for t in digits for _ in digits]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            showlegend=False,
            customdata=cm.flatten(),
            marker={"symbol": "square", "size": 30, "opacity": 0.01, "color": "#000"},
            hovertemplate=(
                [
                    f"true {class_names[int(t)]} → predicted {class_names[int(d)]}<br>%{{customdata:.4~g}}"
                    "<extra></extra>"
                    for t, d in zip(ys, xs, strict=True)
                ]
                if named
                else "true %{y} → predicted %{x}<br>%{customdata:.4~g}<extra></extra>"
            ),
        )
    )
    ticks = {"tickvals": digits, "ticktext": [short_label(c, 12) for c in class_names]} if named else {}
    fig.update_xaxes(
        title_text="predicted" if named else "predicted digit",
        side="top",
        type="category",
        constrain="domain",
        showgrid=False,
        # Word labels stand at an angle so long names ("Ankle boot") do not run into their neighbours.
        **({"tickangle": -45} if named else {}),
        **ticks,
    )
    fig.update_yaxes(
        title_text="true" if named else "true digit",
        **ticks,
        autorange="reversed",
        type="category",
        scaleanchor="x",
        constrain="domain",
        showgrid=False,
    )
    return _layout(fig, height=460)


def probability_bars(
    probabilities,
    height: int = 260,
    title: str | None = None,
    labels: bool = True,
    class_names: tuple[str, ...] | None = None,
) -> go.Figure:
    """The class probabilities as bars (named by ``class_names``, default the digits), the top one highlighted."""
    probabilities = np.asarray(probabilities, dtype=float)
    best = int(probabilities.argmax())
    names = list(class_names) if class_names else [str(d) for d in range(len(probabilities))]
    named = names != [str(d) for d in range(len(probabilities))]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=probabilities.tolist(),
            marker_color=[
                palette.HIGHLIGHT if digit == best else palette.BLUE for digit in range(len(probabilities))
            ],
            text=[f"{p:.0%}" if labels and p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            hovertemplate=("%{x}" if named else "digit %{x}") + ": %{y:.2%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        template="plotly_white",
        title=title,
        xaxis={"title": "class" if named else "digit", "type": "category"},
        yaxis={"title": "probability", "range": [0, 1.15], "tickformat": ".0%"},
        showlegend=False,
    )
    return fig

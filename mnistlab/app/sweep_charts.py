"""The Sweep page's figures as pure functions of trial rows (``mnistlab.sweeps.results.trial_rows``).

Parallel coordinates coloured by the metric, importance bars, the metric against one setting, the metric
against a cost (training time or parameters) with the Pareto front, and the per-epoch curves that show which
trials the pruner stopped. Accuracies are shown in percent.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from mnistlab import palette
from mnistlab.app.charts import _layout
from mnistlab.sweeps.results import pareto_front

STATUS_COLORS = {"completed": palette.BLUE, "pruned": palette.NOTEBOOK, "failed": palette.RED}


def _scale(metric: str) -> float:
    return 100.0 if metric.endswith("accuracy") else 1.0


def metric_label(metric: str) -> str:
    return {"val_accuracy": "validation accuracy (%)", "test_accuracy": "test accuracy (%)"}.get(
        metric, metric
    )


def _is_log(space: dict, key: str) -> bool:
    dim = space.get(key)
    return isinstance(dim, dict) and bool(dim.get("log"))


def parallel_coordinates(rows: list[dict], space: dict, metric: str) -> go.Figure:
    """One line per completed trial through every searched setting to the metric, coloured by the metric.

    ``space`` is the sweep's space as plain data (``SweepSpec.to_dict()["space"]``): lists become categorical
    axes, log ranges are drawn on a log10 axis labelled in real values.
    """
    done = [r for r in rows if r["status"] == "completed" and r["value"] is not None]
    scale = _scale(metric)
    dims = []
    for key in space:
        values = [r["params"].get(key) for r in done]
        if isinstance(space[key], list):
            choices = list(space[key])
            index = {repr(c): i for i, c in enumerate(choices)}
            dims.append(
                {
                    "label": key,
                    "values": [index.get(repr(v), 0) for v in values],
                    "tickvals": list(range(len(choices))),
                    "ticktext": [str(c) for c in choices],
                    "range": [0, max(1, len(choices) - 1)],
                }
            )
        elif _is_log(space, key):
            low, high = math.log10(space[key]["low"]), math.log10(space[key]["high"])
            ticks = list(range(math.ceil(low), math.floor(high) + 1)) or [low, high]
            dims.append(
                {
                    "label": f"{key} (log)",
                    "values": [math.log10(v) for v in values],
                    "range": [low, high],
                    "tickvals": ticks,
                    "ticktext": [f"{10**t:g}" for t in ticks],
                }
            )
        else:
            dims.append({"label": key, "values": values, "range": [space[key]["low"], space[key]["high"]]})
    scores = [scale * r["value"] for r in done]
    dims.append({"label": metric_label(metric), "values": scores})
    fig = go.Figure(
        go.Parcoords(
            line={
                "color": scores,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": "%" if scale == 100 else metric}, "thickness": 12},
            },
            dimensions=dims,
            labelangle=-12,
            labelside="bottom",
        )
    )
    fig.update_layout(height=380, margin={"l": 60, "r": 40, "t": 40, "b": 60}, template="plotly_white")
    return fig


def importance_bars(importance: dict[str, float]) -> go.Figure:
    """Horizontal bars of each setting's share of the metric's variance (fANOVA), largest on top."""
    items = sorted(importance.items(), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            x=[100 * v for _, v in items],
            y=[k for k, _ in items],
            orientation="h",
            marker_color=palette.BLUE,
            text=[f"{100 * v:.0f} %" for _, v in items],
            textposition="auto",
            hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="share of the metric's variance (%)", range=[0, 100])
    return _layout(fig, height=max(200, 60 + 40 * len(items)), showlegend=False)


def metric_vs_setting(rows: list[dict], key: str, metric: str, log: bool = False) -> go.Figure:
    """The metric of each finished trial against one setting; pruned trials in grey at their last value."""
    scale = _scale(metric)
    fig = go.Figure()
    for status in ("completed", "pruned"):
        chosen = [r for r in rows if r["status"] == status and r["value"] is not None and key in r["params"]]
        if not chosen:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r["params"][key] for r in chosen],
                y=[scale * r["value"] for r in chosen],
                mode="markers",
                name=status,
                marker={"size": 10, "color": STATUS_COLORS[status], "opacity": 0.85},
                text=[f"trial {r['number']}" for r in chosen],
                hovertemplate="%{text}<br>" + key + " = %{x}<br>%{y:.2f}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text=key, type="log" if log else None)
    fig.update_yaxes(title_text=metric_label(metric))
    return _layout(fig, height=320)


COSTS = {"train_s": "training time (s)", "params_count": "trainable parameters"}


def metric_vs_cost(rows: list[dict], cost: str, metric: str, maximize: bool = True) -> go.Figure:
    """Completed trials' metric against a cost (``train_s`` or ``params_count``), with the Pareto front: the
    trials no other trial beats on both."""
    scale = _scale(metric)
    done = [
        r for r in rows if r["status"] == "completed" and r["value"] is not None and r.get(cost) is not None
    ]
    points = [(float(r[cost]), r["value"]) for r in done]
    front = pareto_front(points, maximize_y=maximize)
    fig = go.Figure(
        go.Scatter(
            x=[p[0] for p in points],
            y=[scale * p[1] for p in points],
            mode="markers",
            name="trials",
            marker={"size": 10, "color": palette.MUTED, "line": {"width": 1, "color": palette.BLUE}},
            text=[f"trial {r['number']}" for r in done],
            hovertemplate="%{text}<br>%{x:,.4g}<br>%{y:.2f}<extra></extra>",
        )
    )
    if front:
        fig.add_trace(
            go.Scatter(
                x=[points[i][0] for i in front],
                y=[scale * points[i][1] for i in front],
                mode="lines+markers",
                name="Pareto front",
                line={"color": palette.ORANGE, "shape": "hv"},
                marker={"size": 11, "color": palette.ORANGE},
                text=[f"trial {done[i]['number']}" for i in front],
                hovertemplate="%{text}<br>%{x:,.4g}<br>%{y:.2f}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text=COSTS.get(cost, cost), type="log" if cost == "params_count" else None)
    fig.update_yaxes(title_text=metric_label(metric))
    return _layout(fig, height=340)


def trial_curves(rows: list[dict], metric: str) -> go.Figure:
    """Each trial's per-epoch validation value: completed trials in colour, pruned ones grey, ending early."""
    scale = _scale(metric)
    fig = go.Figure()
    for r in rows:
        if not r["curve"]:
            continue
        pruned = r["status"] == "pruned"
        color = palette.NOTEBOOK if pruned else palette.PALETTE[r["number"] % len(palette.PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(r["curve"]) + 1)),
                y=[scale * v for v in r["curve"]],
                mode="lines+markers",
                name=f"#{r['number']}" + (" pruned" if pruned else ""),
                line={"color": color, "dash": "dot" if pruned else "solid", "width": 1.5},
                marker={"size": 5},
                hovertemplate=f"trial {r['number']} ({r['status']})<br>epoch %{{x}}: %{{y:.2f}}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="epoch", dtick=1)
    fig.update_yaxes(title_text=metric_label(metric if metric.startswith("val_") else "val_accuracy"))
    return _layout(fig, height=320, showlegend=False)

"""The notebook's figures as PNG files, drawn offline with matplotlib's Agg renderer.

Every function here is pure: it takes plain data (lists, NumPy arrays, dicts) and an output path, draws one
figure and writes it atomically. Nothing touches pyplot's global state, so figures can be drawn from any thread,
and only the fonts bundled with matplotlib are used, so a fresh offline machine renders the same images.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# The Agg canvas is attached to each figure directly: no pyplot, no global backend switch, no display needed.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mnistlab import palette
from mnistlab.evaluation import normalize_rows
from mnistlab.files import atomic_write_bytes

DPI = 110
TRAIN_COLOR, VAL_COLOR, NOTEBOOK_COLOR = palette.TRAIN, palette.VALIDATION, palette.NOTEBOOK
RIGHT_COLOR, WRONG_COLOR = palette.RIGHT, palette.HIGHLIGHT


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    atomic_write_bytes(path, buffer.getvalue())
    return path


def comparison_chart(experiments: Sequence[dict], path: str | os.PathLike) -> Path:
    """Bar chart of test accuracy per experiment: mean over seeds with a ±1 std bar, each seed as a dot,
    and the notebook's reported figure beside it.

    Each experiment is a dict with ``title``, ``accuracies`` (per seed, fractions 0-1) and optionally
    ``notebook`` (the reported accuracy in %).
    """
    fig = _new_figure(max(6.0, 1.6 * len(experiments) + 2), 4.2)
    ax = fig.add_subplot()
    x = np.arange(len(experiments))
    width = 0.38
    lows = []
    for i, exp in enumerate(experiments):
        accs = 100 * np.asarray(exp.get("accuracies") or [], dtype=float)
        if len(accs):
            mean, std = accs.mean(), accs.std(ddof=1) if len(accs) > 1 else 0.0
            ax.bar(
                i - width / 2,
                mean,
                width,
                color=TRAIN_COLOR,
                label="this run (mean)" if i == 0 else None,
                yerr=std if len(accs) > 1 else None,
                capsize=4,
            )
            ax.scatter(
                np.full(len(accs), i - width / 2),
                accs,
                color="black",
                s=12,
                zorder=3,
                label="one seed" if i == 0 else None,
            )
            ax.annotate(
                f"{mean:.2f}",
                (i - width / 2, mean),
                textcoords="offset points",
                xytext=(0, 6 + 8 * (std > 0)),
                ha="center",
                fontsize=8,
            )
            lows.append(accs.min())
        notebook = exp.get("notebook")
        if notebook is not None:
            ax.bar(i + width / 2, notebook, width, color=NOTEBOOK_COLOR, label="notebook" if i == 0 else None)
            ax.annotate(
                f"{notebook:.2f}",
                (i + width / 2, notebook),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=8,
            )
            lows.append(notebook)
    ax.set_xticks(x, [exp["title"] for exp in experiments])
    floor = min(lows) if lows else 90.0
    ax.set_ylim(max(0.0, np.floor(floor - 1.0)), 100.0)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Test accuracy per experiment")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    return _save(fig, path)


def digit_grid(
    images: np.ndarray,
    labels: Sequence[int],
    path: str | os.PathLike,
    columns: int = 10,
    title: str = "Sample training digits",
) -> Path:
    """A grid of 28x28 digits (uint8 or float), each titled with its label."""
    images = np.asarray(images)
    rows = max(1, int(np.ceil(len(images) / columns)))
    fig = _new_figure(columns * 0.9, rows * 1.0 + 0.4)
    for i, (image, label) in enumerate(zip(images, labels, strict=False)):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.imshow(image, cmap="gray_r", interpolation="nearest")
        ax.set_title(str(int(label)), fontsize=9)
        ax.axis("off")
    fig.suptitle(title)
    return _save(fig, path)


def confusion_figure(confusion, title: str, path: str | os.PathLike) -> Path:
    """A 10x10 confusion matrix (rows: true digit, columns: predicted), counts written in each cell.

    Colour follows the row-normalized share, on a square-root scale so the few mistakes show next to the large
    diagonal.
    """
    cm = np.asarray(confusion, dtype=float)
    share = normalize_rows(cm)
    fig = _new_figure(5.6, 5.0)
    ax = fig.add_subplot()
    image = ax.imshow(np.sqrt(share), cmap="Blues", vmin=0, vmax=1)
    n = cm.shape[0]
    for t in range(n):
        for p in range(n):
            count = int(cm[t, p])
            if count:
                dark = np.sqrt(share[t, p]) > 0.6
                ax.text(
                    p,
                    t,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else ("black" if t == p else WRONG_COLOR),
                )
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title, fontsize=10)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.array([0, 0.01, 0.1, 0.5, 1.0])
    colorbar.set_ticks(np.sqrt(ticks), labels=[f"{t:.0%}" for t in ticks])
    colorbar.set_label("share of the true digit's row", fontsize=8)
    return _save(fig, path)


def training_curves(history: dict, title: str, path: str | os.PathLike) -> Path:
    """Accuracy and loss per epoch, training and validation, side by side.

    ``history`` holds per-epoch lists ``accuracy``, ``val_accuracy``, ``loss``, ``val_loss`` (missing or None
    values are skipped).
    """
    fig = _new_figure(9.0, 3.6)
    for col, (metric, label) in enumerate((("accuracy", "accuracy"), ("loss", "loss"))):
        ax = fig.add_subplot(1, 2, col + 1)
        for key, name, color in ((metric, "train", TRAIN_COLOR), (f"val_{metric}", "validation", VAL_COLOR)):
            values = history.get(key) or []
            points = [(i + 1, v) for i, v in enumerate(values) if v is not None]
            if points:
                epochs, ys = zip(*points, strict=False)
                ax.plot(epochs, ys, marker="o", markersize=3, color=color, label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title)
    return _save(fig, path)


def sample_predictions(
    images: np.ndarray,
    true: Sequence[int],
    predicted: Sequence[int],
    path: str | os.PathLike,
    title: str = "Sample predictions",
    columns: int = 8,
) -> Path:
    """Test digits titled with the predicted and true label; mistakes in red (with a red frame), others green."""
    images = np.asarray(images)
    rows = max(1, int(np.ceil(len(images) / columns)))
    fig = _new_figure(columns * 1.1, rows * 1.5 + 0.4)
    for i, (image, t, p) in enumerate(zip(images, true, predicted, strict=False)):
        ax = fig.add_subplot(rows, columns, i + 1)
        wrong = int(t) != int(p)
        ax.imshow(image, cmap="gray_r", interpolation="nearest")
        ax.set_title(
            f"pred {int(p)}\ntrue {int(t)}",
            fontsize=8,
            color=WRONG_COLOR if wrong else RIGHT_COLOR,
            fontweight="bold" if wrong else "normal",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        if wrong:
            for spine in ax.spines.values():
                spine.set_edgecolor(WRONG_COLOR)
                spine.set_linewidth(2)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)

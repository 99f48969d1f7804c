"""A run as TensorBoard event files, next to anyone's own runs: ``tensorboard --logdir <folder>``.

    write_run_logs(run, metrics, Path("tb"), model=model)   # -> tb/<run_id>/events.out.tfevents...

What is written, all with ``tf.summary`` into one event file per run:

    epoch/loss, epoch/accuracy, epoch/val_loss, epoch/val_accuracy, epoch/seconds   scalars, step = epoch
    chunk/loss, chunk/accuracy     scalars, step = global batch step (each chunk's own mean, as mnistlab saw it)
    test/accuracy, test/loss       scalars at the last epoch
    architecture                   text: the spec, the Keras model summary, the training settings
    confusion_matrix               image: the test-set confusion matrix
    HParams                        the settings and architecture, with test accuracy and loss as its metrics

The folder is built in a temporary folder beside the target and renamed into place, so a half-written log
never shows up in TensorBoard.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import numpy as np

from mnistlab.runs.run import Run
from mnistlab.specs import count_params

EPOCH_SCALARS = {
    "loss": "epoch/loss",
    "accuracy": "epoch/accuracy",
    "val_loss": "epoch/val_loss",
    "val_accuracy": "epoch/val_accuracy",
    "epoch_s": "epoch/seconds",
}


def hparams(run: Run) -> dict:
    """The run's settings as HParams values (numbers, text or booleans only)."""
    values = {
        "architecture": run.spec.name,
        "layers": run.spec.summary(),
        "params": int(run.params or count_params(run.spec)),
        "origin": run.origin,
        "dataset": run.dataset,
    }
    for key, value in (run.config or {}).items():
        if isinstance(value, (bool, int, float, str)):
            values[key] = value
        elif value is None:
            values[key] = "none"
    return values


def confusion_png(confusion: list[list[int]]) -> bytes:
    """A CxC confusion matrix (10x10 for MNIST) as a PNG (rows: true class, columns: predicted), counts in the
    cells."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matrix = np.asarray(confusion)
    fig = Figure(figsize=(5, 5), dpi=100)
    ax = fig.subplots()
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color="white" if i == j else "black")
    ax.set_xticks(range(len(matrix)))
    ax.set_yticks(range(len(matrix)))
    ax.set_xlabel("Predicted digit")
    ax.set_ylabel("True digit")
    ax.set_title("Confusion matrix (test set)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def model_summary_text(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "\n".join(lines)


def write_run_logs(run: Run, metrics: dict | None, log_root: Path, model=None) -> Path:
    """Write ``run`` as TensorBoard event files under ``log_root/<run id>``; returns that folder."""
    from tensorboard.plugins.hparams import api as hp

    from mnistlab.tf import tf

    log_root = Path(log_root)
    log_root.mkdir(parents=True, exist_ok=True)
    target = log_root / run.id
    tmp = Path(tempfile.mkdtemp(dir=log_root, prefix=f".{run.id}.", suffix=".tmp"))
    try:
        writer = tf.summary.create_file_writer(str(tmp))
        history = run.history or {}
        with writer.as_default():
            for key, tag in EPOCH_SCALARS.items():
                for epoch, value in enumerate(history.get(key) or [], start=1):
                    if value is not None:
                        tf.summary.scalar(tag, float(value), step=epoch)
            for step, loss, accuracy in history.get("batches") or []:
                tf.summary.scalar("chunk/loss", float(loss), step=int(step))
                tf.summary.scalar("chunk/accuracy", float(accuracy), step=int(step))
            last = max(1, len(history.get("loss") or []))
            if metrics:
                tf.summary.scalar("test/accuracy", float(metrics["accuracy"]), step=last)
                tf.summary.scalar("test/loss", float(metrics["loss"]), step=last)
                png = confusion_png(metrics["confusion"])
                tf.summary.image("confusion_matrix", tf.image.decode_png(png, channels=4)[None], step=last)
            tf.summary.text("architecture", _architecture_markdown(run, model), step=0)
            hp.hparams(hparams(run), trial_id=run.name)
        writer.flush()
        writer.close()
        old = target.with_name(f".{target.name}.old-{secrets.token_hex(3)}")
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _architecture_markdown(run: Run, model) -> str:
    parts = [f"**{run.name}** ({run.origin}): {run.spec.summary()}", ""]
    if run.spec.description:
        parts += [run.spec.description, ""]
    if model is not None:
        # Indented four spaces: TensorBoard's text view renders Markdown, and the summary is a table of text.
        parts += ["    " + line for line in model_summary_text(model).splitlines()] + [""]
    if run.config:
        parts += ["| setting | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in run.config.items()]
    return "\n".join(parts)

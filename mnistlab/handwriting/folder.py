"""A folder of drawings with their labels, and how well a model reads them.

The format is the one a handwriting set is stored and exported in, and the one ``mnistlab evaluate --drawings``
reads: PNG or JPEG images next to a ``labels.csv`` with columns ``file,label`` (and optionally ``time``), one
row per image, ``label`` a digit 0-9. A set also keeps ``seen/<file>.png``, the 28x28 image the model saw;
anything else reads the originals and prepares them the way the Draw page does (``canvas_to_mnist``).
NumPy, Pillow and scikit-learn only; TensorFlow comes in through the model that is passed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from mnistlab.drawing import FIELD, MAX_IMAGE_BYTES, ImageError, canvas_to_mnist, read_image


class HandwritingError(ValueError):
    """A handwriting set, folder, archive or drawing that cannot be used; the message says why."""


LABELS = "labels.csv"
SEEN = "seen"  # the 28x28 images the model saw, as PNG: seen/<file>.png
COLUMNS = ("file", "label", "time")
# A file name in labels.csv: a plain name in the folder itself (no folders, no leading dot), PNG or JPEG.
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(png|jpe?g)$", re.IGNORECASE)
MAX_DRAWINGS = 5000  # a class of 30 drawing every digit 15 times is 4,500
MAX_LABELS_BYTES = 1024 * 1024


@dataclass
class Drawings:
    """Labelled 28x28 images: ``images`` (N, 28, 28) float32 in [0, 1], ``labels`` (N,) int, ``files``."""

    images: np.ndarray
    labels: np.ndarray
    files: list[str]
    times: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.files)


def check_file_name(name: str) -> str:
    if not isinstance(name, str) or not FILE_NAME.match(name) or ".." in name:
        raise HandwritingError(
            f"{name!r} is not a usable image name: a plain file name ending in .png, .jpg or .jpeg "
            "(letters, digits, '.', '-', '_'; no folders)."
        )
    return name


def check_label(label) -> int:
    """A digit 0-9 (an int, or text holding one); raises ``HandwritingError`` otherwise."""
    if isinstance(label, str) and re.fullmatch(r"\s*[0-9]\s*", label):
        return int(label)
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool) and 0 <= label <= 9:
        return int(label)
    raise HandwritingError(f"The label must be one digit from 0 to 9, got {label!r}.")


def parse_labels(data: bytes) -> list[dict]:
    """``labels.csv`` -> rows ``{"file", "label", "time"}``; raises ``HandwritingError`` naming the bad line."""
    if len(data) > MAX_LABELS_BYTES:
        raise HandwritingError(f"{LABELS} is larger than {MAX_LABELS_BYTES // 1024} KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HandwritingError(f"{LABELS} is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "file" not in header or "label" not in header:
        raise HandwritingError(f"{LABELS} needs a header line with the columns file,label (found {header}).")
    reader.fieldnames = header
    rows, seen = [], set()
    try:
        for line, raw in enumerate(reader, start=2):
            if len(rows) >= MAX_DRAWINGS:
                raise HandwritingError(f"{LABELS} lists more than {MAX_DRAWINGS:,} drawings.")
            name = (raw.get("file") or "").strip()
            try:
                check_file_name(name)
                label = check_label(raw.get("label") or "")
            except HandwritingError as exc:
                raise HandwritingError(f"{LABELS} line {line}: {exc}") from None
            if name.lower() in seen:
                raise HandwritingError(f"{LABELS} line {line}: {name} is listed twice.")
            seen.add(name.lower())
            time = (raw.get("time") or "").strip()[:40]
            rows.append({"file": name, "label": label, "time": time})
    except csv.Error as exc:
        raise HandwritingError(f"{LABELS} is not valid CSV: {exc}.") from None
    return rows


def format_labels(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([row["file"], row["label"], row.get("time", "")] for row in rows)
    return out.getvalue().encode()


def prepare(data: bytes, name: str) -> np.ndarray:
    """An image file's bytes -> the 28x28 float32 image the model sees; raises ``HandwritingError``."""
    try:
        image28 = canvas_to_mnist(read_image(data, max_bytes=MAX_IMAGE_BYTES))
    except ImageError as exc:
        raise HandwritingError(f"{name}: {exc}") from None
    if image28 is None:
        raise HandwritingError(f"{name}: no digit found (the image looks blank).")
    return image28


def seen_png(image28: np.ndarray) -> bytes:
    """A 28x28 float image in [0, 1] as a greyscale PNG."""
    out = io.BytesIO()
    pixels = np.clip(np.round(np.asarray(image28, np.float32) * 255), 0, 255).astype(np.uint8)
    Image.fromarray(pixels, mode="L").save(out, format="PNG")
    return out.getvalue()


def _read_seen(path: Path) -> np.ndarray | None:
    try:
        with Image.open(path, formats=("PNG",)) as picture:
            if picture.size != (FIELD, FIELD) or picture.mode != "L":
                return None
            return np.asarray(picture, dtype=np.float32) / 255.0
    except (OSError, ValueError):
        return None


def _inside(folder: Path, name: str) -> Path:
    """``folder/name``, refusing links and anything that resolves outside ``folder``."""
    path = folder / name
    if path.is_symlink() or not path.resolve().is_relative_to(folder.resolve()):
        raise HandwritingError(f"{name} is a link or lies outside the folder; only plain files are read.")
    return path


def read_folder(folder: str | Path, use_seen: bool = True) -> Drawings:
    """Read a folder of drawings (PNG/JPEG + ``labels.csv``); raises ``HandwritingError`` if unusable.

    With ``use_seen``, ``seen/<file>.png`` (a set's record of what the model saw) is used when present and
    28x28; otherwise each original is prepared with ``canvas_to_mnist``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise HandwritingError(f"{folder} is not a folder.")
    labels_path = folder / LABELS
    if not labels_path.is_file():
        raise HandwritingError(f"{folder} has no {LABELS} (columns file,label).")
    rows = parse_labels(_inside(folder, LABELS).read_bytes())
    images = []
    for row in rows:
        name = row["file"]
        seen = _read_seen(_inside(folder, f"{SEEN}/{name}.png")) if use_seen else None
        if seen is None:
            path = _inside(folder, name)
            if not path.is_file():
                raise HandwritingError(f"{name} is listed in {LABELS} but is not in {folder}.")
            if path.stat().st_size > MAX_IMAGE_BYTES:
                raise HandwritingError(f"{name} is larger than {MAX_IMAGE_BYTES // 2**20} MB.")
            seen = prepare(path.read_bytes(), name)
        images.append(seen)
    return Drawings(
        images=np.stack(images) if images else np.zeros((0, FIELD, FIELD), np.float32),
        labels=np.array([row["label"] for row in rows], dtype=int),
        files=[row["file"] for row in rows],
        times=[row["time"] for row in rows],
    )


def score_drawings(model, drawings: Drawings) -> dict:
    """How ``model`` reads ``drawings``: ``mnistlab.evaluation.score``'s metrics (accuracy, n, confusion,
    per_class, mistakes as ``[index, true, predicted, confidence]``) plus ``files`` to name each index."""
    if not len(drawings):
        raise HandwritingError("There are no drawings to score yet.")
    from mnistlab.evaluation import predict_proba, score

    metrics = score(drawings.labels, predict_proba(model, drawings.images))
    metrics["files"] = list(drawings.files)
    return metrics

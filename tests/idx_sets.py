"""Small IDX image sets for tests: written on the fly, any number of classes, learnable in one epoch.

``write_idx_set(folder, classes=3)`` writes the four IDX files (gz) of a set whose class k is a bright bar in
the k-th band of the image plus noise, so even the baseline learns it in one short epoch.
``fashion_folder()`` is Debian's Fashion-MNIST, or a skip (outside CI) / failure (in CI) when it is missing.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes holding ``array``."""
    array = np.asarray(array, dtype=np.uint8)
    return (
        b"\x00\x00\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    )


def make_images(labels: np.ndarray, classes: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, (len(labels), 28, 28)).astype(np.uint8)
    band = 28 // classes
    for i, label in enumerate(labels):
        images[i, label * band : label * band + max(1, band - 1), 4:24] = 230
    return images


def write_idx_set(
    folder: Path, classes: int = 3, train: int = 300, test: int = 90, seed: int = 0, gz: bool = True
) -> Path:
    """Write a learnable ``classes``-class set of ``train`` + ``test`` 28x28 images to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y_train = np.arange(train) % classes
    y_test = np.arange(test) % classes
    rng.shuffle(y_train)
    arrays = (make_images(y_train, classes, seed), y_train, make_images(y_test, classes, seed + 1), y_test)
    for stem, array in zip(STEMS, arrays, strict=True):
        data = idx_bytes(array)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (folder / stem).write_bytes(data)
    return folder


def fashion_folder() -> Path:
    """Debian's Fashion-MNIST folder; skips the test when it is missing, except in CI, where it fails."""
    if all((FASHION_DIR / f"{stem}.gz").exists() for stem in STEMS):
        return FASHION_DIR
    why = f"Fashion-MNIST is not installed in {FASHION_DIR} (apt-get install dataset-fashion-mnist)"
    if os.environ.get("CI") == "true":
        pytest.fail(why + "; CI installs it, so this is a broken set-up.")
    pytest.skip(why)

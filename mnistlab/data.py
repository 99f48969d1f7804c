"""Image sets from checksummed IDX files: MNIST bundled with the package, or any folder of the four files.

``load_mnist()`` returns uint8 images of shape (N, 28, 28) and uint8 labels of shape (N,), the 60,000 training
and 10,000 test digits. Nothing is downloaded: the four original IDX .gz files ship inside the package and are
verified against ``SHA256SUMS`` before use. ``load_idx_folder`` reads another set in the same format (see
``mnistlab.datasets`` for the sets the lab knows by name).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BUNDLED_DIR = Path(__file__).parent / "datasets" / "mnist"
ENV_VAR = "MNISTLAB_DATA"

FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
# SHA-256 of the decompressed IDX files: any correct copy of MNIST shares these, gz or raw.
RAW_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
EXPECTED_COUNTS = {"x_train": 60000, "y_train": 60000, "x_test": 10000, "y_test": 10000}


DIGITS = tuple(str(d) for d in range(10))


class DataError(Exception):
    """A dataset's files are missing, damaged or not what they claim. The message says which file and what
    to do."""


@dataclass(frozen=True)
class ImageSet:
    """The four arrays of a 28x28 image set. Images are uint8 (N, 28, 28) with 0 = background; labels uint8
    (N,) in [0, number of classes)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    name: str = "mnist"
    class_names: tuple[str, ...] = DIGITS

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __iter__(self):  # allows ``x_train, y_train, x_test, y_test = load_mnist()``
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))


Mnist = ImageSet  # MNIST is the set every older call site means


_cache: dict[tuple, ImageSet] = {}
_lock = threading.Lock()


def load_mnist(source: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST, verified, cached per source for the life of the process.

    ``source`` may be None (the ``MNISTLAB_DATA`` variable if set, else the bundled files), a directory of the
    four IDX files (``.gz`` or raw), or a Keras ``mnist.npz`` file.
    """
    source = source if source is not None else os.environ.get(ENV_VAR) or BUNDLED_DIR
    key = ("mnist", str(Path(source).resolve()))
    with _lock:
        if key not in _cache:
            _cache[key] = _load_uncached(Path(source))
        return _cache[key]


def _load_uncached(path: Path) -> Mnist:
    if path.is_file() and path.suffix == ".npz":
        return _load_npz(path)
    if path.is_dir():
        return _load_idx_dir(path)
    raise DataError(
        f"MNIST source {path} is neither a directory of IDX files nor an .npz file. "
        f"Unset {ENV_VAR} to use the bundled copy, or point it at a folder holding the four IDX files."
    )


def _load_idx_dir(folder: Path) -> Mnist:
    arrays = _read_idx_folder(folder, RAW_SHA256, "MNIST", _mnist_missing, _damaged)
    return _checked(Mnist(**arrays, source=str(folder)))


def load_idx_folder(
    folder: Path,
    raw_sha256: dict[str, str] | None,
    name: str,
    class_names: tuple[str, ...],
    title: str | None = None,
    missing_hint: str = "",
    cache: bool = True,
) -> ImageSet:
    """Read the four IDX files of set ``name`` from ``folder`` (``.gz`` or raw), cached per folder.

    ``raw_sha256`` maps each file's stem to the SHA-256 of its decompressed bytes; None skips that check.
    Shapes, equal counts and labels in ``[0, len(class_names))`` are always checked. ``cache=False`` reads
    without keeping the arrays (a one-off check).
    """
    title = title or name
    key = (name, str(Path(folder).resolve()), tuple(class_names))
    with _lock:
        if key not in _cache:

            def missing(stem: str, where: Path) -> str:
                return f"{title} file {stem}(.gz) is missing from {where}. {missing_hint}".strip()

            def damaged(path: Path, why: str) -> str:
                return f"{title} file {path.name} in {path.parent} is damaged: {why}. {missing_hint}".strip()

            arrays = _read_idx_folder(Path(folder), raw_sha256, title, missing, damaged)
            found = ImageSet(**arrays, source=str(folder), name=name, class_names=tuple(class_names))
            if not cache:
                return check_image_set(found, title)
            _cache[key] = check_image_set(found, title)
        return _cache[key]


def _read_idx_folder(
    folder: Path, raw_sha256, title: str, missing, damaged, keys: tuple[str, ...] = tuple(FILES)
) -> dict[str, np.ndarray]:
    sums = _read_sums(folder / "SHA256SUMS")
    arrays = {}
    for key in keys:
        stem = FILES[key]
        gz, raw = folder / f"{stem}.gz", folder / stem
        if gz.exists():
            blob = gz.read_bytes()
            expected = sums.get(gz.name)
            if expected and hashlib.sha256(blob).hexdigest() != expected:
                raise DataError(damaged(gz, "its SHA-256 sum does not match SHA256SUMS"))
            try:
                data = gzip.decompress(blob)
            except (OSError, EOFError) as exc:
                raise DataError(damaged(gz, f"it is not a complete gzip file ({exc})")) from None
        elif raw.exists():
            data = raw.read_bytes()
        else:
            raise DataError(missing(stem, folder))
        if raw_sha256 and hashlib.sha256(data).hexdigest() != raw_sha256[stem]:
            raise DataError(
                damaged(gz if gz.exists() else raw, f"its content is not the original {title} file")
            )
        arrays[key] = _parse_idx(data, stem)
    return arrays


@dataclass(frozen=True)
class TestPart:
    """A set's test images and labels, and how many training images it has (what a page of samples needs)."""

    x_test: np.ndarray
    y_test: np.ndarray
    train_count: int


def load_test_part(
    folder: str | os.PathLike | None = None,
    raw_sha256: dict[str, str] | None = None,
    title: str = "MNIST",
    num_classes: int = 10,
    missing_hint: str = "",
) -> TestPart:
    """The test part of the IDX set in ``folder`` (None: MNIST, found as ``load_mnist`` finds it), verified like
    a full load but without decompressing the training images: about a seventh of the work, for a page that
    shows a few samples. A set already loaded in full is reused, an ``.npz`` source is loaded in full; cached
    per folder for the life of the process."""
    if folder is None:
        source = Path(os.environ.get(ENV_VAR) or BUNDLED_DIR)
        full = _cache.get(("mnist", str(source.resolve())))
        if full is not None or not source.is_dir():
            full = full or load_mnist(source)
            return TestPart(full.x_test, full.y_test, len(full.y_train))
        folder, raw_sha256, missing, damaged = source, RAW_SHA256, _mnist_missing, _damaged
    else:

        def missing(stem: str, where: Path) -> str:
            return f"{title} file {stem}(.gz) is missing from {where}. {missing_hint}".strip()

        def damaged(path: Path, why: str) -> str:
            return f"{title} file {path.name} in {path.parent} is damaged: {why}. {missing_hint}".strip()

    key = ("test part", str(Path(folder).resolve()), title)
    with _lock:
        if key not in _cache:
            arrays = _read_idx_folder(
                Path(folder), raw_sha256, title, missing, damaged, ("y_train", "x_test", "y_test")
            )
            x, y = arrays["x_test"], arrays["y_test"]
            if x.ndim != 3 or x.shape[1:] != (28, 28) or y.ndim != 1 or len(y) != len(x):
                raise DataError(
                    f"{title}'s test files hold {x.shape} images and {y.shape} labels: not 28x28, one each."
                )
            if len(y) and int(y.max()) >= num_classes:
                raise DataError(
                    f"{title}'s test labels go up to {int(y.max())}, but it has {num_classes} classes."
                )
            _cache[key] = TestPart(x, y, len(arrays["y_train"]))
        return _cache[key]


def idx_sums(folder: Path) -> dict[str, str]:
    """SHA-256 of each of the four decompressed IDX files in ``folder`` (to pin a set a user adds)."""
    out = {}
    for stem in FILES.values():
        gz, raw = Path(folder) / f"{stem}.gz", Path(folder) / stem
        try:
            data = gzip.decompress(gz.read_bytes()) if gz.exists() else raw.read_bytes()
        except (OSError, EOFError) as exc:
            raise DataError(f"{stem} in {folder} cannot be read: {exc}") from None
        out[stem] = hashlib.sha256(data).hexdigest()
    return out


def _mnist_missing(stem: str, folder: Path) -> str:
    return (
        f"MNIST file {stem}(.gz) is missing from {folder}. "
        "Put the four original IDX files there, or unset MNISTLAB_DATA to use the bundled copy."
    )


def _load_npz(path: Path) -> Mnist:
    try:
        # allow_pickle=False: an .npz can carry pickled objects, which could run code.
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: np.asarray(npz[key]) for key in FILES}
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(
            f"{path} is not a readable Keras mnist.npz (needs x_train, y_train, x_test, y_test): {exc}"
        ) from None
    return _checked(Mnist(**{k: v.astype(np.uint8) for k, v in arrays.items()}, source=str(path)))


def _read_sums(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    sums = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def _parse_idx(data: bytes, name: str) -> np.ndarray:
    """Parse an IDX byte string: magic (2 zero bytes, type 0x08 = uint8, number of dims), dims, then data."""
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise DataError(f"{name} is not an IDX file of unsigned bytes.")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{name} is truncated: expected {int(np.prod(dims))} values, found {body.size}.")
    return body.reshape(dims).copy()


def check_image_set(found: ImageSet, title: str) -> ImageSet:
    """Shapes (N, 28, 28) / (N,), as many labels as images, labels within the class names."""
    for part in ("train", "test"):
        x, y = getattr(found, f"x_{part}"), getattr(found, f"y_{part}")
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{title}'s {part} images have shape {x.shape}; the lab needs 28x28 images.")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(
                f"{title}'s {part} labels have shape {y.shape} for {len(x)} images: one label per image."
            )
        if len(y) and int(y.max()) >= found.num_classes:
            raise DataError(
                f"{title}'s {part} labels go up to {int(y.max())}, but it has {found.num_classes} class "
                f"names: labels must be 0..{found.num_classes - 1}."
            )
    return found


def _checked(m: Mnist) -> Mnist:
    for key, count in EXPECTED_COUNTS.items():
        arr = getattr(m, key)
        shape_ok = arr.shape == ((count, 28, 28) if key.startswith("x") else (count,))
        if not shape_ok:
            raise DataError(
                f"{key} from {m.source} has shape {arr.shape}; MNIST's is {count} digits of 28x28."
            )
    return m


def _damaged(path: Path, why: str) -> str:
    return (
        f"MNIST file {path.name} in {path.parent} is damaged: {why}. "
        "Reinstall mnistlab (or restore the file from a fresh clone) and try again."
    )


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 images in [0, 255] -> float32 in [0, 1], same shape."""
    return np.asarray(images, dtype=np.float32) / np.float32(255.0)


def validation_split(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split off a seeded random ``fraction`` of (x, y) for validation: returns x_fit, y_fit, x_val, y_val."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation fraction must be in [0, 1), got {fraction}")
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = round(len(x) * fraction)
    val, fit = order[:n_val], order[n_val:]
    return x[fit], y[fit], x[val], y[val]


def subset(x: np.ndarray, y: np.ndarray, size: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded, class-balanced-in-expectation random subset of ``size`` examples (all when None)."""
    if size is None or size >= len(x):
        return x, y
    pick = np.sort(np.random.default_rng(seed + 7919).permutation(len(x))[:size])
    return x[pick], y[pick]

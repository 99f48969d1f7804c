import gzip
import shutil

import numpy as np
import pytest

from mnistlab import data
from mnistlab.data import DataError, load_mnist, subset, to_float, validation_split

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_bundled_mnist_shapes_dtypes_and_label_counts(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.x_train.dtype == np.uint8 and mnist.y_train.dtype == np.uint8
    assert np.bincount(mnist.y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.y_test).tolist() == TEST_COUNTS
    assert mnist.x_train.mean() == pytest.approx(33.318, abs=1e-3)


def test_loading_twice_is_cached(mnist):
    assert load_mnist() is mnist


def _copy_bundle(tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(data.BUNDLED_DIR, folder)
    return folder


def test_wrong_checksum_names_the_file(tmp_path):
    folder = _copy_bundle(tmp_path)
    blob = bytearray((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    blob[-20] ^= 0xFF
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(blob))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz.*SHA-256.*Reinstall"):
        load_mnist(folder)


def test_truncated_file_is_reported(tmp_path):
    folder = _copy_bundle(tmp_path)
    (folder / "SHA256SUMS").unlink()  # without sums, the gzip check itself must catch the truncation
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz.*damaged"):
        load_mnist(folder)


def test_missing_file_is_reported(tmp_path):
    folder = _copy_bundle(tmp_path)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.*missing"):
        load_mnist(folder)


def test_the_test_part_needs_no_training_images(tmp_path, monkeypatch, mnist):
    """What Home shows: the same test arrays and training count as a full load, read without the training images
    (a folder lacking them still serves it) and verified the same way."""
    folder = _copy_bundle(tmp_path)
    (folder / "train-images-idx3-ubyte.gz").unlink()
    monkeypatch.setenv("MNISTLAB_DATA", str(folder))
    part = data.load_test_part()
    assert np.array_equal(part.x_test, mnist.x_test) and np.array_equal(part.y_test, mnist.y_test)
    assert part.train_count == len(mnist.y_train) == 60000
    assert data.load_test_part() is part  # cached
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.*missing"):
        load_mnist(folder)
    blob = bytearray((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    blob[-20] ^= 0xFF
    (tmp_path / "damaged").mkdir()
    for name in ("SHA256SUMS", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(folder / name, tmp_path / "damaged" / name)
    (tmp_path / "damaged" / "t10k-images-idx3-ubyte.gz").write_bytes(bytes(blob))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz.*SHA-256"):
        data.load_test_part(tmp_path / "damaged", data.RAW_SHA256)


def test_raw_idx_directory_and_env_variable(tmp_path, monkeypatch, mnist):
    folder = tmp_path / "raw"
    folder.mkdir()
    for stem in data.FILES.values():
        (folder / stem).write_bytes(gzip.decompress((data.BUNDLED_DIR / f"{stem}.gz").read_bytes()))
    monkeypatch.setenv("MNISTLAB_DATA", str(folder))
    loaded = load_mnist()
    assert loaded.source == str(folder)
    assert np.array_equal(loaded.x_test, mnist.x_test)


def test_keras_npz_source(tmp_path, mnist):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=mnist.x_train, y_train=mnist.y_train, x_test=mnist.x_test, y_test=mnist.y_test)
    loaded = load_mnist(path)
    assert np.array_equal(loaded.y_train, mnist.y_train)


def test_npz_with_wrong_shapes_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(
        path,
        x_train=np.zeros((5, 28, 28), np.uint8),
        y_train=np.zeros(5, np.uint8),
        x_test=np.zeros((5, 28, 28), np.uint8),
        y_test=np.zeros(5, np.uint8),
    )
    with pytest.raises(DataError, match=r"x_train.*shape"):
        load_mnist(path)


def test_unknown_source_is_refused(tmp_path):
    with pytest.raises(DataError, match="neither a directory"):
        load_mnist(tmp_path / "nothing-here.txt")


def test_float_scaling():
    x = np.array([[0, 255, 51]], dtype=np.uint8)
    out = to_float(x)
    assert out.dtype == np.float32 and out.tolist() == [[0.0, 1.0, pytest.approx(0.2)]]


def test_validation_split_is_seeded_and_disjoint():
    x = np.arange(100)
    y = np.arange(100) % 10
    a = validation_split(x, y, 0.2, seed=3)
    b = validation_split(x, y, 0.2, seed=3)
    c = validation_split(x, y, 0.2, seed=4)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=False))
    assert not np.array_equal(a[2], c[2])
    assert len(a[0]) == 80 and len(a[2]) == 20
    assert set(a[0]).isdisjoint(a[2]) and set(a[0]) | set(a[2]) == set(range(100))
    with pytest.raises(ValueError):
        validation_split(x, y, 1.0, seed=0)


def test_subset(mnist):
    x, y = subset(mnist.x_train, mnist.y_train, 500, seed=0)
    assert x.shape == (500, 28, 28) and len(set(y.tolist())) == 10
    assert subset(mnist.x_train, mnist.y_train, None, seed=0)[0] is mnist.x_train

"""Drawing preprocessing (MNIST-style crop, scale, centre of mass), safe image reading and direct predictions."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnistlab.bench.drawn_digits import redraw_as_canvas
from mnistlab.drawing import (
    ImageError,
    canvas_to_mnist,
    default_run_id,
    ink_map,
    predict_digit,
    read_image,
    top_prediction,
    upscale_for_display,
)


def canvas(size=280, ink=255, background=0, alpha=255):
    """An RGBA canvas of one colour."""
    rgba = np.empty((size, size, 4), np.uint8)
    rgba[..., :3] = background
    rgba[..., 3] = alpha
    return rgba


def white_bar_on_black(size=280):
    """A thick vertical bar, off-centre: like a drawn '1' in the upper left."""
    rgba = canvas(size)
    rgba[size // 10 : size // 2, size // 5 : size // 5 + size // 14, :3] = 255
    return rgba


def centre_of_mass(image):
    ys, xs = np.indices(image.shape)
    return (ys * image).sum() / image.sum(), (xs * image).sum() / image.sum()


def png_bytes(array, fmt="PNG"):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ preprocessing


def test_bar_is_centred_and_20_pixels_tall():
    image = canvas_to_mnist(white_bar_on_black())
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() == pytest.approx(1.0)
    rows = np.flatnonzero(image.max(axis=1) > 0.05)
    assert rows[-1] - rows[0] + 1 == 20
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1


def test_black_on_white_gives_the_same_image_as_white_on_black():
    white_on_black = white_bar_on_black()
    black_on_white = white_on_black.copy()
    black_on_white[..., :3] = 255 - white_on_black[..., :3]
    np.testing.assert_allclose(canvas_to_mnist(black_on_white), canvas_to_mnist(white_on_black), atol=1e-6)


def test_transparent_canvas_uses_alpha():
    opaque = white_bar_on_black()
    transparent = canvas(alpha=0)
    transparent[..., :3] = (10, 20, 200)  # coloured ink: only alpha marks where it is
    transparent[..., 3] = opaque[..., 0]
    np.testing.assert_allclose(canvas_to_mnist(transparent), canvas_to_mnist(opaque), atol=1e-6)


def test_grey_and_rgb_inputs_are_accepted():
    rgba = white_bar_on_black()
    expected = canvas_to_mnist(rgba)
    np.testing.assert_allclose(canvas_to_mnist(rgba[..., :3]), expected, atol=1e-6)
    np.testing.assert_allclose(canvas_to_mnist(rgba[..., 0]), expected, atol=1e-6)


@pytest.mark.parametrize("size", [28, 100, 280, 513])
def test_any_canvas_size(size):
    image = canvas_to_mnist(white_bar_on_black(size))
    assert image.shape == (28, 28)
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1


def test_wide_shapes_keep_their_aspect_ratio():
    rgba = canvas()
    rgba[130:150, 40:240, :3] = 255  # a 200 x 20 horizontal stroke
    image = canvas_to_mnist(rgba)
    cols = np.flatnonzero(image.max(axis=0) > 0.05)
    rows = np.flatnonzero(image.max(axis=1) > 0.05)
    assert cols[-1] - cols[0] + 1 == 20
    assert rows[-1] - rows[0] + 1 <= 4


def test_empty_or_speck_canvas_gives_none():
    assert canvas_to_mnist(canvas()) is None
    assert canvas_to_mnist(canvas(background=255)) is None
    speck = canvas()
    speck[100:101, 100:102, :3] = 255
    assert canvas_to_mnist(speck) is None


def test_mnist_digits_come_back_nearly_unchanged(mnist):
    """MNIST digits are already prepared this way: preprocessing one again barely changes it."""
    for digit in mnist.x_test[:50]:
        again = canvas_to_mnist(digit)
        assert np.abs(again - digit / 255.0).mean() < 0.1


def test_bad_shapes_are_refused():
    with pytest.raises(ImageError):
        ink_map(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ImageError):
        ink_map(np.zeros((0, 5), np.uint8))


def test_redrawn_digit_resembles_the_original(mnist, rng):
    digit = mnist.x_test[0]
    prepared = canvas_to_mnist(redraw_as_canvas(digit, rng, thickness=0))
    correlation = np.corrcoef(prepared.ravel(), digit.ravel().astype(float))[0, 1]
    assert correlation > 0.8


def test_upscale_for_display_keeps_square_pixels():
    image = np.zeros((28, 28), np.float32)
    image[3, 4] = 1.0
    big = upscale_for_display(image, 140)
    assert big.shape == (140, 140) and big.dtype == np.uint8
    assert big[15:20, 20:25].min() == 255 and big.sum() == 255 * 25


# ------------------------------------------------------------------------------------------- read_image


def test_read_image_decodes_png_and_jpeg():
    rgba = white_bar_on_black(64)
    decoded = read_image(png_bytes(rgba))
    assert decoded.shape == (64, 64, 4) and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, rgba)
    jpeg = read_image(png_bytes(rgba[..., :3], "JPEG"))
    assert jpeg.shape == (64, 64, 4) and (jpeg[..., 3] == 255).all()
    assert canvas_to_mnist(jpeg) is not None


def test_read_image_refuses_empty_text_and_oversized_files():
    with pytest.raises(ImageError, match="empty"):
        read_image(b"")
    with pytest.raises(ImageError, match="not an image"):
        read_image(b"hello, this is text and not a picture")
    with pytest.raises(ImageError, match="limit"):
        read_image(png_bytes(white_bar_on_black(64)), max_bytes=100)


def test_read_image_refuses_a_truncated_png():
    data = png_bytes(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    with pytest.raises(ImageError):
        read_image(data[: len(data) // 2])


def _bomb_png(width, height):
    """A tiny PNG whose header claims a huge image (the pixel data is a stub)."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_read_image_refuses_decompression_bombs_before_decoding():
    bomb = _bomb_png(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(ImageError, match="pixels"):
        read_image(bomb)
    with pytest.raises(ImageError, match="pixels"):
        read_image(_bomb_png(300, 300), max_pixels=10_000)


# ------------------------------------------------------------------------------------------ predictions


def test_predict_digit_matches_a_direct_model_call(trained_store, mnist):
    store, ids = trained_store
    model = store.load_model(ids[0])
    image = mnist.x_test[0] / 255.0
    probabilities = predict_digit(model, image)
    assert probabilities.shape == (10,) and probabilities.dtype == np.float32
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    direct = np.asarray(model(image[None].astype(np.float32), training=False))[0]
    np.testing.assert_allclose(probabilities, direct, rtol=1e-5, atol=1e-6)
    assert top_prediction(probabilities)[0] == mnist.y_test[0]


def test_drawn_digits_are_recognised(trained_store, mnist, rng):
    """A small model reads canvas-style redrawings of test digits almost as well as the originals."""
    store, ids = trained_store
    model = store.load_model(ids[1])
    hits = [
        top_prediction(predict_digit(model, canvas_to_mnist(redraw_as_canvas(mnist.x_test[i], rng))))[0]
        == mnist.y_test[i]
        for i in range(100)
    ]
    assert sum(hits) >= 85


def test_predict_digit_refuses_wrong_shapes(trained_store):
    store, ids = trained_store
    with pytest.raises(ValueError, match="28x28"):
        predict_digit(store.load_model(ids[0]), np.zeros((28, 27)))


def test_default_run_prefers_the_query_then_the_best_accuracy(finished_runs):
    store, ids = finished_runs
    runs = store.list_runs()
    best = max(runs, key=lambda run: run.test_accuracy).id
    assert default_run_id(runs) == best
    assert default_run_id(runs, wanted=ids[0]) == ids[0]
    assert default_run_id(runs, wanted="no-such-run") == best
    assert default_run_id([]) is None

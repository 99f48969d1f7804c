"""``augment`` changes training only: the saved model's architecture and its predictions are untouched."""

from __future__ import annotations

import numpy as np
import pytest

from mnistlab.bench.drawn_digits import redraw_as_canvas, redraw_tilted, tilt
from mnistlab.training import ConfigError, TrainConfig


def test_augment_is_a_validated_part_of_the_config():
    assert TrainConfig().augment is False
    assert TrainConfig(augment=True).to_dict()["augment"] is True
    assert TrainConfig.from_dict(TrainConfig(augment=True).to_dict()).augment is True
    old = TrainConfig().to_dict()
    del old["augment"]
    assert TrainConfig.from_dict(old).augment is False  # configs saved before the option still load
    for bad in ("yes", 1, None):
        with pytest.raises(ConfigError, match="augment must be true or false"):
            TrainConfig(augment=bad)


def test_augmented_images_stay_digits_and_vary():
    from mnistlab.augment import augment_images
    from mnistlab.data import load_mnist, to_float

    x = to_float(load_mnist().x_test[:64])
    once, again = augment_images(x, seed=0), augment_images(x, seed=0)
    other = augment_images(x, seed=1)
    assert once.shape == x.shape and once.dtype == np.float32
    assert 0.0 <= once.min() and once.max() <= 1.0
    assert np.array_equal(once, again)  # seeded
    assert np.abs(once - x).mean() > 0.02 and np.abs(other - once).mean() > 0.02
    ink = (once > 0.2).sum(axis=(1, 2))
    assert (ink > 10).all()  # every digit keeps its ink (nothing is rotated, zoomed or thinned away)


@pytest.mark.slow
def test_augment_changes_training_only(mnist):
    from mnistlab.augment import with_augmentation
    from mnistlab.models import build_model
    from mnistlab.specs import PRESETS
    from mnistlab.training import train

    spec = PRESETS["dropout"]
    config = TrainConfig(epochs=1, train_subset=1200, batch_size=128, seed=3)
    plain = train(spec, config, data=mnist).model
    augmented = train(spec, config.replace(augment=True), data=mnist).model

    # The same architecture: no augmentation layer in the model that is saved and used.
    assert plain.get_config() == augmented.get_config()
    assert [layer.name for layer in augmented.layers] == [layer.name for layer in plain.layers]
    # Training saw different images, so it found different weights.
    assert any(
        not np.allclose(a, b) for a, b in zip(plain.get_weights(), augmented.get_weights(), strict=True)
    )
    # Same weights, same predictions: in a fresh plain model, and through the training-time stack
    # outside training (the random layers are switched off).
    images = mnist.x_test[:32].astype(np.float32) / 255
    fresh = build_model(spec)
    fresh.set_weights(augmented.get_weights())
    expected = np.asarray(augmented(images, training=False))
    assert np.array_equal(np.asarray(fresh(images, training=False)), expected)
    assert np.allclose(np.asarray(with_augmentation(augmented)(images, training=False)), expected, atol=1e-6)


def test_tilted_redraws_are_rotated_and_slanted_canvases(mnist):
    digit = mnist.x_test[0]
    rng = np.random.default_rng(0)
    canvas = redraw_tilted(digit, rng)
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    # An upright redraw is unchanged by the new options' defaults; tilting moves the ink.
    upright = redraw_as_canvas(digit, np.random.default_rng(5))
    assert np.array_equal(upright, redraw_as_canvas(digit, np.random.default_rng(5), angle=0, slant=0))
    ink = digit.astype(np.float32) / 255
    rotated, slanted = tilt(ink, angle=90), tilt(ink, slant=0.5)
    assert rotated.sum() == pytest.approx(ink.sum(), rel=0.05)
    rows, cols = np.nonzero(rotated > 0.5)
    assert np.ptp(cols) > np.ptp(rows)  # a tall 7 turned on its side is wide
    top, bottom = slanted[: slanted.shape[0] // 2], slanted[slanted.shape[0] // 2 :]
    centre = lambda plane: (plane * np.arange(plane.shape[1])).sum() / plane.sum()  # noqa: E731
    assert centre(top) > centre(bottom)  # positive slant leans right

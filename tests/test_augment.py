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


def _shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` moved by whole pixels, with blank background coming in (what a shift of a framed item is)."""
    moved = np.zeros_like(image)
    h, w = image.shape
    moved[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return moved


def test_clothing_is_mirrored_and_shifted_but_never_tilted():
    from mnistlab.augment import CLOTHING, augment_images

    item = np.zeros((28, 28), np.float32)
    item[4:24, 6:12] = 1.0  # a tall bar on the left and a short arm at the top: no symmetry to hide a change
    item[4:8, 12:22] = 0.5
    varied = augment_images(np.repeat(item[None], 64, axis=0), seed=0, settings=CLOTHING)
    reach = range(-2, 3)
    candidates = {
        (mirrored, dy, dx): _shifted(np.fliplr(item) if mirrored else item, dy, dx)
        for mirrored in (False, True)
        for dy in reach
        for dx in reach
    }
    seen = set()
    for image in varied:
        # Each one is exactly the item or its mirror image moved by whole pixels: nothing turned, slanted,
        # zoomed, thickened or blurred.
        match = [key for key, candidate in candidates.items() if np.allclose(image, candidate, atol=1e-5)]
        assert match, "an augmented item is not a mirrored or shifted copy"
        seen.add(match[0])
    assert {mirrored for mirrored, _, _ in seen} == {False, True}
    assert any(dy or dx for _, dy, dx in seen) and any(abs(dy) == 2 or abs(dx) == 2 for _, dy, dx in seen)


def test_each_set_gets_the_augmentation_of_its_framing():
    from mnistlab.augment import CLOTHING, SETTINGS, augment_images, settings_for
    from mnistlab.data import load_mnist, to_float

    assert settings_for("mnist") == SETTINGS and settings_for(None) == SETTINGS
    assert settings_for("fashion-mnist") == CLOTHING
    assert settings_for("no-such-set") == SETTINGS  # a set this machine forgot keeps the digits' variations
    assert CLOTHING["rotation_degrees"] == CLOTHING["shear"] == CLOTHING["thicker_share"] == 0
    # Digits keep their variations exactly: the clothing-only options draw no random numbers for them.
    assert "mirror_share" not in SETTINGS and not SETTINGS.get("whole_px")
    x = to_float(load_mnist().x_test[:16])
    assert np.array_equal(
        augment_images(x, seed=4), augment_images(x, seed=4, settings=settings_for("mnist"))
    )


@pytest.mark.slow
def test_training_on_clothing_uses_the_clothing_augmentation(mnist, monkeypatch):
    """``train`` hands the set's own variations to the augmentation stack (a stand-in set named like
    Fashion-MNIST: what counts is the set's framing, not its images)."""
    from two_datasets import FASHION

    import mnistlab.augment as augment
    from mnistlab.data import ImageSet
    from mnistlab.specs import PRESETS
    from mnistlab.training import train

    used = []
    real = augment.with_augmentation

    def recording(model, seed=0, settings=None):
        used.append(settings)
        return real(model, seed=seed, settings=settings)

    monkeypatch.setattr(augment, "with_augmentation", recording)
    clothing = ImageSet(*mnist, source="test", name="fashion-mnist", class_names=FASHION)
    config = TrainConfig(epochs=1, train_subset=600, batch_size=128, augment=True)
    train(PRESETS["baseline"], config.replace(dataset="fashion-mnist"), data=clothing)
    train(PRESETS["baseline"], config, data=mnist)
    assert used == [augment.CLOTHING, augment.SETTINGS]

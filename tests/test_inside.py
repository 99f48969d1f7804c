"""Inside views: activations match a NumPy forward pass; saliency is 0 where pixels cannot matter."""

from __future__ import annotations

import numpy as np
import pytest

from mnistlab.specs import ArchitectureSpec, conv2d, dense, dropout, max_pool


@pytest.fixture(scope="module")
def tiny():
    """784 -> Dense(8, relu) -> Dropout -> Dense(5, tanh) -> 10 with random weights; pixels of the left half
    feed nothing (their first-layer weights are zero)."""
    from mnistlab.models import build_model

    spec = ArchitectureSpec("tiny", (dense(8), dropout(0.5), dense(5, "tanh")))
    model = build_model(spec, seed=3)
    rng = np.random.default_rng(1)
    dead = np.zeros((28, 28), bool)
    dead[:, :14] = True
    for layer in model.layers:
        if layer.weights:
            new = [rng.normal(0, 0.3, w.shape).astype(np.float32) for w in layer.get_weights()]
            if layer.name == "dense_1":
                new[0][dead.ravel()] = 0.0
            layer.set_weights(new)
    return model, dead


def numpy_forward(model, image):
    w1, b1 = model.get_layer("dense_1").get_weights()
    w3, b3 = model.get_layer("dense_3").get_weights()
    h1 = np.maximum(image.reshape(-1) @ w1 + b1, 0)
    h3 = np.tanh(h1 @ w3 + b3)
    return h1, h3


def test_activations_equal_a_numpy_forward_pass(tiny, rng):
    from mnistlab import inside

    model, _ = tiny
    image = rng.random((28, 28)).astype(np.float32)
    found = inside.activations(model, image)
    assert [(name, kind) for name, kind, _ in found] == [("dense_1", "dense"), ("dense_3", "dense")]
    h1, h3 = numpy_forward(model, image)
    np.testing.assert_allclose(found[0][2], h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(found[1][2], h3, rtol=1e-5, atol=1e-6)
    # uint8 digits are scaled the same way as float ones
    as_uint8 = (image * 255).round().astype(np.uint8)
    np.testing.assert_allclose(
        inside.activations(model, as_uint8)[0][2],
        numpy_forward(model, as_uint8 / 255.0)[0],
        rtol=1e-4,
        atol=1e-5,
    )


def test_saliency_is_exactly_zero_where_pixels_feed_nothing(tiny, rng):
    from mnistlab import inside

    model, dead = tiny
    image = rng.random((28, 28)).astype(np.float32)
    for of in ("score", "probability"):
        sal = inside.saliency(model, image, of=of)
        assert sal.shape == (28, 28)
        assert np.all(sal[dead] == 0.0)
        assert sal[~dead].max() > 0
        assert np.all(sal >= 0)


def test_saliency_of_the_score_matches_finite_differences(tiny, rng):
    from mnistlab import inside

    model, _ = tiny
    image = rng.random((28, 28)).astype(np.float64)
    w_out, b_out = model.get_layer("output").get_weights()

    def score(img):
        return (numpy_forward(model, img)[1] @ w_out + b_out)[7]

    sal = inside.saliency(model, image.astype(np.float32), class_index=7)
    pixel, h = (5, 20), 1e-3
    bumped = image.copy()
    bumped[pixel] += h
    assert sal[pixel] == pytest.approx(abs(score(bumped) - score(image)) / h, rel=0.05, abs=1e-4)


def test_first_layer_weights_are_the_kernel_columns(tiny):
    from mnistlab import inside

    model, dead = tiny
    kernel = model.get_layer("dense_1").get_weights()[0]
    images = inside.first_layer_weights(model, [2, 0])
    assert images.shape == (2, 28, 28)
    np.testing.assert_array_equal(images[0].ravel(), kernel[:, 2])
    assert np.all(images[:, dead] == 0)
    with pytest.raises(inside.InsideError, match="units 0-7"):
        inside.first_layer_weights(model, [8])


def test_conv_models_give_feature_maps_and_refuse_weight_images(rng):
    from mnistlab import inside
    from mnistlab.models import build_model

    model = build_model(ArchitectureSpec("c", (conv2d(4, 3), max_pool(2), dense(6))), seed=0)
    found = inside.activations(model, rng.random((28, 28)))
    assert [(n, k, v.shape) for n, k, v in found] == [
        ("conv2d_1", "conv2d", (26, 26, 4)),
        ("max_pool_2", "max_pool", (13, 13, 4)),
        ("dense_3", "dense", (6,)),
    ]
    assert inside.saliency(model, rng.random((28, 28))).shape == (28, 28)
    with pytest.raises(inside.InsideError, match="convolutional"):
        inside.first_layer_weights(model, [0])


def test_bad_images_get_a_clear_error(tiny):
    from mnistlab import inside

    model, _ = tiny
    with pytest.raises(inside.InsideError, match="28x28"):
        inside.activations(model, np.zeros((28, 27)))
    with pytest.raises(inside.InsideError, match="NaN"):
        inside.saliency(model, np.full((28, 28), np.nan))
    with pytest.raises(inside.InsideError, match="class_index"):
        inside.saliency(model, np.zeros((28, 28)), class_index=10)


def test_strongest_orders_units_and_channels():
    from mnistlab import inside

    assert inside.strongest(np.array([0.1, 3.0, 2.0, 0.0]), 2).tolist() == [1, 2]
    maps = np.zeros((4, 4, 3))
    maps[..., 2] = 1.0
    assert inside.strongest(maps, 1).tolist() == [2]
    assert inside.strongest(np.array([1.0]), 5).tolist() == [0]


def test_loaded_run_model_works(trained_store, mnist):
    from mnistlab import inside

    store, ids = trained_store
    model = store.load_model(ids[1])  # dropout preset
    digit = mnist.x_test[0]
    names = [name for name, _, _ in inside.activations(model, digit)]
    assert names == ["dense_1", "dense_3"]
    sal = inside.saliency(model, digit)
    assert sal[0, 0] < sal.max()  # a corner pixel matters less than the most telling one

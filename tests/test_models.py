import numpy as np
import pytest

from mnistlab.specs import PRESETS, count_params, from_dict


@pytest.mark.parametrize("name", list(PRESETS))
def test_built_model_matches_spec_parameter_count(name):
    from mnistlab.models import build_model

    model = build_model(PRESETS[name], seed=0)
    assert model.count_params() == count_params(PRESETS[name])
    out = np.asarray(model(np.zeros((2, 28, 28), np.float32)))
    assert out.shape == (2, 10)
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_layers_are_named_after_their_spec_position():
    from mnistlab.models import build_model

    names = [layer.name for layer in build_model(PRESETS["dropout"]).layers]
    assert {"dense_1", "dropout_2", "dense_3", "dropout_4", "output"} <= set(names)


def test_same_seed_same_weights_and_layers_differ():
    from mnistlab.models import build_model

    a, b = build_model(PRESETS["deeper"], seed=5), build_model(PRESETS["deeper"], seed=5)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=False):
        assert np.array_equal(wa, wb)
    c = build_model(PRESETS["deeper"], seed=6)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_custom_spec_with_dropout_before_dense_and_sigmoid():
    from mnistlab.models import build_model

    spec = from_dict(
        {
            "name": "odd",
            "layers": [
                {"kind": "conv2d", "filters": 4, "kernel_size": 5},
                {"kind": "dropout", "rate": 0.1},
                {"kind": "dense", "units": 16, "activation": "sigmoid"},
            ],
        }
    )
    model = build_model(spec)
    assert model.count_params() == count_params(spec)


def test_the_bytes_reader_scales_as_to_float_and_shares_the_weights():
    from mnistlab.data import to_float
    from mnistlab.models import build_model, reading_bytes
    from mnistlab.tf import keras

    model = build_model(PRESETS["baseline"], seed=3)
    reader = reading_bytes(model, keras)
    images = np.random.default_rng(0).integers(0, 256, (16, 28, 28), dtype=np.uint8)
    assert np.array_equal(np.asarray(reader(images)), np.asarray(model(to_float(images))))
    model.get_layer("output").kernel.assign(np.zeros((128, 10), np.float32))  # one set of weights for both
    assert np.allclose(np.asarray(reader(images)), 0.1)

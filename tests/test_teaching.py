"""Teaching numbers: activation derivatives, vanishing gradients, softmax, widths and their cost."""

from __future__ import annotations

import numpy as np
import pytest

from mnistlab import teaching
from mnistlab.specs import PRESETS, count_params


@pytest.mark.parametrize("name", list(teaching.ACTIVATIONS))
def test_derivatives_match_finite_differences(name):
    f, df = teaching.ACTIVATIONS[name]
    x = np.linspace(-6, 6, 241)
    x = x[np.abs(x) > 1e-3]  # ReLU has no derivative at 0
    h = 1e-5
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(df(x), numeric, atol=1e-6)


def test_activation_curves_have_the_known_ranges():
    x = np.linspace(-10, 10, 101)
    curves = teaching.activation_curves(x)
    assert set(curves) == {"relu", "sigmoid", "tanh"}
    assert curves["sigmoid"][1].max() == pytest.approx(0.25)  # the sigmoid's slope never exceeds 1/4
    assert curves["tanh"][1].max() == pytest.approx(1.0)
    assert curves["relu"][0].min() == 0 and curves["relu"][0].max() == 10


def test_sigmoid_does_not_overflow():
    assert teaching.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_gradient_vanishes_through_sigmoid_layers_and_not_relu():
    sig = teaching.gradient_flow("sigmoid", 20)
    rel = teaching.gradient_flow("relu", 20)
    assert sig.norms.shape == (20,) and rel.norms.shape == (20,)
    # Sigmoid: every layer scales the gradient by at most 1/4 (times the weights): ~1e-12 after 20 layers.
    assert sig.first_layer < sig.norms[-1] * 1e-6
    assert np.all(sig.factors <= 0.25)
    # ReLU with He init keeps it within a small factor of where it started.
    assert 0.1 < rel.first_layer / rel.norms[-1] < 10
    assert rel.first_layer > 1e4 * sig.first_layer


def test_gradient_shrinks_more_the_deeper_the_sigmoid_network():
    shallow, deep = teaching.gradient_flow("sigmoid", 3), teaching.gradient_flow("sigmoid", 12)
    assert deep.shrink > 100 * shallow.shrink


def test_relu_with_glorot_init_shrinks_slowly_where_he_init_does_not():
    he, glorot = teaching.gradient_flow("relu", 30), teaching.gradient_flow("relu", 30, init="glorot")
    assert he.init == "he" and glorot.init == "glorot"
    assert glorot.shrink > 100 * he.shrink


def test_gradient_flow_refuses_bad_input():
    with pytest.raises(ValueError, match="Unknown activation"):
        teaching.gradient_flow("softplus", 3)
    with pytest.raises(ValueError, match="depth"):
        teaching.gradient_flow("relu", 0)


def test_softmax_sums_to_one_and_follows_temperature():
    logits = np.array([2.0, 1.0, 0.1, -3.0])
    p = teaching.softmax(logits)
    assert p.sum() == pytest.approx(1.0) and np.all(p > 0)
    assert np.argmax(p) == 0
    hot, cold = teaching.softmax(logits, 10.0), teaching.softmax(logits, 0.1)
    assert hot.max() < p.max() < cold.max()
    assert teaching.softmax(np.array([1000.0, 0.0])).tolist() == [1.0, 0.0]  # no overflow
    with pytest.raises(ValueError):
        teaching.softmax(logits, 0)


@pytest.mark.parametrize("name", ["baseline", "deeper", "dropout", "tuned"])
def test_parameter_calculator_matches_specs(name):
    widths = teaching.dense_widths(PRESETS[name])
    cost = teaching.training_cost(widths)
    assert cost.params == count_params(PRESETS[name])
    assert sum(cost.layer_params) == cost.params


def test_cost_counts_multiply_adds_and_seconds():
    cost = teaching.training_cost([128], examples_per_epoch=1000, macs_per_second=3 * 101_632 * 1000)
    assert cost.macs_per_example == 784 * 128 + 128 * 10
    assert cost.train_macs_per_example == 3 * cost.macs_per_example
    assert cost.train_macs_per_epoch == 1000 * cost.train_macs_per_example
    assert cost.seconds_per_epoch == pytest.approx(1.0)
    assert teaching.training_cost([128]).seconds_per_epoch is None
    assert teaching.dense_widths(PRESETS["cnn"]) is None


def test_funnel_and_width_checks():
    expected = [("input", 784), ("hidden 1", 256), ("hidden 2", 128), ("output", 10)]
    assert teaching.funnel([256, 128]) == expected
    assert teaching.funnel([]) == [("input", 784), ("output", 10)]
    with pytest.raises(ValueError, match="Hidden layer 2"):
        teaching.check_widths([128, 0])
    with pytest.raises(ValueError):
        teaching.check_widths([12.5])


def test_throughput_from_runs_uses_completed_full_data_dense_runs():
    from types import SimpleNamespace as Run

    good = Run(
        status="completed",
        spec=PRESETS["baseline"],
        duration_s=10.0,
        epochs_done=10,
        name="a",
        config={"train_subset": None, "validation_split": 0.1},
    )
    small = Run(
        status="completed",
        spec=PRESETS["baseline"],
        duration_s=1.0,
        epochs_done=10,
        name="b",
        config={"train_subset": 6000, "validation_split": 0.1},
    )
    conv = Run(
        status="completed",
        spec=PRESETS["cnn"],
        duration_s=1.0,
        epochs_done=10,
        name="c",
        config={"train_subset": None},
    )
    rate, name = teaching.throughput_from_runs([good, small, conv])
    assert name == "a"
    assert rate == pytest.approx(teaching.training_cost([128]).train_macs_per_epoch * 10 / 10.0)
    assert teaching.throughput_from_runs([small, conv]) is None


def test_parse_widths():
    assert teaching.parse_widths("512, 256,128") == [512, 256, 128]
    assert teaching.parse_widths("") == []
    with pytest.raises(ValueError, match="whole numbers"):
        teaching.parse_widths("256, lots")
    with pytest.raises(ValueError, match="1 to 4096"):
        teaching.parse_widths("5000")


def test_inverted_dropout_scales_in_training_and_does_nothing_at_inference(rng):
    values = rng.random(2000) + 0.5
    dropped = teaching.apply_dropout(values, 0.3, seed=1)
    kept = dropped != 0
    assert 0.25 < 1 - kept.mean() < 0.35  # about 30 % dropped
    np.testing.assert_allclose(dropped[kept], values[kept] / 0.7)
    np.testing.assert_array_equal(teaching.apply_dropout(values, 0.3, training=False), values)
    # On average over many masks the training output equals the inference output.
    np.testing.assert_allclose(teaching.dropout_average(values, 0.3, masks=4000), values, rtol=0.1)
    with pytest.raises(ValueError):
        teaching.dropout_mask(5, 1.0)


def test_accuracy_gap():
    gap = teaching.accuracy_gap({"accuracy": [0.9, 0.99], "val_accuracy": [0.92, None]})
    assert gap[0] == pytest.approx(-0.02) and gap[1] is None
    assert teaching.accuracy_gap({}) == []

"""Train page: batch size and learning rate follow the epochs, the optimizer and the preset's recommended config."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

TRAIN = str(Path(__file__).resolve().parents[1] / "pages" / "train.py")


def test_settings_follow_epochs_optimizer_and_preset(artifacts):
    at = AppTest.from_file(TRAIN, default_timeout=60).run()
    assert at.selectbox(key="train_batch").value == 256 and at.number_input(key="train_lr").value == 4e-3
    at.number_input(key="train_epochs").set_value(1).run()
    assert at.selectbox(key="train_batch").value == 64 and at.number_input(key="train_lr").value == 3e-3
    at.selectbox(key="train_optimizer").set_value("sgd").run()
    assert at.number_input(key="train_lr").value == 0.05
    at.selectbox(key="train_batch").set_value(512).run()
    assert at.number_input(key="train_lr").value == 0.1
    at.selectbox(key="train_optimizer").set_value("adam").run()
    at.selectbox(key="train_start_from").set_value("cnn").run()
    assert at.number_input(key="train_epochs").value == 4
    assert at.selectbox(key="train_batch").value == 256 and at.number_input(key="train_lr").value == 4e-3
    at.number_input(key="train_epochs").set_value(6).run()
    assert at.selectbox(key="train_batch").value == 256  # the cnn keeps its batch for any budget
    assert not at.exception

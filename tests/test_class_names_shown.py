"""Class names where a Fashion-MNIST run's classes show: the inside view and Inspect's cell pickers, also after
switching from an MNIST run (MNIST keeps its digits). Fast lane: finished runs without models, a tiny model."""

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from mnistlab import dataset_choice as choice
from tests.two_datasets import FASHION, finished_run

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------------------- plain Python


def test_shown_names_fall_back_to_numbers_when_the_names_do_not_fit():
    assert choice.shown_names(FASHION, 10) == list(FASHION)
    assert choice.shown_names(None, 3) == ["0", "1", "2"]
    assert choice.shown_names(FASHION, 5) == ["0", "1", "2", "3", "4"]
    assert choice.are_digits([str(d) for d in range(10)]) and not choice.are_digits(FASHION)


def test_mistake_captions_break_between_words_and_digits_stay_compact():
    digits = [str(d) for d in range(10)]
    assert choice.mistake_caption(digits, 7, 1, 0.954) == "7→1 · 95%"
    caption = choice.mistake_caption(FASHION, 3, 1, 0.17)
    assert caption == "Dress → Trouser · 17%"
    assert all(word in FASHION or word in ("→", "·", "17%") for word in caption.split(" "))  # no name split


def test_heatmap_angles_class_names_only():
    from mnistlab.app.charts import confusion_heatmap

    cm = np.diag([5] * 10)
    named = confusion_heatmap(cm, class_names=FASHION)
    assert named.layout.xaxis.tickangle == -45 and list(named.layout.xaxis.ticktext)[-1] == "Ankle boot"
    plain = confusion_heatmap(cm)
    assert plain.layout.xaxis.tickangle is None and plain.layout.xaxis.title.text == "predicted digit"


# ------------------------------------------------------------------------------------------ inside view


def _inside_app():
    import numpy as np
    import streamlit as st

    from mnistlab.app.inside_view import show_inside
    from mnistlab.models import build_model
    from mnistlab.specs import ArchitectureSpec, dense

    model = build_model(ArchitectureSpec("tiny", (dense(8),)), seed=3)
    image = np.random.default_rng(0).random((28, 28)).astype("float32")
    names = st.session_state.get("test_names")
    show_inside(model, image, key="t", class_names=names, item="item" if names else None)


def _said(at) -> str:
    """The class named in "The network says X"."""
    text = next(m.value for m in at.markdown if m.value.startswith("**The network says"))
    return text.split("**The network says ")[1].split("**")[0]


def _bars(at) -> dict:
    return next(
        spec
        for spec in (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
        if spec["layout"].get("title", {}).get("text") == "Output probabilities (softmax)"
    )


def test_inside_view_names_fashion_classes_and_starts_at_the_answer_after_a_switch():
    at = AppTest.from_function(_inside_app, default_timeout=60).run()
    assert not at.exception
    picker = at.selectbox(key="t_class")
    predicted = int(_said(at))  # MNIST: digits, starting at the network's answer
    assert picker.label == "Saliency for digit" and picker.value == predicted
    assert picker.options == [str(d) for d in range(10)]
    bars = _bars(at)
    assert bars["layout"]["xaxis"]["title"]["text"] == "digit"
    assert "the digit's score" in " ".join(c.value for c in at.caption)
    other = (predicted + 1) % 10
    picker.set_value(other).run()
    assert at.selectbox(key="t_class").value == other  # the pick is kept while the classes stay

    at.session_state["test_names"] = FASHION  # a Fashion-MNIST run's model
    at.run()
    assert not at.exception
    picker = at.selectbox(key="t_class")
    assert picker.label == "Saliency for class" and picker.options == list(FASHION)
    assert FASHION[picker.value] == _said(at)  # back at the network's answer, not the MNIST pick
    assert picker.proto.set_value and picker.proto.raw_value == _said(at)  # the browser is told its label
    bars = _bars(at)
    assert bars["data"][0]["x"] == list(FASHION) and bars["layout"]["xaxis"]["title"]["text"] == "class"
    captions = " ".join(c.value for c in at.caption)
    assert "the class's score" in captions and "digit" not in captions
    titles = [
        json.loads(chart.proto.spec)["layout"].get("title", {}).get("text")
        for chart in at.get("plotly_chart")
    ]
    assert f"Pixels that move the score of {_said(at)}" in titles


# -------------------------------------------------------------------------------------------- Inspect


def _confusion(top: tuple[int, int]) -> list[list[int]]:
    return [[50 if t == p else (9 if (t, p) == top else 1) for p in range(10)] for t in range(10)]


def test_inspect_cell_pickers_name_the_runs_classes_after_a_switch_of_set(store):
    mnist = finished_run(store, "baseline", "mnist", 0.97, seed=1)
    fashion = finished_run(store, "baseline", "fashion-mnist", 0.87, seed=1)
    for run_id, top in ((mnist, (5, 3)), (fashion, (6, 0))):
        store.save_metrics(run_id, {"confusion": _confusion(top), "mistakes": [], "per_class": {}, "n": 590})
    at = AppTest.from_file(str(ROOT / "pages" / "inspect.py"), default_timeout=60)
    at.query_params["run"] = mnist
    at.run()
    assert not at.exception
    assert (at.selectbox(key="cell_true").value, at.selectbox(key="cell_pred").value) == (5, 3)
    assert at.selectbox(key="cell_true").options == [str(d) for d in range(10)]

    at.selectbox(key="inspect_run").set_value(fashion).run()
    assert not at.exception
    true, pred = at.selectbox(key="cell_true"), at.selectbox(key="cell_pred")
    assert (true.value, pred.value) == (6, 0)  # the Fashion run's most frequent confusion
    assert true.label == "True class" and true.options[9] == "9 · Ankle boot"
    assert (true.proto.set_value, true.proto.raw_value) == (True, "6 · Shirt")  # the browser shows names
    assert (pred.proto.set_value, pred.proto.raw_value) == (True, "0 · T-shirt/top")
    assert any("of **Shirt** read as **T-shirt/top**" in m.value for m in at.markdown)
    heatmap = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["xaxis"]
    assert heatmap["ticktext"] == list(FASHION) and heatmap["tickangle"] == -45

    at.selectbox(key="inspect_run").set_value(mnist).run()  # and back to digits
    assert not at.exception
    assert (at.selectbox(key="cell_true").value, at.selectbox(key="cell_pred").value) == (5, 3)
    assert at.selectbox(key="cell_true").options == [str(d) for d in range(10)]
    assert "tickangle" not in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["xaxis"]

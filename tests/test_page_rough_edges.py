"""Pages after the walk-through: errors said once in the form's words, presets that reset edits, plurals,
and a delete on Compare that leaves no ghost behind."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mnistlab.runs import runners
from mnistlab.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"


def test_an_architecture_error_is_shown_once_after_start(artifacts):
    at = AppTest.from_file(str(PAGES / "train.py"), default_timeout=60).run()
    at.number_input(key="layer_1_units").set_value(0).run()
    at.button(key="train_start").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert sum("Units is 0" in e for e in errors) == 1, errors
    assert not any("units" in e for e in errors), errors  # the form's word, not the identifier
    assert runners.default_runner().jobs() == []
    runners.shutdown()


def test_picking_the_same_preset_again_resets_edits(artifacts):
    at = AppTest.from_file(str(PAGES / "train.py"), default_timeout=60).run()
    at.number_input(key="layer_1_units").set_value(77).run()
    box = at.selectbox(key="train_start_from")
    assert box.value not in ("baseline",), "an edited architecture is no longer the preset"
    box.set_value("baseline").run()
    assert not at.exception
    assert [n.value for n in at.number_input if n.key.endswith("_units")] == [128]
    assert at.selectbox(key="train_start_from").value == "baseline"


def test_small_learning_rates_read_in_full(artifacts):
    at = AppTest.from_file(str(PAGES / "train.py"), default_timeout=60).run()
    field = at.number_input(key="train_lr")
    assert field.proto.format == "%g"
    field.set_value(0.00001).run()
    assert not at.exception and at.number_input(key="train_lr").value == 0.00001


def test_one_seed_is_singular(artifacts):
    at = AppTest.from_file(str(PAGES / "home.py"), default_timeout=60).run()
    at.number_input(key="study_seeds").set_value(1).run()
    assert "× 1 seed)" in at.button(key="start_study").label
    at.number_input(key="study_seeds").set_value(3).run()
    assert "× 3 seeds)" in at.button(key="start_study").label


def test_delete_leaves_no_ghost(trained_artifacts, trained_store):
    _, ids = trained_store
    store = RunStore(trained_artifacts / "runs")
    at = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=60).run()
    at.selectbox(key="manage_run").set_value(ids[1]).run()
    at.checkbox(key="delete_confirm").check().run()
    at.button(key="delete_button").click().run()
    assert not at.exception
    assert [r.id for r in store.list_runs()] == [ids[0]]
    assert at.selectbox(key="manage_run").value == ids[0]  # on a run that exists
    assert at.selectbox(key="manage_run").options == [store.load(ids[0]).label]
    assert at.checkbox(key="delete_confirm").value is False
    assert at.text_input(key=f"rename_{ids[0]}").value == store.load(ids[0]).name
    assert any("Deleted" in t.value for t in at.toast)

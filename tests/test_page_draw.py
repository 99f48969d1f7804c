"""Draw page: the picker and canvas with saved models, the quick-start offer with none, bad uploads."""

from pathlib import Path
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
DRAW = str(ROOT / "pages" / "draw.py")


def test_picker_and_canvas_with_a_trained_store(trained_artifacts, trained_store):
    store, ids = trained_store
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    assert not at.exception
    picker = at.selectbox(key="draw_run")
    best = max(store.list_runs(), key=lambda run: run.test_accuracy).id
    assert picker.value == best and len(picker.options) == len(ids)
    assert at.slider(key="draw_stroke").value == 18
    assert at.button(key="draw_clear")
    assert any("Nothing to classify yet" in info.value for info in at.info)
    assert not [b for b in at.button if b.key == "draw_quick_start"]


def test_query_parameter_chooses_the_model(trained_artifacts, trained_store):
    _, ids = trained_store
    at = AppTest.from_file(DRAW, default_timeout=60)
    at.query_params["run"] = ids[0]
    at.run()
    assert not at.exception
    assert at.selectbox(key="draw_run").value == ids[0]


def test_clear_gives_a_fresh_canvas(trained_artifacts):
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    before = at.session_state["draw_canvas_round"]
    at.button(key="draw_clear").click().run()
    assert not at.exception
    assert at.session_state["draw_canvas_round"] == before + 1


def test_empty_store_offers_quick_training(artifacts):
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    assert not at.exception
    assert any("no trained model yet" in info.value for info in at.info)
    button = at.button(key="draw_quick_start")
    assert button.label == "Train a quick model"
    assert not [s for s in at.selectbox if s.key == "draw_run"]  # no picker without models


class FakeRunner:
    """Records submissions and reports one running job, so the click path is tested without training."""

    def __init__(self):
        self.submitted = []
        self.job = None

    def submit(self, spec, config, name=None, preset=None, owner="local", tag=None, actor=None):
        self.submitted.append((spec, config, name, preset))
        self.job = SimpleNamespace(
            id="job-1",
            name=name,
            tag=tag,
            status="running",
            is_active=True,
            is_finished=False,
            fraction=0.4,
            progress={"epoch": 2, "epochs": 3, "eta_s": 2.0},
        )
        return self.job

    def get(self, job_id):
        return self.job if self.job and job_id == self.job.id else None

    def jobs(self, owner=None):
        return [self.job] if self.job else []

    def position(self, job_id):
        return None


def test_quick_training_button_submits_a_small_baseline(artifacts, monkeypatch):
    import mnistlab.app.state
    from mnistlab.specs import PRESETS

    runner = FakeRunner()
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    at.button(key="draw_quick_start").click().run()
    assert not at.exception
    assert len(runner.submitted) == 1
    spec, config, name, preset = runner.submitted[0]
    assert (
        spec == PRESETS["baseline"] and config.epochs == 3 and name == "quick start" and preset == "baseline"
    )
    assert runner.job.tag == "draw-quick-start"  # other sessions find the shared quick start by its tag
    progress = at.get("progress")
    assert progress and "Epoch 2/3" in progress[0].proto.text
    assert not [b for b in at.button if b.key == "draw_quick_start"]  # no second click while it trains

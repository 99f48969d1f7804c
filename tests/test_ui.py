"""The Streamlit glue: what mnistlab changes in Streamlit's behaviour, and why it holds."""

import sys


def test_streamlit_no_longer_clears_the_keras_session_after_each_script_run(monkeypatch):
    from streamlit.runtime.scriptrunner import script_runner

    import mnistlab.app.state  # noqa: F401 - importing it is what installs the change
    from mnistlab.tf import keras

    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    closed = []
    fake_pyplot = type(sys)("matplotlib.pyplot")
    fake_pyplot.close = lambda which: closed.append(which)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", fake_pyplot)
    script_runner._clean_problem_modules()
    assert cleared == []  # a background training keeps its speed while a page refreshes every second
    assert closed == ["all"]  # the rest of Streamlit's clean-up still happens


def test_the_streamlit_config_keeps_live_pages_light():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"

"""The Streamlit glue: what mnistlab changes in Streamlit's behaviour, and why it holds."""


def test_the_streamlit_config_keeps_live_pages_light():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"

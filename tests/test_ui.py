"""The Streamlit glue: what mnistlab changes in Streamlit's behaviour, and why it holds."""


def test_the_streamlit_config_keeps_live_pages_light():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"


def test_a_page_reruns_when_a_watched_job_ends():
    from types import SimpleNamespace

    from mnistlab.app.live_jobs import ids_of, set_shrank

    jobs = [SimpleNamespace(id="a", is_active=True), SimpleNamespace(id="b", is_active=False)]
    assert ids_of(jobs) == {"a"}
    assert (
        set_shrank({"a", "b"}, {"a"}) and not set_shrank({"a"}, {"a", "c"}) and not set_shrank(set(), {"a"})
    )
    # The Train page reruns only when the last active job ends (its fragment shows the others' progress).
    assert not set_shrank({"a", "b"}, {"a"}, until_none=True) and set_shrank({"a"}, set(), until_none=True)


def test_one_page_list_names_every_page_script():
    from pathlib import Path

    from mnistlab.app.navigation import CLASS, LEADERBOARD, PAGES, page_path

    root = Path(__file__).resolve().parents[1]
    listed = {page.path for page in (*PAGES, LEADERBOARD, CLASS)}
    assert listed == {f"pages/{p.name}" for p in (root / "pages").glob("*.py")}
    assert PAGES[0].name == "home" and page_path("draw") == "pages/draw.py"
    assert page_path("class") == "pages/class_room.py"


def test_the_streamlit_internal_behind_deep_links_is_still_there():
    """``state.ensure_app_navigation`` flips ``PagesManager.uses_pages_directory`` (no public switch exists while
    the pages live in ``pages/``); pyproject pins Streamlit to the versions checked here. If this fails after an
    upgrade, a first visit to a deep link runs its page outside app.py's navigation."""
    import inspect

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx, script_runner
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    assert "uses_pages_directory" in vars(PagesManager) and callable(get_script_run_ctx)
    assert "main_script_path" in ScriptRunContext.__dataclass_fields__
    # The flag still decides, on every run, whether the main script runs as an old-style multipage app.
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner)


def test_every_page_calls_for_app_navigation_first_and_never_during_an_import():
    """A rerun raised while ``mnistlab.app.state`` was being imported gave a second session, importing it at that
    moment, a half-made module. So the check is a call each page makes before it draws anything."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]

    def calls_it(node) -> bool:
        return (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func).split(".")[-1] == "ensure_app_navigation"
        )

    for path in sorted((root / "pages").glob("*.py")):
        body = [
            node
            for node in ast.parse(path.read_text()).body
            if not isinstance(node, ast.Import | ast.ImportFrom)
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))  # the docstring
        ]
        assert body and calls_it(body[0]), f"{path.name} does not call ensure_app_navigation() first"
    state = ast.parse((root / "mnistlab" / "app" / "state.py").read_text())
    assert not any(calls_it(node) for node in state.body), "state.py must not rerun while it is imported"


def test_the_server_resets_keras_after_a_run_without_a_full_garbage_collection(monkeypatch):
    """Streamlit still cleans Keras and matplotlib through ``_clean_problem_modules`` after every run (the internal
    the app replaces); the app's version keeps the reset but asks for no full collection."""
    import inspect
    import sys
    import types

    from streamlit.runtime.scriptrunner import script_runner

    import mnistlab.app.state as state

    assert "_clean_problem_modules()" in inspect.getsource(script_runner)
    state.keep_keras_between_runs()
    calls = []
    backend = types.SimpleNamespace(clear_session=lambda **kwargs: calls.append(("keras", kwargs)))
    pyplot = types.SimpleNamespace(close=lambda which: calls.append(("pyplot", which)))
    monkeypatch.setitem(sys.modules, "keras", types.SimpleNamespace(backend=backend))
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    script_runner._clean_problem_modules()
    assert calls == [("keras", {"free_memory": False}), ("pyplot", "all")]

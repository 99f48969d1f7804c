"""Every page with a Fashion-MNIST run beside an MNIST run: never mixed, class names where classes show.

Fast-lane tests write finished runs without models; ``slow`` ones use ``two_dataset_artifacts`` (one tiny
trained run per dataset). Tests that read Fashion-MNIST skip without Debian's package (fail in CI)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.two_datasets import finished_run

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=90)


def test_compare_opens_on_the_newest_runs_dataset_and_never_mixes_them(store):
    m1 = finished_run(store, "baseline", "mnist", 0.975, seed=1)
    m2 = finished_run(store, "dropout", "mnist", 0.981, seed=1)
    f1 = finished_run(store, "baseline", "fashion-mnist", 0.872, seed=1)
    at = page("compare").run()
    assert not at.exception
    assert at.segmented_control(key="compare_dataset").value == "fashion-mnist"  # the newest run's
    assert at.multiselect(key="compare_runs").options == [f"{store.load(f1).label}"]
    table = at.dataframe[0].value
    assert list(table["Run id"]) == [f1] and set(table["Dataset"]) == {"Fashion-MNIST"}
    at.segmented_control(key="compare_dataset").set_value("mnist").run()
    assert not at.exception
    assert sorted(at.multiselect(key="compare_runs").value) == sorted([m1, m2])
    assert set(at.dataframe[0].value["Dataset"]) == {"MNIST"}
    assert at.selectbox(key="manage_run").options  # housekeeping still reaches every run
    assert len(at.selectbox(key="manage_run").options) == 3


def test_compare_with_one_dataset_shows_no_filter(store):
    finished_run(store, "baseline", "mnist", 0.975)
    at = page("compare").run()
    assert not at.exception
    assert not [w for w in at.get("button_group") if getattr(w, "key", None) == "compare_dataset"]
    assert set(at.dataframe[0].value["Dataset"]) == {"MNIST"}

"""Learn's section "Why does a 98 % model misread my 7?": how MNIST was prepared, tilted and redrawn examples,
and the augment experiment with its measured figures (``mnistlab.handwriting.lesson``).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistlab.app.widgets import digit_gallery
from mnistlab.handwriting import lesson


def learn_section() -> None:
    """Learn: why a 98 % model misreads drawn digits, and the augment experiment with its measured figures."""
    st.subheader("Why does a 98 % model misread my 7?")
    st.markdown(
        "MNIST's digits were prepared in one particular way: each was **size-normalised** so its longer "
        "side fits a **20×20** box, placed in a 28×28 field with its **centre of mass** in the middle, "
        "drawn with a pen of one thickness — and written **upright** by people filling in forms. A model "
        "trained only on them learns that world very well (98 % of the test digits) and nothing outside it.\n\n"
        "The Draw page repeats the preparation (crop, 20-pixel box, centre of mass), so *where* and *how big* "
        "you draw hardly matter. What it cannot undo is *how* you draw: a 7 **tilted** by 20°, written in "
        "**italics**, with a **thick marker** or a **hairline** pen is still a 7 to you, but it is a shape the "
        "model has never seen."
    )
    _show_examples()
    st.markdown(
        "**The fix: show the model such digits while it learns.** With *Augment* on the Train page, half "
        "of every training batch is tilted, slanted, resized a little and sometimes thickened at random. "
        "The model itself does not change — the variations run only during training — so it predicts just "
        "as fast, and its file is the same kind of file."
    )
    figures = lesson.load_figures()
    if figures is None:
        st.info(
            "The measured comparison appears here once `docs/handwriting.json` exists: "
            "`uv run python benchmarks/augment.py --out docs/handwriting.json`.",
            icon=":material/info:",
        )
        return
    st.dataframe(
        lesson.comparison_rows(figures),
        hide_index=True,
        column_config={
            "Without (%)": st.column_config.NumberColumn(format="%.2f"),
            "Augment (%)": st.column_config.NumberColumn(format="%.2f"),
            "Change (pt)": st.column_config.NumberColumn(format="%+.2f"),
        },
    )
    plain_s, augmented_s, ratio = lesson.training_time(figures)
    st.caption(
        f"Training time {plain_s:.1f} s without, {augmented_s:.1f} s with augment ({ratio:.2f}×). "
        + lesson.setup_line(figures)
    )
    st.markdown(
        "**Rerun the experiment** — in the app: train the *dropout* preset twice on the Train page, once "
        "with *Augment*, keep a few of your own digits on the Draw page, and compare both runs on your "
        "set in Compare. On the command line:"
    )
    st.code(
        "uv run mnistlab train --preset dropout\n"
        "uv run mnistlab train --preset dropout --augment\n"
        "uv run mnistlab evaluate RUN_ID --set my-handwriting\n"
        "uv run python benchmarks/augment.py --seeds 3      # the figures above",
        language="bash",
    )


@st.cache_data(show_spinner=False)
def _examples() -> tuple[list, list, list]:
    from mnistlab.bench.drawn_digits import redraw_tilted
    from mnistlab.data import load_mnist
    from mnistlab.drawing import canvas_to_mnist

    data = load_mnist()
    picks = [0, 17, 26, 34, 41, 47]  # sevens and a few others from the test set
    rng = np.random.default_rng(3)
    originals = [data.x_test[i] for i in picks]
    tilted = [(canvas_to_mnist(redraw_tilted(data.x_test[i], rng)) * 255).astype(np.uint8) for i in picks]
    labels = [int(data.y_test[i]) for i in picks]
    return originals, tilted, labels


def _show_examples() -> None:
    originals, tilted, labels = _examples()
    st.caption("MNIST test digits as MNIST has them, then tilted, slanted and redrawn as on a canvas:")
    with st.columns([3, 2])[0]:
        digit_gallery(
            originals + tilted,
            [f"MNIST {d}" for d in labels] + [f"redrawn {d}" for d in labels],
            scale=2,
        )

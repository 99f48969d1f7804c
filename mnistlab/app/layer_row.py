"""The move up / move down / remove buttons of one layer row in the Train page's architecture builder.

Each button shows only its icon, but carries a real label ("Move layer 2 up") that screen readers announce and
tests find by role; the label is hidden from sight by app.py's stylesheet (see ``layout``), not removed.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mnistlab.app import builder
from mnistlab.app.layout import ICON_BUTTON_KEY as KEY_PREFIX


def layer_buttons(index: int, uid: int, count: int, edit: Callable) -> None:
    """Three icon buttons for the layer at ``index`` (of ``count``); ``edit(change, *args)`` applies a
    ``builder`` change to the draft."""
    number = index + 1
    with st.container(horizontal=True, wrap=False, gap="small", width="content"):
        st.button(
            f"Move layer {number} up",
            icon=":material/arrow_upward:",
            key=f"{KEY_PREFIX}-up-{uid}",
            help="Move up",
            disabled=index == 0,
            on_click=edit,
            args=(builder.move_layer, index, -1),
        )
        st.button(
            f"Move layer {number} down",
            icon=":material/arrow_downward:",
            key=f"{KEY_PREFIX}-down-{uid}",
            help="Move down",
            disabled=index == count - 1,
            on_click=edit,
            args=(builder.move_layer, index, 1),
        )
        st.button(
            f"Remove layer {number}",
            icon=":material/delete:",
            key=f"{KEY_PREFIX}-remove-{uid}",
            help="Remove this layer",
            on_click=edit,
            args=(builder.remove_layer, index),
        )

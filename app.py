"""mnistlab dashboard: ``uv run streamlit run app.py``."""

import streamlit as st

from mnistlab.app import identity
from mnistlab.app.layout import use_responsive_layout
from mnistlab.app.navigation import app_pages
from mnistlab.app.state import note_app_navigation, prepare_pages, start_background_work

st.set_page_config(page_title="mnistlab", page_icon="✍️", layout="wide")
use_responsive_layout()

# At the top rather than in a sidebar: on a laptop half-screen or a phone the page keeps the whole width.
page = st.navigation(app_pages(extra=identity.class_pages()), position="top")
note_app_navigation()  # this session's pages run through here (see ensure_app_navigation)
identity.page_gate(page.url_path)  # in class mode: the join form first, and pages the teacher switched off
prepare_pages(page.url_path)  # the pages' views, imported once per server (after Home, before any other page)
try:
    page.run()
finally:  # also when the page stops early (st.stop, a switch to another page)
    # After the page, so the first render after a start has the CPU to itself; workers warm up before the first click.
    start_background_work()

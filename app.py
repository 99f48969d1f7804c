"""mnistlab dashboard: ``uv run streamlit run app.py``."""

import streamlit as st

from mnistlab.app import identity
from mnistlab.app.layout import use_responsive_layout
from mnistlab.app.navigation import app_pages
from mnistlab.app.state import start_background_work

st.set_page_config(page_title="mnistlab", page_icon="✍️", layout="wide")
use_responsive_layout()
start_background_work()  # training workers warm up now, not on the first click

# At the top rather than in a sidebar: on a laptop half-screen or a phone the page keeps the whole width.
page = st.navigation(app_pages(extra=identity.class_pages()), position="top")
identity.page_gate(page.url_path)  # in class mode: the join form first, and pages the teacher switched off
page.run()

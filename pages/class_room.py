"""Class (teacher only): every pupil, their jobs and runs, the class's limits, codes, the challenge."""

import streamlit as st

from mnistlab.app import class_view
from mnistlab.app.state import ensure_app_navigation

ensure_app_navigation()
st.title("Class")
class_view.class_page()

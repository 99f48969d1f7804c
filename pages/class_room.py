"""Class (teacher only): every pupil, their jobs and runs, the class's limits, codes, the challenge."""

import streamlit as st

from mnistlab.app import class_view

st.title("Class")
class_view.class_page()

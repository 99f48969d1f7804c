"""Leaderboard: each pupil's best run in the class challenge, live, large enough for a projector."""

import streamlit as st

from mnistlab.app import leaderboard_view
from mnistlab.app.identity import class_book, current_person
from mnistlab.app.state import ensure_app_navigation
from mnistlab.people.classroom import Challenge

ensure_app_navigation()
current_person()
st.title("Leaderboard")
st.markdown(f"### {(class_book().settings().challenge or Challenge()).title}")
leaderboard_view.live_board()

"""mnistlab dashboard: ``uv run streamlit run app.py``."""

import streamlit as st

from mnistlab.app import identity
from mnistlab.app.layout import use_responsive_layout
from mnistlab.app.state import start_background_work

st.set_page_config(page_title="mnistlab", page_icon="✍️", layout="wide")
use_responsive_layout()
start_background_work()  # training workers warm up now, not on the first click

# Home is served at / (Streamlit reserves the default page's url_path without serving it, hence "start").
home = st.Page("pages/home.py", title="Home", icon=":material/home:", default=True, url_path="start")
pages = [
    home,
    st.Page("pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page("pages/compare.py", title="Compare", icon=":material/bar_chart:", url_path="compare"),
    st.Page("pages/inspect.py", title="Inspect", icon=":material/search:", url_path="inspect"),
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
    st.Page("pages/sweep.py", title="Sweep", icon=":material/tune:", url_path="sweep"),
    st.Page("pages/learn.py", title="Learn", icon=":material/school:", url_path="learn"),
    *identity.class_pages(),  # Leaderboard (in class mode) and Class (the teacher's)
    # /home (typed, bookmarked, old links) opens Home at /; hidden, so the menu lists Home once.
    st.Page(lambda: st.switch_page(home), title="Home", url_path="home", visibility="hidden"),
]
# At the top rather than in a sidebar: on a laptop half-screen or a phone the page keeps the whole width.
page = st.navigation(pages, position="top")
identity.page_gate(page.url_path)  # in class mode: the join form first, and the teacher's page switches
page.run()

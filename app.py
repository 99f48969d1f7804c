"""mnistlab dashboard: ``uv run streamlit run app.py``."""

import streamlit as st

from mnistlab.app.state import start_background_work

st.set_page_config(page_title="mnistlab", page_icon="✍️", layout="wide")
start_background_work()  # training workers warm up now, not on the first click

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True, url_path="home"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page("pages/compare.py", title="Compare", icon=":material/bar_chart:", url_path="compare"),
    st.Page("pages/inspect.py", title="Inspect", icon=":material/search:", url_path="inspect"),
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
    st.Page("pages/learn.py", title="Learn", icon=":material/school:", url_path="learn"),
]
st.navigation(pages).run()

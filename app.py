"""mnistlab dashboard: ``uv run streamlit run app.py``."""

import streamlit as st

st.set_page_config(page_title="mnistlab", page_icon="✍️", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True, url_path="home"),
    st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
    st.Page("pages/compare.py", title="Compare", icon="📊", url_path="compare"),
    st.Page("pages/inspect.py", title="Inspect", icon="🔍", url_path="inspect"),
    st.Page("pages/draw.py", title="Draw", icon="✏️", url_path="draw"),
    st.Page("pages/learn.py", title="Learn", icon="🎓", url_path="learn"),
]
st.navigation(pages).run()

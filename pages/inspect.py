import streamlit as st

st.title("Inspect")
st.info("Coming soon.")

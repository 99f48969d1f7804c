import streamlit as st

st.title("Home")
st.info("Coming soon.")

import streamlit as st

st.title("Draw")
st.info("Coming soon.")

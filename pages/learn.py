import streamlit as st

st.title("Learn")
st.info("Coming soon.")

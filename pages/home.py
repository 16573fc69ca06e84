import streamlit as st

from ui import context

viewer = context.require()
st.title("home")

"""HTTP endpoints that are not screens (health, provider webhooks), mounted on Streamlit's ASGI
server with st.App(routes=...); see web/asgi.py."""

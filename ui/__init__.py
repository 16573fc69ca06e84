"""Streamlit-only helpers shared by app.py and the pages: database handle, the logged-in viewer,
formatting and error display. Business rules never live here (they are in core/)."""

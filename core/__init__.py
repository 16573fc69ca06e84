"""H23 CRM workflow core: domain rules as plain Python on SQLAlchemy sessions.

Never imports streamlit: the screens, the worker, the CLI and the tests all call the same code.
"""

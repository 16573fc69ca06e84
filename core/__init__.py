"""H23 CRM workflow core: domain rules as plain Python on SQLAlchemy sessions.

Never imports streamlit: the screens, the worker, the CLI and the tests all call the same code.
"""

from core.platform import text_input as _text_input  # noqa: F401  installs the ORM write check of core.platform.text_input

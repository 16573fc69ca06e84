"""Issue 20.9: no widget key of ours is a session-state key streamlit-authenticator writes itself.
A widget's key is its value in st.session_state, and Streamlit refuses a script's assignment to a
widget's key (StreamlitValueAssignmentNotAllowedError): the sidebar's logout button once had the key
"logout", which the library sets on every logout and cookie check."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import streamlit_authenticator

from tests.conftest import ROOT

LIBRARY = Path(streamlit_authenticator.__file__).parent


def _library_keys() -> set[str]:
    pattern = re.compile(r"""session_state(?:\[|\.get\(|\.pop\(|\.setdefault\()\s*['"](\w+)['"]""")
    return {m for path in LIBRARY.rglob("*.py") for m in pattern.findall(path.read_text())}


def _our_widget_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "key" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        keys[kw.value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return keys


def test_the_library_keys_are_found():
    assert {"logout", "authentication_status", "username", "name"} <= _library_keys()


def test_no_widget_key_clashes_with_the_login_library():
    ours = _our_widget_keys()
    assert len(ours) > 20  # the scan sees our widgets
    clashes = {key: where for key, where in ours.items() if key in _library_keys()}
    assert not clashes, f"widget keys the login library writes itself: {clashes}"

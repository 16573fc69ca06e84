"""Issue 8: Streamlit's production settings in .streamlit/config.toml, read back and checked against the
options this Streamlit version knows (a misspelt key would be silently ignored by Streamlit)."""

from __future__ import annotations

import tomllib

from streamlit import config as st_config

from tests.conftest import ROOT

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def _flat(table: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


OPTIONS = _flat(CONFIG)


def test_every_key_is_an_option_streamlit_knows():
    unknown = [k for k in OPTIONS if k not in st_config._config_options_template]
    assert unknown == []


def test_xsrf_and_cors_protection_are_on():
    # enableCORS = true is the *protection* (no Access-Control-Allow-Origin: *, WebSocket same-origin only).
    assert OPTIONS["server.enableXsrfProtection"] is True
    assert OPTIONS["server.enableCORS"] is True
    assert "server.corsAllowedOrigins" not in OPTIONS or OPTIONS["server.corsAllowedOrigins"] == []


def test_users_get_no_developer_menu_and_no_tracebacks():
    assert OPTIONS["client.toolbarMode"] == "minimal"
    assert OPTIONS["client.showErrorDetails"] == "none"
    assert OPTIONS["client.showErrorLinks"] is False


def test_uploads_are_limited_and_nothing_phones_home():
    assert 1 <= OPTIONS["server.maxUploadSize"] <= 200  # MB
    assert OPTIONS["browser.gatherUsageStats"] is False
    assert OPTIONS["server.headless"] is True
    assert OPTIONS["server.fileWatcherType"] == "none" and OPTIONS["server.runOnSave"] is False

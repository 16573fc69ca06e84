"""The served app's script runner settings as `streamlit run` reads them from .streamlit/config.toml
(issue 5: 10 admins saving outcomes at once). Each save reruns one row; Streamlit's default full
garbage collection after every run held the GIL for about 100 ms and queued every session behind it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def _option_as_served(name: str) -> str:
    """The option's value in a fresh process started where run.sh starts the app (the repository root)."""
    code = f"from streamlit import config; print(config.get_option({name!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    return done.stdout.strip().splitlines()[-1]


def test_no_full_garbage_collection_after_each_script_run():
    assert _option_as_served("runner.postScriptGC") == "False"


def test_the_config_file_is_what_sets_it():
    # Streamlit's own default is True: without our config.toml the served app would collect after every run.
    from streamlit import config

    assert config._config_options_template["runner.postScriptGC"].default_val is True

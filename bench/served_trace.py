"""`streamlit run web/asgi.py ...` with a trace of every script run, for bench/screens_browser.py --trace.

The app is served exactly as run.sh serves it; the trace only wraps Streamlit's script runner and counts
the SQL statements each run executes, appending one JSON line per run to $H23_TRACE_FILE:
{"fragment": true/false, "ms": wall, "cpu_ms": the run thread's CPU, "sql": statements, "page": script}.
It answers "does an interaction cause a full-page rerun, or extra reruns, and what does one cost".
With $H23_TRACE_PROFILES (a folder) each run's cProfile is also saved there.
Not used by the measured runs (the wrapper costs a little)."""

from __future__ import annotations

import cProfile
import json
import os
import sys
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from streamlit.runtime.scriptrunner import script_runner
from streamlit.web import cli

_local = threading.local()
_lock = threading.Lock()
TRACE = os.environ["H23_TRACE_FILE"]
PROFILES = os.environ.get("H23_TRACE_PROFILES")  # a folder: one cProfile file per script run


@event.listens_for(Engine, "before_cursor_execute")
def _count(*_args: Any) -> None:
    _local.sql = getattr(_local, "sql", 0) + 1


_original = script_runner.ScriptRunner._run_script


def _traced(self: Any, rerun_data: Any) -> None:
    _local.sql = 0
    started, cpu = time.perf_counter(), time.thread_time()
    profile = cProfile.Profile() if PROFILES else None
    try:
        if profile is not None:
            profile.runcall(_original, self, rerun_data)
        else:
            _original(self, rerun_data)
    finally:
        if profile is not None and PROFILES:
            kind = "fragment" if rerun_data.fragment_id_queue else "full"
            profile.dump_stats(os.path.join(PROFILES, f"{kind}-{time.time_ns()}.prof"))
        line = {"fragment": bool(rerun_data.fragment_id_queue), "ms": round((time.perf_counter() - started) * 1000, 1),
                "cpu_ms": round((time.thread_time() - cpu) * 1000, 1), "sql": _local.sql,
                "page": rerun_data.page_script_hash[:8] if rerun_data.page_script_hash else "",
                "at": round(time.time(), 3)}
        with _lock, open(TRACE, "a") as f:
            f.write(json.dumps(line) + "\n")


script_runner.ScriptRunner._run_script = _traced  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()

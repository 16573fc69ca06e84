"""The served stack for bench/scale.py and tests/test_stack.py: deploy/run-stack.sh started as an operator
starts it (its own process group, so stopping it stops every process it started), the CPU its
processes use, and killing one app process the way a crash does (SIGKILL; run-stack.sh restarts it).
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Stack:
    base: str  # the proxy, as users reach it
    stats: str  # HAProxy's stats page
    run_dir: Path
    proc: subprocess.Popen[bytes]
    apps: int

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text().strip())

    def servers_up(self) -> dict[str, str]:
        """HAProxy's view of each app process: app1 -> UP / DOWN / ..."""
        with urllib.request.urlopen(f"{self.stats}/;csv", timeout=5) as r:
            rows = csv.reader(io.StringIO(r.read().decode().lstrip("# ")))
            head = next(rows)
            at = {k: i for i, k in enumerate(head)}
            return {row[at["svname"]]: row[at["status"]] for row in rows
                    if row and row[at["pxname"]] == "app" and row[at["svname"]].startswith("app")
                    and not row[at["svname"]].endswith("-open")}  # the fail-open backups have no check

    def wait_all_up(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                up = self.servers_up()
                if len(up) == self.apps and all(s.startswith("UP") for s in up.values()):
                    return
            except OSError:
                up = {}
            if self.proc.poll() is not None:
                raise RuntimeError(f"run-stack.sh exited ({self.proc.returncode}); see {self.run_dir}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"app processes not up after {timeout:.0f} s: {up}")
            time.sleep(0.5)

    def kill_app(self, n: int) -> int:
        """Kill app process n as a crash would; returns its pid (run-stack.sh restarts it in 2 s)."""
        pid = self.pid(f"app-{n}")
        os.kill(pid, signal.SIGKILL)
        return pid

    def cpu_by_pid(self) -> dict[int, float]:
        """User + system CPU seconds of every live process of the stack (the apps, workers and HAProxy)."""
        out: dict[int, float] = {}
        pgid = os.getpgid(self.proc.pid)
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # fields[2] is the process group (field 5 of stat)
                out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        return out


class CpuMeter:
    """The stack's CPU over a window, sampled every second so a process killed in the window still
    counts up to its last sample (a restarted one counts from its start)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.start = stack.cpu_by_pid()
        self.seen = dict(self.start)

    def sample(self) -> None:
        for pid, cpu in self.stack.cpu_by_pid().items():
            self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    def seconds(self) -> float:
        self.sample()
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.seen.items())


@contextmanager
def serving(database_url: str, *, apps: int, workers: int, port: int, app_port: int, run_dir: Path,
            script: str = "web/asgi.py", setup: bool = True) -> Iterator[Stack]:
    """deploy/run-stack.sh with these counts and ports, until the block ends (then TERM and wait)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": database_url, "H23_APPS": str(apps), "H23_WORKERS": str(workers),
           "H23_PORT": str(port), "H23_APP_PORT": str(app_port), "H23_STATS_PORT": str(port + 1),
           "H23_RUN_DIR": str(run_dir), "H23_DATA_DIR": str(run_dir), "H23_PY": sys.executable,
           "H23_APP_SCRIPT": script, "H23_SKIP_SETUP": "" if setup else "1"}
    env.pop("H23_DEMO", None)
    log = open(run_dir / "stack.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(ROOT / "deploy" / "run-stack.sh")], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    stack = Stack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}", run_dir, proc, apps)
    try:
        stack.wait_all_up()
        yield stack
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()

"""Issue 14: HAProxy or nginx in front of the app processes, measured. The same app processes (run-stack.sh)
are reached through HAProxy (its config: sticky cookie, active /healthz checks) and through Debian's nginx
(open-source nginx has no sticky cookie: `hash $cookie__streamlit_xsrf consistent`, Streamlit's own
per-browser cookie, with passive failure detection), one after the other, by the same headless admins
(bench/scale_session.py), each run killing app process 1 a third of the way in.

    python -m bench.proxy_choice --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h23_scale

Prints per proxy: p95 of the work interactions, errors, sessions lost after the kill, the proxy's own CPU.
The last line compares HAProxy (the product's choice) with nginx (the floor it is measured against)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from bench import scale, stack as stacks
from bench.common import arg_parser, report

NGINX = """worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream app {{
        hash $cookie__streamlit_xsrf consistent;
        {servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 200m;
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 2h;
        }}
    }}
}}
"""


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / stacks.CLK_TCK
    return total


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *map(int, out)]


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--apps", type=int, default=2)
    parser.add_argument("--pace", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=45.0)
    parser.add_argument("--port", type=int, default=8680)
    parser.add_argument("--app-port", type=int, default=8660)
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.pace, args.window = 10, 3.0, 15.0
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is missing: apt-get install -y nginx (only this measurement needs it)")
    url = args.database_url
    people = scale.prepare(url, 2 * args.sessions)
    run = scale.DATA / f"proxy-{os.getpid()}"
    results = {}
    with stacks.serving(url, apps=args.apps, workers=1, port=args.port, app_port=args.app_port,
                        run_dir=run / "stack") as stack:
        servers = "\n        ".join(f"server 127.0.0.1:{args.app_port + i} max_fails=1 fail_timeout=5s;"
                                   for i in range(args.apps))
        conf = run / "nginx.conf"
        conf.write_text(NGINX.format(run=run, servers=servers, port=args.port + 5))
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"], start_new_session=True)
        try:
            time.sleep(1)
            haproxy_pids = _children(stack.pid("haproxy"))
            for name, base, pids, group in (("nginx", f"http://127.0.0.1:{args.port + 5}", _children(nginx.pid), 0),
                                            ("haproxy", stack.base, haproxy_pids, 1)):
                stack.wait_all_up()
                view = stacks.Stack(base, stack.stats, stack.run_dir, stack.proc, stack.apps)
                cpu0 = _cpu(pids)
                chosen = people[group * args.sessions:(group + 1) * args.sessions]
                res, persons = asyncio.run(scale.drive(view, chosen, [args.sessions], pace=args.pace,
                                                       window=args.window, ramp=args.pace, kill=True, floor=False))
                saved, missing, _ = scale.verify(url, persons)
                results[name] = (res[0], _cpu(pids) - cpu0, saved, missing)
                r = res[0]
                print(f"{name}: work p95 {1000 * r['work_p95']:.0f} ms, errors {len(r['errors'])}, reconnects "
                      f"{r['reconnects']}, sessions lost {r['lost']}, saved {saved} (missing {missing}), proxy CPU "
                      f"{results[name][1]:.2f} s", flush=True)
                time.sleep(10)  # the killed process is back before the next proxy's run
        finally:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait(timeout=30)
    report("proxy p95 per interaction, HAProxy vs nginx", 1000 * results["haproxy"][0]["work_p95"], "ms",
           1000 * results["nginx"][0]["work_p95"], "ms")


if __name__ == "__main__":
    main()

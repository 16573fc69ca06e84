#!/usr/bin/env bash
# The production shape on one machine, with one command (`./run.sh --prod` runs this):
# H23_APPS Streamlit app processes (default: one per core) behind HAProxy with sticky sessions, and
# H23_WORKERS background workers (default 1), all claiming their work from the same database.
# An app process or worker that dies is restarted after 2 s (as systemd does in production:
# deploy/RUNBOOK.md). Ctrl-C (or TERM) stops everything and waits for it.
#
# Environment (besides run.sh's DATABASE_URL, H23_DATA_DIR, H23_COOKIE_KEY):
#   H23_PORT (8501)          the proxy's port: the address users open
#   H23_ADDRESS (127.0.0.1)  the proxy's address (0.0.0.0 to serve the network)
#   H23_APP_PORT (PORT+10)   the first app process's port (127.0.0.1 only); the others follow
#   H23_STATS_PORT (PORT+1)  HAProxy's stats page (127.0.0.1)
#   H23_APPS, H23_WORKERS    how many app processes and workers
#   H23_RUN_DIR              pid files, the generated haproxy.cfg and the logs (default DATA_DIR/run)
#   H23_PY                   an interpreter to use as it is (no .venv bootstrap; the tests use it)
#   H23_SKIP_SETUP=1         do not run setup-demo (the database is already migrated)
#   H23_APP_SCRIPT           what the app processes serve (web/asgi.py; bench/scale.py's floor differs)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

if [[ -t 2 ]]; then B=$'\033[1m' R=$'\033[1;31m' N=$'\033[0m'; else B="" R="" N=""; fi
say() { printf '%s[stack]%s %s\n' "$B" "$N" "$*" >&2; }
die() { printf '%s[stack] ERROR:%s %s\n' "$R" "$N" "$*" >&2; exit 1; }

PORT="${H23_PORT:-8501}"
ADDRESS="${H23_ADDRESS:-127.0.0.1}"
APP_PORT="${H23_APP_PORT:-$((PORT + 10))}"
STATS_PORT="${H23_STATS_PORT:-$((PORT + 1))}"
APPS="${H23_APPS:-$(nproc)}"
WORKERS="${H23_WORKERS:-1}"
DATA_DIR="${H23_DATA_DIR:-data}"
APP_SCRIPT="${H23_APP_SCRIPT:-web/asgi.py}"
RUN="${H23_RUN_DIR:-$DATA_DIR/run}"
[[ "$APPS" =~ ^[1-9][0-9]*$ ]] || die "H23_APPS must be a positive number, not '$APPS'"
[[ "$WORKERS" =~ ^[0-9]+$ ]] || die "H23_WORKERS must be a number, not '$WORKERS'"

# ---------------------------------------------------------------- the proxy (Debian's haproxy)
if ! command -v haproxy >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's haproxy (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null \
            || die "apt-get could not install haproxy"
    else
        die "haproxy is missing: install it as root with   apt-get install -y haproxy"
    fi
fi

# ---------------------------------------------------------------- python, database, cookie key
if [[ -n "${H23_PY:-}" ]]; then
    PY="$H23_PY"
else
    # shellcheck source=scripts/bootstrap.sh
    source scripts/bootstrap.sh
    bootstrap_venv requirements.txt
    PY=.venv/bin/python
fi
mkdir -p "$DATA_DIR" "$RUN"
rm -f "$RUN"/*.pid "$RUN/stopping"
if [[ "${H23_SKIP_SETUP:-}" != 1 ]]; then
    say "migrating the database and loading the demo dealer if it is empty"
    "$PY" -m core.cli setup-demo >"$RUN/setup.log" 2>&1 || { cat "$RUN/setup.log" >&2; die "setup-demo failed"; }
fi
if [[ -z "${H23_COOKIE_KEY:-}" ]] && ! grep -qs '^cookie_key' .streamlit/secrets.toml; then
    keyfile="$DATA_DIR/cookie_key"  # every app process must share the key: one file for all
    [[ -s "$keyfile" ]] || (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$keyfile")
    H23_COOKIE_KEY="$(cat "$keyfile")"
    export H23_COOKIE_KEY
fi

# ---------------------------------------------------------------- supervised processes
# supervise NAME COMMAND...: run it, write its pid to RUN/NAME.pid, restart it 2 s after it dies.
supervise() {
    local name="$1"; shift
    while [[ ! -e "$RUN/stopping" ]]; do
        "$@" >>"$RUN/$name.log" 2>&1 &
        local pid=$!
        echo "$pid" >"$RUN/$name.pid"
        wait "$pid" || true
        [[ -e "$RUN/stopping" ]] && break
        say "$name (pid $pid) exited; restarting it in 2 s (log: $RUN/$name.log)"
        sleep 2
    done
}

LOOPS=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    trap - EXIT INT TERM
    touch "$RUN/stopping"
    say "stopping the stack"
    for f in "$RUN"/*.pid; do [[ -e "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$RUN"/*.pid
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for i in $(seq 1 "$WORKERS"); do
    supervise "worker-$i" "$PY" -m core.cli worker &
    LOOPS+=($!)
done
for i in $(seq 1 "$APPS"); do
    supervise "app-$i" "$PY" -m streamlit run "$APP_SCRIPT" --server.port "$((APP_PORT + i - 1))" \
        --server.address 127.0.0.1 --server.headless true &
    LOOPS+=($!)
done
deploy/haproxy-config.sh "$APPS" "$ADDRESS:$PORT" "$APP_PORT" "127.0.0.1:$STATS_PORT" >"$RUN/haproxy.cfg"
haproxy -c -q -f "$RUN/haproxy.cfg" || die "the generated $RUN/haproxy.cfg is not valid"
haproxy -db -W -f "$RUN/haproxy.cfg" >>"$RUN/haproxy.log" 2>&1 &
echo $! >"$RUN/haproxy.pid"

URL_HOST="$ADDRESS"
[[ "$ADDRESS" == "0.0.0.0" ]] && URL_HOST="127.0.0.1"
cat >&2 <<INFO

  H23 CRM (production shape) is starting on  http://${URL_HOST}:${PORT}
    $APPS app processes on 127.0.0.1:${APP_PORT}-$((APP_PORT + APPS - 1)) (each: /healthz), $WORKERS worker(s)
    HAProxy stats: http://127.0.0.1:${STATS_PORT}/     logs and pids: $RUN/
  Stop with Ctrl-C.

INFO
# Until Ctrl-C/TERM, or until the proxy stops (without it nobody reaches the app).
wait "$(cat "$RUN/haproxy.pid")" || true
die "haproxy stopped (see $RUN/haproxy.log)"

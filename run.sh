#!/usr/bin/env bash
# Quick start 1: set up everything and serve H23 CRM on http://127.0.0.1:8501
#   - creates .venv (Python >= 3.11) and installs requirements.txt when it changed
#   - migrates the database and fills the demo dealer if it is empty
#   - starts the background worker (when available) and the Streamlit app
#   ./run.sh --prod: the production shape instead (deploy/run-stack.sh: one app process per core
#   behind HAProxy, sticky sessions, a worker; H23_APPS / H23_WORKERS set the counts)
# Environment: DATABASE_URL, H23_PORT (8501), H23_ADDRESS (127.0.0.1), H23_DATA_DIR, H23_COOKIE_KEY,
#              H23_PYTHON (interpreter used to create .venv, default python3).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
if [[ "${1:-}" == "--prod" ]]; then
    exec deploy/run-stack.sh
fi

PORT="${H23_PORT:-8501}"
ADDRESS="${H23_ADDRESS:-127.0.0.1}"

if [[ -t 2 ]]; then B=$'\033[1m' R=$'\033[1;31m' N=$'\033[0m'; else B="" R="" N=""; fi
say() { printf '%s[run]%s %s\n' "$B" "$N" "$*" >&2; }
die() { printf '%s[run] ERROR:%s %s\n' "$R" "$N" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- venv bootstrap
# shellcheck source=scripts/bootstrap.sh
source scripts/bootstrap.sh

bootstrap_venv requirements.txt
PY=.venv/bin/python

# ---------------------------------------------------------------- database + demo data
mkdir -p "${H23_DATA_DIR:-data}"
say "migrating the database and loading the demo dealer if it is empty"
"$PY" -m core.cli setup-demo || die "python -m core.cli setup-demo failed (see above); the app was not started"

# ---------------------------------------------------------------- login cookie key
# The re-login cookie is signed with this key. Without one configured, make a random one once and
# keep it in the data folder (never a fixed example value).
if [[ -z "${H23_COOKIE_KEY:-}" ]] && ! grep -qs '^cookie_key' .streamlit/secrets.toml; then
    keyfile="${H23_DATA_DIR:-data}/cookie_key"
    if [[ ! -s "$keyfile" ]]; then
        (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$keyfile")
    fi
    H23_COOKIE_KEY="$(cat "$keyfile")"
    export H23_COOKIE_KEY
fi

# ---------------------------------------------------------------- worker + app
# web/asgi.py is app.py served by st.App together with our HTTP routes (/healthz, provider webhooks).
STREAMLIT=("$PY" -m streamlit run web/asgi.py
    --server.port "$PORT" --server.address "$ADDRESS" --server.headless true)

URL_HOST="$ADDRESS"
[[ "$ADDRESS" == "0.0.0.0" ]] && URL_HOST="127.0.0.1"
cat >&2 <<EOF

  H23 CRM is starting on  http://${URL_HOST}:${PORT}

  Demo logins (password demo1234 for all):
    ho.admin       head office PIC CRM, all branches
    kabeng.sam01   Kepala Bengkel, SAM01 Samarinda
    admin.sam01    Admin CRM, SAM01 Samarinda
    admin.man01    Admin CRM, MAN01 Manado

  Stop with Ctrl-C.

EOF

if timeout 60 "$PY" -m core.cli worker --help >/dev/null 2>&1; then
    WORKER_PID=""
    APP_PID=""
    # shellcheck disable=SC2317  # invoked by the EXIT trap
    cleanup() {
        trap - EXIT INT TERM
        if [[ -n "$APP_PID" ]]; then kill "$APP_PID" 2>/dev/null || true; fi
        if [[ -n "$WORKER_PID" ]]; then
            say "stopping the background worker (pid $WORKER_PID)"
            kill "$WORKER_PID" 2>/dev/null || true
        fi
        wait 2>/dev/null || true
    }
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$PY" -m core.cli worker &
    WORKER_PID=$!
    say "background worker started (pid $WORKER_PID)"
    # The app runs as a background job so a TERM/INT to this script runs the traps at once.
    "${STREAMLIT[@]}" &
    APP_PID=$!
    rc=0
    wait "$APP_PID" || rc=$?
    APP_PID=""
    exit "$rc"
else
    say "no background worker available (python -m core.cli worker): serving the app only"
    exec "${STREAMLIT[@]}"
fi

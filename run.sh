#!/usr/bin/env bash
# Quick start 1: set up everything and serve H23 CRM on http://127.0.0.1:8501
#   - creates .venv (Python >= 3.11) and installs requirements.txt when it changed
#   - migrates the database and fills the demo dealer if it is empty
#   - starts the background worker (when available) and the Streamlit app
# Environment: DATABASE_URL, H23_PORT (8501), H23_ADDRESS (127.0.0.1), H23_DATA_DIR, H23_COOKIE_KEY,
#              H23_PYTHON (interpreter used to create .venv, default python3).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

PORT="${H23_PORT:-8501}"
ADDRESS="${H23_ADDRESS:-127.0.0.1}"

if [[ -t 2 ]]; then B=$'\033[1m' R=$'\033[1;31m' N=$'\033[0m'; else B="" R="" N=""; fi
say() { printf '%s[run]%s %s\n' "$B" "$N" "$*" >&2; }
die() { printf '%s[run] ERROR:%s %s\n' "$R" "$N" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- venv bootstrap
# Creates .venv with a Python >= 3.11 and (re)installs the requirements file given as $1 only when
# its content (or an -r included file, or the interpreter) changed since the last successful install.
bootstrap_venv() {
    local req="$1" stamp=".venv/.h23-installed-$1.sha256"
    local py_ok='import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'
    if [[ -e .venv ]] && ! .venv/bin/python -c "$py_ok" 2>/dev/null; then
        say ".venv is broken or older than Python 3.11: recreating it"
        rm -rf .venv
    fi
    if [[ ! -x .venv/bin/python ]]; then
        local base="${H23_PYTHON:-python3}"
        command -v "$base" >/dev/null 2>&1 \
            || die "'$base' not found. Install Python 3.11 or newer (Debian 12: apt-get install python3 python3-venv)."
        if ! "$base" -c "$py_ok"; then
            die "H23 CRM needs Python >= 3.11, but '$base' is $("$base" -V 2>&1). Install 3.11+ or set H23_PYTHON=/path/to/python3.11."
        fi
        say "creating .venv with $("$base" -V 2>&1)"
        "$base" -m venv .venv \
            || die "could not create .venv (Debian: apt-get install python3-venv)"
    fi
    local want
    want="$( { .venv/bin/python -V 2>&1; cat "$req" requirements.txt; } | sha256sum | cut -d' ' -f1)"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        say "installing $req into .venv (it changed since the last install)"
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
        echo "$want" >"$stamp"
    fi
}

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
STREAMLIT=("$PY" -m streamlit run app.py
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

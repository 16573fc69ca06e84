#!/usr/bin/env bash
# Quick start 2: run every check: ruff, mypy and the pytest suite.
#   ./test.sh                      all tests on SQLite (a temp file made by the tests)
#   ./test.sh -m "not browser"     extra arguments go to pytest
#   DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/h23_test ./test.sh   on PostgreSQL
# Environment: DATABASE_URL (database under test), H23_SKIP_LINT=1 (skip ruff and mypy),
#              H23_PYTHON (interpreter used to create .venv, default python3).
# Exit code: the first failing step's code (all steps run, so you see every problem at once).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

CHROMIUM=/usr/bin/chromium

if [[ -t 2 ]]; then B=$'\033[1m' R=$'\033[1;31m' N=$'\033[0m'; else B="" R="" N=""; fi
say() { printf '%s[test]%s %s\n' "$B" "$N" "$*" >&2; }
die() { printf '%s[test] ERROR:%s %s\n' "$R" "$N" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- venv bootstrap
# shellcheck source=scripts/bootstrap.sh
source scripts/bootstrap.sh

bootstrap_venv requirements-dev.txt
PY=.venv/bin/python

# ---------------------------------------------------------------- chromium for the browser tests
# Playwright never downloads its own browser here: the tests launch Debian's chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [[ ! -x "$CHROMIUM" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium for the browser tests (apt-get)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
        say "apt-get could not install chromium"
    fi
fi
if [[ ! -x "$CHROMIUM" ]]; then
    cat >&2 <<EOF

  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
  !!  $CHROMIUM is missing: the browser tests (@pytest.mark.browser) WILL FAIL.
  !!  Install it as root:   apt-get update && apt-get install -y chromium
  !!  (do not run 'playwright install'; the tests use Debian's chromium)
  !!  To run everything else meanwhile:   ./test.sh -m "not browser"
  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!

EOF
fi
mkdir -p artifacts

# ---------------------------------------------------------------- checks
first_rc=0
step() {
    local name="$1" rc=0 t0=$SECONDS
    shift
    say "$name: $*"
    "$@" || rc=$?
    if [[ $rc -eq 0 ]]; then
        say "$name: ok ($((SECONDS - t0)) s)"
    else
        say "$name: FAILED with exit code $rc ($((SECONDS - t0)) s)"
        if [[ $first_rc -eq 0 ]]; then first_rc=$rc; fi
    fi
}

if [[ "${H23_SKIP_LINT:-0}" != "1" ]]; then
    step ruff "$PY" -m ruff check .
    step mypy "$PY" -m mypy
else
    say "H23_SKIP_LINT=1: skipping ruff and mypy"
fi

if [[ -n "${DATABASE_URL:-}" ]]; then
    say "database under test: $(sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$DATABASE_URL")"
else
    say "database under test: SQLite temp file made by the tests (DATABASE_URL unset)"
fi
step pytest "$PY" -m pytest "$@"

exit "$first_rc"

# Sourced by run.sh and test.sh (not run on its own): the shared .venv bootstrap.
# Needs say/die defined by the caller. bootstrap_venv FILE creates .venv with a Python >= 3.11 and
# (re)installs FILE only when it (or requirements.txt, or the interpreter) changed since the last install.
# shellcheck shell=bash
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


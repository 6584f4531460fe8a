#!/usr/bin/env bash
# Make this checkout ready to test and run: a Python 3.11 virtualenv in .venv with the project
# installed editable with its dev extras, the browser assets from npm (node_modules, when
# package.json exists) built into webapi/ui/static/dist, Debian's chromium and CJK fonts for the
# browser tests, and PostgreSQL's server binaries (initdb, pg_ctl) for the throw-away test server
# (scripts/pg_test_server.py).
#
#   scripts/bootstrap.sh                    everything (make test)
#   scripts/bootstrap.sh --without-postgres no PostgreSQL binaries and no browser (make run needs neither)
#
# Idempotent and fast when everything is present: pip runs only when pyproject.toml changed
# since the last successful install (a stamp in .venv), npm only when package.json or
# package-lock.json changed (a stamp in node_modules), apt-get only when something is missing.
set -euo pipefail

WITH_POSTGRES=1
for arg in "$@"; do
    case "$arg" in
        --without-postgres) WITH_POSTGRES=0 ;;
        *) printf 'bootstrap: unknown option %s\n' "$arg" >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
STAMP="$VENV/.wutong-bootstrap.stamp"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
    # apt_install PACKAGE... (root only); apt-get update once per run
    if [ -z "${_APT_UPDATED:-}" ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _APT_UPDATED=1
    fi
    say "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }

find_python311() {
    local c
    for c in "${WUTONG_PYTHON:-}" "$(command -v python3.11 || true)" \
             "$HOME"/.pyenv/versions/3.11*/bin/python3.11 /root/.pyenv/versions/3.11*/bin/python3.11 \
             /usr/local/bin/python3.11 /usr/bin/python3.11 "$(command -v python3 || true)"; do
        if [ -n "$c" ] && [ -x "$c" ] && is_py311 "$c"; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

# --- Python virtualenv ------------------------------------------------------------------
if [ -O "$VENV" ] && [ -e "$VENV/pyvenv.cfg" ] && ! is_py311 "$VENV/bin/python"; then
    say "$VENV is not a working Python 3.11 virtualenv; recreating it"
    rm -rf "$VENV"
fi
if [ -e "$VENV" ] && [ ! -O "$VENV" ] && ! is_py311 "$VENV/bin/python"; then
    die "$VENV belongs to another user and its python does not run for you; remove it or run as its owner"
fi
if [ ! -x "$VENV/bin/python" ]; then
    if ! PY=$(find_python311); then
        if is_root && command -v apt-get >/dev/null; then
            apt_install python3.11 python3.11-venv
            PY=$(find_python311) || die "python3.11 still not found after apt-get install"
        else
            die "python3.11 not found; install it (e.g. apt-get install python3.11 python3.11-venv) or set WUTONG_PYTHON"
        fi
    fi
    say "creating $VENV with $PY"
    rm -rf "$VENV"
    if ! "$PY" -m venv "$VENV"; then
        rm -rf "$VENV"
        if is_root && command -v apt-get >/dev/null; then
            apt_install python3.11-venv
            "$PY" -m venv "$VENV"
        else
            die "'$PY -m venv' failed; install python3.11-venv"
        fi
    fi
fi

want_stamp=$(sha256sum pyproject.toml | cut -d' ' -f1)
have_stamp=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want_stamp" != "$have_stamp" ]; then
    say "installing the project (pip install -e '.[dev]')"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -e '.[dev]'
    printf '%s\n' "$want_stamp" >"$STAMP"
fi

# --- npm assets (Swagger UI, bpmn-js) ---------------------------------------------------
# `npm ci` when package-lock.json exists (exact versions), else `npm install`; skipped when
# node_modules was installed from the same package.json and package-lock.json.
if [ -f package.json ]; then
    NPM_STAMP=node_modules/.wutong-bootstrap.stamp
    want_npm=$({ cat package.json; if [ -f package-lock.json ]; then cat package-lock.json; fi; } \
               | sha256sum | cut -d' ' -f1)
    have_npm=$(cat "$NPM_STAMP" 2>/dev/null || true)
    if [ "$want_npm" != "$have_npm" ]; then
        if ! command -v npm >/dev/null; then
            if is_root && command -v apt-get >/dev/null; then
                apt_install nodejs npm
            else
                die "npm not found; install Node.js and npm (e.g. apt-get install nodejs npm) for the browser assets"
            fi
        fi
        if [ -f package-lock.json ]; then
            say "installing the browser assets (npm ci)"
            npm ci --no-audit --no-fund --loglevel=error
        else
            say "installing the browser assets (npm install)"
            npm install --no-audit --no-fund --loglevel=error
        fi
        printf '%s\n' "$want_npm" >"$NPM_STAMP"
    fi
fi

# --- the web application (webapi/ui/src -> webapi/ui/static/dist, git-ignored) ------------------
# esbuild (from npm) bundles it in about a second; rebuilt when a source, the build script or the
# lock file changed, or when the output is missing (a fresh clone).
if [ -f webapi/ui/build.mjs ]; then
    UI_STAMP=webapi/ui/static/dist/.wutong-build.stamp
    want_ui=$({ find webapi/ui/src webapi/ui/build.mjs webapi/ui/csp-safe.mjs -type f -print0 | sort -z | xargs -0 cat; cat package-lock.json; } \
              | sha256sum | cut -d' ' -f1)
    have_ui=$(cat "$UI_STAMP" 2>/dev/null || true)
    if [ "$want_ui" != "$have_ui" ] || [ ! -f webapi/ui/static/dist/app.js ]; then
        say "building the web application (npm run build)"
        npm run --silent build
        printf '%s\n' "$want_ui" >"$UI_STAMP"
    fi
fi

# --- the browser for tests/browser (Debian's chromium, never a Playwright download) -------------
have_chromium() { command -v chromium >/dev/null || [ -x "${WUTONG_CHROMIUM:-/nonexistent}" ]; }
have_cjk_fonts() { [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; }
if [ "$WITH_POSTGRES" = 1 ]; then
    missing=()
    have_chromium || missing+=(chromium)
    have_cjk_fonts || missing+=(fonts-noto-cjk)
    if [ "${#missing[@]}" -gt 0 ]; then
        if is_root && command -v apt-get >/dev/null; then
            apt_install "${missing[@]}"
        else
            say "warning: ${missing[*]} not installed; the browser tests will be skipped outside CI."
            say "Install them, e.g.: sudo apt-get install -y ${missing[*]}"
        fi
    fi
fi

# --- PostgreSQL server binaries -------------------------------------------------------
if [ "$WITH_POSTGRES" = 0 ]; then
    say "ready (without PostgreSQL)"
    exit 0
fi

have_pg() {
    local d
    for d in "${WUTONG_PG_BINDIR:-}" /usr/lib/postgresql/*/bin; do
        [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
    done
    command -v initdb >/dev/null && command -v pg_ctl >/dev/null
}

if ! have_pg; then
    if is_root && command -v apt-get >/dev/null; then
        # The Debian package may create and start a default cluster on port 5432; the tests
        # don't use it (they start their own server on a free port).
        apt_install postgresql
        have_pg || die "initdb/pg_ctl still not found after installing postgresql"
    else
        say "warning: PostgreSQL server binaries (initdb, pg_ctl) not found; the postgres tests will be"
        say "skipped outside CI. Install them, e.g.: sudo apt-get install -y postgresql"
    fi
fi
if is_root && have_pg && ! id postgres >/dev/null 2>&1; then
    # PostgreSQL refuses to run as root; the test server runs as this user.
    say "creating the 'postgres' system user"
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi

say "ready"

#!/usr/bin/env bash
# The embedded warehouse needs PostgreSQL's server programs (initdb, pg_ctl).
# Nothing to do when they are there, or when REVALIGN_WAREHOUSE_URL points elsewhere.
set -euo pipefail

if [ -n "${REVALIGN_WAREHOUSE_URL:-}" ]; then exit 0; fi
if [ -n "${REVALIGN_PG_BINDIR:-}" ] && [ -x "$REVALIGN_PG_BINDIR/initdb" ]; then exit 0; fi
if command -v initdb >/dev/null 2>&1; then exit 0; fi
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing PostgreSQL's server programs (apt-get install postgresql)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  exit 0
fi
echo "PostgreSQL's server programs (initdb, pg_ctl) are missing: install PostgreSQL 13 or newer" >&2
echo "(Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql)," >&2
echo "or set REVALIGN_WAREHOUSE_URL to an existing PostgreSQL." >&2
exit 1

#!/usr/bin/env bash
# System programs the test suite drives for real, beyond PostgreSQL:
#   chromium      opens the GX Data Docs site headless (tests/test_checks.py)
#   redis-server  the Celery broker of the scale-out test (tests/test_celery.py)
# Nothing to do when they are there; as root on Debian/Ubuntu they are apt-installed.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} for the tests (apt-get install)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
  exit 0
fi
echo "The tests need ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install" >&2
echo "${missing[*]}; macOS: brew install --cask chromium && brew install redis), then rerun make test." >&2
exit 1

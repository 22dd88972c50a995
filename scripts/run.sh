#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine and starts redred on the embedded default
# (in-process state, SQLite in ./data, the screen of $DISPLAY or a test pattern). Extra arguments go to `serve`.
#
# The script's own defaults (listen address, web root) are given as REDRED_* environment variables, never as
# flags: a flag on the command line wins over the environment, so every extra argument overrides them
# (`bash scripts/run.sh --listen 0.0.0.0:8080`), and so does an exported REDRED_LISTEN / REDRED_WEB_ROOT.
# REDRED_RUN_SKIP_SETUP=1 skips setup.sh and build.sh (an already built tree; the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${REDRED_RUN_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
  bash scripts/build.sh
fi
export REDRED_LISTEN="${REDRED_LISTEN:-127.0.0.1:8080}"
export REDRED_WEB_ROOT="${REDRED_WEB_ROOT:-$PWD/web/dist}"
exec "${REDRED_BIN:-./build/redred}" serve "$@"

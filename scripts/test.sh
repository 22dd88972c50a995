#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine, builds, and runs every test: unit, integration (real
# redis-server), X11 capture (real Xvfb) and browser end-to-end (Debian's Chromium). Screenshots and logs of
# failures go to test-output/. Extra arguments go to ctest (e.g. -L unit, -R e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
export REDRED_TEST_OUTPUT="$PWD/test-output"
export BUILD_DIR="${BUILD_DIR:-build}"
mkdir -p "$REDRED_TEST_OUTPUT"
# Keep all test traffic on loopback: as root, run the suite in a network namespace that has only `lo`.
if [ "$(id -u)" -eq 0 ] && [ -z "${REDRED_IN_NETNS:-}" ] && unshare --net true 2>/dev/null; then
  exec unshare --net env REDRED_IN_NETNS=1 bash -c 'ip link set lo up && exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"' ctest "$@"
fi
exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"

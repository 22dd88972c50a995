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
# Keep all test traffic inside this machine: as root, run the suite in a network namespace that has only `lo`
# and a veth pair whose two ends are both inside it. Janus refuses loopback for ICE (its libnice sockets are
# pinned to one interface), so media tests give it rrmedia0; browsers and TURN reach it on that address.
if [ "$(id -u)" -eq 0 ] && [ -z "${REDRED_IN_NETNS:-}" ] && unshare --net true 2>/dev/null; then
  exec unshare --net env REDRED_IN_NETNS=1 bash -c '
    set -e
    ip link set lo up
    if ip link add rrmedia0 type veth peer name rrmedia1 &&
       ip addr add 10.77.0.1/24 dev rrmedia0 && ip addr add 10.77.0.2/24 dev rrmedia1 &&
       ip link set rrmedia0 up && ip link set rrmedia1 up; then
      export REDRED_TEST_MEDIA_IFACE=rrmedia0 REDRED_TEST_MEDIA_IP=10.77.0.1 REDRED_TEST_MEDIA_PEER_IP=10.77.0.2
    else
      echo "[test] could not create the veth pair: the Janus tests will fail and say why" >&2
    fi
    exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"' ctest "$@"
fi
exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"

#!/usr/bin/env bash
# Media benchmark, end to end: peer-to-peer against --media janus (Janus 1.1.2 VideoRoom). Starts Janus, one
# build/redred per mode, a Chromium for the streamer and another for the viewers, runs bench/media_bench.mjs
# (1, 3, 6, 12 viewers per mode, interleaved, two rounds) and prints a Markdown table. ~7 minutes.
#
# Janus refuses loopback for ICE, so everything runs in a private network namespace with `lo` and a veth pair
# (as scripts/test.sh does). As root the script makes it itself, in new network, PID and mount namespaces:
# when the script ends, every process it started (Janus, redred, Chromium) ends with it. Not as root, it needs
# to be inside such a namespace already, with REDRED_TEST_MEDIA_IFACE set (e.g. under /tmp/janus-lab/netns.sh).
# The whole run is bounded by TOTAL_LIMIT_S (no step starts after it) and a hard `timeout` above it.
#
# Builds nothing: expects $BUILD_DIR/redred (copied to OUT_DIR first, so a rebuild during the run cannot
# break it), web/dist, tests/node_modules (npm ci in tests/), Debian's chromium and janus.
#
# Env: BUILD_DIR (build), REDRED_BIN, OUT_DIR (raw results; default a temp dir), TOTAL_LIMIT_S (480), and the
# knobs of bench/media_bench.mjs: MODES ("p2p janus"), COUNTS ("1 3 6 12"), ROUNDS (2), WARMUP_S (5),
# WINDOW_S (10), PROBES (3), WIDTH (640), HEIGHT (360), FPS (30), TOP_KBPS (700), MID_KBPS (250), LOW_KBPS (80),
# STAMP_EVERY (3), DEGRADATION (maintain-resolution), FORCE_TOP (1), SIMULCAST_LIMIT (0).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${REDRED_TEST_MEDIA_IFACE:-}" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "media_bench: run as root (it makes its own network namespace), or inside a namespace with lo + a veth pair" \
      "and REDRED_TEST_MEDIA_IFACE set (see scripts/test.sh)" >&2
    exit 2
  fi
  if [ -z "${REDRED_MEDIA_BENCH_NS:-}" ]; then
    exec unshare --net --pid --fork --mount-proc env REDRED_MEDIA_BENCH_NS=1 bash "$0" "$@"
  fi
  ip link set lo up
  ip link add rrmedia0 type veth peer name rrmedia1
  ip addr add 10.77.0.1/24 dev rrmedia0
  ip addr add 10.77.0.2/24 dev rrmedia1
  ip link set rrmedia0 up
  ip link set rrmedia1 up
  export REDRED_TEST_MEDIA_IFACE=rrmedia0 REDRED_TEST_MEDIA_IP=10.77.0.1 REDRED_TEST_MEDIA_PEER_IP=10.77.0.2
fi

BUILD_DIR=${BUILD_DIR:-build}
TOTAL_LIMIT_S=${TOTAL_LIMIT_S:-480}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/media_bench.XXXXXX)}
server_bin=${REDRED_BIN:-$BUILD_DIR/redred}
[ -x "$server_bin" ] || { echo "media_bench: $server_bin not found; build first (bash scripts/build.sh)" >&2; exit 2; }
[ -f web/dist/index.html ] || { echo "media_bench: web/dist not built (cd web && npm ci && npm run build)" >&2; exit 2; }
[ -d tests/node_modules/playwright-core ] || { echo "media_bench: tests/node_modules missing (cd tests && npm ci)" >&2; exit 2; }
for tool in node "${REDRED_CHROMIUM:-/usr/bin/chromium}" "${REDRED_JANUS:-/usr/bin/janus}" timeout; do
  command -v "$tool" >/dev/null || { echo "media_bench: $tool is required" >&2; exit 2; }
done
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
cp "$server_bin" "$OUT_DIR/redred"
export REDRED_BIN="$OUT_DIR/redred"
export OUT_DIR TOTAL_LIMIT_S REDRED_TEST_OUTPUT="$OUT_DIR/test-output"

{
  echo "media_bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)),"
  echo "  $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $("${REDRED_CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | head -1),"
  echo "  $("${REDRED_JANUS:-/usr/bin/janus}" --version 2>/dev/null | head -1); redred $server_bin ($(stat -c '%y' "$server_bin" | cut -d. -f1), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src changes'))"
  echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg); raw results in $OUT_DIR"
} | tee "$OUT_DIR/machine.txt" >&2

status=0
timeout --kill-after=20 "$((TOTAL_LIMIT_S + 90))" node bench/media_bench.mjs || status=$?
rm -f "$OUT_DIR/redred"
echo "media_bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT_DIR/machine.txt" >&2
[ "$status" -eq 124 ] && echo "media_bench: stopped by the hard time limit ($((TOTAL_LIMIT_S + 90)) s)" >&2
exit "$status"

#!/usr/bin/env bash
# Screen feed, only what changed (issue 10): bytes per viewer and server CPU of whole frames against tile mode, on
# three desktops under a real Xvfb, plus the screen-to-browser latency of tile mode. Prints Markdown tables.
#
# Starts its own Xvfb (SCREEN, default 1280x720x24) on a free display. For each desktop scene of
# tests/tools/paint_screen (static: a still desktop; typing: the desktop plus a terminal typing CPS characters/s;
# video: the desktop plus a 320x240 window playing a moving pattern at 30 fps) it starts a fresh
# `redred serve --screen-source x11` on a free loopback port, the painter, and a FPS / QUALITY stream
# (POST /stream/start), then runs bench/feed_load with CLIENTS viewers per mode, one mode after the other:
#   ws     plain /stream/ws: binary whole JPEGs, sent only when something changed ("full frames")
#   tiles  /stream/ws?mode=tiles: a key frame, then only the changed regions as JPEG tiles
#   sse    /stream/feed: base64 whole JPEGs in SSE events, only when something changed
# Each mode: WARMUP_S (the viewers' first picture arrives here), then a WINDOW_S window that measures bytes/s and
# messages/s per viewer (mean, min, max), server CPU (/proc/PID/stat), the load generator's CPU (getrusage), Xvfb
# + painter CPU, whole-machine busy %, server RSS, and /metrics deltas over the whole run of that mode.
# SSE runs last: a server notices a closed SSE viewer only at its next write (a keep-alive after 15 s on a
# still screen), so SSE viewers would stay subscribed into the next mode.
#
# Latency (LATENCY_SCENES, before the SSE mode of that scene): bench/tiles_latency.mjs takes over the painter,
# opens the Screen page (/screen, tile mode on a canvas) in Chromium and paints LATENCY_PROBES rectangles, timing
# each from the paint command to its pixels on the canvas. Once with the browser as the only viewer, and once
# more with LATENCY_LOAD_CLIENTS tile viewers of feed_load connected (0 skips that).
#
# Builds nothing: expects $BUILD_DIR/redred, $BUILD_DIR/bench/feed_load, $BUILD_DIR/tests/paint_screen and
# web/dist; needs Xvfb, node (with tests/node_modules), Chromium, jq, curl, ss. The server binary and web/dist
# are copied to a temp dir first, so a rebuild during the run cannot change them. Loopback only. Every step is
# bounded; ~3.5 minutes with the defaults; no step starts after TOTAL_LIMIT_S. Prints numbers, not verdicts.
#
# Env: BUILD_DIR, SCENES ("static typing video"), MODES ("ws tiles sse"), CLIENTS (100), WARMUP_S (2),
#      WINDOW_S (10), LOAD_THREADS (2), FPS (15), QUALITY (75), CPS (30), SCREEN (1280x720x24),
#      LATENCY_SCENES ("static typing"), LATENCY_PROBES (30), LATENCY_LOAD_CLIENTS (100), TOTAL_LIMIT_S (360),
#      SERVER_ARGS (extra `redred serve` flags, e.g. "--key-frame-interval-ms 30000"; word-split),
#      OUT_DIR (raw results; default a temp dir), REDRED_BIN, FEED_LOAD_BIN, PAINT_BIN, WEB_ROOT.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
SCENES=${SCENES:-"static typing video"}
MODES=${MODES:-"ws tiles sse"}
CLIENTS=${CLIENTS:-100}
WARMUP_S=${WARMUP_S:-2}
WINDOW_S=${WINDOW_S:-10}
LOAD_THREADS=${LOAD_THREADS:-2}
FPS=${FPS:-15}
QUALITY=${QUALITY:-75}
CPS=${CPS:-30}
SCREEN=${SCREEN:-1280x720x24}
LATENCY_SCENES=${LATENCY_SCENES-"static typing"}  # set but empty: no latency runs
LATENCY_PROBES=${LATENCY_PROBES:-30}
LATENCY_LOAD_CLIENTS=${LATENCY_LOAD_CLIENTS:-100}
TOTAL_LIMIT_S=${TOTAL_LIMIT_S:-360}
SERVER_ARGS=${SERVER_ARGS:-}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/tiles_bench.XXXXXX)}

# jq number formatting shared by the tables: r(n) rounds, kb/kbs print sizes and rates, ratio(a; b) a percentage.
jq_formats='
    def r(n): if . == null then "n/a" else (. * n | round / n) end;
    def kb: if . == null then "n/a" elif . >= 1e6 then "\(. / 1e6 | r(100)) MB" elif . >= 1e3 then "\(. / 1e3 | r(10)) KB" elif . >= 10 then "\(. | round) B" else "\(. | r(100)) B" end;
    def kbs: if . == null then "n/a" else "\(kb)/s" end;
    def ratio(a; b): if a == null or b == null then "n/a" elif b < 1 then "n/a (÷ \(b | r(100)) B/s)"
                     elif a > 0 and a / b < 0.0001 then "< 0.01 %" else "\(a / b * 100 | r(100)) %" end;
    # On one scene'"'"'s rows: the mean whole JPEG of its full-frame run (ws, else sse), and fps × that.
    def picture: (map(select(.mode == "ws"))[0] // map(select(.mode == "sse"))[0]) |
                 if . == null then null else .mean_frame_kb * 1000 end;
    def every_tick($fps): picture | if . == null then null else ($fps | tonumber) * . end;
'
print_tables() {  # $1 = results.jsonl
  local results=$1
  echo
  echo "Per viewer, ${CLIENTS} viewers per row, ${WINDOW_S} s window after ${WARMUP_S} s warm-up; ${FPS} fps, quality ${QUALITY}, screen ${SCREEN%x*}."
  echo
  echo "| desktop | mode | bytes/s per viewer: mean (min – max) | Mbit/s per viewer | ÷ full frames | ÷ full frames every tick | messages/s per viewer | key frames / tiles per viewer-s | key frames' share of bytes | WebSocket frames per message | server CPU (cores) | load gen CPU | Xvfb + painter CPU | server RSS / peak MB | encoded: frames / tiles; key frames sent | unchanged ticks | dropped | server's bytes/s per viewer (gauge, mean of 1 s samples) | capture → load gen median / p99 ms | errors | machine busy % | other work (cores) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  jq -rs --arg fps "$FPS" "$jq_formats"'
    map(select(.type == "feed")) | group_by(.scene) | .[] |
    picture as $picture | every_tick($fps) as $every_tick |
    (map(select(.mode == "ws"))[0].client_bytes_per_s_mean) as $ws |
    (sort_by({ws: 0, tiles: 1, sse: 2}[.mode]) | .[] |
      "| \(.scene) | \(.mode) | \(.client_bytes_per_s_mean | kbs) (\(.client_bytes_per_s_min | kb) – \(.client_bytes_per_s_max | kb)) | \(.client_bytes_per_s_mean * 8 / 1e6 | r(1000)) | \(if .mode == "ws" then "(reference)" else ratio(.client_bytes_per_s_mean; $ws) end) | \(ratio(.client_bytes_per_s_mean; $every_tick)) | \(.fps_mean | r(100)) | \(if .mode == "tiles" then "\(.key_frames_window / .clients / .window_s | r(100)) / \(.tiles_window / .clients / .window_s | r(10))" else "–" end) | \(if .mode == "tiles" and .bytes_window > 0 and .key_frame_bytes_window != null then "\(.key_frame_bytes_window / .bytes_window * 100 | r(10)) %" else "–" end) | \(if .mode != "sse" and .ws_data_frames != null and .frames_total > 0 then (.ws_data_frames / .frames_total | r(10)) else "–" end) | \(.server_cpu_cores | r(1000)) | \(.loadgen_cpu_cores | r(1000)) | \(.desktop_cpu_cores | r(1000)) | \(.server_vmrss_mb) / \(.server_vmhwm_mb) | \(.metrics.frames_encoded) / \(.metrics.tiles_encoded); \(.metrics.key_frames_sent) | \(.metrics.frames_unchanged) | \(.metrics.frames_dropped) | \(.metrics.viewer_bytes_per_second_mid | kbs) | \(if .latency_samples > 0 then "\(.latency_ms_median) / \(.latency_ms_p99)" else "–" end) | \(.errors) | \(.machine_busy_pct) | \(.other_work_cores | r(100)) |"),
    (if $every_tick == null then empty else
      "| \(.[0].scene) | full frames every tick (computed: \($fps) × \($picture | kb) mean whole JPEG) | \($every_tick | kbs) | \($every_tick * 8 / 1e6 | r(1000)) | | 100 % | \($fps) | | | | | | | | | | | | | | | |" end)
  ' "$results"
  echo
  echo "Tile mode against the targets (static ≤ 1 %, typing ≤ 10 % of full-frame bytes; never more than full frames):"
  echo
  echo "| desktop | tiles bytes/s per viewer | full frames (only when changed) | tiles ÷ full frames | full frames every tick (computed) | tiles ÷ every tick | SSE full frames | tiles ÷ SSE | server CPU tiles / full frames (cores) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  jq -rs --arg fps "$FPS" "$jq_formats"'
    map(select(.type == "feed")) | group_by(.scene) | .[] |
    (map(select(.mode == "ws"))[0]) as $ws | (map(select(.mode == "tiles"))[0]) as $t | (map(select(.mode == "sse"))[0]) as $sse |
    every_tick($fps) as $every_tick |
    select($t != null) |
    "| \($t.scene) | \($t.client_bytes_per_s_mean | kbs) | \($ws.client_bytes_per_s_mean | kbs) | \(ratio($t.client_bytes_per_s_mean; $ws.client_bytes_per_s_mean)) | \($every_tick | kbs) | \(ratio($t.client_bytes_per_s_mean; $every_tick)) | \($sse.client_bytes_per_s_mean | kbs) | \(ratio($t.client_bytes_per_s_mean; $sse.client_bytes_per_s_mean)) | \($t.server_cpu_cores | r(1000)) / \($ws.server_cpu_cores | r(1000)) |"
  ' "$results"
  if grep -q '"type":"latency"' "$results"; then
    echo
    echo "Tile mode, screen → browser: paint_screen \`rect\` command written → its pixels on the Screen page's canvas (rAF poll), ${LATENCY_PROBES} probes:"
    echo
    echo "| desktop | other tile viewers | probes shown | median ms | p90 ms | max ms | paint → captured median ms | captured → shown median ms | carried by a key frame | page's own latency readout ms | server CPU (cores) | machine busy % |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    jq -r 'select(.type == "latency") |
      "| \(.scene) | \(.others) | \(.matched) / \(.probes) | \(.latency_ms.median) | \(.latency_ms.p90) | \(.latency_ms.max) | \(.capture_after_ms.median) | \(.shown_after_capture_ms.median) | \(.carried_by_key_frame) | \(.page_readout.latencyMs) | \(.server_cpu_cores) | \(.machine_busy_pct) |"' "$results"
  fi
  echo
  echo "bytes/s per viewer: everything a viewer's socket received in the window (HTTP/WebSocket framing included), per"
  echo "viewer; min – max over the viewers. KB = 10^3 bytes. \"full frames\" = plain /stream/ws (whole JPEGs, only when"
  echo "something changed). \"every tick\" is computed, not measured: fps × the mean whole JPEG the ws viewers received in"
  echo "that run (their first picture included), i.e. what full frames cost before this change (a picture every tick)."
  echo "CPU columns: the window only (/proc/PID/stat and getrusage). /metrics columns (encoded, unchanged, dropped):"
  echo "deltas over the mode's whole run (ramp + warm-up + window); dropped is that transport's. capture → load gen: a"
  echo "tile message's captured_at to its last byte at feed_load (tile mode only). machine busy %: the whole machine"
  echo "(100 % = $(nproc) cores), other users' work included; other work = that minus server, load generator, Xvfb and painter."
  echo
}

# RENDER_FROM=<an earlier OUT_DIR>: print that run's tables again and stop.
if [ -n "${RENDER_FROM:-}" ]; then
  FPS=$(jq -rs 'map(select(.type == "feed"))[0].fps_setting // empty' "$RENDER_FROM/results.jsonl"); FPS=${FPS:-15}
  CLIENTS=$(jq -rs 'map(select(.type == "feed"))[0].clients // empty' "$RENDER_FROM/results.jsonl"); CLIENTS=${CLIENTS:-100}
  WINDOW_S=$(jq -rs 'map(select(.type == "feed"))[0].window_s // empty | round' "$RENDER_FROM/results.jsonl"); WINDOW_S=${WINDOW_S:-10}
  print_tables "$RENDER_FROM/results.jsonl"
  exit 0
fi

server_bin=${REDRED_BIN:-$BUILD_DIR/redred}
load_bin=${FEED_LOAD_BIN:-$BUILD_DIR/bench/feed_load}
paint_bin=${PAINT_BIN:-$BUILD_DIR/tests/paint_screen}
web_root=${WEB_ROOT:-web/dist}
for bin in "$server_bin" "$load_bin" "$paint_bin"; do
  [ -x "$bin" ] || { echo "tiles_bench: $bin not found; build first (cmake --build $BUILD_DIR --target redred feed_load paint_screen)" >&2; exit 2; }
done
for tool in Xvfb node jq curl ss timeout; do
  command -v "$tool" >/dev/null || { echo "tiles_bench: $tool is required" >&2; exit 2; }
done
for mode in $MODES; do
  case "$mode" in ws|tiles|sse) ;; *) echo "tiles_bench: MODES takes ws, tiles, sse, not '$mode'" >&2; exit 2 ;; esac
done
if [ -n "$LATENCY_SCENES" ]; then
  [ -f "$web_root/index.html" ] || { echo "tiles_bench: $web_root/index.html not found: build the web app (cd web && npm ci && npm run build)" >&2; exit 2; }
  [ -x "${REDRED_CHROMIUM:-/usr/bin/chromium}" ] || { echo "tiles_bench: Chromium not found (REDRED_CHROMIUM)" >&2; exit 2; }
  [ -d tests/node_modules/playwright-core ] || { echo "tiles_bench: tests/node_modules/playwright-core missing (cd tests && npm ci)" >&2; exit 2; }
fi
mode_path() {
  case "$1" in ws) echo /stream/ws ;; tiles) echo '/stream/ws?mode=tiles' ;; sse) echo /stream/feed ;; esac
}
transport_of() { case "$1" in ws) echo ws ;; tiles) echo tiles ;; sse) echo sse ;; esac; }

. bench/lib.sh  # metrics_snapshot, metric_sum, metric_delta, machine_cpu_ticks, proc_status_mb, raise_open_files_for
raise_open_files_for "$CLIENTS" tiles_bench
mkdir -p "$OUT_DIR"
work_dir=$(mktemp -d /tmp/tiles_bench_work.XXXXXX)  # data dirs, the copied server binary and web root
clk_tck=$(getconf CLK_TCK)


xvfb_pid="" server_pid="" painter_pid="" load_pid="" node_pid="" bg_load_pid=""
stop_pid() {  # $1 = pid; SIGTERM, then SIGKILL after 5 s
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$bg_load_pid"; stop_pid "$load_pid"; stop_pid "$node_pid"
  stop_pid "$painter_pid"; stop_pid "$server_pid"; stop_pid "$xvfb_pid"
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$server_bin" "$work_dir/redred"
server_bin_source=$server_bin
server_bin=$work_dir/redred
if [ -f "$web_root/index.html" ]; then cp -r "$web_root" "$work_dir/web"; fi

# Xvfb on a free display (no lock file, no socket), as tests/node/lib/redred.mjs picks one.
start_xvfb() {
  local n
  for n in $(seq $((400 + RANDOM % 400)) 999); do
    [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
    Xvfb ":$n" -screen 0 "$SCREEN" -nolisten tcp >>"$OUT_DIR/xvfb.log" 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 1 50); do
      [ -e "/tmp/.X11-unix/X$n" ] && { export DISPLAY=":$n"; return 0; }
      kill -0 "$xvfb_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop_pid "$xvfb_pid"; xvfb_pid=""
  done
  echo "tiles_bench: could not start Xvfb" >&2; return 1
}

start_painter() {  # $1 = scene; waits until it has painted
  stop_pid "$painter_pid"
  "$paint_bin" --scene "$1" --cps "$CPS" </dev/null >"$OUT_DIR/paint_$1.log" 2>&1 &
  painter_pid=$!
  for _ in $(seq 1 50); do
    grep -q '^painted' "$OUT_DIR/paint_$1.log" 2>/dev/null && { sleep 0.5; return 0; }
    kill -0 "$painter_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "tiles_bench: paint_screen did not paint; see $OUT_DIR/paint_$1.log" >&2; return 1
}

start_server() {  # $1 = scene; a fresh server and data dir, streaming
  local code web_args=()
  stop_pid "$server_pid"
  PORT=$(free_port)
  base_url="http://127.0.0.1:$PORT"
  mkdir -p "$work_dir/data_$1"
  [ -d "$work_dir/web" ] && web_args=(--web-root "$work_dir/web")
  # shellcheck disable=SC2086  # SERVER_ARGS: several flags on purpose
  "$server_bin" serve --listen "127.0.0.1:$PORT" --data-dir "$work_dir/data_$1" --screen-source x11 "${web_args[@]}" $SERVER_ARGS \
    >>"$OUT_DIR/server_$1.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do  # up to 15 s
    kill -0 "$server_pid" 2>/dev/null || { echo "tiles_bench: server exited; see $OUT_DIR/server_$1.log" >&2; tail -20 "$OUT_DIR/server_$1.log" >&2; return 1; }
    port_is_free "$PORT" || break
    sleep 0.1
  done
  port_is_free "$PORT" && { echo "tiles_bench: server not listening on $PORT after 15 s" >&2; return 1; }
  code=$(curl -s -m 5 -o "$OUT_DIR/stream_start.json" -w '%{http_code}' -X POST -H 'content-type: application/json' \
    -d "{\"fps\":$FPS,\"quality\":$QUALITY}" "$base_url/stream/start" || true)
  case "$code" in 2*) ;; *) echo "tiles_bench: POST /stream/start answered $code: $(cat "$OUT_DIR/stream_start.json")" >&2; return 1 ;; esac
  sleep 1
}

proc_ticks() {  # utime + stime (clock ticks) summed over the given pids; comm has no spaces for ours
  local total=0 pid t
  for pid in "$@"; do
    t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
cores_between() {  # $1 ticks before, $2 after, $3 / $4 seconds (date +%s.%N) before / after
  awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" -v hz="$clk_tck" 'BEGIN { printf "%.3f", (b - a) / hz / (t1 - t0) }'
}
busy_pct() {  # $1, $2: machine_cpu_ticks before / after
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}
# One transport's sample of a per-transport metric: `name{transport="t"} value`.
metric_of() {  # $1 = metrics text, $2 = name, $3 = transport
  printf '%s\n' "$1" | awk -v key="$2{transport=\"$3\"}" '$1 == key { print $2; found = 1 } END { if (!found) print "n/a" }'
}
delta_of() {  # $1 before, $2 after, $3 name, $4 transport
  local a b
  a=$(metric_of "$1" "$3" "$4"); b=$(metric_of "$2" "$3" "$4")
  if [ "$a" = n/a ] || [ "$b" = n/a ]; then echo n/a; else awk -v a="$a" -v b="$b" 'BEGIN { printf "%.6g", b - a }'; fi
}
# Waits (up to 5 s) until no WebSocket viewer of the previous mode is subscribed.
wait_ws_viewers_gone() {
  local m
  for _ in $(seq 1 50); do
    m=$(metrics_snapshot)
    [ "$(metric_of "$m" redred_screen_viewers ws)" = 0 ] && [ "$(metric_of "$m" redred_screen_viewers tiles)" = 0 ] && return 0
    sleep 0.1
  done
}

run_mode() {  # $1 = scene, $2 = mode; appends one JSON line to results.jsonl
  local scene=$1 mode=$2 path out before after t0 t1 m0 m1 d0 d1 gauge_mid gauges backlog="n/a" transport i
  path=$(mode_path "$mode"); transport=$(transport_of "$mode")
  out="$OUT_DIR/run_${scene}_$mode.json"
  wait_ws_viewers_gone
  before=$(metrics_snapshot)
  timeout $((WARMUP_S + WINDOW_S + 20)) "$load_bin" --port "$PORT" --path "$path" --clients "$CLIENTS" \
    --warmup "$WARMUP_S" --seconds "$WINDOW_S" --threads "$LOAD_THREADS" --server-pid "$server_pid" --json >"$out" &
  load_pid=$!
  # The window's edges, as seen from here (feed_load's own window starts WARMUP_S after it started).
  sleep "$WARMUP_S"
  t0=$(date +%s.%N); m0=$(machine_cpu_ticks); d0=$(proc_ticks "$xvfb_pid" "$painter_pid")
  # The server's own per-viewer rate gauge covers ~1-2 s: sample it every second and average over the window.
  gauges=""
  for i in $(seq 1 "$WINDOW_S"); do
    sleep 1
    gauges="$gauges $(metric_of "$(metrics_snapshot)" redred_screen_viewer_bytes_per_second "$transport")"
    if [ "$i" = $((WINDOW_S / 2)) ]; then
      backlog=$(ss -tnH state established "( dport = :$PORT )" 2>/dev/null | awk '{ sum += $1 } END { printf "%.1f", sum / 1e6 }')
    fi
  done
  gauge_mid=$(awk '{ for (i = 1; i <= NF; i++) if ($i != "n/a") { s += $i; n++ } } END { if (n) printf "%.1f", s / n; else print "n/a" }' <<<"$gauges")
  t1=$(date +%s.%N); m1=$(machine_cpu_ticks); d1=$(proc_ticks "$xvfb_pid" "$painter_pid")
  if ! wait "$load_pid"; then load_pid=""; echo "tiles_bench: feed_load failed for $scene $mode" >&2; return 1; fi
  load_pid=""
  after=$(metrics_snapshot)
  jq -c --arg scene "$scene" --arg mode "$mode" --arg fps "$FPS" \
     --arg desktop_cpu "$(cores_between "$d0" "$d1" "$t0" "$t1")" --arg busy "$(busy_pct "$m0" "$m1")" \
     --arg loadavg "$(cut -d' ' -f1 /proc/loadavg)" --arg ncpu "$(nproc)" \
     --arg rss "$(proc_status_mb VmRSS)" --arg hwm "$(proc_status_mb VmHWM)" --arg gauge "$gauge_mid" --arg backlog "$backlog" \
     --arg encoded "$(metric_delta "$before" "$after" '^redred_screen_frames_encoded_total$')" \
     --arg encoded_bytes "$(metric_delta "$before" "$after" '^redred_screen_encoded_bytes_total$')" \
     --arg encode_s "$(metric_delta "$before" "$after" '^redred_screen_encode_seconds_total$')" \
     --arg captured "$(metric_delta "$before" "$after" '^redred_screen_frames_captured_total$')" \
     --arg unchanged "$(metric_delta "$before" "$after" '^redred_screen_frames_unchanged_total$')" \
     --arg tiles_encoded "$(metric_delta "$before" "$after" '^redred_screen_tiles_encoded_total$')" \
     --arg tiles_sent "$(metric_delta "$before" "$after" '^redred_screen_tiles_sent_total$')" \
     --arg keys_sent "$(metric_delta "$before" "$after" '^redred_screen_key_frames_sent_total$')" \
     --arg sent "$(delta_of "$before" "$after" redred_screen_frames_sent_total "$transport")" \
     --arg dropped "$(delta_of "$before" "$after" redred_screen_frames_dropped_total "$transport")" \
     --arg bytes_sent "$(delta_of "$before" "$after" redred_screen_bytes_sent_total "$transport")" \
     --arg slow_closed "$(metric_delta "$before" "$after" '^redred_screen_slow_viewers_closed_total$')" \
     'def num: if . == "n/a" then null else tonumber end;
      . + {type: "feed", scene: $scene, mode: $mode, fps_setting: ($fps|tonumber), desktop_cpu_cores: ($desktop_cpu|tonumber),
           machine_busy_pct: ($busy|tonumber), loadavg_1m: ($loadavg|tonumber),
           other_work_cores: (if .server_cpu_cores == null then null
                              else ($busy|tonumber) / 100 * ($ncpu|tonumber) - .server_cpu_cores - .loadgen_cpu_cores - ($desktop_cpu|tonumber) end),
           server_vmrss_mb: ($rss|num), server_vmhwm_mb: ($hwm|num), recvq_backlog_mb: ($backlog|num),
           metrics: {viewer_bytes_per_second_mid: ($gauge|num), frames_captured: ($captured|num), frames_unchanged: ($unchanged|num),
                     frames_encoded: ($encoded|num), encoded_bytes: ($encoded_bytes|num), encode_seconds: ($encode_s|num),
                     tiles_encoded: ($tiles_encoded|num), tiles_sent: ($tiles_sent|num), key_frames_sent: ($keys_sent|num),
                     frames_sent: ($sent|num), frames_dropped: ($dropped|num), bytes_sent: ($bytes_sent|num),
                     slow_viewers_closed: ($slow_closed|num)}}' "$out" >>"$OUT_DIR/results.jsonl"
  jq -r '"tiles_bench: \(.scene) \(.mode): \(.client_bytes_per_s_mean / 1000 | round) KB/s per viewer (min \(.client_bytes_per_s_min / 1000 | round), max \(.client_bytes_per_s_max / 1000 | round)), \(.fps_mean) msg/s, server \(.server_cpu_cores) cores, loadgen \(.loadgen_cpu_cores), errors \(.errors)"' \
    <<<"$(tail -1 "$OUT_DIR/results.jsonl")" >&2 || true
}

run_latency() {  # $1 = scene, $2 = tile viewers of feed_load alongside the browser (0 = none)
  local scene=$1 others=$2 t0 t1 m0 m1 s0 s1 lat_out status=0
  lat_out="$OUT_DIR/latency_${scene}_$others.json"
  stop_pid "$painter_pid"; painter_pid=""  # tiles_latency.mjs paints the same scene and the probes itself
  wait_ws_viewers_gone
  if [ "$others" -gt 0 ]; then
    timeout 120 "$load_bin" --port "$PORT" --path '/stream/ws?mode=tiles' --clients "$others" --warmup 1 --seconds 100 \
      --threads "$LOAD_THREADS" --json >"$OUT_DIR/latency_load_${scene}.json" 2>&1 &
    bg_load_pid=$!
    sleep 1
  fi
  t0=$(date +%s.%N); m0=$(machine_cpu_ticks); s0=$(proc_ticks "$server_pid")
  URL="$base_url" SCENE="$scene" CPS="$CPS" PAINT_BIN="$paint_bin" PROBES="$LATENCY_PROBES" \
    LABEL="$others other tile viewers" timeout 150 node bench/tiles_latency.mjs >"$lat_out" 2>>"$OUT_DIR/latency.log" &
  node_pid=$!
  wait "$node_pid" || status=$?
  node_pid=""
  t1=$(date +%s.%N); m1=$(machine_cpu_ticks); s1=$(proc_ticks "$server_pid")
  stop_pid "$bg_load_pid"; bg_load_pid=""
  if [ "$status" != 0 ] || [ ! -s "$lat_out" ]; then
    echo "tiles_bench: latency run $scene/$others failed (exit $status); see $OUT_DIR/latency.log" >&2
    tail -5 "$OUT_DIR/latency.log" >&2
    return 0
  fi
  jq -c --arg others "$others" --arg server_cpu "$(cores_between "$s0" "$s1" "$t0" "$t1")" --arg busy "$(busy_pct "$m0" "$m1")" \
     '{type: "latency", scene, others: ($others|tonumber), probes, matched, timeouts, latency_ms, paint_ack_ms, capture_after_ms,
       shown_after_capture_ms, carried_by_key_frame, clock, page_readout, page_errors,
       server_cpu_cores: ($server_cpu|tonumber), machine_busy_pct: ($busy|tonumber)}' "$lat_out" >>"$OUT_DIR/results.jsonl"
  tail -1 "$OUT_DIR/latency.log" >&2
}

echo "tiles_bench: $(date -u +%FT%TZ) nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r) loadavg=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >&2
echo "tiles_bench: server=$server_bin_source ($(stat -c %y "$server_bin_source" | cut -d. -f1)) head=$(git rev-parse --short HEAD 2>/dev/null || echo '?')" >&2
echo "tiles_bench: server_args=\"$SERVER_ARGS\" scenes=\"$SCENES\" modes=\"$MODES\" clients=$CLIENTS warmup=${WARMUP_S}s window=${WINDOW_S}s fps=$FPS quality=$QUALITY cps=$CPS screen=$SCREEN raw=$OUT_DIR" >&2
: >"$OUT_DIR/results.jsonl"
start_xvfb
echo "tiles_bench: DISPLAY=$DISPLAY" >&2

for scene in $SCENES; do
  if [ "$SECONDS" -ge "$TOTAL_LIMIT_S" ]; then echo "tiles_bench: ${TOTAL_LIMIT_S} s limit reached, skipping $scene" >&2; continue; fi
  start_painter "$scene"
  start_server "$scene"
  for mode in $MODES; do
    [ "$mode" = sse ] && continue
    if [ "$SECONDS" -ge "$TOTAL_LIMIT_S" ]; then echo "tiles_bench: limit reached, skipping $scene $mode" >&2; continue; fi
    run_mode "$scene" "$mode" || true
    sleep 1
  done
  if [[ " $LATENCY_SCENES " == *" $scene "* ]]; then
    latency_counts=0
    [ "$LATENCY_LOAD_CLIENTS" -gt 0 ] && latency_counts="0 $LATENCY_LOAD_CLIENTS"
    for others in $latency_counts; do
      if [ "$SECONDS" -ge "$TOTAL_LIMIT_S" ]; then echo "tiles_bench: limit reached, skipping latency $scene/$others" >&2; continue; fi
      run_latency "$scene" "$others"
    done
    start_painter "$scene"
  fi
  if [[ " $MODES " == *" sse "* ]] && [ "$SECONDS" -lt "$TOTAL_LIMIT_S" ]; then run_mode "$scene" sse || true; fi
  stop_pid "$server_pid"; server_pid=""
done

print_tables "$OUT_DIR/results.jsonl"
echo
echo "Raw results: $OUT_DIR/results.jsonl (server logs: $OUT_DIR/server_<scene>.log, latency samples: $OUT_DIR/latency_*.json)"

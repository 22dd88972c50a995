#!/usr/bin/env bash
# Live chat across processes, end to end: one room served by one redred process and by two processes on the same
# Redis + PostgreSQL, same load, same run, side by side. Starts redis-server and PostgreSQL once (loopback, temp
# dirs), then for each case (N viewers : R comments/s) and each mode (default: "single" = ONE process on Redis +
# PostgreSQL, "two" = TWO processes on the same Redis + PostgreSQL) starts fresh servers on a fresh PostgreSQL
# database and a flushed Redis, registers a streamer and one sender per process, creates a stream and runs
# bench/chat_load: the streamer's WebSocket (first process) makes the stream live, N guest viewers join at once,
# spread round-robin over the processes (the join storm: until every viewer knew a count >= N, i.e. everyone is
# counted everywhere), then the senders (one per process, alternating) post R comments/s in total for WINDOW_S
# seconds. Prints Markdown tables; raw JSON lines and every log stay in OUT_DIR.
#
# Builds nothing: expects $BUILD_DIR/redred and a chat_load binary ($BUILD_DIR/bench/chat_load unless
# CHAT_LOAD_BIN is set), redis-server/redis-cli and PostgreSQL 15 (/usr/lib/postgresql/*/bin, or PG_BINDIR).
# Loopback only. Every step is bounded; with the defaults the whole run takes ~3 minutes, no run starts after
# TOTAL_LIMIT_S, and each chat_load has a hard timeout. Prints numbers, not verdicts.
#
# Env: BUILD_DIR, CASES ("2000:20 10000:20", viewers:comments/s), MODES ("single two"; also "standalone" = one
#      process without --redis/--database, SQLite), WINDOW_S (10), DRAIN_S (5), JOIN_TIMEOUT_S (30),
#      LOAD_THREADS (2), RAMP_PER_MS (200), SERVER_THREADS (0 = redred's default, one I/O thread per core),
#      TOTAL_LIMIT_S (420), OUT_DIR (raw results; default a temp dir), REDRED_BIN, CHAT_LOAD_BIN, PG_BINDIR.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
CASES=${CASES:-"2000:20 10000:20"}
MODES=${MODES:-"single two"}
WINDOW_S=${WINDOW_S:-10}
DRAIN_S=${DRAIN_S:-5}
JOIN_TIMEOUT_S=${JOIN_TIMEOUT_S:-30}
LOAD_THREADS=${LOAD_THREADS:-2}
RAMP_PER_MS=${RAMP_PER_MS:-200}
SERVER_THREADS=${SERVER_THREADS:-0}
TOTAL_LIMIT_S=${TOTAL_LIMIT_S:-420}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/cluster_bench.XXXXXX)}

server_bin=${REDRED_BIN:-$BUILD_DIR/redred}
load_bin=${CHAT_LOAD_BIN:-$BUILD_DIR/bench/chat_load}
for bin in "$server_bin" "$load_bin"; do
  [ -x "$bin" ] || { echo "cluster_bench: $bin not found; build first (cmake --build $BUILD_DIR --target redred chat_load)" >&2; exit 2; }
done
for tool in jq curl ss redis-server redis-cli psql pg_isready; do
  command -v "$tool" >/dev/null || { echo "cluster_bench: $tool is required" >&2; exit 2; }
done
if [ -z "${PG_BINDIR:-}" ]; then
  PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -x "$PG_BINDIR/postgres" ] && [ -x "$PG_BINDIR/initdb" ] || { echo "cluster_bench: no PostgreSQL server (set PG_BINDIR)" >&2; exit 2; }
for m in $MODES; do
  case $m in single|two|standalone) ;; *) echo "cluster_bench: unknown mode $m (single | two | standalone)" >&2; exit 2 ;; esac
done

# Every process holds one socket per viewer it serves (single mode: all N); chat_load holds all N.
. bench/lib.sh  # metrics and CPU helpers, open-files limit
max_clients=$(max_case_clients "$CASES")
raise_open_files_for "$max_clients" cluster_bench
max_connections=$((max_clients + 1000))  # redred's --max-connections (default 10000) must hold all N + control

# A free port below the ephemeral range (the viewers' own ports must not take a server's port between two runs);
# each caller starts its listener before asking for the next one.
ephemeral_low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$ephemeral_low" -gt 12000 ] || ephemeral_low=32768
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((ephemeral_low - 12000 + RANDOM % 11000))
    port_is_free "$p" && { echo "$p"; return 0; }
  done
  return 1
}

mkdir -p "$OUT_DIR"
redis_pid="" redis_port=""
pg_pid="" pg_master="" pg_port="" pg_dir=""
server_pids=() server_ports=() data_dirs=()
load_pid="" sampler_pid=""

stop_pid() {  # $1 = pid, $2 = signal (none: already signalled); waits up to 5 s, then SIGKILL
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    [ -n "${2:-}" ] && kill "-$2" "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
stop_servers() {
  local pid d
  # SIGTERM once to all (a second one makes redred exit at once), so they shut down in parallel.
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do stop_pid "$pid"; done
  for d in "${data_dirs[@]}"; do rm -rf "$d"; done
  server_pids=() server_ports=() data_dirs=()
}
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  stop_servers
  stop_pid "$pg_master" INT  # fast shutdown
  stop_pid "$pg_pid" INT
  stop_pid "$redis_pid" TERM
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_sql() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -c "$1"; }
redis() { timeout 10 redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }

start_backends() {
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$OUT_DIR/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do redis PING >/dev/null 2>&1 && break; sleep 0.1; done
  redis PING >/dev/null || { echo "cluster_bench: redis-server did not start; see $OUT_DIR/redis.log" >&2; return 1; }

  # PostgreSQL refuses to run as root: as root, its directory belongs to the postgres user.
  pg_dir=$(mktemp -d /tmp/cluster_bench_pg.XXXXXX)
  chmod 700 "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
  (cd "$pg_dir" && as_postgres "$PG_BINDIR/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync) \
    >"$OUT_DIR/initdb.log" 2>&1 || { echo "cluster_bench: initdb failed; see $OUT_DIR/initdb.log" >&2; return 1; }
  pg_port=$(free_port)
  (cd "$pg_dir" && exec $([ "$(id -u)" = 0 ] && echo runuser -u postgres --) "$PG_BINDIR/postgres" -D "$pg_dir/data" \
     -p "$pg_port" -k "$pg_dir" -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200) \
    >"$OUT_DIR/postgres.log" 2>&1 &
  pg_pid=$!  # runuser (as root), which waits for the postmaster
  for _ in $(seq 1 200); do pg_isready -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.1; done
  pg_isready -q -h 127.0.0.1 -p "$pg_port" || { echo "cluster_bench: postgres did not start; see $OUT_DIR/postgres.log" >&2; return 1; }
  pg_master=$(head -1 "$pg_dir/data/postmaster.pid")
  pg_sql "CREATE ROLE redred LOGIN PASSWORD 'bench-pg-secret'"
}

# The postmaster and its children at this moment (backends, background workers), comma-separated.
postgres_pids() { { echo "$pg_master"; pgrep -P "$pg_master" || true; } | paste -sd, -; }

run_no=0
# Starts $1 processes (0 = standalone: one process, SQLite, no Redis) on a fresh database and a flushed Redis.
start_servers() {
  local count=$1 k url=() port dir m
  stop_servers
  run_no=$((run_no + 1))
  if [ "$count" -gt 0 ]; then
    redis FLUSHALL >/dev/null
    pg_sql "CREATE DATABASE bench_$run_no OWNER redred"
    url=(--redis "redis://127.0.0.1:$redis_port/0" --database "postgres://redred:bench-pg-secret@127.0.0.1:$pg_port/bench_$run_no")
  fi
  for k in $(seq 1 $((count > 0 ? count : 1))); do
    port=$(free_port)
    dir=$(mktemp -d /tmp/cluster_bench_data.XXXXXX)
    # One after the other (each migrates the database on start; the first does the work).
    "$server_bin" serve --listen "127.0.0.1:$port" --screen-source none --data-dir "$dir" "${url[@]}" \
      --chat-burst 100000 --chat-rate 100000 --max-connections "$max_connections" --threads "$SERVER_THREADS" \
      >>"$OUT_DIR/server_run${run_no}_p$k.log" 2>&1 &
    server_pids+=($!) server_ports+=("$port") data_dirs+=("$dir")
    local up=0
    for _ in $(seq 1 200); do  # up to 20 s
      kill -0 "${server_pids[-1]}" 2>/dev/null || { echo "cluster_bench: server exited; see $OUT_DIR/server_run${run_no}_p$k.log" >&2; tail -20 "$OUT_DIR/server_run${run_no}_p$k.log" >&2; return 1; }
      port_is_free "$port" || { up=1; break; }
      sleep 0.1
    done
    [ "$up" = 1 ] || { echo "cluster_bench: server not listening on $port after 20 s" >&2; return 1; }
  done
  [ "$count" -gt 0 ] || return 0
  # Every process subscribed to the room events (its heartbeat in Redis) before anyone joins. (A process learns
  # of the others from their events, so redred_cluster_instances counts them only once the room is used.)
  local ready
  for _ in $(seq 1 100); do  # up to 10 s
    ready=0
    for port in "${server_ports[@]}"; do
      m=$(curl -s -m 2 "http://127.0.0.1:$port/metrics" || true)
      [ "$(metric_sum "$m" '^redred_cluster_link_up$')" = "1.000000" ] && ready=$((ready + 1))
    done
    [ "$ready" = "$count" ] && return 0
    sleep 0.1
  done
  echo "cluster_bench: not every process is subscribed after 10 s (redred_cluster_link_up)" >&2
  return 1
}

api_post() {  # $1 = port, $2 = path, $3 = JSON body, $4 = bearer token (optional); prints the body, fails on non-2xx
  local auth=()
  [ -n "${4:-}" ] && auth=(-H "Authorization: Bearer $4")
  curl -s -f -m 10 -X POST -H 'content-type: application/json' "${auth[@]}" -d "$3" "http://127.0.0.1:$1$2"
}

# Sets streamer_token, sender_tokens (one per process, each registered on its own process) and stream_id.
setup_stream() {
  local k
  streamer_token=$(api_post "${server_ports[0]}" /api/auth/register/ '{"username":"bench_streamer","password":"bench-password-1"}' | jq -r .token)
  sender_tokens=()
  for k in "${!server_ports[@]}"; do
    sender_tokens+=("$(api_post "${server_ports[$k]}" /api/auth/register/ "{\"username\":\"bench_sender_$((k + 1))\",\"password\":\"bench-password-1\"}" | jq -r .token)")
    [ -n "${sender_tokens[-1]}" ] && [ "${sender_tokens[-1]}" != null ] || return 1
  done
  stream_id=$(api_post "${server_ports[0]}" /api/live/create/ '{"title":"cluster bench","description":""}' "$streamer_token" | jq -r '.id // .stream.id')
  [ -n "$streamer_token" ] && [ "$streamer_token" != null ] && [ "$stream_id" != null ] && [ -n "$stream_id" ]
}


# Every second while chat_load runs: the most bytes ever waiting unread in all viewer sockets (a large value
# means the load generator, not the servers, is behind).
sample_loop() {  # $1 = output file, $2... = server ports
  local out=$1 max_recvq=0 q filter="" p
  shift
  for p in "$@"; do filter="${filter:+$filter or }dport = :$p"; done
  while :; do
    q=$(ss -tnH state established "( $filter )" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
    [ "$q" -gt "$max_recvq" ] && max_recvq=$q
    echo "$max_recvq" >"$out"
    sleep 1
  done
}

# utime+stime clock ticks of the given processes (gone ones count 0).
pids_ticks() {
  local pid t=0 v
  for pid in "$@"; do
    v=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

run_case() {  # $1 = mode, $2 = viewers, $3 = comments/s; appends one JSON line to $OUT_DIR/results.jsonl
  local mode=$1 clients=$2 rate=$3 count out samples cpu0 cpu1 cmds0 cmds1 port k
  case $mode in single) count=1 ;; two) count=2 ;; standalone) count=0 ;; esac
  out="$OUT_DIR/run_${mode}_${clients}_${rate}.json"
  samples="$OUT_DIR/samples_${mode}_${clients}_${rate}.txt"
  start_servers "$count" || return 1
  setup_stream || { echo "cluster_bench: could not register users or create the stream" >&2; return 1; }
  local ports pids tokens=() redis_args=() metrics0=() metrics1=()
  ports=$(IFS=,; echo "${server_ports[*]}")
  pids=$(IFS=,; echo "${server_pids[*]}")
  for k in "${!sender_tokens[@]}"; do tokens+=(--sender-token "${sender_tokens[$k]}"); done
  [ "$count" -gt 0 ] && redis_args=(--redis-port "$redis_port" --aux-pids "$redis_pid,$(postgres_pids)")
  echo 0 >"$samples"
  sample_loop "$samples" "${server_ports[@]}" &
  sampler_pid=$!
  for port in "${server_ports[@]}"; do metrics0+=("$(curl -s -m 3 "http://127.0.0.1:$port/metrics" || true)"); done
  cmds0=$([ "$count" -gt 0 ] && redis INFO stats | awk -F: '/^total_commands_processed:/ { print $2 + 0 }' || echo 0)
  # Ours: the servers, Redis, the PostgreSQL processes (and chat_load, from its JSON); the rest of the machine's
  # busy time over the run is other work (other users, kernel threads such as ksoftirqd).
  local our_pids=("${server_pids[@]}") ours0 ours1
  [ "$count" -gt 0 ] && our_pids+=("$redis_pid" $(postgres_pids | tr , ' '))
  ours0=$(pids_ticks "${our_pids[@]}")
  cpu0=$(machine_cpu_ticks)
  # chat_load ends itself (alarm) after 2 x 10 s + join timeout + window + drain + 6 s (+ the time its /metrics
  # and INFO reads took: each at most 5 s); this is a backstop.
  timeout $((JOIN_TIMEOUT_S + WINDOW_S + DRAIN_S + 60)) "$load_bin" --ports "$ports" --stream "$stream_id" \
    --clients "$clients" --rate "$rate" --seconds "$WINDOW_S" --drain "$DRAIN_S" --join-timeout "$JOIN_TIMEOUT_S" \
    --threads "$LOAD_THREADS" --ramp-per-ms "$RAMP_PER_MS" --streamer-token "$streamer_token" "${tokens[@]}" \
    --server-pid "$pids" "${redis_args[@]}" --json >"$out" 2>"$OUT_DIR/load_${mode}_${clients}_${rate}.err" &
  load_pid=$!
  local rc=0
  wait "$load_pid" || rc=$?
  load_pid=""
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  [ "$rc" = 0 ] && [ -s "$out" ] || { echo "cluster_bench: chat_load exited with $rc" >&2; return 1; }
  cpu1=$(machine_cpu_ticks)
  ours1=$(pids_ticks "${our_pids[@]}")
  cmds1=$([ "$count" -gt 0 ] && redis INFO stats | awk -F: '/^total_commands_processed:/ { print $2 + 0 }' || echo 0)
  sleep 1  # let the servers notice the closed sockets
  for port in "${server_ports[@]}"; do metrics1+=("$(curl -s -m 3 "http://127.0.0.1:$port/metrics" || true)"); done
  # Whole-run /metrics deltas per process (streamer, join storm, chat, drain, leaving): joins and leaves are
  # cluster events too, so these are larger than the chat span's (in chat_load's JSON: .cluster, .per_port).
  local whole="[]" i
  for i in "${!server_ports[@]}"; do
    whole=$(jq -c --arg port "${server_ports[$i]}" \
      --arg published "$(metric_delta "${metrics0[$i]}" "${metrics1[$i]}" '^redred_cluster_published_total$')" \
      --arg received "$(metric_delta "${metrics0[$i]}" "${metrics1[$i]}" '^redred_cluster_received_total$')" \
      --arg failed "$(metric_delta "${metrics0[$i]}" "${metrics1[$i]}" '^redred_cluster_publish_failed_total$')" \
      --arg sent "$(metric_delta "${metrics0[$i]}" "${metrics1[$i]}" '^redred_ws_messages_sent_total$')" \
      --arg writes "$(metric_delta "${metrics0[$i]}" "${metrics1[$i]}" '^redred_ws_writes_total$')" \
      --arg slow "$(metric_delta "${metrics0[$i]}" "${metrics1[$i]}" '^redred_ws_slow_closed_total$')" \
      --arg open_after "$(metric_sum "${metrics1[$i]}" '^redred_ws_connections$')" \
      '. + [{port: $port, cluster_published: $published, cluster_received: $received, cluster_publish_failed: $failed,
             ws_messages_sent: $sent, ws_writes: $writes, ws_slow_closed: $slow, ws_connections_after: $open_after}]' <<<"$whole")
  done
  local max_recvq
  read -r max_recvq <"$samples"
  jq -c --arg mode "$mode" --argjson processes "$((count > 0 ? count : 1))" --argjson whole "$whole" \
     --arg recvq_max "$(awk -v b="$max_recvq" 'BEGIN { printf "%.2f", b / 1e6 }')" \
     --arg machine_busy "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " ");
                              printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')" \
     --arg loadavg "$(cut -d' ' -f1 /proc/loadavg)" --arg redis_cmds_run "$((cmds1 - cmds0))" \
     --argjson ours_ticks "$((ours1 - ours0))" --argjson hz "$(getconf CLK_TCK)" --argjson nproc "$(nproc)" \
     --arg machine_ticks "$cpu0 $cpu1" \
     '($machine_ticks | split(" ") | map(tonumber)) as $t
      | ((($t[3] - $t[1]) / $nproc)) as $wall_ticks
      | . + {mode: $mode, processes: $processes, client_recvq_max_mb: $recvq_max, machine_busy_pct: $machine_busy,
           loadavg_1m: $loadavg, redis_commands_whole_run: ($redis_cmds_run | tonumber), metrics_whole_run: $whole,
           other_cpu_cores: (if $wall_ticks > 0 then (($t[2] - $t[0]) - $ours_ticks
                               - .total_loadgen_cpu_cores * .total_s * $hz) / $wall_ticks else null end)}' \
     "$out" >>"$OUT_DIR/results.jsonl"
  stop_servers
}

echo "cluster_bench: $(date -u +%FT%TZ) nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r)" >&2
echo "cluster_bench: cases=\"$CASES\" modes=\"$MODES\" window=${WINDOW_S}s drain=${DRAIN_S}s load_threads=$LOAD_THREADS server_threads=$SERVER_THREADS nofile=$(ulimit -n) raw=$OUT_DIR" >&2
: >"$OUT_DIR/results.jsonl"
if [[ " $MODES " == *" single "* || " $MODES " == *" two "* ]]; then
  start_backends
  echo "cluster_bench: redis-server :$redis_port (pid $redis_pid), postgres :$pg_port ($("$PG_BINDIR/postgres" --version))" >&2
fi

for c in $CASES; do
  clients=${c%%:*} rate=${c##*:}
  for mode in $MODES; do
    for attempt in 1 2; do
      if [ "$SECONDS" -ge "$TOTAL_LIMIT_S" ]; then
        echo "cluster_bench: ${TOTAL_LIMIT_S} s limit reached, skipping $mode N=$clients R=$rate" >&2
        break
      fi
      before_lines=$(wc -l <"$OUT_DIR/results.jsonl")
      if run_case "$mode" "$clients" "$rate"; then break; fi
      echo "cluster_bench: $mode N=$clients R=$rate failed (attempt $attempt); logs in $OUT_DIR" >&2
      head -n "$before_lines" "$OUT_DIR/results.jsonl" >"$OUT_DIR/results.tmp" && mv "$OUT_DIR/results.tmp" "$OUT_DIR/results.jsonl"
      stop_servers
    done
    [ -s "$OUT_DIR/results.jsonl" ] || continue
    jq -r '"cluster_bench: \(.mode) N=\(.clients) R=\(.rate): counted everywhere \(.join_all_know_count_ms) ms, lost \(.lost), dup \(.duplicates), p99 \(.latency_ms.p99) ms, servers \(.server_cpu_cores) cores, loadgen \(.loadgen_cpu_cores) cores"' \
      <<<"$(tail -1 "$OUT_DIR/results.jsonl")" >&2 || true
  done
done

common='def r(n): if . == null then "n/a" else (. * n | round / n) end;
        def pp(f): [.per_port[] | f] | map(if . == null then "n/a" else tostring end) | join(" / ");'
echo
echo "| N viewers | comments/s | processes | all joined (ms) | everyone counted N (ms) (per process) | expected | received | lost | duplicated | deliveries/s (offered) | latency p50 / p90 / p99 / max (ms) | p99 local / remote (ms) | Redis PUBLISH per comment (from /metrics) | Redis deliveries per comment | Redis commands per comment | mean cluster lag (ms) | server CPU chat per process (cores) | server CPU join per process (cores) | µs server CPU per delivery | Redis / PostgreSQL+Redis CPU chat (cores) | load gen CPU chat / join (cores) | max RSS per process MB | viewer errors | max viewer Recv-Q MB | machine busy % | other work (cores) |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
jq -r "$common"'
  "| \(.clients) | \(.rate|r(10)) | \(.processes)\(if .mode == "standalone" then " (standalone)" else "" end) | \(.join_all_established_ms|r(1)) | \(.join_all_know_count_ms|r(1))\(if .processes > 1 then " (" + pp(.all_know_count_ms|r(1)) + ")" else "" end) | \(.expected) | \(.received) | \(.lost) | \(.duplicates) | \(.deliveries_per_s|round) (\(.offered_deliveries_per_s|round)) | \(.latency_ms.p50|r(10)) / \(.latency_ms.p90|r(10)) / \(.latency_ms.p99|r(10)) / \(.latency_ms.max|r(10)) | \(if .processes > 1 then "\(.latency_local_ms.p99|r(10)) / \(.latency_remote_ms.p99|r(10))" else "n/a" end) | \(.cluster.published_per_comment|r(100)) | \(.cluster.received_per_comment|r(100)) | \(.redis.commands_per_comment|r(100)) | \(.cluster.lag_mean_ms|r(100)) | \(pp(.server_cpu_cores|r(100))) | \(pp(.join_server_cpu_cores|r(100))) | \(if .server_cpu_cores != null and .deliveries_per_s > 0 then (.server_cpu_cores * 1e6 / .deliveries_per_s | r(10)) else "n/a" end) | \(.redis.cpu_cores|r(100)) / \(.aux_cpu_cores|r(100)) | \(.loadgen_cpu_cores|r(100)) / \(.join_loadgen_cpu_cores|r(100)) | \(pp(.vmrss_max_sampled_mb|r(1))) | \(.errors) | \(.client_recvq_max_mb) | \(.machine_busy_pct) | \(.other_cpu_cores|r(100)) |"' \
  "$OUT_DIR/results.jsonl"
echo
echo "Cost of the cluster (two processes ÷ one process on the same Redis + PostgreSQL, same run):"
echo
echo "| N viewers | comments/s | p50 latency | p99 latency | everyone counted N | server CPU chat (sum) | server CPU join (sum) | RSS (sum of max) | Redis PUBLISH per comment (one → two) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
jq -rs 'def r(n): if . == null then "n/a" else (. * n | round / n) end;
        def ratio(a; b): if a == null or b == null or b == 0 then "n/a" else "\(a / b | r(100))×" end;
        def rss: [.per_port[].vmrss_max_sampled_mb] | add;
        group_by([.clients, .rate])[] | (map(select(.mode == "single"))[0]) as $one | (map(select(.mode == "two"))[0]) as $two
        | select($one != null and $two != null)
        | "| \($one.clients) | \($one.rate|r(10)) | \(ratio($two.latency_ms.p50; $one.latency_ms.p50)) | \(ratio($two.latency_ms.p99; $one.latency_ms.p99)) | \(ratio($two.join_all_know_count_ms; $one.join_all_know_count_ms)) | \(ratio($two.server_cpu_cores; $one.server_cpu_cores)) | \(ratio($two.join_server_cpu_cores; $one.join_server_cpu_cores)) | \(ratio($two|rss; $one|rss)) | \($one.cluster.published_per_comment|r(100)) → \($two.cluster.published_per_comment|r(100)) |"' \
  "$OUT_DIR/results.jsonl"
echo
echo "processes: redred processes on one Redis + PostgreSQL (viewers round-robin over them, the streamer on the first,"
echo "one sender per process; comments alternate between the senders). all joined: first viewer connect -> all N got"
echo "connection_established. everyone counted N: -> every viewer had seen viewers_count >= N (in brackets: the last"
echo "viewer of each process). expected = viewers open when sending began x comments accepted; lost = expected -"
echo "received after a ${DRAIN_S} s drain; duplicated = the same comment received again by one viewer. deliveries/s ="
echo "received / (last delivery - first send). p99 local / remote: viewers on the sending process / on the other one."
echo "Redis columns: deltas over the chat span (window start -> end of the drain, every viewer still connected, so the"
echo "only room events are the comments) ÷ comments accepted: PUBLISH = redred_cluster_published_total summed over the"
echo "processes; deliveries = redred_cluster_received_total summed (Redis -> each subscribed process); commands ="
echo "Redis total_commands_processed (INFO). Mean cluster lag: redred_cluster_lag_seconds sum / count (ms clock)."
echo "CPU: utime+stime per second of the ${WINDOW_S} s chat window (servers, Redis and the PostgreSQL processes from"
echo "/proc/PID/stat; Redis's own from INFO over the chat span; load generator from getrusage) and of the join storm."
echo "max RSS: VmRSS sampled every 250 ms by chat_load. max viewer Recv-Q: most bytes ever unread in all viewer"
echo "sockets (large = the load generator is behind). machine busy %: whole machine over the run, other users' work"
echo "included (100 % = all $(nproc) cores, shared by the servers, Redis, PostgreSQL and the load generator). other work:"
echo "the machine's busy time over the run minus ours (servers, Redis, PostgreSQL, load generator), in cores: other"
echo "users, and kernel threads (ksoftirqd may carry part of our own loopback traffic). Large = the run was starved."
echo
echo "Raw results: $OUT_DIR/results.jsonl (logs: $OUT_DIR/server_run*.log, redis.log, postgres.log)"

# Shell helpers shared by the benchmark scripts (feed_bench.sh, chat_bench.sh, cluster_bench.sh, tiles_bench.sh).
# Sourced, not run.
# Expects $base_url (the server's http://host:port) and $server_pid to be set by the caller when used.

# Prometheus text of the server ("" when /metrics does not answer).
metrics_snapshot() { curl -s -m 3 -f "$base_url/metrics" 2>/dev/null || true; }

# Sum of the Prometheus samples whose metric name matches a regex ("n/a" when there is none).
metric_sum() {  # $1 = metrics text, $2 = awk regex on the metric name
  printf '%s\n' "$1" | awk -v re="$2" '
    /^#/ || NF < 2 { next }
    { name = $1; sub(/\{.*/, "", name); if (name ~ re) { sum += $NF; found = 1 } }
    END { if (found) printf "%.6f", sum; else printf "n/a" }'
}

metric_delta() {  # $1 = before text, $2 = after text, $3 = regex
  local a b
  a=$(metric_sum "$1" "$3"); b=$(metric_sum "$2" "$3")
  if [ "$a" = n/a ] || [ "$b" = n/a ]; then echo n/a; else awk -v a="$a" -v b="$b" 'BEGIN { printf "%.6g", b - a }'; fi
}

# "busy total" jiffies of the whole machine (all processes, ours and others'), from /proc/stat.
machine_cpu_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }

proc_status_mb() {  # $1 = VmHWM | VmRSS
  awk -v key="$1:" '$1 == key { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status" 2>/dev/null || echo n/a
}

# The largest viewer count of CASES ("N:R N:R ..."), and the soft open-files limit raised to the hard one, which
# must hold that many sockets (+ margin): each server and the load generator hold one per viewer.
max_case_clients() {  # $1 = CASES
  local max=0 c
  for c in $1; do [ "${c%%:*}" -gt "$max" ] && max=${c%%:*}; done
  echo "$max"
}
raise_open_files_for() {  # $1 = clients, $2 = script name for the message; exits 2 when the limit is too low
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $(($1 + 200)) ]; then
    echo "$2: open-files limit $(ulimit -n) is below $1 viewers (+ margin); raise the hard limit" >&2
    exit 2
  fi
}

# Loopback ports: free when nothing accepts a connection there.
port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {  # a free port in 20000-39999
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    port_is_free "$p" && { echo "$p"; return; }
  done
  echo "$(basename "$0"): no free port found" >&2; return 1
}

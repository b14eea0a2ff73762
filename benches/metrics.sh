#!/usr/bin/env bash
# The cost of /metrics on the query path: the same zone served by two daned processes, one with
# `[server] metrics` (every query counted) and one without, measured in turns (off, on, off,
# on, ...) in one run, each pinned to CPU 0 with dnsperf on CPU 1, so that the drift of a
# shared machine hits both alike. Prints each turn, the mean qps and CPU per query of each,
# and last the ratio on/off (the issue's budget: qps ratio >= 0.98).
#
# usage: benches/metrics.sh [--names N] [--seconds S] [--rounds R]
#   --names N     names in the zone (default 10000)
#   --seconds S   dnsperf run per turn (default 10)
#   --rounds R    turns per configuration (default 3)
# Needs: apt-get install knot-dnsutils dnsperf bc python3 (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
[ -d "$SHARED" ] || SHARED=/work/shared/bench
NAMES=10000; SECONDS_RUN=10; ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --names) NAMES=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in kdig dnsperf bc python3 taskset curl; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done

cargo build --release --quiet
W=$(mktemp -d /tmp/daned-metrics.XXXXXX)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_soa() { for _ in $(seq 600); do kdig +time=1 +retry=0 @127.0.0.1 -p "$1" example.com SOA 2>/dev/null | grep -q NOERROR && return 0; sleep 0.1; done; return 1; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

start() {  # NAME PORT EXTRA_SERVER_LINE -> sets PID_<NAME>
  mkdir -p "$W/$1"
  cat > "$W/$1/daned.toml" <<C
[server]
listen = ["127.0.0.1:$2"]
state_dir = "state"
udp_workers = 1
$3
[[zone]]
name = "example.com"
file = "$W/zone"
sign = false
C
  taskset -c 0 "$ROOT/target/release/daned" serve -c "$W/$1/daned.toml" 2>"$W/$1/log" &
  local pid=$!; PIDS+=($pid)
  wait_soa "$2" || { cat "$W/$1/log"; exit 1; }
  eval "PID_$1=$pid"
}

P_OFF=$(free_port); P_ON=$(free_port); M=$(free_port)
start off "$P_OFF" ""
start on "$P_ON" "metrics = \"127.0.0.1:$M\""

declare -A QPS_SUM CPU_SUM
QPS_SUM[off]=0; QPS_SUM[on]=0; CPU_SUM[off]=0; CPU_SUM[on]=0
for r in $(seq "$ROUNDS"); do
  for cfg in off on; do
    port=P_${cfg^^}; pid=PID_$cfg
    out=$("$SHARED/dnsperf.sh" "${!port}" "$W/queries" "$SECONDS_RUN" "${!pid}")
    qps=$(echo "$out" | awk '/^qps/{print $2}')
    cpu=$(echo "$out" | awk '/server_cpu_us_per_query/{print $2}')
    echo "round $r metrics=$cfg: qps $qps  cpu_us/query $cpu"
    QPS_SUM[$cfg]=$(echo "${QPS_SUM[$cfg]} + $qps" | bc)
    CPU_SUM[$cfg]=$(echo "${CPU_SUM[$cfg]} + $cpu" | bc)
  done
done

# The counters saw the queries: the scrape's query total is what dnsperf sent it.
counted=$(curl -s "http://127.0.0.1:$M/metrics" | awk '/^daned_queries_total/{s+=$2} END{printf "%d", s}')
echo "queries counted by the metrics-on server: $counted"
q_off=$(echo "scale=1; ${QPS_SUM[off]} / $ROUNDS" | bc); q_on=$(echo "scale=1; ${QPS_SUM[on]} / $ROUNDS" | bc)
c_off=$(echo "scale=3; ${CPU_SUM[off]} / $ROUNDS" | bc); c_on=$(echo "scale=3; ${CPU_SUM[on]} / $ROUNDS" | bc)
echo "== $NAMES names, ${ROUNDS} x ${SECONDS_RUN}s per configuration =="
echo "metrics off: qps $q_off  cpu_us/query $c_off"
echo "metrics on:  qps $q_on  cpu_us/query $c_on"
echo "cpu/query on/off: $(echo "scale=4; $c_on / $c_off" | bc)"
echo "qps on/off: $(echo "scale=4; $q_on / $q_off" | bc)"

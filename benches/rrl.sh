#!/usr/bin/env bash
# The cost of response rate limiting for legitimate traffic: the same zone served by two daned
# processes, one without and one with [server.rrl], measured in alternating rounds in one run,
# so that drift of the shared machine hits both alike. Each server is pinned to CPU 0 with one
# UDP worker; dnsperf runs on CPU 1 from several loopback sources (127.0.0.2 ...), each
# asking for the zone's names in a shuffled order: every source stays far below the rate per
# name, as legitimate resolvers do, so RRL only costs its bookkeeping (hash, classify, one
# atomic compare-and-swap per answer). The target is a cost of at most 5%.
#
# usage: benches/rrl.sh [--names N] [--seconds S] [--rounds R] [--sources K]
#   --names N     names in the zone (default 20000)
#   --seconds S   dnsperf run per round and server (default 10)
#   --rounds R    off/on pairs (default 3)
#   --sources K   loopback source addresses, one dnsperf each (default 4)
# Prints qps and server CPU per query per round, the medians, and last the line
# "rrl on/off qps ratio R (cost C%)".
# Needs: dnsperf, kdig, python3, bc, taskset (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
NAMES=20000; SECONDS_RUN=10; ROUNDS=3; SOURCES=4
while [ $# -gt 0 ]; do
  case "$1" in
    --names) NAMES=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --sources) SOURCES=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in dnsperf kdig bc python3 taskset; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done

cargo build --release --quiet
W=$(mktemp -d /tmp/daned-rrl.XXXXXX)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
# Positive questions only (A of every name, AAAA where it exists), shuffled: what resolvers
# behind a busy site ask. NXDOMAIN/NODATA are accounted per zone, and a flood of them from
# one source is what RRL is meant to limit.
python3 - "$NAMES" "$W/queries" <<'P'
import random, sys
n, out = int(sys.argv[1]), sys.argv[2]
q = [f"h{i}.example.com A" for i in range(n)] + [f"h{i}.example.com AAAA" for i in range(0, n, 4)]
random.Random(7).shuffle(q)
open(out, "w").write("\n".join(q) + "\n")
P
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_soa() { for _ in $(seq 600); do kdig +time=1 +retry=0 @127.0.0.1 -p "$1" example.com SOA 2>/dev/null | grep -q NOERROR && return 0; sleep 0.1; done; return 1; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

start() {  # NAME EXTRA_CONFIG -> sets PORT_<NAME>, PID_<NAME>
  local p d=$W/$1
  p=$(free_port); mkdir -p "$d"
  printf '[server]\nlisten = ["127.0.0.1:%s"]\nstate_dir = "state"\nudp_workers = 1\n%b\n[[zone]]\nname = "example.com"\nfile = "%s"\nsign = false\n' \
    "$p" "$2" "$W/zone" > "$d/daned.toml"
  taskset -c 0 "$ROOT/target/release/daned" serve -c "$d/daned.toml" 2>"$d/log" &
  local pid=$!; PIDS+=($pid)
  wait_soa "$p" || { cat "$d/log"; exit 1; }
  eval "PORT_$1=$p PID_$1=$pid"
}
start off ""
# rate 20 per /32 source: the sources below are separate prefixes, as separate resolvers are.
start on '[server.rrl]\nrate = 20\nslip = 2\nwindow = "15s"\nipv4_prefix = 32'

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
run() {  # PORT PID -> total qps, lost and sent queries over all sources, server CPU µs per query
  local port=$1 pid=$2 i outs=() c0 c1
  rm -f "$W"/perf.*
  c0=$(cpu_ticks "$pid")
  for i in $(seq 2 $((SOURCES + 1))); do
    taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -a "127.0.0.$i" -d "$W/queries" -l "$SECONDS_RUN" \
      -c 2 -q 50 >"$W/perf.$i" 2>&1 &
    outs+=($!)
  done
  wait "${outs[@]}"
  c1=$(cpu_ticks "$pid")
  cat "$W"/perf.* | awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
    '/Queries per second/{q+=$4} /Queries lost/{l+=$3} /Queries sent/{s+=$3} /Queries completed/{c+=$3}
     END{printf "%.0f %d %d %.2f\n", q, l, s, (c ? t * 1000000 / hz / c : 0)}'
}

declare -a OFF ON CPU_OFF CPU_ON
for r in $(seq 1 "$ROUNDS"); do
  # Not read from a process substitution: bash would not wait for it to end.
  run "$PORT_off" "$PID_off" >"$W/round"; read -r q_off l_off s_off u_off <"$W/round"
  run "$PORT_on" "$PID_on" >"$W/round"; read -r q_on l_on s_on u_on <"$W/round"
  OFF+=("$q_off"); ON+=("$q_on"); CPU_OFF+=("$u_off"); CPU_ON+=("$u_on")
  echo "round $r: rrl off $q_off qps, $u_off µs CPU/query (lost $l_off of $s_off)   rrl on $q_on qps, $u_on µs CPU/query (lost $l_on of $s_on)"
done
limited=$(grep -c "rate limiting started" "$W/on/log" || true)
echo "rrl on: accounts that started limiting: $limited (0 expected: legitimate traffic)"
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m_off=$(median "${OFF[@]}"); m_on=$(median "${ON[@]}")
u_off=$(median "${CPU_OFF[@]}"); u_on=$(median "${CPU_ON[@]}")
echo "median qps: rrl off $m_off, rrl on $m_on ($SOURCES sources, $NAMES names, ${SECONDS_RUN}s x $ROUNDS rounds)"
# Server CPU per answered query drifts less than qps on a busy shared machine.
echo "median server CPU per query: rrl off $u_off µs, rrl on $u_on µs (on/off $(echo "scale=4; $u_on / $u_off" | bc))"
ratio=$(echo "scale=4; $m_on / $m_off" | bc)
cost=$(echo "scale=2; (1 - $ratio) * 100" | bc)
echo "rrl on/off qps ratio $ratio (cost $cost%)"

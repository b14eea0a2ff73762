#!/usr/bin/env bash
# Side-by-side peer benchmark: the same mail-domain zone served by daned, NSD and Knot DNS, one
# after another, each server pinned to CPU 0 and dnsperf to CPU 1, all in one run, so that the
# ratios mean something on a shared machine whose absolute numbers drift.
#
# usage: benches/peers.sh [--names N] [--seconds S] [--signed]
#   --names N     names in the zone (default 100000)
#   --seconds S   dnsperf run per server (default 10)
#   --signed      DNSSEC: daned signs (NSEC3, ECDSA P-256), NSD serves ldns-signzone output,
#                 Knot signs automatically; queries carry DO=1 in every case (dnsperf -D)
# Needs: apt-get install nsd knot ldnsutils dnsperf bc (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
NAMES=100000; SECONDS_RUN=10; SIGNED=0
while [ $# -gt 0 ]; do
  case "$1" in
    --names) NAMES=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --signed) SIGNED=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in nsd knotd dnsperf bc python3 taskset; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done

cargo build --release --quiet
W=$(mktemp -d /tmp/daned-peers.XXXXXX)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_soa() { for _ in $(seq 600); do kdig +time=1 +retry=0 @127.0.0.1 -p "$1" example.com SOA 2>/dev/null | grep -q NOERROR && return 0; sleep 0.1; done; return 1; }
rss_kb() { ps -o rss= -p "$1" | awk '{print $1}'; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
declare -A QPS CPU LOAD RSS

measure() {  # NAME PORT PID
  local out
  out=$("$SHARED/dnsperf.sh" "$2" "$W/queries" "$SECONDS_RUN" "$3")
  echo "$out" | sed "s/^/  [$1] /"
  QPS[$1]=$(echo "$out" | awk '/^qps/{print $2}')
  CPU[$1]=$(echo "$out" | awk '/server_cpu_us_per_query/{print $2}')
}

# --- daned ---
P=$(free_port)
mkdir -p "$W/daned"
SIGN=false; [ $SIGNED = 1 ] && SIGN=true
cat > "$W/daned/daned.toml" <<C
[server]
listen = ["127.0.0.1:$P"]
state_dir = "state"
udp_workers = 1
[[zone]]
name = "example.com"
file = "$W/zone"
sign = $SIGN
C
t0=$(date +%s.%N)
if [ $SIGNED = 1 ]; then
  # Signing uses both cores (rayon), as the issue asks; serving is then pinned to CPU 0.
  "$ROOT/target/release/daned" serve -c "$W/daned/daned.toml" 2>"$W/daned/log" &
else
  taskset -c 0 "$ROOT/target/release/daned" serve -c "$W/daned/daned.toml" 2>"$W/daned/log" &
fi
DP=$!; PIDS+=($DP)
wait_soa "$P" || { cat "$W/daned/log"; exit 1; }
t1=$(date +%s.%N)
taskset -a -p -c 0 "$DP" >/dev/null
LOAD[daned]=$(echo "$t1 - $t0" | bc); RSS[daned]=$(rss_kb "$DP")
echo "daned: load$([ $SIGNED = 1 ] && echo +sign) ${LOAD[daned]} s, RSS ${RSS[daned]} kB"
measure daned "$P" "$DP"
kill "$DP"; wait "$DP" 2>/dev/null || true

# --- NSD ---
P=$(free_port)
if [ $SIGNED = 1 ]; then
  "$SHARED/nsd.sh" "$W" "$P" | tee "$W/nsd.out"
  LOAD[nsd]=$(awk '/ldns_signzone_s/{print $2}' "$W/nsd.out"); RSS[nsd]=$(awk '/nsd_rss_kb/{print $2}' "$W/nsd.out")
else
  D=$W/nsd; mkdir -p "$D"; cp "$W/zone" "$D/zone"
  cat > "$D/nsd.conf" <<C
server:
    ip-address: 127.0.0.1@$P
    server-count: 1
    rrl-ratelimit: 0
    username: ""
    zonesdir: "$D"
    database: ""
    pidfile: "$D/pid"
    xfrdfile: "$D/xfrd.state"
    zonelistfile: "$D/zone.list"
    logfile: "$D/log"
    chroot: ""
remote-control:
    control-enable: no
zone:
    name: example.com
    zonefile: zone
C
  t0=$(date +%s.%N); taskset -c 0 nsd -c "$D/nsd.conf"; wait_soa "$P"; t1=$(date +%s.%N)
  LOAD[nsd]=$(echo "$t1 - $t0" | bc); RSS[nsd]=$( (ps -o rss= -p "$(cat "$D/pid")"; ps -o rss= --ppid "$(cat "$D/pid")") | awk '{s+=$1} END{print s}')
fi
NP=$(cat "$W/nsd/pid"); PIDS+=($NP)
wait_soa "$P"
measure nsd "$P" "$NP"
kill "$NP" 2>/dev/null || true; sleep 1

# --- Knot ---
P=$(free_port)
if [ $SIGNED = 1 ]; then
  "$SHARED/knot.sh" "$W" "$P" | tee "$W/knot.out"
  LOAD[knot]=$(awk '/knot_load_sign_s/{print $2}' "$W/knot.out"); RSS[knot]=$(awk '/knot_rss_kb/{print $2}' "$W/knot.out")
else
  D=$W/knot; mkdir -p "$D/storage"; cp "$W/zone" "$D/storage/example.com.zone"
  cat > "$D/knot.conf" <<C
server:
    rundir: "$D"
    listen: 127.0.0.1@$P
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$D"
log:
  - target: $D/log
    any: info
template:
  - id: default
    storage: "$D/storage"
    file: "%s.zone"
    journal-content: none
zone:
  - domain: example.com
C
  t0=$(date +%s.%N); taskset -c 0 knotd -c "$D/knot.conf" -d; wait_soa "$P"; t1=$(date +%s.%N)
  pgrep -f "knotd -c $D/knot.conf" | head -1 > "$D/pid"
  LOAD[knot]=$(echo "$t1 - $t0" | bc); RSS[knot]=$(rss_kb "$(cat "$D/pid")")
fi
KP=$(cat "$W/knot/pid"); PIDS+=($KP)
wait_soa "$P"
measure knot "$P" "$KP"
kill "$KP" 2>/dev/null || true

ratio() { echo "scale=2; $1 / $2" | bc; }
echo
echo "== $NAMES names, $([ $SIGNED = 1 ] && echo 'signed (NSEC3), DO=1' || echo 'unsigned, DO=1'), ${SECONDS_RUN}s per server =="
printf "%-6s %10s %14s %12s %10s\n" server qps cpu_us/query load_s rss_kB
for s in daned nsd knot; do
  printf "%-6s %10s %14s %12s %10s\n" "$s" "${QPS[$s]}" "${CPU[$s]}" "${LOAD[$s]}" "${RSS[$s]}"
done
echo "daned/NSD:  qps $(ratio "${QPS[daned]}" "${QPS[nsd]}")  cpu/query $(ratio "${CPU[daned]}" "${CPU[nsd]}")"
echo "daned/Knot: qps $(ratio "${QPS[daned]}" "${QPS[knot]}")  cpu/query $(ratio "${CPU[daned]}" "${CPU[knot]}")  load $(ratio "${LOAD[daned]}" "${LOAD[knot]}")  rss $(ratio "${RSS[daned]}" "${RSS[knot]}")"
rm -rf "$W"

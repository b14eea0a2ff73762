#!/usr/bin/env bash
# Hostility mixed into a full-rate flood: dnsperf's stream of the mail-zone query mix at full
# rate, with 10% of the packets malformed (truncated, pointer loops, bogus counts, QR=1, odd
# opcodes; examples/flood_mix_sender.rs with benches/support/hostile.rs) from another
# loopback source, for 60 s. Checks, each printed PASS or FAIL (exit 1 on any FAIL):
#   - daned is still running afterwards (no crash);
#   - no QR=1 packet was answered (replies to the malformed sender, counted by ID);
#   - sampled answers stay correct: kdig every 2 s during the flood, two known names;
#   - RSS, sampled every second, stays flat (last sample within 10% + 1 MiB of the first
#     sample taken after warm-up);
#   - qps drops against a clean run of the same length in the same run by no more than the
#     malformed share (10%).
# daned is pinned to CPU 0 with one UDP worker; dnsperf and the sender to CPU 1.
#
# usage: benches/flood_mix.sh [--seconds S] [--names N]
#   --seconds S   length of the clean run and of the flood (default 60)
#   --names N     names in the zone (default 20000)
# Needs: dnsperf, kdig, python3, bc, taskset (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
SECONDS_RUN=60; NAMES=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --names) NAMES=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in dnsperf kdig bc python3 taskset; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done

cargo build --release --quiet --bin daned --example flood_mix_sender
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
W=$(mktemp -d /tmp/daned-flood.XXXXXX)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_soa() { for _ in $(seq 600); do kdig +time=1 +retry=0 @127.0.0.1 -p "$1" example.com SOA 2>/dev/null | grep -q NOERROR && return 0; sleep 0.1; done; return 1; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

P=$(free_port)
printf '[server]\nlisten = ["127.0.0.1:%s"]\nstate_dir = "state"\nudp_workers = 1\n[[zone]]\nname = "example.com"\nfile = "%s"\nsign = false\n' \
  "$P" "$W/zone" > "$W/daned.toml"
taskset -c 0 "$BIN/daned" serve -c "$W/daned.toml" 2>"$W/log" &
DP=$!; PIDS+=($DP)
wait_soa "$P" || { cat "$W/log"; exit 1; }

perf() {  # -> qps
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$P" -d "$W/queries" -l "$SECONDS_RUN" -c 8 -q 200 2>&1 \
    | awk '/Queries per second/{print $4}'
}

# The server's CPU time in clock ticks (utime + stime): whether a run was limited by the
# server (busy all the time) or by the load generators, and its cost per packet.
ticks() { awk '{print $14 + $15}' "/proc/$DP/stat"; }
HZ=$(getconf CLK_TCK)
cpu_report() {  # TICKS PACKETS_PER_S -> "busy X%, Y µs per packet"
  echo "server busy $(echo "scale=1; 100 * $1 / ($HZ * $SECONDS_RUN)" | bc)%, $(echo "scale=2; 1000000 * $1 / ($HZ * $2 * $SECONDS_RUN)" | bc) µs CPU per packet"
}

echo "clean run: ${SECONDS_RUN}s"
T0=$(ticks)
Q_CLEAN=$(perf)
T_CLEAN=$(( $(ticks) - T0 ))
echo "  qps $Q_CLEAN; $(cpu_report "$T_CLEAN" "$Q_CLEAN")"

# 10% of all packets malformed: one malformed for every nine of dnsperf's.
PPS=$(echo "$Q_CLEAN / 9" | bc)
echo "flood run: ${SECONDS_RUN}s, dnsperf at full rate + $PPS malformed packets/s"
(while kill -0 "$DP" 2>/dev/null; do ps -o rss= -p "$DP" >>"$W/rss" || true; sleep 1; done) &
PIDS+=($!)
(
  end=$((SECONDS + SECONDS_RUN))
  while [ $SECONDS -lt $end ]; do
    a=$(kdig +short +time=1 +retry=2 @127.0.0.1 -p "$P" mx1.example.com A 2>/dev/null || true)
    b=$(kdig +short +time=1 +retry=2 @127.0.0.1 -p "$P" h1.example.com A 2>/dev/null || true)
    [ "$a" = "192.0.2.1" ] && echo ok >>"$W/samples" || echo "bad mx1: '$a'" >>"$W/samples"
    [ "$b" = "198.51.0.1" ] && echo ok >>"$W/samples" || echo "bad h1: '$b'" >>"$W/samples"
    sleep 2
  done
) &
SAMPLER=$!; PIDS+=($SAMPLER)
taskset -c 1 "$BIN/examples/flood_mix_sender" "$P" "$PPS" "$SECONDS_RUN" 127.0.0.9 >"$W/sender" &
SENDER=$!; PIDS+=($SENDER)
T0=$(ticks)
Q_FLOOD=$(perf)
wait "$SENDER"; wait "$SAMPLER" || true
T_FLOOD=$(( $(ticks) - T0 ))
echo "  qps $Q_FLOOD; $(cpu_report "$T_FLOOD" "$(echo "$Q_FLOOD + $PPS" | bc)") (malformed packets included)"
sed 's/^/  sender: /' "$W/sender"

FAIL=0
check() {  # NAME CONDITION(0/1) DETAIL
  if [ "$2" = 1 ]; then echo "PASS $1: $3"; else echo "FAIL $1: $3"; FAIL=1; fi
}
alive=0; kill -0 "$DP" 2>/dev/null && alive=1
check "no crash" "$alive" "daned pid $DP $([ $alive = 1 ] && echo running || echo gone)"
qr1=$(awk '/^qr1_answered/{print $2}' "$W/sender")
check "QR=1 never answered" "$([ "$qr1" = 0 ] && echo 1 || echo 0)" "$qr1 replies to QR=1 packets"
ok=$(grep -c '^ok' "$W/samples" || true); total=$(wc -l <"$W/samples")
check "sampled answers correct" "$([ "$ok" = "$total" ] && [ "$total" -gt 0 ] && echo 1 || echo 0)" "$ok of $total kdig samples correct$(grep -v '^ok' "$W/samples" | head -3 | sed 's/^/; /' | tr -d '\n')"
# RSS: from the sample after warm-up (5th, or the first when shorter) to the last.
first=$(sed -n "$(( $(wc -l <"$W/rss") > 5 ? 5 : 1 ))p" "$W/rss" | tr -d ' '); last=$(tail -1 "$W/rss" | tr -d ' ')
max=$(sort -n "$W/rss" | tail -1 | tr -d ' ')
flat=$(echo "$last <= $first * 1.1 + 1024" | bc)
check "RSS flat" "$flat" "RSS kB first ${first} last ${last} max ${max} ($(wc -l <"$W/rss") samples)"
ratio=$(echo "scale=4; $Q_FLOOD / $Q_CLEAN" | bc)
# The malformed share as sent: the malformed packets among all the packets of the flood run.
share=$(echo "scale=4; $PPS / ($Q_FLOOD + $PPS)" | bc)
floor=$(echo "scale=4; 1 - $share" | bc)
handled=$(echo "scale=4; ($Q_FLOOD + $PPS) / $Q_CLEAN" | bc)
check "qps drop within the malformed share" "$(echo "$ratio >= $floor" | bc)" "flood/clean qps $Q_FLOOD/$Q_CLEAN = $ratio (>= 1 - malformed share $share = $floor); packets handled, malformed included: $handled of the clean rate"
grep -q panicked "$W/log" && check "no panic logged" 0 "$(grep -m1 panicked "$W/log")"
echo "flood/clean qps ratio $ratio"
exit $FAIL

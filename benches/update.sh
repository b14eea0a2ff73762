#!/usr/bin/env bash
# DNS UPDATE (RFC 2136, TSIG) side by side with Knot DNS, on the same signed mail-domain zone
# (NSEC3, ECDSA P-256; 100k names from ../shared/bench/mkzone.py by default), same TSIG key,
# same client (BIND's nsupdate -y), one server after the other:
#   latency: add one TXT, time until `kdig +dnssec` gets it with its RRSIG; then delete it,
#            time until it is gone (NXDOMAIN). Medians over --rounds.
#   sequential: --updates updates (alternately add and delete a TXT) sent one after another
#            by one nsupdate process (each waits for its reply); updates per second.
# Knot keeps its changes in its journal and never rewrites the zone file (zonefile-sync: -1),
# as daned keeps its in the journal and rewrites its saved version in the background.
# Ratios are printed last (latency: daned / Knot, lower is better; sequential: daned / Knot,
# higher is better).
#
# usage: benches/update.sh [--names N] [--rounds R] [--updates U]
# Needs: apt-get install knot knot-dnsutils bind9-utils python3 bc (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
NAMES=100000; ROUNDS=5; UPDATES=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --names) NAMES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --updates) UPDATES=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in knotd kdig nsupdate python3 bc; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done
cargo build --release --quiet
W=$(mktemp -d /tmp/daned-update.XXXXXX)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
SECRET=$(head -c 32 /dev/urandom | base64)
KEY="hmac-sha256:bench:$SECRET"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Waits (bounded: 60 s) until the signed TXT at bench.example.com holds WANT.
wait_signed() {
  local port=$1 want=$2 i out
  for i in $(seq 12000); do
    out=$(kdig +time=1 +retry=0 +dnssec @127.0.0.1 -p "$port" bench.example.com TXT 2>/dev/null || true)
    if grep -q "\"$want\"" <<<"$out" && grep -q "RRSIG.*TXT" <<<"$out"; then return 0; fi
    sleep 0.002
  done
  return 1
}
# Waits (bounded: 60 s) until bench.example.com is NXDOMAIN.
wait_gone() {
  local port=$1 i
  for i in $(seq 12000); do
    kdig +time=1 +retry=0 +dnssec @127.0.0.1 -p "$port" bench.example.com TXT 2>/dev/null | grep -q "status: NXDOMAIN" && return 0
    sleep 0.002
  done
  return 1
}
# Waits (bounded: 20 min, the first signing of a large zone) until PORT answers the SOA.
wait_up() {
  local port=$1 i
  for i in $(seq 12000); do
    kdig +time=1 +retry=0 @127.0.0.1 -p "$port" example.com SOA +short 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  return 1
}
# Runs the latency rounds and the sequential updates against PORT; sets LAT_ADD, LAT_DEL, RATE.
measure() {
  local who=$1 port=$2 r t0 t1 adds=() dels=() value
  for r in $(seq "$ROUNDS"); do
    value="bench-$r-$RANDOM"
    sleep 0.5
    t0=$(now)
    printf 'server 127.0.0.1 %s\nzone example.com\nupdate add bench.example.com. 300 TXT "%s"\nsend\n' "$port" "$value" | nsupdate -y "$KEY"
    wait_signed "$port" "$value" || { echo "$who: add not served" >&2; return 1; }
    t1=$(now); adds+=($(( (t1 - t0) / 1000 )))
    t0=$(now)
    printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete bench.example.com. TXT\nsend\n' "$port" | nsupdate -y "$KEY"
    wait_gone "$port" || { echo "$who: delete not served" >&2; return 1; }
    t1=$(now); dels+=($(( (t1 - t0) / 1000 )))
    echo "  [$who] round $r: add served signed after ${adds[-1]} us, delete after ${dels[-1]} us"
  done
  LAT_ADD=$(printf '%s\n' "${adds[@]}" | median)
  LAT_DEL=$(printf '%s\n' "${dels[@]}" | median)
  local script=$W/$who.updates
  { echo "server 127.0.0.1 $port"; echo "zone example.com"
    for r in $(seq "$UPDATES"); do
      if [ $((r % 2)) -eq 1 ]; then echo "update add bench.example.com. 300 TXT \"seq-$r\""; else echo "update delete bench.example.com. TXT"; fi
      echo send
    done; } > "$script"
  t0=$(now)
  nsupdate -y "$KEY" "$script"
  t1=$(now)
  RATE=$(echo "scale=1; $UPDATES * 1000000000 / ($t1 - $t0)" | bc)
  echo "  [$who] $UPDATES sequential updates in $(( (t1 - t0) / 1000000 )) ms: $RATE/s"
}

# --- daned ---
P=$(free_port)
D=$W/daned; mkdir -p "$D"
cat > "$D/daned.toml" <<C
[server]
listen = ["127.0.0.1:$P"]
state_dir = "state"
udp_workers = 1
[[tsig_key]]
name = "bench"
secret = "$SECRET"
[[zone]]
name = "example.com"
file = "$W/zone"
[[zone.update]]
key = "bench"
names = ["bench.example.com"]
types = ["TXT"]
C
(cd "$D" && exec "$ROOT/target/release/daned" serve -c "$D/daned.toml" 2>"$D/log") &
DP=$!; PIDS+=($DP)
wait_up "$P" || { tail "$D/log"; exit 1; }
measure daned "$P"
D_ADD=$LAT_ADD; D_DEL=$LAT_DEL; D_RATE=$RATE
echo "  [daned] publication elapsed_ms median: $(grep 'UPDATE published' "$D/log" | sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' | median)"
echo "  [daned] RSS $(ps -o rss= -p "$DP") kB"
kill "$DP"; wait "$DP" 2>/dev/null || true

# --- Knot ---
P=$(free_port)
K=$W/knot; mkdir -p "$K/storage" "$K/kasp"; cp "$W/zone" "$K/storage/example.com.zone"
cat > "$K/knot.conf" <<C
server:
    rundir: "$K"
    listen: 127.0.0.1@$P
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$K"
    kasp-db: "$K/kasp"
log:
  - target: $K/log
    any: info
key:
  - id: bench
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: local
    address: 127.0.0.1
    key: bench
    action: update
policy:
  - id: p
    algorithm: ecdsap256sha256
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
template:
  - id: default
    storage: "$K/storage"
    file: "%s.zone"
    journal-content: changes
    zonefile-sync: -1
zone:
  - domain: example.com
    dnssec-signing: on
    dnssec-policy: p
    acl: local
C
knotd -c "$K/knot.conf" -d
KP=""
for i in $(seq 12000); do grep -q '] loaded, serial' "$K/log" 2>/dev/null && break; sleep 0.1; done
KP=$(pgrep -f "knotd -c $K/knot.conf" | head -1); PIDS+=($KP)
wait_up "$P" || { tail "$K/log"; exit 1; }
measure knot "$P"
K_ADD=$LAT_ADD; K_DEL=$LAT_DEL; K_RATE=$RATE
echo "  [knot] RSS $(ps -o rss= -p "$KP") kB"
kill "$KP" 2>/dev/null || true

echo "names $NAMES, rounds $ROUNDS (medians), sequential updates $UPDATES"
echo "daned_add_served_signed_us $D_ADD"
echo "daned_delete_served_us $D_DEL"
echo "daned_sequential_updates_per_s $D_RATE"
echo "knot_add_served_signed_us $K_ADD"
echo "knot_delete_served_us $K_DEL"
echo "knot_sequential_updates_per_s $K_RATE"
echo "ratio_add_latency_daned_over_knot $(echo "scale=3; $D_ADD / $K_ADD" | bc)"
echo "ratio_delete_latency_daned_over_knot $(echo "scale=3; $D_DEL / $K_DEL" | bc)"
echo "ratio_sequential_daned_over_knot $(echo "scale=3; $D_RATE / $K_RATE" | bc)"
rm -rf "$W"

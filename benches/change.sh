#!/usr/bin/env bash
# The cost of one change, side by side: on the same signed mail-domain zone (NSEC3, ECDSA P-256),
# how long from a change to the changed record being served, signed.
#   daned: a certificate file of a [[zone.tlsa]] binding is replaced (atomic rename); the new
#          `3 1 1` record is served signed. Reported: wall time from the rename to the answer
#          (includes the watcher's 250 ms debounce) and the daemon's own `elapsed_ms` of the
#          publication (change -> new snapshot).
#   Knot:  a one-record DDNS update (knsupdate) of a TXT record; reported: wall time from the
#          update to the answer (Knot signs the change incrementally).
# Each is repeated --rounds times; medians are printed last, with the ratio.
#
# usage: benches/change.sh [--names N] [--rounds R]
# Needs: apt-get install knot knot-dnsutils openssl python3 bc (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
NAMES=100000; ROUNDS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --names) NAMES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in knotd knsupdate kdig openssl python3 bc; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done
cargo build --release --quiet
W=$(mktemp -d /tmp/daned-change.XXXXXX)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Waits (bounded, 60 s) until `kdig @127.0.0.1 -p PORT NAME TYPE +short` prints a line with WANT.
wait_answer() {
  local port=$1 name=$2 type=$3 want=$4 i
  for i in $(seq 12000); do
    kdig +time=1 +retry=0 @127.0.0.1 -p "$port" "$name" "$type" +short 2>/dev/null | tr 'A-F' 'a-f' | tr -d ' ' | grep -q "$want" && return 0
    sleep 0.005
  done
  return 1
}
digest() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
mkcert() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mx.example.com -days 30 -keyout "$1.key" -out "$1" 2>/dev/null; }

# --- daned ---
P=$(free_port)
D=$W/daned; mkdir -p "$D"
mkcert "$D/cert.pem"
cat > "$D/daned.toml" <<C
[server]
listen = ["127.0.0.1:$P"]
state_dir = "state"
udp_workers = 1
[[zone]]
name = "example.com"
file = "$W/zone"
[[zone.tlsa]]
names = ["_25._tcp.bench.example.com"]
cert = "$D/cert.pem"
C
"$ROOT/target/release/daned" serve -c "$D/daned.toml" 2>"$D/log" &
DP=$!; PIDS+=($DP)
wait_answer "$P" _25._tcp.bench.example.com TLSA "$(digest "$D/cert.pem")" || { tail "$D/log"; exit 1; }
DANED_WALL=(); DANED_PUB=()
for r in $(seq "$ROUNDS"); do
  mkcert "$D/next.pem"; want=$(digest "$D/next.pem")
  sleep 1
  t0=$(now); mv "$D/next.pem" "$D/cert.pem"
  wait_answer "$P" _25._tcp.bench.example.com TLSA "$want" || { tail "$D/log"; exit 1; }
  t1=$(now)
  DANED_WALL+=($(( (t1 - t0) / 1000000 )))
  sleep 0.2
  DANED_PUB+=($(grep 'TLSA change served' "$D/log" | tail -1 | sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p'))
  echo "  [daned] round $r: served after ${DANED_WALL[-1]} ms (publication ${DANED_PUB[-1]} ms)"
done
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
acl:
  - id: local
    address: 127.0.0.1
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
zone:
  - domain: example.com
    dnssec-signing: on
    dnssec-policy: p
    acl: local
C
knotd -c "$K/knot.conf" -d
for i in $(seq 1200); do grep -q '] loaded, serial' "$K/log" 2>/dev/null && break; sleep 0.1; done
KP=$(pgrep -f "knotd -c $K/knot.conf" | head -1); PIDS+=($KP)
KNOT_WALL=()
for r in $(seq "$ROUNDS"); do
  value="bench-$r-$RANDOM"
  sleep 1
  t0=$(now)
  printf 'server 127.0.0.1 %s\nzone example.com\nupdate add bench.example.com. 300 TXT "%s"\nsend\n' "$P" "$value" | knsupdate
  wait_answer "$P" bench.example.com TXT "$value" || { tail "$K/log"; exit 1; }
  t1=$(now)
  KNOT_WALL+=($(( (t1 - t0) / 1000000 )))
  echo "  [knot] round $r: served after ${KNOT_WALL[-1]} ms"
done
echo "  [knot] RSS $(ps -o rss= -p "$KP") kB"
kill "$KP" 2>/dev/null || true

dw=$(printf '%s\n' "${DANED_WALL[@]}" | median)
dp=$(printf '%s\n' "${DANED_PUB[@]}" | median)
kw=$(printf '%s\n' "${KNOT_WALL[@]}" | median)
echo "names $NAMES, rounds $ROUNDS (medians)"
echo "daned_cert_change_served_ms $dw"
echo "daned_publication_ms $dp"
echo "daned_served_minus_debounce_ms $((dw - 250))"
echo "knot_ddns_change_served_ms $kw"
echo "ratio_served_minus_debounce_daned_over_knot $(echo "scale=3; ($dw - 250) / $kw" | bc)"
rm -rf "$W"

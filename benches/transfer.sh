#!/usr/bin/env bash
# Zone transfer timing: a signed 100k-name zone (../shared/bench/mkzone.py) sent by daned as
# AXFR, then as IXFR after a 1% change, and the same zone's AXFR from Knot DNS (automatic
# signing, ../shared/bench/knot.sh), in one run. Times are kdig's wall-clock transfers over
# loopback TCP.
# usage: benches/transfer.sh [--names N]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD; SHARED=${SHARED:-$ROOT/../shared/bench}; NAMES=100000
[ "${1:-}" = "--names" ] && NAMES=$2
cargo build --release --quiet
W=$(mktemp -d /tmp/daned-xfr.XXXXXX)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_serial() { for _ in $(seq 600); do [ "$(kdig +short @127.0.0.1 -p "$1" example.com SOA 2>/dev/null | awk '{print $3}')" = "$2" ] && return 0; sleep 0.1; done; return 1; }
xfr_time() { local t0 t1; t0=$(date +%s.%N); kdig @127.0.0.1 -p "$1" example.com "$2" +nocomments +nostats > "$W/out.$2" ; t1=$(date +%s.%N); echo "$(echo "$t1 - $t0" | bc) s, $(grep -vc '^;' "$W/out.$2") records"; }
P=$(free_port); mkdir -p "$W/d"
printf '[server]\nlisten = ["127.0.0.1:%s"]\nstate_dir = "state"\n[[zone]]\nname = "example.com"\nfile = "%s/zone"\nallow_transfer = ["127.0.0.0/8"]\n' "$P" "$W" > "$W/d/daned.toml"
"$ROOT/target/release/daned" serve -c "$W/d/daned.toml" 2>"$W/d/log" & DP=$!
trap 'kill $DP 2>/dev/null || true; [ -f "$W/knot/pid" ] && kill "$(cat "$W/knot/pid")" 2>/dev/null || true; rm -rf "$W"' EXIT
S1=$(awk '/SOA/{print $5; exit}' "$W/zone")
wait_serial "$P" "$S1" || { cat "$W/d/log"; exit 1; }
echo "daned AXFR:             $(xfr_time "$P" AXFR)"
# 1% change: new addresses for the first N/100 hosts.
python3 - "$W/zone" "$NAMES" <<'PY'
import sys, re
path, n = sys.argv[1], int(sys.argv[2]) // 100
text = open(path).read()
for i in range(n):
    text = re.sub(rf"^h{i} A 198\.51\.(\d+)\.(\d+)$", rf"h{i} A 203.0.113.{i % 250}", text, count=1, flags=re.M)
open(path, "w").write(text)
PY
kill -HUP $DP
S2=$((S1 + 1)); wait_serial "$P" "$S2" || { tail "$W/d/log"; exit 1; }
echo "daned IXFR (1% change): $(xfr_time "$P" "IXFR=$S1")"
# Knot DNS as primary of the same zone (original version), signing it itself like
# ../shared/bench/knot.sh, with transfers allowed; then the same 1% change as an IXFR.
KP=$(free_port); K=$W/knot; mkdir -p "$K/storage" "$K/kasp"
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$K/orig" >/dev/null
cp "$K/orig/zone" "$K/storage/example.com.zone"
cat > "$K/knot.conf" <<C
server:
    rundir: "$K"
    listen: 127.0.0.1@$KP
database:
    storage: "$K"
    kasp-db: "$K/kasp"
log:
  - target: $K/log
    any: info
acl:
  - id: local
    address: 127.0.0.1
    action: transfer
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
    journal-content: all
    zonefile-load: difference-no-serial
    zonefile-sync: -1
zone:
  - domain: example.com
    dnssec-signing: on
    dnssec-policy: p
    acl: local
C
knotd -c "$K/knot.conf" -d
for _ in $(seq 600); do grep -q '] loaded, serial' "$K/log" 2>/dev/null && break; sleep 0.2; done
pgrep -f "knotd -c $K/knot.conf" | head -1 > "$K/pid"
KS1=$(kdig +short @127.0.0.1 -p "$KP" example.com SOA | awk '{print $3}')
echo "knot AXFR:              $(xfr_time "$KP" AXFR)"
cp "$W/zone" "$K/storage/example.com.zone"
knotc -c "$K/knot.conf" zone-reload example.com >/dev/null 2>&1 || kill -HUP "$(cat "$K/pid")"
for _ in $(seq 600); do KS2=$(kdig +short @127.0.0.1 -p "$KP" example.com SOA | awk '{print $3}'); [ "$KS2" != "$KS1" ] && break; sleep 0.2; done
echo "knot IXFR (1% change):  $(xfr_time "$KP" "IXFR=$KS1")"

#!/usr/bin/env bash
# The cost of one DKIM key change: a small signed zone with one [[zone.dkim]] selector; its key
# file is replaced (atomic rename) by a new Ed25519 key, --rounds times. Reported per round: wall
# time from the rename until `kdig` gets the new key's record (includes the watcher's 250 ms
# debounce), then the daemon's own `elapsed_ms` of each publication.
#
# usage: benches/dkim_change.sh [--rounds R]      (DANED=path/to/daned, default target/release/daned)
# Needs: openssl, kdig (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${DANED:-$PWD/target/release/daned}
ROUNDS=5
[ "${1:-}" = "--rounds" ] && ROUNDS=$2
D=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n' > "$D/example.com.zone"
openssl genpkey -algorithm ED25519 -out "$D/s1.key" 2>/dev/null
printf '[server]\nlisten = ["127.0.0.1:%s"]\nstate_dir = "state"\n[[zone]]\nname = "example.com"\nfile = "example.com.zone"\n[[zone.dkim]]\nselector = "s1"\nkey = "s1.key"\n' "$PORT" > "$D/daned.toml"
"$BIN" serve -c "$D/daned.toml" 2> "$D/log" &
PID=$!
trap 'kill $PID; wait $PID 2>/dev/null; rm -rf "$D"' EXIT
for _ in $(seq 100); do
  kdig @127.0.0.1 -p "$PORT" +time=1 +short s1._domainkey.example.com TXT 2>/dev/null | grep -q DKIM1 && break
  sleep 0.1
done
for round in $(seq "$ROUNDS"); do
  openssl genpkey -algorithm ED25519 -out "$D/new.key" 2>/dev/null
  want=$(openssl pkey -in "$D/new.key" -pubout -outform DER | tail -c 32 | base64)
  start=$(date +%s%N)
  mv "$D/new.key" "$D/s1.key"
  for _ in $(seq 500); do
    kdig @127.0.0.1 -p "$PORT" +time=1 +short s1._domainkey.example.com TXT 2>/dev/null | grep -qF "$want" && break
    sleep 0.01
  done
  echo "round $round: $(( ($(date +%s%N) - start) / 1000000 )) ms from rename to answer"
done
grep "mail record change served" "$D/log" | sed 's/.*elapsed_ms=\([0-9]*\).*/publication elapsed_ms=\1/'

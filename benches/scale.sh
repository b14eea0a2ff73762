#!/usr/bin/env bash
# Many small mail zones, daned and Knot DNS side by side in one run: the start until every zone
# answers DNSKEY with an RRSIG (signed: ECDSA P-256 CSK, NSEC3 without iterations or salt),
# then the RSS; the ratios last. With --big, also the 100k-name zone of mkzone.py: load + sign,
# then RSS.
#
# usage: benches/scale.sh [--zones N] [--dkim] [--big]
#   --zones N   small zones (default 2000; ~10 records each, from one [[zone_dir]] with a
#               [[template]] for daned, one `zone:` entry each for Knot)
#   --dkim      every zone also publishes a DKIM key: daned from a [[template.dkim]] binding
#               (one Ed25519 key file), Knot the same TXT record in its zone files
#   --big       also the 100k-name zone (benches/peers.sh's, through ../shared/bench/knot.sh)
# The zones, state and databases go under $TMPDIR (default /tmp): TMPDIR=/dev/shm takes the disk
# out of the comparison (a new zone's syncs cost each server differently: daned writes a key
# and a saved version per zone, Knot one LMDB database).
# Needs: apt-get install knot knot-dnsutils bc python3 (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
ZONES=2000; BIG=0; DKIM=0
while [ $# -gt 0 ]; do
  case "$1" in
    --zones) ZONES=$2; shift 2 ;;
    --big) BIG=1; shift ;;
    --dkim) DKIM=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in knotd kdig bc python3 openssl; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done

cargo build --release --quiet
W=$(mktemp -d "${TMPDIR:-/tmp}/daned-scale.XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { ps -o rss= -p "$1" | awk '{print $1}'; }
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -f "$W/knot/pid" ] && kill "$(cat "$W/knot/pid")" 2>/dev/null || true
  wait 2>/dev/null || true; sleep 0.5; rm -rf "$W"
}
trap cleanup EXIT
declare -A START RSS

# The zones: mail domains of ~10 records.
mkdir -p "$W/zones"
python3 - "$W" "$ZONES" <<'PY'
import sys
w, n = sys.argv[1], int(sys.argv[2])
with open(f"{w}/names", "w") as names:
    for i in range(n):
        z = f"mail{i:05d}.example"
        names.write(z + "\n")
        with open(f"{w}/zones/{z}.zone", "w") as f:
            f.write(f"""$ORIGIN {z}.
$TTL 3600
@ SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
@ NS ns2
ns1 A 192.0.2.1
ns2 A 192.0.2.2
@ MX 10 mx
mx A 192.0.2.25
mx AAAA 2001:db8::25
@ TXT "v=spf1 mx -all"
_dmarc TXT "v=DMARC1; p=reject"
_25._tcp.mx TLSA 3 1 1 {i:064x}
""")
PY
# Knot reads its own copy of the zones: with --dkim they also hold the DKIM record that daned
# derives from the key file (RFC 8463: p= is the raw Ed25519 public key).
cp -r "$W/zones" "$W/knot-zones"
if [ $DKIM = 1 ]; then
  openssl genpkey -algorithm ed25519 -out "$W/dkim.key" 2>/dev/null
  P64=$(openssl pkey -in "$W/dkim.key" -pubout -outform DER | tail -c 32 | base64)
  for f in "$W"/knot-zones/*.zone; do
    echo "s1._domainkey TXT \"v=DKIM1; k=ed25519; p=$P64\"" >> "$f"
  done
fi

# --- daned ---
P=$(free_port)
mkdir -p "$W/daned"
cat > "$W/daned/daned.toml" <<C
[server]
listen = ["127.0.0.1:$P"]
state_dir = "state"
udp_workers = 1
[[template]]
name = "mail"
sign = true
[[zone_dir]]
path = "$W/zones"
template = "mail"
C
if [ $DKIM = 1 ]; then
  printf '[[template.dkim]]\nselector = "s1"\nkey = "%s"\n' "$W/dkim.key" >> "$W/daned/daned.toml"
fi
t0=$(date +%s.%N)
RUST_LOG=warn "$ROOT/target/release/daned" serve -c "$W/daned/daned.toml" 2>"$W/daned/log" &
DP=$!; PIDS+=($DP)
START[daned]=$(python3 benches/support/all_signed.py "$P" "$W/names" "$t0") || { tail "$W/daned/log"; exit 1; }
RSS[daned]=$(rss_kb "$DP")
echo "daned: $ZONES zones signed and served in ${START[daned]} s, RSS ${RSS[daned]} kB"
kill "$DP"; wait "$DP" 2>/dev/null || true

# --- Knot ---
P=$(free_port)
D=$W/knot; mkdir -p "$D/kasp"
{
  cat <<C
server:
    rundir: "$D"
    listen: 127.0.0.1@$P
    udp-workers: 1
    tcp-workers: 1
database:
    storage: "$D"
    kasp-db: "$D/kasp"
log:
  - target: $D/log
    any: warning
policy:
  - id: p
    algorithm: ecdsap256sha256
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
template:
  - id: default
    storage: "$W/knot-zones"
    file: "%s.zone"
    journal-content: none
    zonefile-sync: -1
    dnssec-signing: on
    dnssec-policy: p
zone:
C
  sed 's/^/  - domain: /' "$W/names"
} > "$D/knot.conf"
t0=$(date +%s.%N)
knotd -c "$D/knot.conf" 2>"$D/stderr" &
KP=$!; PIDS+=($KP)
START[knot]=$(python3 benches/support/all_signed.py "$P" "$W/names" "$t0") || { tail "$D/log" "$D/stderr"; exit 1; }
RSS[knot]=$(rss_kb "$KP")
echo "knot:  $ZONES zones signed and served in ${START[knot]} s, RSS ${RSS[knot]} kB"
kill "$KP"; wait "$KP" 2>/dev/null || true

if [ $BIG = 1 ]; then
  python3 "$SHARED/mkzone.py" example.com 100000 "$W" >/dev/null
  P=$(free_port); mkdir -p "$W/big"
  printf '[server]\nlisten = ["127.0.0.1:%s"]\nstate_dir = "state"\nudp_workers = 1\n[[zone]]\nname = "example.com"\nfile = "%s/zone"\n' "$P" "$W" > "$W/big/daned.toml"
  t0=$(date +%s.%N)
  RUST_LOG=warn "$ROOT/target/release/daned" serve -c "$W/big/daned.toml" 2>"$W/big/log" &
  DP=$!; PIDS+=($DP)
  echo example.com > "$W/big/names"
  START[daned100k]=$(python3 benches/support/all_signed.py "$P" "$W/big/names" "$t0")
  RSS[daned100k]=$(rss_kb "$DP")
  kill "$DP"; wait "$DP" 2>/dev/null || true
  P=$(free_port)
  "$SHARED/knot.sh" "$W" "$P" > "$W/knot.out"
  START[knot100k]=$(awk '/knot_load_sign_s/{print $2}' "$W/knot.out"); RSS[knot100k]=$(awk '/knot_rss_kb/{print $2}' "$W/knot.out")
  kill "$(cat "$W/knot/pid")" 2>/dev/null || true
fi

ratio() { echo "scale=2; $1 / $2" | bc; }
echo
echo "== $ZONES small mail zones, signed (ECDSA P-256 CSK, NSEC3), start until every zone answers DNSKEY with RRSIG =="
printf "%-10s %12s %10s\n" server start_s rss_kB
for s in daned knot; do printf "%-10s %12s %10s\n" "$s" "${START[$s]}" "${RSS[$s]}"; done
if [ $BIG = 1 ]; then
  for s in daned100k knot100k; do printf "%-10s %12s %10s\n" "$s" "${START[$s]}" "${RSS[$s]}"; done
fi
echo "daned/Knot ($ZONES zones): start $(ratio "${START[daned]}" "${START[knot]}")  rss $(ratio "${RSS[daned]}" "${RSS[knot]}")"
echo "daned per-zone RSS: $(echo "scale=1; ${RSS[daned]} / $ZONES" | bc) kB; Knot: $(echo "scale=1; ${RSS[knot]} / $ZONES" | bc) kB"
if [ $BIG = 1 ]; then
  echo "daned/Knot (100k names): load+sign $(ratio "${START[daned100k]}" "${START[knot100k]}")  rss $(ratio "${RSS[daned100k]}" "${RSS[knot100k]}")"
fi

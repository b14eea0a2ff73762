#!/usr/bin/env bash
# One big mail-shaped zone (../shared/bench/mkzone.py, 1M names by default) through daned and
# Knot DNS, one after the other in one run, both signing it themselves (ECDSA P-256 CSK, NSEC3
# without iterations or salt) with one UDP and one TCP worker each; the daned/Knot ratios last.
#
#   1. load + sign: from start until DNSKEY is answered with an RRSIG and a name that does not
#      exist gets a signed NXDOMAIN (NSEC3 + RRSIG); RSS then and the peak RSS (VmHWM);
#   2. serve: dnsperf on mkzone.py's query mix (DO=1) for --seconds, the server pinned to CPU 0,
#      dnsperf to CPU 1: qps and the server's CPU per answered query;
#   3. AXFR: kdig's wall time over loopback TCP and the record count (RRSIG and NSEC3 apart);
#   4. a 1% change: the zone file rewritten with every 100th host's A record changed and the SOA
#      serial bumped, then a reload (`daned reload -c FILE example.com`, `knotc zone-reload`):
#      the time until the new serial is served, then `kdig IXFR=<old serial>` (time, records)
#      and the RSS;
#   5. re-sign every signature. Knot: `knotc zone-sign`. daned has no command that forces a
#      full re-sign, so the closest that exists is measured, labelled as such: daned is
#      restarted on its saved state with DANED_CLOCK_FILE (the documented virtual clock) at the
#      real time (the restart is timed too), then the clock is moved 8 days on, which puts every
#      signature of the default policy (14d lifetime, refresh when less than 7d is left)
#      inside the refresh window, and the time until the refresh is served is taken (a big
#      zone's goes out in parts, a serial each: until daned logs `signatures-refreshed`).
#      An AXFR after the re-sign counts the RRSIGs whose expiration is later than any in the
#      first AXFR, to show the re-sign covered the zone (the 1% change's own RRSIGs among them).
#
# usage: benches/big_zone.sh [--names N] [--seconds S] [--limit S]
#   --names N     hosts in the zone (default 1000000; mkzone.py adds an AAAA to every 4th)
#   --seconds S   dnsperf run per server (default 10)
#   --limit S     the bound on each step (default 1800 s)
# SHARED=DIR points at mkzone.py, dnsperf.sh (default ../shared/bench).
# Needs: apt-get install knot knot-dnsutils dnsperf bc python3 (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared/bench}
NAMES=1000000; SECS=10; LIMIT=1800
while [ $# -gt 0 ]; do
  case "$1" in
    --names) NAMES=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in knotd knotc kdig dnsperf bc python3 taskset timeout; do
  command -v $t >/dev/null || { echo "missing $t: scripts/install-test-deps.sh" >&2; exit 1; }
done
[ -f "$SHARED/mkzone.py" ] || { echo "no $SHARED/mkzone.py: set SHARED=" >&2; exit 1; }
# shellcheck source=support/lib.sh
. "$ROOT/benches/support/lib.sh"

cargo build --release --quiet
DANED=${CARGO_TARGET_DIR:-$ROOT/target}/release/daned
W=$(mktemp -d /tmp/daned-bigzone.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
declare -A R   # R[server.metric]

t=$(now_s)
python3 "$SHARED/mkzone.py" example.com "$NAMES" "$W" >/dev/null
echo example.com > "$W/names"
# The 1% change: every 100th host gets a new address, and the SOA serial moves on.
python3 - "$W/zone" "$W/zone.changed" <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
host = re.compile(r"^h(\d+) A ")
with open(src) as f, open(dst, "w") as out:
    for line in f:
        m = host.match(line)
        if m and int(m.group(1)) % 100 == 0:
            i = int(m.group(1))
            line = f"h{i} A 203.0.113.{i % 250}\n"
        elif line.startswith("@ SOA "):
            p = line.split()
            p[4] = str(int(p[4]) + 1)
            line = " ".join(p) + "\n"
        out.write(line)
PY
echo "zone: $NAMES hosts, $(wc -l < "$W/zone") lines, $(du -m "$W/zone" | cut -f1) MB, made in $(since "$t") s"

# Replaces a server's copy of the zone file with the changed one in one rename.
swap_zone() { cp "$W/zone.changed" "$1.tmp" && mv "$1.tmp" "$1"; }

# Step 1, once the server process PID started at T0 is up.
loaded() {  # NAME PORT PID T0 LOG
  while_alive "$3" python3 benches/support/all_signed.py "$2" "$W/names" "$4" "$LIMIT" >/dev/null || { tail "$5"; exit 1; }
  wait_signed_nxdomain "$2" example.com "$LIMIT" || { echo "$1: no signed NXDOMAIN" >&2; tail "$5"; exit 1; }
  R[$1.load]=$(since "$4"); R[$1.rss_load]=$(rss_kb "$3"); R[$1.hwm_load]=$(hwm_kb "$3")
  echo "$1: load+sign ${R[$1.load]} s, RSS ${R[$1.rss_load]} kB, peak ${R[$1.hwm_load]} kB"
}

# Step 2: dnsperf with the server on CPU 0 (all its threads), then both cores again.
serve() {  # NAME PORT PID
  local out
  taskset -a -p -c 0 "$3" >/dev/null
  out=$(timeout $((SECS + 60)) "$SHARED/dnsperf.sh" "$2" "$W/queries" "$SECS" "$3")
  taskset -a -p -c 0,1 "$3" >/dev/null
  echo "$out" | sed "s/^/  [$1] /"
  R[$1.qps]=$(echo "$out" | awk '/^qps/{printf "%d", $2}')
  R[$1.cpu]=$(echo "$out" | awk '/server_cpu_us_per_query/{print $2}')
}

# A transfer's wall time and record counts (total, RRSIG, NSEC3) into R[NAME.KEY*].
xfr() {  # NAME PORT QTYPE KEY
  local t0 f=$W/xfr.$1.$4
  t0=$(now_s)
  timeout "$LIMIT" kdig +time=60 @127.0.0.1 -p "$2" example.com "$3" +nocomments +nostats > "$f"
  R[$1.$4]=$(since "$t0")
  read -r "R[$1.${4}_n]" "R[$1.${4}_rrsig]" "R[$1.${4}_nsec3]" "R[$1.${4}_maxexp]" < <(awk '
    NF && !/^;/ {n++} $4=="RRSIG" {s++; if ($9 > m) m = $9} $4=="NSEC3" {x++}
    END {printf "%d %d %d %s\n", n, s, x, m}' "$f")
  echo "$1: $3 ${R[$1.$4]} s, ${R[$1.${4}_n]} records (${R[$1.${4}_rrsig]} RRSIG, ${R[$1.${4}_nsec3]} NSEC3)"
  # Records per type, to see where the two servers' counts differ.
  echo "  [$1] by type: $(awk 'NF && !/^;/ {c[$4]++} END {for (t in c) printf "%s %d  ", t, c[t]}' "$f")"
}

# After the re-sign: an AXFR, and how many RRSIGs expire later than any of the first AXFR.
resigned_count() {  # NAME PORT
  xfr "$1" "$2" AXFR axfr2
  R[$1.newsigs]=$(awk -v m="${R[$1.axfr_maxexp]}" '$4=="RRSIG" && $9 > m {n++} END{print n+0}' "$W/xfr.$1.axfr2")
  echo "$1: after the re-sign ${R[$1.newsigs]} of ${R[$1.axfr2_rrsig]} RRSIGs expire after the first AXFR's last expiration"
  rm -f "$W"/xfr."$1".*
}

# --- daned ---
P=$(free_port); D=$W/daned; mkdir -p "$D"
cp "$W/zone" "$D/example.com.zone"
cat > "$D/daned.toml" <<C
[server]
listen = ["127.0.0.1:$P"]
state_dir = "$D/state"
udp_workers = 1
[[zone]]
name = "example.com"
file = "$D/example.com.zone"
sign = true
allow_transfer = ["127.0.0.0/8"]
C
t0=$(now_s)
"$DANED" serve -c "$D/daned.toml" 2>"$D/log" &
DP=$!; PIDS+=($DP)
loaded daned "$P" "$DP" "$t0" "$D/log"
serve daned "$P" "$DP"
xfr daned "$P" AXFR axfr
S1=$(soa_serial "$P")
swap_zone "$D/example.com.zone"
t0=$(now_s)
timeout "$LIMIT" "$DANED" reload -c "$D/daned.toml" example.com | sed 's/^/  [daned reload] /'
wait_serial_change "$P" "$S1" "$LIMIT" || { echo "daned: the change was not served" >&2; tail "$D/log"; exit 1; }
R[daned.reload]=$(since "$t0"); echo "daned: 1% change served after ${R[daned.reload]} s (serial $S1 -> $(soa_serial "$P"))"
xfr daned "$P" "IXFR=$S1" ixfr
R[daned.rss_ixfr]=$(rss_kb "$DP")
# Step 5 (see the top): restart on the saved state on a virtual clock at the real time...
S2=$(soa_serial "$P")
R[daned.hwm_before_restart]=$(hwm_kb "$DP")
kill "$DP"; wait "$DP" 2>/dev/null || true
date +%s > "$D/clock"
t0=$(now_s)
DANED_CLOCK_FILE="$D/clock" "$DANED" serve -c "$D/daned.toml" 2>>"$D/log" &
DP=$!; PIDS+=($DP)
while_alive "$DP" python3 benches/support/all_signed.py "$P" "$W/names" "$t0" "$LIMIT" >/dev/null || { tail "$D/log"; exit 1; }
R[daned.restart]=$(since "$t0"); S3=$(soa_serial "$P")
echo "daned: restart on the saved state served (serial $S2 -> $S3) after ${R[daned.restart]} s, RSS $(rss_kb "$DP") kB"
# ... then 8 days on: every signature is due.
t0=$(now_s)
refreshes=$(grep -c 'event="signatures-refreshed"' "$D/log" || true)
echo $(($(date +%s) + 8 * 86400)) > "$D/clock"
wait_serial_change "$P" "$S3" "$LIMIT" || { echo "daned: no re-sign" >&2; tail "$D/log"; exit 1; }
# A big zone's refresh goes out in parts, a serial each: done when the driver logs the end.
until [ "$(grep -c 'event="signatures-refreshed"' "$D/log")" -gt "$refreshes" ]; do
  kill -0 "$DP" 2>/dev/null && [ "$(since "$t0" | cut -d. -f1)" -lt "$LIMIT" ] || { echo "daned: the re-sign did not end" >&2; tail "$D/log"; exit 1; }
  sleep 0.2
done
echo "  [daned] $(grep -c 'signatures refreshed, one part' "$D/log" || true) parts"
R[daned.resign]=$(since "$t0"); R[daned.rss_resign]=$(rss_kb "$DP"); R[daned.hwm_resign]=$(hwm_kb "$DP")
echo "daned: re-sign (clock +8d) served after ${R[daned.resign]} s, RSS ${R[daned.rss_resign]} kB, peak ${R[daned.hwm_resign]} kB"
resigned_count daned "$P"
# At rest: daned holds the editable copy of a zone for 120 s after its last change (see
# server/src/daemon/editable.rs), then only the snapshot; 200 virtual seconds on, then a look.
echo $(($(cat "$D/clock") + 200)) > "$D/clock"
sleep 5
R[daned.rss_rest]=$(rss_kb "$DP")
echo "daned: at rest (editable copy let go) RSS ${R[daned.rss_rest]} kB"
kill "$DP"; wait "$DP" 2>/dev/null || true

# --- Knot DNS ---
P=$(free_port); K=$W/knot; mkdir -p "$K/storage" "$K/kasp"
cp "$W/zone" "$K/storage/example.com.zone"
cat > "$K/knot.conf" <<C
server:
    rundir: "$K"
    listen: 127.0.0.1@$P
    udp-workers: 1
    tcp-workers: 1
database:
    storage: "$K"
    kasp-db: "$K/kasp"
log:
  - target: $K/log
    any: info
acl:
  - id: local
    address: 127.0.0.0/8
    action: transfer
policy:
  - id: p
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
template:
  - id: default
    storage: "$K/storage"
    file: "%s.zone"
    journal-content: changes
    journal-max-usage: 8G
    zonefile-load: difference
    zonefile-sync: -1
zone:
  - domain: example.com
    dnssec-signing: on
    dnssec-policy: p
    acl: local
C
t0=$(now_s)
knotd -c "$K/knot.conf" 2>"$K/stderr" &
KP=$!; PIDS+=($KP)
loaded knot "$P" "$KP" "$t0" "$K/log"
serve knot "$P" "$KP"
xfr knot "$P" AXFR axfr
S1=$(soa_serial "$P")
swap_zone "$K/storage/example.com.zone"
t0=$(now_s)
timeout 60 knotc -c "$K/knot.conf" zone-reload example.com | sed 's/^/  [knotc] /'
wait_serial_change "$P" "$S1" "$LIMIT" || { echo "knot: the change was not served" >&2; tail "$K/log"; exit 1; }
R[knot.reload]=$(since "$t0"); echo "knot: 1% change served after ${R[knot.reload]} s (serial $S1 -> $(soa_serial "$P"))"
xfr knot "$P" "IXFR=$S1" ixfr
R[knot.rss_ixfr]=$(rss_kb "$KP")
S3=$(soa_serial "$P")
t0=$(now_s)
timeout 60 knotc -c "$K/knot.conf" zone-sign example.com | sed 's/^/  [knotc] /'
wait_serial_change "$P" "$S3" "$LIMIT" || { echo "knot: no re-sign" >&2; tail "$K/log"; exit 1; }
R[knot.resign]=$(since "$t0"); R[knot.rss_resign]=$(rss_kb "$KP"); R[knot.hwm_resign]=$(hwm_kb "$KP")
R[knot.rss_rest]=${R[knot.rss_resign]}
echo "knot: re-sign (knotc zone-sign) served after ${R[knot.resign]} s, RSS ${R[knot.rss_resign]} kB, peak ${R[knot.hwm_resign]} kB"
resigned_count knot "$P"
kill "$KP"; wait "$KP" 2>/dev/null || true

# --- the table, the ratios last ---
# daned ran as two processes (the second for the re-sign): its peak is the larger of the two.
a=${R[daned.hwm_before_restart]}; b=${R[daned.hwm_resign]}
R[daned.hwm_run]=$((a > b ? a : b))
R[knot.hwm_run]=${R[knot.hwm_resign]}
ratio() { if [ -n "${1:-}" ] && [ -n "${2:-}" ] && [ "$2" != 0 ]; then echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; else echo "-"; fi; }
row() { printf "%-34s %14s %14s %8s\n" "$1" "${R[daned.$2]:--}" "${R[knot.$2]:--}" "$(ratio "${R[daned.$2]:-}" "${R[knot.$2]:-}")"; }
echo
echo "== $NAMES-host mail zone, signed by each server (ECDSA P-256 CSK, NSEC3 0 iterations, no salt) =="
printf "%-34s %14s %14s %8s\n" "" daned knot daned/knot
row "load+sign (s)" load
row "RSS after load+sign (kB)" rss_load
row "peak RSS after load+sign (kB)" hwm_load
row "serve (qps, 1 UDP worker, CPU 0)" qps
row "server CPU per query (us)" cpu
row "AXFR (s)" axfr
row "AXFR records" axfr_n
row "  of which RRSIG" axfr_rrsig
row "  of which NSEC3" axfr_nsec3
row "1% change: reload to served (s)" reload
row "IXFR of the 1% change (s)" ixfr
row "IXFR records" ixfr_n
row "RSS after the IXFR (kB)" rss_ixfr
row "re-sign (s) [daned: clock +8d]" resign
row "RRSIGs re-signed (later expiry)" newsigs
row "RRSIGs after the re-sign" axfr2_rrsig
row "RSS after the re-sign (kB)" rss_resign
row "RSS at rest after the re-sign (kB)" rss_rest
row "peak RSS, re-signing process (kB)" hwm_resign
row "peak RSS over the run (kB)" hwm_run
echo "daned restart on its saved state (before the re-sign): ${R[daned.restart]} s; peak RSS of the first daned process: ${R[daned.hwm_before_restart]} kB"
echo "daned/Knot: load+sign $(ratio "${R[daned.load]}" "${R[knot.load]}")" \
  " RSS $(ratio "${R[daned.rss_load]}" "${R[knot.rss_load]}")" \
  " peak RSS $(ratio "${R[daned.hwm_load]}" "${R[knot.hwm_load]}")" \
  " qps $(ratio "${R[daned.qps]}" "${R[knot.qps]}")" \
  " AXFR $(ratio "${R[daned.axfr]}" "${R[knot.axfr]}")" \
  " reload $(ratio "${R[daned.reload]}" "${R[knot.reload]}")" \
  " IXFR $(ratio "${R[daned.ixfr]}" "${R[knot.ixfr]}")" \
  " re-sign $(ratio "${R[daned.resign]}" "${R[knot.resign]}")" \
  " peak RSS over the run $(ratio "${R[daned.hwm_run]}" "${R[knot.hwm_run]}")" \
  " RSS after re-sign $(ratio "${R[daned.rss_resign]}" "${R[knot.rss_resign]}")" \
  " RSS at rest $(ratio "${R[daned.rss_rest]}" "${R[knot.rss_rest]}")"

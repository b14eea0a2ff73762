# Shared helpers of the benchmark scripts (sourced, not run): free ports, a process's memory,
# a zone's served serial and bounded waits on it, so each script does not carry its own copy.
# Every wait is bounded (a limit in seconds) and returns 1 when it runs out.

# A free TCP port on 127.0.0.1 (UDP on the same number is free in practice on loopback).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Resident set of PID now, in kB.
rss_kb() { ps -o rss= -p "$1" | awk '{print $1}'; }

# Peak resident set of PID since it started (VmHWM), in kB.
hwm_kb() { awk '/^VmHWM:/{print $2}' "/proc/$1/status"; }

# Seconds since the epoch with nanoseconds, and the seconds elapsed since such a T0.
now_s() { date +%s.%N; }
since() { echo "$(now_s) - $1" | bc | awk '{printf "%.2f", $1}'; }

# The SOA serial ZONE (default example.com) serves at 127.0.0.1:PORT, or nothing.
soa_serial() {
  kdig +time=2 +retry=0 +short @127.0.0.1 -p "$1" "${2:-example.com}" SOA 2>/dev/null | awk 'NR==1{print $3}'
}

# Waits until 127.0.0.1:PORT serves the zone with a serial other than OLD (OLD empty: any
# serial), at most LIMIT seconds.
wait_serial_change() {  # PORT OLD LIMIT [ZONE]
  local end s
  end=$(($(date +%s) + $3))
  while [ "$(date +%s)" -lt "$end" ]; do
    s=$(soa_serial "$1" "${4:-}")
    [ -n "$s" ] && [ "$s" != "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# Waits until 127.0.0.1:PORT serves the zone with serial SERIAL, at most LIMIT seconds.
wait_serial() {  # PORT SERIAL LIMIT [ZONE]
  local end
  end=$(($(date +%s) + $3))
  while [ "$(date +%s)" -lt "$end" ]; do
    [ "$(soa_serial "$1" "${4:-}")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# Waits until a name that does not exist in ZONE gets a signed NXDOMAIN from 127.0.0.1:PORT (the
# NSEC3 records and their RRSIGs in the authority section: the denial chain is there), at most
# LIMIT seconds.
wait_signed_nxdomain() {  # PORT ZONE LIMIT
  local end out
  end=$(($(date +%s) + $3))
  while [ "$(date +%s)" -lt "$end" ]; do
    out=$(kdig +time=2 +retry=0 +dnssec @127.0.0.1 -p "$1" "nx-bench-probe.$2" A 2>/dev/null || true)
    if echo "$out" | grep -q 'status: NXDOMAIN' &&
      echo "$out" | awk '$4=="NSEC3"{n++} $4=="RRSIG" && $5=="NSEC3"{s++} END{exit !(n>0 && s>0)}'; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Whether PID runs (a zombie, dead but not yet waited for, does not).
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in "" | Z*) return 1 ;; *) return 0 ;; esac; }

# Runs CMD... while the server PID lives: CMD's status, or 1 (and CMD stopped) as soon as the
# server has died, so a server that fails at start does not cost the whole wait.
while_alive() {  # PID CMD...
  local server=$1 c
  shift
  "$@" &
  c=$!
  while kill -0 "$c" 2>/dev/null; do
    if ! alive "$server"; then
      kill "$c" 2>/dev/null || true
      wait "$c" 2>/dev/null || true
      echo "the server (pid $server) is gone" >&2
      return 1
    fi
    sleep 0.2
  done
  wait "$c"
}

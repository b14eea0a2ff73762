#!/usr/bin/env bash
# Installs every Debian package the test suite and the peer benchmark use. Idempotent; run as
# root on a fresh Debian machine (CI has no terminal, so nothing here may prompt).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  knot            # knotd: differential test, secondary
  knot-dnsutils   # kdig
  nsd             # peer benchmark
  ldnsutils       # ldns-verify-zone, ldns-read-zone
  unbound         # validating resolver
  bind9-dnsutils  # delv, dig
  bind9-utils     # dnssec-verify, dnssec-keygen, named-checkzone
  bind9           # named: BIND secondary test
  dnsperf         # peer benchmark
  bc
  openssl         # TLSA derivation cross-check
  postfix         # posttls-finger: a real DANE sender checks daned fixture
  iproute2        # ip: loopback in the sender test's network namespace
  mount           # mount, umount: the full and read-only tmpfs state_dir tests
  python3-dkim    # dkimsign, dkimverify: DKIM records checked by dkimpy (with python3-dnspython, python3-nacl)
  python3-dnspython # the MTA-STS client of tests/mta_sts.rs (with python3's http.server + ssl as the policy host)
  postfix-mta-sts-resolver # mta-sts-query: a real MTA-STS client in tests/mta_sts.rs
  python3
  opendkim-tools  # opendkim-testkey: DKIM records checked by OpenDKIM
  prometheus      # promtool check metrics: the /metrics scrape (tests/metrics.rs)
  curl            # benches/metrics.sh scrapes /metrics
  pebble          # ACME test CA: DNS-01 through daned's UPDATE (tests/update_acme.rs)
  certbot         # ACME client, with its RFC 2136 plugin below
  python3-certbot-dns-rfc2136
  lego            # ACME client, rfc2136 provider
  util-linux      # unshare, nsenter: that namespace; setpriv: the package test
  libxml2-utils   # xmllint: the timeline's SVG is well-formed
  librsvg2-bin    # rsvg-convert: the timeline's SVG renders
  systemd         # systemd-analyze verify: the unit
  dpkg-dev        # the package test (cargo deb, dpkg -i)
)
# postfix asks how to configure the local mail system; the tests need only posttls-finger.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# cargo-deb is not in Debian: the package test builds the .deb with it.
if ! cargo deb --version >/dev/null 2>&1; then
  cargo install cargo-deb --locked
fi
# The packaged daemons must not hold the ports or state the tests use.
for svc in knot nsd unbound named postfix postfix-mta-sts-resolver prometheus; do
  systemctl stop "$svc" 2>/dev/null || true
done
echo "test dependencies installed"

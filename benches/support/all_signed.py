#!/usr/bin/env python3
"""Waits until every zone listed in ZONES_FILE answers DNSKEY with an RRSIG (DO=1) at
127.0.0.1:PORT, asking only the zones not yet seen signed, and prints the seconds since START
(a `date +%s.%N` taken when the server was started). Bounded by LIMIT seconds.

usage: all_signed.py PORT ZONES_FILE START [LIMIT]"""
import socket, struct, sys, time

port, zones_file, start = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
limit = float(sys.argv[4]) if len(sys.argv) > 4 else 900
zones = [l.strip() for l in open(zones_file) if l.strip()]
assert len(zones) <= 65536, "one query id per zone"
pending = set(range(len(zones)))

def query(i):
    name = b"".join(bytes([len(l)]) + l.encode() for l in zones[i].rstrip(".").split(".")) + b"\0"
    # id, flags 0, 1 question, 0, 0, 1 additional (OPT, 1232 octets, DO)
    return (struct.pack(">HHHHHH", i & 0xFFFF, 0, 1, 0, 0, 1) + name + struct.pack(">HH", 48, 1)
            + b"\0" + struct.pack(">HHIH", 41, 1232, 0x8000, 0))

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.settimeout(0.02)
while pending:
    if time.time() - start > limit:
        print(f"timeout: {len(pending)} zones not signed", file=sys.stderr)
        sys.exit(1)
    batch = sorted(pending)
    for k in range(0, len(batch), 200):
        for i in batch[k:k + 200]:
            s.sendto(query(i), ("127.0.0.1", port))
        while True:
            try:
                data = s.recv(4096)
            except socket.timeout:
                break
            qid, flags, _, ancount = struct.unpack(">HHHH", data[:8])
            # DNSKEY and its RRSIG: at least two answers, NOERROR.
            if flags & 0xF == 0 and ancount >= 2:
                pending.discard(qid)
    if pending:
        time.sleep(0.1)
print(f"{time.time() - start:.2f}")

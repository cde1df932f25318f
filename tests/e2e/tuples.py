#!/usr/bin/env python3
"""Per-tuple packet totals: cmflow's EVE flow events against tshark's dissection of the same capture.

For every TCP and UDP conversation (protocol, {address:port, address:port}, direction-free), the packets that
cmflow reports (summed over its flows of that tuple) must equal what tshark counts, and no tuple may be missing
or extra. tshark runs without IP reassembly; a later IP fragment is counted to the tuple of the first fragment
with the same addresses, protocol and identification, as cmflow does. Frames whose outermost transport is not
TCP or UDP (ICMP errors quoting a header, tunnels) are left to other tests.

usage: tuples.py CAPTURE EVE.json        (exit 0 when equal; prints the differences otherwise)
       tuples.py --eve REF.json EVE.json   compares two EVE outputs the same way (e.g. live against offline)
"""
import collections
import ipaddress
import json
import subprocess
import sys

FIELDS = ["frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "ip.id", "ip.frag_offset",
          "ip.flags.mf", "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "ipv6.fraghdr.ident",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]


def norm(addr):
    return str(ipaddress.ip_address(addr))


def tuple_key(proto, a, pa, b, pb):
    ends = sorted([(norm(a), int(pa)), (norm(b), int(pb))])
    return (proto, ends[0], ends[1])


def tshark_tuples(capture):
    cmd = ["tshark", "-n", "-r", capture, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    counts = collections.Counter()
    first_frag = {}   # (src, dst, proto, id) -> tuple key
    pending = collections.Counter()
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        layers = v["frame.protocols"].split(":")
        transport = next((l for l in layers if l in ("tcp", "udp", "icmp", "icmpv6", "gre", "esp", "ah", "data",
                                                        "sctp", "igmp")), None)
        src = v["ip.src"] or v["ipv6.src"]
        dst = v["ip.dst"] or v["ipv6.dst"]
        if not src:
            continue
        if v["ip.src"]:
            fid = v["ip.id"]
            off = int(v["ip.frag_offset"] or 0)
            more = v["ip.flags.mf"] in ("1", "True")
            proto = v["ip.proto"]
        else:
            fid = v["ipv6.fraghdr.ident"]
            off = int(v["ipv6.fraghdr.offset"] or 0)
            more = v["ipv6.fraghdr.more"] in ("1", "True")
            proto = v["ipv6.fraghdr.nxt"]
        fragmented = bool(fid) and (off > 0 or more) if not v["ip.src"] else (off > 0 or more)
        fkey = (norm(src), norm(dst), proto, fid)
        if fragmented and off > 0:
            if fkey in first_frag:
                counts[first_frag[fkey]] += 1
            else:
                pending[fkey] += 1
            continue
        if transport == "tcp" and v["tcp.srcport"]:
            key = tuple_key("TCP", src, v["tcp.srcport"], dst, v["tcp.dstport"])
        elif transport == "udp" and v["udp.srcport"]:
            key = tuple_key("UDP", src, v["udp.srcport"], dst, v["udp.dstport"])
        else:
            continue
        counts[key] += 1
        if fragmented:
            first_frag[fkey] = key
            counts[key] += pending.pop(fkey, 0)
    return counts


def cmflow_tuples(eve):
    counts = collections.Counter()
    with open(eve) as fh:
        for line in fh:
            ev = json.loads(line)
            if ev.get("event_type") != "flow" or ev.get("proto") not in ("TCP", "UDP"):
                continue
            key = tuple_key(ev["proto"], ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"])
            counts[key] += ev["flow"]["pkts_toserver"] + ev["flow"]["pkts_toclient"]
    return counts


def main():
    if sys.argv[1] == "--eve":
        capture, eve = sys.argv[2], sys.argv[3]
        want, got = cmflow_tuples(capture), cmflow_tuples(eve)
    else:
        capture, eve = sys.argv[1], sys.argv[2]
        want, got = tshark_tuples(capture), cmflow_tuples(eve)
    bad = 0
    for key in sorted(set(want) | set(got)):
        if want.get(key, 0) != got.get(key, 0):
            bad += 1
            if bad <= 10:
                print(f"  {key}: reference {want.get(key, 0)}, cmflow {got.get(key, 0)}")
    if bad:
        print(f"{capture}: {bad} of {len(set(want) | set(got))} tuples differ")
        return 1
    print(f"{capture}: {len(want)} tuples, {sum(want.values())} packets agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())

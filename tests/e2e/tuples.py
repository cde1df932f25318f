#!/usr/bin/env python3
"""Per-tuple packet totals: cmflow's EVE flow events against tshark's dissection of the same capture.

For every TCP and UDP conversation (protocol, {address:port, address:port}, direction-free), the packets that
cmflow reports (summed over its flows of that tuple) must equal what tshark counts, and no tuple may be missing
or extra. tshark runs without IP reassembly; a later IP fragment is counted to the tuple of the first fragment
with the same addresses, protocol and identification, as cmflow does.

A frame's conversation is its innermost one: tunnels (VXLAN, Geneve, VXLAN-GPE/NSH, GRE in UDP, Teredo, TZSP over
UDP; IPv4, IPv6, transparent Ethernet, ERSPAN and MPLS over GRE; IP in IP) are followed down to the last IP
header and its transport, as cmflow decapsulates them; GRE that carries anything else (PPTP's PPP, Cisco
MetaData ...) is the conversation itself. A frame whose tunnel holds no IP (ARP inside VXLAN) has none; a frame
cut right after a tunnel header is its outer conversation. ICMP errors quoting a header count as ICMP.
tshark is given the decode-as options cmflow's defaults imply (VXLAN on UDP 8472 too, Teredo off port 3544 by
its heuristic) and any more given with -o/-d.

usage: tuples.py [--all] [-d DECODE_AS ...] [-o PREF ...] CAPTURE EVE.json   (exit 0 when equal)
       tuples.py --eve REF.json EVE.json   compares two EVE outputs the same way (e.g. live against offline)
--all compares every IP protocol (ICMP, GRE, OSPF ... by their address pair), not only TCP and UDP.
"""
import collections
import ipaddress
import json
import subprocess
import sys

FIELDS = ["frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "ipv6.nxt", "ip.id",
          "ip.frag_offset", "ip.flags.mf", "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
          "ipv6.fraghdr.ident", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]
DEFAULT_OPTS = ["-d", "udp.port==8472,vxlan", "-o", "teredo.heuristic_teredo:TRUE"]

# what follows a UDP or GRE header when it is a tunnel cmflow opens
UDP_TUNNELS = {"vxlan", "vxlan_gpe", "geneve", "gre", "teredo", "nsh", "tzsp", "eth", "ip", "ipv6"}  # VXLAN-GPE: udp:ip
GRE_PAYLOADS = {"erspan", "eth", "ip", "ipv6", "mpls"}
TUNNEL_HEADERS = {"vxlan", "vxlan_gpe", "geneve", "gre", "teredo", "nsh", "tzsp", "erspan"}
SKIPPED = {"eth", "ethertype", "vlan", "mpls"} | TUNNEL_HEADERS - {"gre"}
NAMES = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "IPv6-ICMP", "gre": "GRE", "esp": "ESP", "ah": "AH",
         "sctp": "SCTP"}
NUMBERS = {"1": "ICMP", "6": "TCP", "17": "UDP", "47": "GRE", "50": "ESP", "51": "AH", "58": "IPv6-ICMP",
           "132": "SCTP"}


def norm(addr):
    return str(ipaddress.ip_address(addr))


def tuple_key(proto, a, pa, b, pb):
    ends = sorted([(norm(a), int(pa)), (norm(b), int(pb))])
    return (proto, ends[0], ends[1])


def innermost(layers):
    """The innermost conversation of a frame: (family, index of its IP header among that family's, index of its
    IPv6 fragment header or None, transport layer name or None, index of that transport's header), or None."""
    count = collections.Counter()
    ip = None          # (family, index, fraghdr index)
    pending = None     # the conversation that led into the last tunnel, for a frame cut right after it
    for i, layer in enumerate(layers):
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if layer in ("ip", "ipv6"):
            ip = (layer, count[layer], None)
            count[layer] += 1
            pending = None
            continue
        if layer == "ipv6.fraghdr" and ip:
            ip = (ip[0], ip[1], count[layer])
            count[layer] += 1
            continue
        if ip is None or layer.startswith("ipv6.") or layer in SKIPPED:
            continue
        n = count[layer]
        count[layer] += 1
        if pending and layer == "gre":  # GRE in UDP
            if nxt in GRE_PAYLOADS:
                continue
            return pending  # carrying what cmflow does not open: the outer conversation
        if pending:
            return None    # inside a tunnel, something else than IP (ARP, LLDP, CDP ...)
        if (layer == "udp" and nxt in UDP_TUNNELS) or (layer == "gre" and nxt in GRE_PAYLOADS):
            pending = ip + (layer, n)
            continue
        return ip + (layer, n)
    if pending:
        # cut right after the tunnel's own header: the outer conversation; cut later: nothing cmflow can count
        return pending if layers[-1] in TUNNEL_HEADERS else None
    return ip + (None, 0) if ip else None


def pick(v, field, k):
    values = v[field].split(",") if v[field] else []
    return values[k] if k < len(values) else ""


def tshark_tuples(capture, opts=(), every_protocol=False):
    cmd = ["tshark", "-n", "-r", capture, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-o", "tcp.desegment_tcp_streams:FALSE"] + DEFAULT_OPTS + list(opts) + \
          ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    counts = collections.Counter()
    first_frag = {}   # (src, dst, proto, id) -> tuple key
    pending = collections.Counter()
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        conv = innermost(v["frame.protocols"].split(":"))
        if conv is None:
            continue
        family, k, fk, transport, tk = conv
        if family == "ip":
            src, dst = pick(v, "ip.src", k), pick(v, "ip.dst", k)
            fid = pick(v, "ip.id", k)
            off = int(pick(v, "ip.frag_offset", k) or 0)
            more = pick(v, "ip.flags.mf", k) in ("1", "True")
            proto = pick(v, "ip.proto", k)
            fragmented = off > 0 or more
        else:
            src, dst = pick(v, "ipv6.src", k), pick(v, "ipv6.dst", k)
            proto = pick(v, "ipv6.nxt", k)
            fid = off = more = None
            if fk is not None:
                fid = pick(v, "ipv6.fraghdr.ident", fk)
                off = int(pick(v, "ipv6.fraghdr.offset", fk) or 0)
                more = pick(v, "ipv6.fraghdr.more", fk) in ("1", "True")
                proto = pick(v, "ipv6.fraghdr.nxt", fk)
            fragmented = bool(fid) and (off > 0 or more)
        if not src:
            continue
        fkey = (norm(src), norm(dst), proto, fid)
        if fragmented and off > 0:
            if fkey in first_frag:
                counts[first_frag[fkey]] += 1
            else:
                pending[fkey] += 1
            continue
        if transport in ("tcp", "udp") and pick(v, transport + ".srcport", tk):
            key = tuple_key(NAMES[transport], src, pick(v, transport + ".srcport", tk), dst,
                            pick(v, transport + ".dstport", tk))
        elif every_protocol and transport not in ("tcp", "udp"):
            name = NAMES.get(transport) or NUMBERS.get(proto, proto)
            key = tuple_key(name, src, 0, dst, 0)
        else:
            continue
        counts[key] += 1
        if fragmented:
            first_frag[fkey] = key
            counts[key] += pending.pop(fkey, 0)
    return counts


def cmflow_tuples(eve, every_protocol=False):
    counts = collections.Counter()
    with open(eve) as fh:
        for line in fh:
            ev = json.loads(line)
            if ev.get("event_type") != "flow" or (ev.get("proto") not in ("TCP", "UDP") and not every_protocol):
                continue
            key = tuple_key(ev["proto"], ev["src_ip"], ev.get("src_port", 0), ev["dest_ip"], ev.get("dest_port", 0))
            counts[key] += ev["flow"]["pkts_toserver"] + ev["flow"]["pkts_toclient"]
    return counts


def main():
    args = sys.argv[1:]
    every_protocol = False
    opts = []
    while args and args[0] in ("--all", "-d", "-o"):
        if args[0] == "--all":
            every_protocol = True
            args = args[1:]
        else:
            opts += args[:2]
            args = args[2:]
    if args[0] == "--eve":
        capture, eve = args[1], args[2]
        want, got = cmflow_tuples(capture, every_protocol), cmflow_tuples(eve, every_protocol)
    else:
        capture, eve = args[0], args[1]
        want, got = tshark_tuples(capture, opts, every_protocol), cmflow_tuples(eve, every_protocol)
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

#!/usr/bin/env python3
"""Follow-ups against tshark: every connection to a port that an endpoint mapper or DCOM answer announced (to the
client that asked, after the answer) must carry the parent flow id of that answer's flow, and no flow may be
linked to an announcement tshark does not see. TFTP answers from a new port must be linked to their request.

usage: followups.py CAPTURE EVE.json   (prints what it checked; exit 1 on a difference)"""
import collections
import json
import re
import subprocess
import sys


def tshark(capture, filt, fields):
    cmd = ["tshark", "-n", "-r", capture, "-Y", filt, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def main():
    capture, eve = sys.argv[1], sys.argv[2]
    # (client, server, port) -> (time of the first announcement, kind)
    announced = {}
    for t, src, dst, ports, addrs in tshark(capture, "epm.proto.tcp_port", ["frame.time_epoch", "ip.src", "ip.dst",
                                                                           "epm.proto.tcp_port", "epm.proto.ip"]):
        addrs = addrs.split(",") if addrs else []
        for i, port in enumerate(ports.split(",")):
            server = addrs[i] if i < len(addrs) and addrs[i] != "0.0.0.0" else src
            announced.setdefault((dst, server, int(port)), (float(t), "epm"))
    for t, src, dst, bindings in tshark(capture, "dcom.dualstringarray.network_addr",
                                        ["frame.time_epoch", "ip.src", "ip.dst", "dcom.dualstringarray.network_addr"]):
        for b in bindings.split(","):
            m = re.fullmatch(r"(.*)\[(\d+)\]", b)
            if m:
                host = m.group(1) if re.fullmatch(r"[\d.]+", m.group(1)) else src
                announced.setdefault((dst, host, int(m.group(2))), (float(t), "dcom"))
    tftp = {}
    for t, src, sport, dst in tshark(capture, "tftp.opcode == 1 || tftp.opcode == 2",
                                     ["frame.time_epoch", "ip.src", "udp.srcport", "ip.dst"]):
        tftp.setdefault((src, int(sport), dst), float(t))

    events = [json.loads(line) for line in open(eve)]
    flows = {e["flow_id"]: e for e in events if e["event_type"] == "flow"}
    bad = checked = 0

    def start(e):
        return e["flow"]["start"]

    import datetime
    def epoch(ts):
        return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()

    for e in flows.values():
        cm = e.get("configmgr", {})
        parent = cm.get("parent_flow_id")
        via = (cm.get("rpc") or cm.get("followup") or {}).get("via")
        key = (e["src_ip"], e["dest_ip"], e.get("dest_port"))
        if e["proto"] == "TCP" and key in announced and epoch(start(e)) >= announced[key][0]:
            checked += 1
            p = flows.get(parent)
            if not p or via not in ("epm", "dcom") or {p["src_ip"], p["dest_ip"]} != {e["src_ip"], e["dest_ip"]} \
                    or p.get("dest_port") != 135:
                print(f"  flow {e['flow_id']} {key}: announced, parent {parent} via {via}")
                bad += 1
        elif via in ("epm", "dcom"):
            print(f"  flow {e['flow_id']} {key}: linked via {via} to {parent}, but tshark sees no announcement")
            bad += 1
        if e["proto"] == "UDP" and (e["dest_ip"], e.get("dest_port"), e["src_ip"]) in tftp and e.get("src_port") != 69 \
                and e.get("dest_port") is not None:
            checked += 1
            p = flows.get(parent)
            if via != "tftp" or not p or p.get("dest_port") != 69:
                print(f"  flow {e['flow_id']}: TFTP answer not linked (parent {parent}, via {via})")
                bad += 1
    print(f"{capture}: {checked} follow-ups checked, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

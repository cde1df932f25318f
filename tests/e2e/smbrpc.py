#!/usr/bin/env python3
"""smbrpc.py: cmflow's EVE against tshark's facts for SMB and DCE/RPC, and the detections' alerts.

  smbrpc.py facts CAPTURE EVE FACTS KNOWN
      every fact tshark decodes (tests/e2e/expected/smb/CAPTURE.facts, written by smb_reference.py) is on its
      connection's flow event: each share connected (configmgr.smb.shares), each file written with its byte count
      (configmgr.smb.files), each named pipe opened (configmgr.smb.pipes), each presentation context bound over TCP
      or a pipe with its context id, version and ack result (configmgr.rpc.interfaces, and Suricata's
      dcerpc.interfaces / smb.dcerpc.interfaces), each opnum called; the dialect negotiated. Facts listed as
      missing in KNOWN (the parsers' known differences) and facts past a flow's bounds (counted as dropped) are
      allowed to be absent.
  smbrpc.py detection EVE ID SRC DEST [STEPS]
      an alert of detection ID from SRC to DEST whose steps name flows of the EVE file, at least STEPS of them
  smbrpc.py no-detection EVE
      no detection alert but postures (configmgr.detection_kind)
  smbrpc.py filters EVE CAPTURE
      each detection step's display filter selects, with tshark, exactly the packets of its flow

Prints what it checked; exits 1 on a difference."""
import json
import subprocess
import sys


def events(path):
    return [json.loads(line) for line in open(path)]


def endpoints(conn):
    client, server = conn.split(">")
    return frozenset((client, server))


def flow_key(e):
    return frozenset(("%s:%s" % (e["src_ip"], e.get("src_port")), "%s:%s" % (e["dest_ip"], e.get("dest_port"))))


DIALECTS = {"0x0202": "2.02", "0x0210": "2.10", "0x0300": "3.00", "0x0302": "3.02", "0x0311": "3.11", "0x02ff": "2.??"}


def check_facts(capture, eve, facts_path, known_path):
    name = capture.rsplit("/", 1)[-1]
    known = set()
    for line in open(known_path):
        if line.startswith("#") or not line.strip():
            continue
        cap, kind, fact = line.rstrip("\n").split("\t", 2)
        if cap == name and kind == "missing":
            known.add(fact)
    flows = {}
    for e in events(eve):
        if e["event_type"] == "flow" and e["proto"] == "TCP":
            flows.setdefault(flow_key(e), []).append(e)
    bad = checked = 0
    negotiated = {}
    for line in open(facts_path):
        fact = line.rstrip("\n")
        w = fact.split(" ")
        kind, conn = w[0], w[1]
        fl = flows.get(endpoints(conn), [])
        cm = [e.get("configmgr", {}) for e in fl]
        smb = [c.get("smb", {}) for c in cm]
        rpc = [i for c in cm for i in c.get("rpc", {}).get("interfaces", [])]
        dropped = any(s.get("shares_dropped") or s.get("files_dropped") or s.get("pipes_dropped") for s in smb) or \
            any(c.get("rpc", {}).get("interfaces_dropped") for c in cm)
        ok = True
        if kind == "negotiate":
            negotiated.setdefault(conn, set()).add(" ".join(w[2:-1]))
            continue
        if kind == "tree":
            share = " ".join(w[2:])
            if share == "?":
                continue
            ok = any(s["name"] == share and s["status"] == 0 for x in smb for s in x.get("shares", []))
        elif kind == "write":
            share, fname, nbytes = w[2], " ".join(w[3:-1]), int(w[-1])
            ok = any(f["name"] == fname and f["bytes_written"] == nbytes and (share == "?" or f.get("share") == share)
                     for x in smb for f in x.get("files", []))
        elif kind == "open":
            if w[2] != "IPC$":
                continue  # a file only opened is not kept; written ones are checked by their write
            pipe = " ".join(w[3:])
            ok = any(p["name"] == pipe for x in smb for p in x.get("pipes", []))
        elif kind == "bind":
            pipe, ctx, uuid, ver, result = w[2], int(w[3]), w[4], w[5], w[6]
            ok = any(i["uuid"] == uuid and i["version"] == ver and i["context_id"] == ctx and
                     (i.get("pipe") == pipe if pipe != "-" else i.get("over") == "tcp") and
                     (result == "-" or i.get("ack_result") == int(result)) for i in rpc)
            # and Suricata's place for it
            place = [e.get("dcerpc", {}) if pipe == "-" else e.get("smb", {}).get("dcerpc", {}) for e in fl]
            ok = ok and any(i["uuid"] == uuid and i["version"] == ver for p in place for i in p.get("interfaces", []))
        elif kind == "call":
            pipe, uuid, opnum = w[2], w[3], int(w[4])
            if uuid == "?":
                continue
            ok = any(i["uuid"] == uuid and (i.get("pipe") == pipe if pipe != "-" else i.get("over") == "tcp") and
                     (any(o["opnum"] == opnum for o in i.get("opnums", [])) or (opnum >= 128 and i.get("more_opnums")))
                     for i in rpc)
        else:
            continue
        checked += 1
        if not ok and fact not in known and not dropped:
            bad += 1
            print("  %s: not on its flow: %s" % (name, fact))
    for conn, dialects in negotiated.items():
        got = {s.get("dialect") for e in flows.get(endpoints(conn), []) for s in [e.get("configmgr", {}).get("smb", {})]}
        want = {DIALECTS.get(d, d) for d in dialects}
        checked += 1
        if not got & want and not any("negotiate %s %s" % (conn, d) in " ".join(known) for d in dialects):
            bad += 1
            print("  %s: %s negotiated %s, cmflow says %s" % (name, conn, sorted(want), sorted(x for x in got if x)))
    print("%s: %d facts checked, %d differ" % (name, checked, bad))
    return bad == 0


def detections(eve):
    return [e for e in events(eve) if e["event_type"] == "alert" and "detection" in e.get("configmgr", {})]


def check_detection(eve, ident, src, dest, steps):
    flows = {e["flow_id"]: e for e in events(eve) if e["event_type"] == "flow"}
    hits = [e for e in detections(eve) if e["configmgr"]["detection"] == ident and e["src_ip"] == src and
            e.get("dest_ip") == dest]
    if not hits:
        print("no %s alert from %s to %s" % (ident, src, dest))
        return False
    for e in hits:
        st = e["configmgr"]["steps"]
        named = [s["flow_id"] for s in st]
        if len(st) < steps or not all(f in flows for f in named) or e["flow_id"] not in named:
            print("%s from %s: steps %s do not name the run's flows" % (ident, src, named))
            return False
        if {s["step"] for s in st} != set(range(1, max(s["step"] for s in st) + 1)):
            print("%s from %s: a step is missing: %s" % (ident, src, st))
            return False
        for s in st:
            f = flows[s["flow_id"]]
            if {f["src_ip"], f["dest_ip"]} != {src, dest}:
                print("%s: step flow %d is not between %s and %s" % (ident, s["flow_id"], src, dest))
                return False
    print("%s from %s to %s: %d alert(s), steps on flows %s" % (ident, src, dest, len(hits),
                                                               [s["flow_id"] for s in hits[0]["configmgr"]["steps"]]))
    return True


def check_filters(eve, capture):
    flows = {e["flow_id"]: e for e in events(eve) if e["event_type"] == "flow"}
    n = 0
    for e in detections(eve):
        for s in e["configmgr"]["steps"]:
            f = flows[s["flow_id"]]
            want = f["flow"]["pkts_toserver"] + f["flow"]["pkts_toclient"]
            out = subprocess.run(["tshark", "-n", "-r", capture, "-Y", s["wireshark_filter"]], capture_output=True,
                                 text=True)
            got = len(out.stdout.splitlines())
            n += 1
            if out.returncode or got != want:
                print("step filter of flow %d selects %d packets, the flow has %d: %s" % (s["flow_id"], got, want,
                                                                                         out.stderr[:200]))
                return False
    print("%d step display filters select exactly their flows" % n)
    return n > 0


def main():
    cmd = sys.argv[1]
    if cmd == "facts":
        ok = check_facts(*sys.argv[2:6])
    elif cmd == "detection":
        ok = check_detection(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5],
                             int(sys.argv[6]) if len(sys.argv) > 6 else 2)
    elif cmd == "no-detection":
        # postures (what a host's configuration allows, told by one flow: attacks.sh) are no sequence
        d = [e for e in detections(sys.argv[2]) if e["configmgr"]["detection_kind"] != "posture"]
        ok = not d
        print("no detection" if ok else "unexpected detections: %s" % [e["configmgr"]["detection"] for e in d])
    elif cmd == "filters":
        ok = check_filters(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
    sys.exit(0 if ok else 1)


main()

#!/usr/bin/env python3
"""smb_reference.py CAPTURE: what tshark decodes of SMB and DCE/RPC in a capture, as sorted fact lines that
tests/unit/test_smb.c writes the same way from cmflow's parsers (src/proto/smb.c, dcerpc.c):

  negotiate CONN DIALECT signing=none|enabled|required     the server's NEGOTIATE answer
  tree CONN SHARE                                          a tree connect that succeeded
  open CONN SHARE NAME                                     a create that succeeded (pipes: the pipe's name)
  write CONN SHARE NAME BYTES                              bytes written by WRITE to a file (not a pipe)
  bind CONN PIPE CTX UUID VERSION RESULT                   a presentation context and its ack result (- unseen)
  call CONN PIPE UUID OPNUM                                an opnum requested on a context (UUID ? if unknown)

CONN is "client:port>server:port" (the client sent the SYN; without one, the end on 135/139/445, else the higher
port). SHARE is ? when the tree connect was not captured. PIPE is the named pipe's name, or - for DCE/RPC over TCP. Names lose a leading "\\" and, for pipes,
"PIPE\\". Read with tshark -T json --no-duplicate-keys; a frame's DCE/RPC belongs to the pipe of the SMB file id
in the same frame."""
import json
import subprocess
import sys

SERVER_PORTS = {135, 139, 445}


def walk(node, key):
    """every dict under node that has key"""
    if isinstance(node, dict):
        if key in node:
            yield node
        for v in node.values():
            yield from walk(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, key)


def values(node, key):
    """every value of key under node, in document order"""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                out.extend(v if isinstance(v, list) else [v])
            else:
                out.extend(values(v, key))
    elif isinstance(node, list):
        for v in node:
            out.extend(values(v, key))
    return out


def first(node, key, default=None):
    v = values(node, key)
    return v[0] if v else default


def trim(name, pipe):
    while name.startswith("\\"):
        name = name[1:]
    if pipe and name.upper().startswith("PIPE\\"):
        name = name[5:]
    return name


def share_of(path):
    return path.rsplit("\\", 1)[-1]


def main():
    cap = sys.argv[1]
    out = subprocess.run(["tshark", "-r", cap, "-o", "tcp.desegment_tcp_streams:TRUE", "-T", "json",
                          "--no-duplicate-keys", "-Y", "smb || smb2 || dcerpc || tcp.flags.syn==1"],
                         capture_output=True, text=True, check=True).stdout
    frames = json.loads(out) if out.strip() else []
    streams = {}  # tcp.stream -> {"syn": (src, sport), "ends": ...}
    facts = set()
    smb2_req = {}  # (stream, msg_id, cmd) -> request info
    smb1_req = {}
    fid_name = {}  # (stream, fid) -> (share, name, pipe)
    writes = {}  # (conn, share, name) -> bytes
    ctx = {}  # (stream, pipe) -> {ctx_id: (uuid, ver)}
    last_bind = {}  # (stream, pipe) -> [ctx ids] awaiting results
    results = {}  # (stream, pipe, ctx_id, uuid, ver) -> result
    rows = []
    for f in frames:
        lay = f["_source"]["layers"]
        stream = first(lay.get("tcp", {}), "tcp.stream")
        if stream is None:
            continue
        ipl = lay.get("ip") or lay.get("ipv6") or {}
        src = first(ipl, "ip.src") or first(ipl, "ipv6.src")
        dst = first(ipl, "ip.dst") or first(ipl, "ipv6.dst")
        sport, dport = int(first(lay["tcp"], "tcp.srcport")), int(first(lay["tcp"], "tcp.dstport"))
        st = streams.setdefault(stream, {"syn": None, "ends": ((src, sport), (dst, dport))})
        flags = int(first(lay["tcp"], "tcp.flags", "0"), 16)
        if flags & 0x02 and not flags & 0x10 and st["syn"] is None:
            st["syn"] = (src, sport)
        rows.append((stream, (src, sport), lay))

    def conn(stream):
        st = streams[stream]
        a, b = st["ends"]
        if st["syn"]:
            cli = st["syn"]
        elif b[1] in SERVER_PORTS and a[1] not in SERVER_PORTS:
            cli = a
        elif a[1] in SERVER_PORTS and b[1] not in SERVER_PORTS:
            cli = b
        else:
            cli = a if a[1] > b[1] else b
        srv = b if cli == a else a
        fmt = lambda e: f"[{e[0]}]:{e[1]}" if ":" in e[0] else f"{e[0]}:{e[1]}"
        return f"{fmt(cli)}>{fmt(srv)}"

    for stream, sender, lay in rows:
        c = conn(stream)
        pipe = "-"
        # ---- SMB2 ----
        smb2_layers = lay.get("smb2")
        if smb2_layers is not None:
            msgs = smb2_layers if isinstance(smb2_layers, list) else [smb2_layers]
            for m in msgs:
                cmd = int(first(m, "smb2.cmd", "-1"))
                resp = first(m, "smb2.flags.response") == "1"
                mid = first(m, "smb2.msg_id")
                status = int(first(m, "smb2.nt_status", "0x0"), 16)
                tree = first(m, "smb2.tree", "")
                fid = first(m, "smb2.fid")
                key = (stream, mid, cmd)
                if cmd == 8 and not resp and fid:
                    smb2_req[key] = fid  # a READ answer does not name its file: its request does
                if cmd == 8 and resp and not fid:
                    fid = smb2_req.get(key)
                if cmd == 0 and resp and status == 0:
                    d = first(m, "smb2.dialect")
                    if d:
                        req = first(m, "smb2.sec_mode.sign_required") == "1"
                        en = first(m, "smb2.sec_mode.sign_enabled") == "1"
                        facts.add(f"negotiate {c} 0x{int(d, 16):04x} signing="
                                  f"{'required' if req else 'enabled' if en else 'none'}")
                if cmd == 3 and not resp:
                    smb2_req[key] = first(m, "smb2.tree", "")
                if cmd == 3 and resp and status == 0 and (tree or smb2_req.get(key)):
                    facts.add(f"tree {c} {share_of(tree or smb2_req[key])}")
                if cmd == 5 and not resp:
                    smb2_req[key] = first(m, "smb2.filename", "")
                if cmd == 5 and resp and status == 0 and key in smb2_req:
                    share = share_of(tree) or "?"
                    # a file whose tree connect was not captured may be a pipe (its DCE/RPC says so)
                    is_pipe = share.upper() in ("IPC$", "?") or first(m, "smb2.share_type") == "0x02"
                    name = trim(smb2_req[key], is_pipe)
                    if fid:
                        fid_name[(stream, fid)] = (share, name, is_pipe)
                    if name:
                        facts.add(f"open {c} {share} {name}")
                if cmd == 9 and not resp and fid and (stream, fid) in fid_name:
                    share, name, is_pipe = fid_name[(stream, fid)]
                    if not is_pipe and share != "?":
                        k = (c, share, name)
                        writes[k] = writes.get(k, 0) + int(first(m, "smb2.write_length", "0"))
                if fid and (stream, fid) in fid_name and fid_name[(stream, fid)][2]:
                    pipe = fid_name[(stream, fid)][1]
        # ---- SMB1 ----
        smb1 = lay.get("smb")
        if smb1 is not None:
            msgs = smb1 if isinstance(smb1, list) else [smb1]
            for m in msgs:
                resp = first(m, "smb.flags.response") == "1"
                status = int(first(m, "smb.nt_status", "0x0"), 16)
                cmds = [int(x, 16) for x in values(m, "smb.cmd")]
                paths = values(m, "smb.path")
                for cmd in cmds:
                    if cmd == 0x72 and not resp:
                        smb1_req[stream] = values(m, "smb.dialect.name")
                    if cmd == 0x72 and resp and status == 0:
                        names = smb1_req.get(stream, [])
                        idx = int(first(m, "smb.dialect.index", "-1"))
                        sm = first(m, "smb.sm")
                        if sm is not None and 0 <= idx < len(names):
                            v = int(sm, 16)
                            facts.add(f"negotiate {c} {names[idx]} signing="
                                      f"{'required' if v & 8 else 'enabled' if v & 4 else 'none'}")
                    if cmd == 0x75 and resp and status == 0 and paths:
                        facts.add(f"tree {c} {share_of(paths[-1])}")
                    if cmd == 0xa2 and resp and status == 0:
                        fid = first(m, "smb.fid")
                        name = first(m, "smb.file", "")
                        share = share_of(paths[-1]) if paths else "?"
                        is_pipe = share.upper() in ("IPC$", "?")
                        name = trim(name, is_pipe)
                        if fid:
                            fid_name[(stream, fid)] = (share, name, is_pipe)
                        if name:
                            facts.add(f"open {c} {share} {name}")
                    if cmd == 0x2f and not resp:
                        fid = first(m, "smb.fid")
                        if fid and (stream, fid) in fid_name and not fid_name[(stream, fid)][2] and \
                                fid_name[(stream, fid)][0] != "?":
                            share, name, _ = fid_name[(stream, fid)]
                            n = int(first(m, "smb.data_len_low", "0")) + (int(first(m, "smb.data_len_high", "0")) << 16)
                            k = (c, share, name)
                            writes[k] = writes.get(k, 0) + n
                fid = first(m, "smb.fid") or first(lay.get("smb_pipe", {}), "smb.fid")
                if fid and (stream, fid) in fid_name and fid_name[(stream, fid)][2]:
                    pipe = fid_name[(stream, fid)][1]
        # ---- DCE/RPC ----
        dce = lay.get("dcerpc")
        if dce is None:
            continue
        pdus = list(walk(dce, "dcerpc.pkt_type"))
        key = (stream, pipe)
        for pdu in pdus:
            pt = int(pdu["dcerpc.pkt_type"])
            if pt in (11, 14):
                ids = []
                for item in walk(pdu, "dcerpc.cn_ctx_id"):
                    uuid = first(item, "dcerpc.cn_bind_to_uuid")
                    if uuid is None:
                        continue
                    cid = int(item["dcerpc.cn_ctx_id"])
                    ver = f"{first(item, 'dcerpc.cn_bind_if_ver')}.{first(item, 'dcerpc.cn_bind_if_ver_minor')}"
                    ctx.setdefault(key, {})[cid] = (uuid, ver)
                    ids.append(cid)
                    results[(stream, pipe, cid, uuid, ver)] = "-"
                last_bind[key] = ids
            elif pt in (12, 15, 13):
                ids = last_bind.pop(key, [])
                res = values(pdu, "dcerpc.cn_ack_result") if pt != 13 else ["2"] * len(ids)
                for cid, r in zip(ids, res):
                    uuid, ver = ctx[key][cid]
                    results[(stream, pipe, cid, uuid, ver)] = str(int(r))
            elif pt == 0:
                cid = first(pdu, "dcerpc.cn_ctx_id")
                op = first(pdu, "dcerpc.opnum")
                if cid is None or op is None:
                    continue
                uuid = ctx.get(key, {}).get(int(cid), ("?", ""))[0]
                facts.add(f"call {conn(stream)} {pipe} {uuid} {op}")
    for (stream, pipe, cid, uuid, ver), r in results.items():
        facts.add(f"bind {conn(stream)} {pipe} {cid} {uuid} {ver} {r}")
    for (c, share, name), n in writes.items():
        facts.add(f"write {c} {share} {name} {n}")
    for line in sorted(facts):
        print(line)


if __name__ == "__main__":
    main()

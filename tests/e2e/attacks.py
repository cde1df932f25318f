#!/usr/bin/env python3
"""attacks.py: checks for tests/e2e/attacks.sh (the attack captures of tests/lab/make-attacks.sh).

  attacks.py detections CAPTURE MODE EVE.json     the detection alerts equal the table below (tests/lab/README.md's
                                                 + rows fire with their id, technique and hosts; - rows raise
                                                 nothing), each step's flow is a flow event of the run and its
                                                 display filter selects exactly that flow's packets in tshark
  attacks.py ntlm CAPTURE EVE.json               every flow's NTLM challenges, domains and users equal tshark's
  attacks.py dhcp CAPTURE EVE.json               every DHCP flow's message types, client MAC, id, vendor class and
                                                 option 243's first byte and length equal tshark's
  attacks.py secrets CAPTURE FILE...             no NTLM response (tshark's NTProofStr or LM/NT response), no
                                                 AUTHENTICATE token and no byte run of the PXE media key in FILEs
"""
import base64
import datetime
import hashlib
import json
import subprocess
import sys

SITE_SYSTEMS = None  # the table names hosts by address

# (detection, technique, src, dest) per capture and mode ('site': example-site.conf, 'none': no -c); a detection
# of one source has dest None. Exact multisets: a row missing or an extra alert fails.
EXPECTED = {
    ("cm-attack-relay", "site"): [
        ("site-server-auth-to-outsider", "ELEVATE-2", "10.1.0.5", "10.7.0.99"),
        ("site-server-auth-to-outsider", "ELEVATE-2", "10.1.0.5", "10.7.0.99"),
        ("site-server-auth-to-outsider", "ELEVATE-2", "10.1.0.5", "10.7.0.99"),
        ("ntlm-relay", "TAKEOVER", "10.7.0.99", "10.1.0.20"),
        ("ntlm-relay", "TAKEOVER", "10.7.0.99", "10.1.0.20"),
        ("ntlm-relay", "TAKEOVER", "10.7.0.99", "10.1.0.10"),
        ("smb-signing-not-required", None, "10.7.0.99", "10.1.0.20"),
        ("smb-signing-not-required", None, "10.7.0.99", "10.1.0.20"),
    ],
    ("cm-attack-relay", "none"): [
        ("ntlm-relay", "TAKEOVER", "10.7.0.99", "10.1.0.20"),
        ("ntlm-relay", "TAKEOVER", "10.7.0.99", "10.1.0.20"),
        ("ntlm-relay", "TAKEOVER", "10.7.0.99", "10.1.0.10"),
    ],
    # an ordinary login: only the SQL server's posture (Samba's default signing) is told
    ("cm-ntlm-normal", "site"): [("smb-signing-not-required", None, "10.1.0.5", "10.1.0.20"),
                                 ("ntlm-between-site-systems", None, "10.1.0.5", "10.1.0.20")],
    ("cm-ntlm-normal", "none"): [],
    ("cm-smb-signing", "site"): [
        ("smb-signing-not-required", None, "10.2.0.21", "10.1.0.11"),
        ("smb-signing-not-required", None, "10.2.0.21", "10.1.0.12"),
    ],
    ("cm-smb-signing", "none"): [],
    ("cm-attack-cred2", "site"): [("fake-client-policy", "CRED-2", "10.7.0.99", "10.1.0.10")],
    ("cm-attack-cred2", "none"): [("client-registration", "CRED-2", "10.7.0.99", "10.1.0.10")],
    ("cm-client-reg", "site"): [],
    ("cm-client-reg", "none"): [("client-registration", "CRED-2", "10.2.0.22", "10.1.0.10")],
    ("cm-attack-recon", "site"): [
        ("mp-auth-probe", "RECON-3", "10.7.0.99", "10.1.0.10"),
        ("site-share-listing", "RECON-2", "10.7.0.99", None),
        ("smb-signing-not-required", None, "10.7.0.99", "10.1.0.5"),
        ("smb-signing-not-required", None, "10.7.0.99", "10.1.0.11"),
        ("smb-signing-not-required", None, "10.7.0.99", "10.1.0.11"),
        ("smb-signing-not-required", None, "10.7.0.99", "10.1.0.12"),
    ],
    ("cm-attack-recon", "none"): [
        ("mp-auth-probe", "RECON-3", "10.7.0.99", "10.1.0.10"),
        ("share-listing-sweep", "RECON-2", "10.7.0.99", None),
    ],
    ("cm-attack-pxe", "site"): [
        ("pxe-media-no-password", "CRED-1", "10.7.0.99", "10.1.0.15"),
        ("pxe-media-variables-read", "CRED-1", "10.7.0.99", None),
    ],
    ("cm-attack-pxe", "none"): [
        ("pxe-media-no-password", "CRED-1", "10.7.0.99", "10.1.0.15"),
        ("pxe-media-variables-read", "CRED-1", "10.7.0.99", None),
    ],
    # password-protected media: the sequence (an attempt: the media hash can be cracked offline), no blank-media
    ("cm-pxe-protected", "site"): [("pxe-media-variables-read", "CRED-1", "10.7.0.99", None)],
    ("cm-pxe-protected", "none"): [("pxe-media-variables-read", "CRED-1", "10.7.0.99", None)],
}

# the hosts each detection's steps must involve (every step flow's ends are among them)
STEP_FLOWS = {
    "ntlm-relay": 2, "fake-client-policy": 3, "client-registration": 3, "mp-auth-probe": 2,
    "site-share-listing": 3, "share-listing-sweep": 3, "pxe-media-variables-read": 3,
    "pxe-media-no-password": 1, "site-server-auth-to-outsider": 1, "smb-signing-not-required": 1,
    "ntlm-between-site-systems": 1,
}

# the detections that tell a host's configuration (configmgr.detection_kind "posture"); every other is an activity
POSTURES = {"pxe-media-no-password", "smb-signing-not-required", "ntlm-between-site-systems"}


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def tshark(cap, *args):
    out = subprocess.run(["tshark", "-n", "-r", cap, *args], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def ends_key(a, pa, b, pb):
    return frozenset([(a, int(pa or 0)), (b, int(pb or 0))])


def cmd_detections(cap, mode, eve):
    name = cap.rsplit("/", 1)[-1].removesuffix(".pcap")
    ev = events(eve)
    flows = {e["flow_id"]: e for e in ev if e.get("event_type") == "flow"}
    got = []
    bad = 0
    for e in ev:
        cm = e.get("configmgr", {})
        if e.get("event_type") != "alert" or "detection" not in cm:
            continue
        got.append((cm["detection"], cm.get("technique"), e.get("src_ip"), e.get("dest_ip")))
        steps = cm.get("steps", [])
        ids = {s["flow_id"] for s in steps}
        want = STEP_FLOWS.get(cm["detection"])
        if want is not None and len(ids) != want:
            print(f"FAIL {name} {mode}: {cm['detection']} has {len(ids)} flows, wanted {want}")
            bad += 1
        kind = "posture" if cm["detection"] in POSTURES else "activity"
        if cm.get("detection_kind") != kind:
            print(f"FAIL {name} {mode}: {cm['detection']} has detection_kind {cm.get('detection_kind')!r}, not {kind}")
            bad += 1
        if not e["alert"].get("signature") or not cm.get("advice"):
            print(f"FAIL {name} {mode}: {cm['detection']} lacks its sentence or advice")
            bad += 1
        for s in steps:
            fl = flows.get(s["flow_id"])
            if not fl:
                print(f"FAIL {name} {mode}: {cm['detection']} step flow {s['flow_id']} is no flow event")
                bad += 1
                continue
            n = len(tshark(cap, "-Y", s["wireshark_filter"], "-T", "fields", "-e", "frame.number"))
            pk = fl["flow"]["pkts_toserver"] + fl["flow"]["pkts_toclient"]
            if n != pk:
                print(f"FAIL {name} {mode}: {cm['detection']} step filter {s['wireshark_filter']!r} selects {n} "
                      f"frames, its flow has {pk}")
                bad += 1
    want = sorted(EXPECTED[(name, mode)], key=str)
    got.sort(key=str)
    if got != want:
        print(f"FAIL {name} {mode}: detections\n  got  {got}\n  want {want}")
        bad += 1
    print(f"{'ok  ' if not bad else 'FAIL'} {name} {mode}: {len(got)} detection alerts as the table says, "
          f"their steps' filters select their flows")
    return bad


def cmd_ntlm(cap, eve):
    rows = tshark(cap, "-Y", "ntlmssp || ldap.serverSaslCreds", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
                  "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport",
                  "-e", "ntlmssp.ntlmserverchallenge", "-e", "ntlmssp.auth.domain", "-e", "ntlmssp.auth.username",
                  "-e", "ldap.serverSaslCreds")
    want = {}
    for r in rows:
        c = (r.split("\t") + [""] * 8)[:8]
        k = ends_key(c[0], c[1], c[2], c[3])
        w = want.setdefault(k, {"challenges": set(), "logins": set()})
        for ch in filter(None, c[4].split("|")):
            w["challenges"].add(ch.lower())
        # tshark leaves a SASL bind's serverSaslCreds undissected: a CHALLENGE there ([MS-NLMP] 2.2.1.2: the
        # signature, type 2, then the challenge at offset 24) is read from its bytes
        for creds in filter(None, c[7].split("|")):
            b = bytes.fromhex(creds.replace(":", ""))
            if b[:12] == b"NTLMSSP\0\x02\0\0\0" and len(b) >= 32:
                w["challenges"].add(b[24:32].hex())
        if c[6]:
            for d, u in zip(c[5].split("|"), c[6].split("|")):
                w["logins"].add(("" if d == "NULL" else d, "" if u == "NULL" else u))
    got = {}
    for e in events(eve):
        if e.get("event_type") != "flow" or "auth" not in e.get("configmgr", {}):
            continue
        k = ends_key(e["src_ip"], e.get("src_port"), e["dest_ip"], e.get("dest_port"))
        for a in e["configmgr"]["auth"]:
            if a["mech"] != "ntlm":
                continue  # Kerberos is named only
            g = got.setdefault(k, {"challenges": set(), "logins": set()})
            if "challenge" in a:
                g["challenges"].add(a["challenge"])
            if a.get("type") == "AUTHENTICATE":
                g["logins"].add((a.get("domain", ""), a.get("user", "")))
    # a flow where tshark matched ntlmssp without a challenge or a login (a mechanism list, a Kerberos answer) has
    # nothing to compare
    want = {k: v for k, v in want.items() if v["challenges"] or v["logins"]}
    got = {k: v for k, v in got.items() if v["challenges"] or v["logins"]}
    bad = 0
    for k in sorted(set(want) | set(got), key=str):
        if want.get(k) != got.get(k):
            print(f"FAIL {cap}: flow {sorted(k)} tshark {want.get(k)} cmflow {got.get(k)}")
            bad += 1
    print(f"{'ok  ' if not bad else 'FAIL'} {cap.rsplit('/', 1)[-1]}: NTLM challenges and logins of {len(want)} "
          f"flows equal tshark's")
    return bad


DHCP_TYPES = {1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak", 7: "release", 8: "inform"}


INSPECT_MAX_PACKETS = 32  # the packets of a flow cmflow's inspectors read (src/lib/defaults.h)


def eve_time(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def cmd_dhcp(cap, eve):
    """Each EVE flow with configmgr.dhcp against tshark's DHCP packets of its ends within its span (a UDP flow
    between the same ports may come again after its timeout; the first 32 packets, as cmflow reads)."""
    rows = tshark(cap, "-Y", "dhcp", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
                  "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "dhcp.option.dhcp",
                  "-e", "dhcp.hw.mac_addr", "-e", "dhcp.id", "-e", "dhcp.option.vendor_class_id",
                  "-e", "dhcp.option.type", "-e", "dhcp.option.length", "-e", "dhcp.option.value",
                  "-e", "frame.time_epoch")
    packets = {}
    for r in rows:
        c = (r.split("\t") + [""] * 12)[:12]
        packets.setdefault(ends_key(c[0], c[1], c[2], c[3]), []).append(c)
    bad = n = 0
    flows = [e for e in events(eve) if e.get("event_type") == "flow"]
    dhcp_keys = {ends_key(e["src_ip"], e.get("src_port"), e["dest_ip"], e.get("dest_port"))
                 for e in flows if e.get("configmgr", {}).get("dhcp")}
    for e in flows:
        k = ends_key(e["src_ip"], e.get("src_port"), e["dest_ip"], e.get("dest_port"))
        d = e.get("configmgr", {}).get("dhcp")
        if k not in packets or (not d and k not in dhcp_keys):
            continue
        t0, t1 = eve_time(e["flow"]["start"]) - 1e-6, eve_time(e["flow"]["end"]) + 1e-6
        mine = [c for c in packets[k] if t0 <= float(c[11]) <= t1][:INSPECT_MAX_PACKETS]
        if not mine:
            continue
        n += 1
        w = {"types": set(), "mac": None, "id": None, "vendor": None, "243": None}
        for c in mine:
            # cmflow names the types of RFC 2132 (1-8), as Suricata does; later ones (RFC 4388 ...) are not named
            w["types"] |= {DHCP_TYPES[int(t)] for t in c[4].split("|") if t and int(t) in DHCP_TYPES}
            w["mac"] = w["mac"] or c[5].split("|")[0]  # chaddr (a client identifier's address follows it)
            w["id"] = w["id"] if w["id"] is not None else int(c[6], 16)
            w["vendor"] = w["vendor"] or (c[7].split("|")[0] or None)
            types, lens, vals = c[8].split("|"), c[9].split("|"), c[10].split("|")
            if "243" in types and w["243"] is None:  # its value is the one that follows in order (options
                i = types.index("243")               # without a value, 0 and 255, have none)
                vi = sum(1 for t in types[:i] if t not in ("0", "255"))
                w["243"] = (int(vals[vi][:2], 16), int(lens[i]))
        d = d or {}
        p = d.get("pxe", {})
        g = {"types": set(d.get("dhcp_types", [])), "mac": d.get("client_mac"), "id": d.get("id"),
             "vendor": d.get("vendor_class"),
             "243": (p["option_243_type"], p["option_243_length"]) if "option_243_type" in p else None}
        if w != g:
            print(f"FAIL {cap}: DHCP flow {sorted(k)} at {e['flow']['start']} tshark {w} cmflow {g}")
            bad += 1
    print(f"{'ok  ' if not bad else 'FAIL'} {cap.rsplit('/', 1)[-1]}: DHCP fields of {n} flows equal tshark's")
    return bad


def dummy_key():
    return (hashlib.sha256(b"cmflow lab dummy PXE media key 1").digest() +
            hashlib.sha256(b"cmflow lab dummy PXE media key 2").digest()[:16])


def cmd_secrets(cap, files):
    secrets = []
    for r in tshark(cap, "-Y", "ntlmssp.messagetype == 3", "-T", "fields", "-E", "occurrence=a",
                    "-e", "ntlmssp.ntlmv2_response.ntproofstr", "-e", "ntlmssp.auth.ntresponse",
                    "-e", "ntlmssp.auth.lmresponse"):
        for v in r.replace("|", "\t").replace(",", "\t").split("\t"):
            v = v.replace(":", "")
            if len(v) >= 16 and set(v) - {"0"}:
                b = bytes.fromhex(v[:64])
                for i in range(0, len(b) - 7, 8):
                    secrets.append(("an NTLM response", b[i:i + 8]))
    key = dummy_key()
    for i in range(0, len(key) - 8, 8):
        secrets.append(("the PXE media key", key[i:i + 8]))
    needles = []
    for what, b in secrets:
        needles += [(what, b.hex()), (what, b.hex().upper()), (what, base64.b64encode(b).decode()[:10])]
        needles.append((what, "".join(f"\\x{x:02x}" for x in b[:4])))
    needles.append(("an AUTHENTICATE token (base64)", "TlRMTVNTUAADAAAA"))
    bad = 0
    for path in files:
        text = open(path, encoding="utf-8", errors="replace").read()
        for what, n in needles:
            if n in text:
                print(f"FAIL {path}: holds {what} ({n})")
                bad += 1
                break
    print(f"{'ok  ' if not bad else 'FAIL'} {cap.rsplit('/', 1)[-1]}: {len(secrets)} runs of secret bytes looked "
          f"for in {len(files)} outputs")
    return bad


def main():
    cmd = sys.argv[1]
    if cmd == "detections":
        bad = cmd_detections(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "ntlm":
        bad = cmd_ntlm(sys.argv[2], sys.argv[3])
    elif cmd == "dhcp":
        bad = cmd_dhcp(sys.argv[2], sys.argv[3])
    elif cmd == "secrets":
        bad = cmd_secrets(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""tls_postures.py EXPECTED.tsv EVEDIR: the TLS posture cmflow writes on each flow (configmgr.tls_posture, its
reason, configmgr.tls_client_cert_len, tls.subject / tls.issuerdn / tls.client.*) against what tshark's dissection
shows of that connection (tests/unit/tls-expected.tsv, made by tests/unit/tls_expected.py from tshark's fields).

EVEDIR holds one EVE file per capture of the expected file, named as the capture with '/' made '__' and '.json'
added. Rows whose TLS starts after another protocol (STARTTLS: a start sequence number given) are the other
protocol's flows, which cmflow does not read as TLS: they are counted apart, not compared.

usage: tls_postures.py EXPECTED.tsv EVEDIR   (exit 1 on any difference)"""
import json
import os
import sys


def main():
    expected, evedir = sys.argv[1], sys.argv[2]
    flows = {}
    bad = compared = starttls = tls13 = 0
    for line in open(expected, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        (cap, client, server, cstart, sstart, posture, why, version, creq, clen, _cverify, ssub, siss, csub,
         ciss) = line.rstrip("\n").split("\t")
        if cstart != "-" or sstart != "-":
            starttls += 1
            continue
        if cap not in flows:
            flows[cap] = {}
            for l in open(os.path.join(evedir, cap.replace("/", "__") + ".json"), encoding="utf-8"):
                e = json.loads(l)
                if e.get("event_type") == "flow" and e.get("proto") == "TCP":
                    flows[cap][(f"{e['src_ip']}|{e['src_port']}", f"{e['dest_ip']}|{e['dest_port']}")] = e
        e = flows[cap].get((client, server))
        if e is None:
            print(f"{cap}: no flow {client} -> {server}")
            bad += 1
            continue
        cm, tls = e.get("configmgr", {}), e.get("tls", {})
        got = {
            "posture": cm.get("tls_posture", "-"),
            "why": cm.get("tls_posture_reason", "-"),
            "client_cert_len": str(cm["tls_client_cert_len"]) if "tls_client_cert_len" in cm else "-",
            "server_subject": tls.get("subject", "-"),
            "server_issuer": tls.get("issuerdn", "-"),
            "client_subject": tls.get("client", {}).get("subject", "-"),
            "client_issuer": tls.get("client", {}).get("issuerdn", "-"),
        }
        want = {
            "posture": posture, "why": why, "client_cert_len": clen if creq == "1" else "-",
            "server_subject": ssub, "server_issuer": siss, "client_subject": csub, "client_issuer": ciss,
        }
        for k in want:
            if got[k] != want[k]:
                print(f"{cap}: {client} -> {server}: {k} {got[k]!r}, tshark shows {want[k]!r}")
                bad += 1
        if version == "0x0304" and got["posture"] != "unprovable":
            print(f"{cap}: {client} -> {server}: TLS 1.3 is {got['posture']}, not unprovable")
            bad += 1
        compared += 1
        tls13 += version == "0x0304"
    print(f"tls_postures: {compared} connections compared ({tls13} TLS 1.3), {starttls} after STARTTLS left to "
          f"their protocol, {bad} differences")
    return 1 if bad or not compared else 0


if __name__ == "__main__":
    sys.exit(main())

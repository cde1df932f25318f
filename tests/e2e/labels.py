#!/usr/bin/env python3
"""Flow-by-flow check of cmflow's ConfigMgr labels against a reviewed expectation.

The expectation (tests/e2e/expected/CAPTURE.labels) has one line per flow, tab-separated:
    proto  src_ip  dest_ip  dest_port  rule  field=value ...
rule is the configmgr.rule id or '-' for none; the optional field=value pairs are configmgr fields checked as
well (dotted paths: direction=reversed, verdict=noncompliant, wol.target_mac=...), and Suricata's objects of the
event where configmgr has no such field (http.http_method=CCM_POST, tls.sni=...).
Every expected flow must be found with those values, and every flow with a rule or known roles must be expected.

usage: labels.py EVE.json EXPECTED.labels"""
import json
import sys


def field(event, path):
    """A configmgr field, else the event's own (Suricata's http and tls objects)."""
    cm = event.get("configmgr", {})
    got = get(cm, path)
    return got if got is not None else get(event, path)


def get(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    if isinstance(obj, list):
        return ",".join(map(str, obj))
    return str(obj).lower() if isinstance(obj, bool) else str(obj)


def main():
    flows = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event_type") == "flow"]
    want = []
    for n, line in enumerate(open(sys.argv[2]), 1):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        want.append((n, f[0], f[1], f[2], f[3], f[4], dict(kv.split("=", 1) for kv in f[5:] if kv)))
    bad = 0
    used = set()
    for n, proto, src, dst, dport, rule, fields in want:
        match = [i for i, e in enumerate(flows) if e["proto"] == proto and e["src_ip"] == src and
                 e["dest_ip"] == dst and str(e.get("dest_port", "-")) == dport and i not in used]
        if not match:
            print(f"line {n}: no flow {proto} {src} -> {dst}:{dport}")
            bad += 1
            continue
        # several flows may share the addresses and port (one connection per request): take one that fits
        fits = [i for i in match if flows[i].get("configmgr", {}).get("rule", "-") == rule and
                all(field(flows[i], k) == v for k, v in fields.items())]
        pick = (fits or match)[0]
        e = flows[pick]
        used.add(pick)
        cm = e.get("configmgr", {})
        got = cm.get("rule", "-")
        if got != rule:
            print(f"line {n}: {src} -> {dst}:{dport}: rule {got}, expected {rule}")
            bad += 1
        for k, v in fields.items():
            if field(e, k) != v:
                print(f"line {n}: {src} -> {dst}:{dport}: {k} = {field(e, k)}, expected {v}")
                bad += 1
    for i, e in enumerate(flows):
        cm = e.get("configmgr", {})
        if i not in used and (cm.get("rule") or cm.get("src_roles") or cm.get("dest_roles")):
            print(f"unexpected flow: {e['proto']} {e['src_ip']} -> {e['dest_ip']}:{e.get('dest_port', '-')} "
                  f"rule {cm.get('rule', '-')}")
            bad += 1
    print(f"labels: {len(want)} expected flows, {bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

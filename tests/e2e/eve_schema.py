#!/usr/bin/env python3
"""Validates EVE files twice: against cmflow's published schema (schema/cmflow-eve.schema.json: Suricata's schema
with cmflow's own objects configmgr, ndpi and cmflow, every one of their fields documented), and against
Suricata's own schema (schema/suricata-eve.schema.json, from OISF/suricata etc/schema.json) once cmflow's objects
are set aside, as ../shared/DESIGN.md ("Where a field goes") asks.

usage: eve_schema.py EVE.json [...]   (exit 0 when every line validates both ways)"""
import json
import os
import sys

import jsonschema

OWN = ("configmgr", "ndpi", "cmflow")


def main():
    schemas = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schema")
    cmflow = jsonschema.Draft7Validator(json.load(open(os.path.join(schemas, "cmflow-eve.schema.json"))))
    suricata = jsonschema.Draft7Validator(json.load(open(os.path.join(schemas, "suricata-eve.schema.json"))))
    bad = events = 0
    for path in sys.argv[1:]:
        for n, line in enumerate(open(path), 1):
            ev = json.loads(line)
            events += 1
            errors = sorted(cmflow.iter_errors(ev), key=lambda e: list(e.path))
            for k in OWN:
                ev.pop(k, None)
            errors += sorted(suricata.iter_errors(ev), key=lambda e: list(e.path))
            for e in errors[:3]:
                print(f"{path}:{n}: {'/'.join(map(str, e.path))}: {e.message[:200]}")
            bad += bool(errors)
    print(f"eve_schema: {events} events, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

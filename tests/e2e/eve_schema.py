#!/usr/bin/env python3
"""Validates EVE files against Suricata's own schema (tests/e2e/suricata-eve-schema.json, from OISF/suricata
etc/schema.json), after setting aside cmflow's own top-level objects (configmgr, ndpi, cmflow) as DESIGN.md says.

usage: eve_schema.py EVE.json [...]   (exit 0 when every line validates)"""
import json
import os
import sys

import jsonschema

OWN = ("configmgr", "ndpi", "cmflow")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    schema = json.load(open(os.path.join(here, "suricata-eve-schema.json")))
    validator = jsonschema.Draft7Validator(schema)
    bad = events = 0
    for path in sys.argv[1:]:
        for n, line in enumerate(open(path), 1):
            ev = json.loads(line)
            for k in OWN:
                ev.pop(k, None)
            events += 1
            errors = sorted(validator.iter_errors(ev), key=lambda e: list(e.path))
            for e in errors[:3]:
                print(f"{path}:{n}: {'/'.join(map(str, e.path))}: {e.message[:200]}")
            bad += bool(errors)
    print(f"eve_schema: {events} events, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

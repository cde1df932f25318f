#!/usr/bin/env python3
"""same-story.py CMFLOW CONF OLD.pcap NEW.pcap: does a capture made again by its tests/lab script tell the same
story as the committed one? Runs cmflow (with the site configuration CONF) on both and compares the multisets of
flows by (protocol, source, destination, destination port, app_proto, port-matrix rule, verdict) and of alerts by
(signature id, source, destination). Ports of the dynamic range (32768 and up: Linux's ephemeral ports) count as
one. Prints each difference and a total line; exit 1 when they differ.

Re-made captures differ in timing, ephemeral ports and TCP acknowledgements: committing one is a change to review,
this says what cmflow sees differently in it."""
import collections
import json
import os
import subprocess
import sys
import tempfile


def story(cmflow, conf, pcap):
    flows, alerts = collections.Counter(), collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        eve = os.path.join(tmp, "eve.json")
        subprocess.run([cmflow, "-q", "-r", pcap, "-c", conf, "--eve", eve], check=True, stdout=subprocess.DEVNULL)
        with open(eve) as f:
            for line in f:
                e = json.loads(line)
                cm = e.get("configmgr", {})
                if e["event_type"] == "flow":
                    port = e.get("dest_port", 0)
                    flows[(e.get("proto"), e.get("src_ip"), e.get("dest_ip"), port if port < 32768 else "dynamic",
                           e.get("app_proto"), cm.get("rule"), cm.get("verdict"))] += 1
                elif e["event_type"] == "alert":
                    alerts[(e["alert"]["signature_id"], e.get("src_ip"), e.get("dest_ip"))] += 1
    return flows, alerts


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: same-story.py CMFLOW CONF OLD.pcap NEW.pcap")
    cmflow, conf, old, new = sys.argv[1:]
    a, b = story(cmflow, conf, old), story(cmflow, conf, new)
    differences = 0
    for what, x, y in (("flows", a[0], b[0]), ("alerts", a[1], b[1])):
        for k in sorted(set(x) | set(y), key=str):
            if x[k] != y[k]:
                print(f"{what} {k}: {x[k]} in {old}, {y[k]} in {new}")
                differences += 1
    print(f"{os.path.basename(new)}: {sum(b[0].values())} flows ({sum(a[0].values())} before), "
          f"{sum(b[1].values())} alerts ({sum(a[1].values())} before), {differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Lists the flows an EVE file's alerts point at: one line per flow, "PACKETS<TAB>DISPLAY-FILTER".

PACKETS is the flow's packet count (both directions) from its flow event; DISPLAY-FILTER is the alert's
configmgr.wireshark_filter. A detection (a sequence of flows) lists each step's flow with the step's own filter.
A flow that several alerts point at is listed once. evidence.sh and tunnels.sh check each line against tshark.

usage: alertflows.py EVE.json
"""
import json
import sys


def alert_flows(events):
    flows = {e["flow_id"]: e["flow"] for e in events if e["event_type"] == "flow"}
    seen = set()
    for e in events:
        if e["event_type"] != "alert" or "flow_id" not in e:
            continue
        cm = e["configmgr"]
        steps = cm["steps"] if "detection" in cm else [{"flow_id": e["flow_id"], "wireshark_filter": cm["wireshark_filter"]}]
        for s in steps:
            if s["flow_id"] in seen:
                continue
            seen.add(s["flow_id"])
            f = flows[s["flow_id"]]
            yield f["pkts_toserver"] + f["pkts_toclient"], s["wireshark_filter"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1]) as eve:
        events = [json.loads(line) for line in eve]
    for pkts, filt in alert_flows(events):
        print(f"{pkts}\t{filt}")


if __name__ == "__main__":
    main()

#!/bin/bash
# The special channels against tshark on the lab captures: every Wake On LAN magic packet (UDP, any port, and
# EtherType 0x0842 frames) reported with tshark's target MAC (wol.mac) and nothing else; the multicast session of
# pcaps/cm-channels.pcap with tshark's packet and byte totals and the receivers whose IGMP reports joined its group.
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"
conf=$SRCDIR/signatures/example-site.conf

for cap in cm-wol cm-demo cm-channels; do
	"$CMFLOW" -q -r "$PCAPS/$cap.pcap" -c "$conf" -S "$SRCDIR/signatures" --eve "$tmp/$cap.json" ||
		{ bad "$cap: cmflow exit $?"; continue; }
	# tshark's WOL dissector is heuristic on any UDP port, and on EtherType 0x0842; it prints the target MAC once
	# per repetition; an ICMP error quoting a magic packet is not one; on UDP 7 its echo dissector comes first
	tshark -n -r "$PCAPS/$cap.pcap" --disable-protocol echo -Y 'wol && !icmp' -T fields -e wol.mac 2>/dev/null | cut -d, -f1 | sort >"$tmp/want"
	python3 - "$tmp/$cap.json" <<'PY' | sort >"$tmp/got"
import json, sys
for e in map(json.loads, open(sys.argv[1])):
    w = e.get("configmgr", {}).get("wol", {})
    if e["event_type"] in ("flow", "wol") and "target_mac" in w:
        print(w["target_mac"])
PY
	if [ -s "$tmp/want" ] || [ "$cap" != cm-wol ]; then
		if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
			ok "$cap: $(wc -l <"$tmp/got") magic packets, the target MACs tshark reports"
		else
			bad "$cap: magic packets differ from tshark's: $(cat "$tmp/diff")"
		fi
	else
		bad "$cap: tshark found no magic packet"
	fi
done

# the multicast session: one sender, one group, tshark's totals, the receivers that joined
cap=$PCAPS/cm-channels.pcap
group=239.255.10.1
want_pkts=$(tshark -n -r "$cap" -Y "ip.dst==$group && udp" 2>/dev/null | wc -l)
want_bytes=$(tshark -n -r "$cap" -Y "ip.dst==$group && udp" -T fields -e frame.len 2>/dev/null | awk '{s += $1} END {print s + 0}')
want_recv=$(tshark -n -r "$cap" -Y "igmp.maddr==$group" -T fields -e ip.src 2>/dev/null | sort -u | paste -sd, -)
python3 - "$tmp/cm-channels.json" "$group" "$want_pkts" "$want_bytes" "$want_recv" <<'PY' &&
import json, sys
path, group, pkts, nbytes, recv = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
flows = [e for e in map(json.loads, open(path)) if e["event_type"] == "flow" and e.get("dest_ip") == group]
assert len(flows) == 1 and pkts > 20, (len(flows), pkts)
f = flows[0]
m = f["configmgr"]["multicast"]
got = (f["flow"]["pkts_toserver"] + f["flow"]["pkts_toclient"], f["flow"]["bytes_toserver"] + f["flow"]["bytes_toclient"],
       ",".join(sorted(m["receivers"])))
assert got == (pkts, nbytes, recv), (got, (pkts, nbytes, recv))
assert f["configmgr"]["rule"] == "R43" and recv.count(",") == 1
PY
	ok "multicast: one session to $group, $want_pkts packets, $want_bytes bytes, receivers $want_recv (as tshark)" ||
	bad "multicast session differs from tshark ($want_pkts packets, $want_bytes bytes, receivers $want_recv)"
"$CMFLOW" -r "$cap" -c "$conf" -S "$SRCDIR/signatures" >"$tmp/summary" 2>&1
line=$(grep -E "^  10\.1\.0\.30 +$group " "$tmp/summary")
set -- $line
[ "${3:-}" = 63001 ] && [ "${4:-}" = "$want_pkts" ] && [ "${5:-}" = "$want_bytes" ] && [ "${7:-}" = 2 ] &&
	ok "summary: the multicast session line ($line)" || bad "summary multicast line: '$line'"

echo "channels: $fails failed"
[ "$fails" -eq 0 ]

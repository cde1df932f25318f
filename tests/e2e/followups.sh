#!/bin/bash
# Follow-ups on every capture that holds an endpoint mapper or DCOM answer, or a TFTP request: checked against
# tshark's own decoding by followups.py (linked when announced, never linked otherwise).
set -u
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
command -v tshark >/dev/null || { echo "tshark is missing"; exit 99; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 files=0 total=0
for f in "$PCAPS"/*.pcap* "$PCAPS"/public/*.pcap*; do
	[ -f "$f" ] || continue
	n=$(tshark -n -r "$f" -Y 'epm.proto.tcp_port || dcom.dualstringarray.network_addr || tftp.opcode==1 || tftp.opcode==2' \
		2>/dev/null | wc -l)
	[ "$n" -gt 0 ] || continue
	rm -f "$tmp/eve.json"
	"$CMFLOW" -q -r "$f" --eve "$tmp/eve.json" 2>/dev/null
	out=$(python3 "$SRCDIR/tests/e2e/followups.py" "$f" "$tmp/eve.json") || fails=$((fails + 1))
	echo "$out"
	total=$((total + $(sed -n 's/.*: \([0-9]*\) follow-ups checked.*/\1/p' <<<"$out")))
	files=$((files + 1))
done
echo "followups: $files captures, $total follow-ups checked, $fails captures wrong"
[ "$files" -ge 10 ] && [ "$total" -ge 15 ] && [ "$fails" -eq 0 ]

#!/bin/bash
# Floods: 1,000,000 SYNs from distinct sources and 200,000 datagrams to random ports (tests/e2e/gen_flood.py),
# interleaved with the demo capture. With a flow cap of 65536 the process stays under a stated memory ceiling,
# the evictions are counted, and the demo's own flows keep exactly the labels and findings they have alone
# (unanswered flows are evicted first). The expectation table's flood is a unit test (tests/unit/test_followup.c).
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"
conf=(-c "$SRCDIR/signatures/example-site.conf" -S "$SRCDIR/signatures")
cap=65536
ceiling_mib=64 # 65536 flow records (unanswered ones hold no nDPI state), the demo's flows, buffers

first=$(tshark -r "$PCAPS/cm-demo.pcap" -c 1 -T fields -e frame.time_epoch 2>/dev/null)
last=$(tshark -r "$PCAPS/cm-demo.pcap" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
us() { python3 -c "import sys; print(int(round(float(sys.argv[1]) * 1e6)))" "$1"; }
python3 "$SRCDIR/tests/e2e/gen_flood.py" "$tmp/flood.pcap" 1000000 200000 "$(us "$first")" "$(us "$last")" 7 ||
	{ bad "flood generator"; exit 1; }
mergecap -F pcap -w "$tmp/mixed.pcap" "$tmp/flood.pcap" "$PCAPS/cm-demo.pcap" || { bad "mergecap"; exit 1; }
rm -f "$tmp/flood.pcap"

"$CMFLOW" -r "$PCAPS/cm-demo.pcap" "${conf[@]}" --top 1000000 >"$tmp/alone.txt" || bad "demo alone: exit $?"
python3 - "$CMFLOW" "$tmp/mixed.pcap" "$tmp/mixed.txt" "$cap" "${conf[@]}" >"$tmp/rss" <<'PY' || bad "flood run failed"
import resource, subprocess, sys, time
cmflow, cap_file, out, cap, conf = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
t = time.monotonic()
r = subprocess.run([cmflow, "-r", cap_file, "--max-flows", cap, "--top", "1000000"] + conf, stdout=open(out, "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, round(time.monotonic() - t, 1))
sys.exit(r.returncode)
PY
read -r rss secs <"$tmp/rss"
evicted=$(sed -n 's/^  flows evicted at the cap  *\([0-9]*\)$/\1/p' "$tmp/mixed.txt")
created=$(sed -n 's/^  flows  *\([0-9]*\)$/\1/p' "$tmp/mixed.txt")
echo "   1,200,333 packets in ${secs} s, peak RSS ${rss} MiB, ${created} flows, ${evicted} evicted at the cap of $cap"
[ "${evicted:-0}" -gt 1000000 ] && ok "evictions counted ($evicted)" || bad "evictions: '$evicted'"
if [ "${SANITIZED:-no}" = yes ]; then
	ok "memory ceiling not checked under AddressSanitizer (peak ${rss} MiB)"
else
	[ "$rss" -lt "$ceiling_mib" ] && ok "peak RSS ${rss} MiB under the ceiling of ${ceiling_mib} MiB" ||
		bad "peak RSS ${rss} MiB over ${ceiling_mib} MiB"
fi
# the demo's findings and role pairs (rows) are those it has alone
findings() { sed -n '/^findings/,/^cmflow summary/p' "$1"; }
pairs() { grep -E '^  [a-z-]+ +[a-z-]+ +R[0-9NP]+ ' "$1"; }
diff <(findings "$tmp/alone.txt") <(findings "$tmp/mixed.txt") >"$tmp/d1" && [ -s "$tmp/alone.txt" ] &&
	ok "the demo's findings are unchanged by the flood ($(grep -c 'wireshark:' "$tmp/alone.txt") flows)" ||
	bad "findings differ: $(head -20 "$tmp/d1")"
diff <(pairs "$tmp/alone.txt") <(pairs "$tmp/mixed.txt") >"$tmp/d2" &&
	ok "the demo's role pairs, rows, flows and bytes are unchanged by the flood ($(pairs "$tmp/alone.txt" | wc -l) lines)" ||
	bad "role pairs differ: $(cat "$tmp/d2")"

echo "floods: $fails failed"
[ "$fails" -eq 0 ]

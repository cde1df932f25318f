#!/bin/bash
# Alerts and their evidence: every alert's configmgr.wireshark_filter, applied with tshark to the input, selects
# exactly the packets of that flow; the evidence pcap holds exactly the packets of the alerted flows; --fail-on
# gives exit 1 only when such an alert was raised. On the demo capture (native and mixed site) and on a public
# capture with no ConfigMgr host.
set -u
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
command -v tshark >/dev/null || { echo "tshark is missing"; exit 99; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
demo=$PCAPS/cm-demo.pcap
native=$SRCDIR/signatures/example-site.conf mixed=$SRCDIR/tests/e2e/expected/mixed.conf

for conf in "$native" "$mixed"; do
	tag=$(basename "$conf" .conf)
	"$CMFLOW" -q -r "$demo" -c "$conf" --eve "$tmp/$tag.json" --evidence "$tmp/$tag.pcap"
	rc=$?
	[ $rc -eq 0 ] || bad "$tag: exit $rc"
	# each alert: the filter selects exactly the flow's packets
	python3 "$SRCDIR/tests/e2e/alertflows.py" "$tmp/$tag.json" >"$tmp/$tag.alerts" || bad "$tag: alertflows.py failed"
	n=0 all=""
	while IFS=$'\t' read -r want filter; do
		got=$(tshark -n -r "$demo" -Y "$filter" 2>/dev/null | wc -l)
		[ "$got" = "$want" ] || bad "$tag: filter selects $got packets, the flow has $want: $filter"
		n=$((n + 1))
		all="${all:+$all || }($filter)"
	done <"$tmp/$tag.alerts"
	[ "$n" -gt 0 ] && ok "$tag: $n alerted flows, each display filter selects exactly its flow's packets"
	want=$(tshark -n -r "$demo" -Y "$all" 2>/dev/null | wc -l)
	got=$(tshark -n -r "$tmp/$tag.pcap" 2>/dev/null | wc -l)
	# the same packets, in the same order: compare frame timestamps
	tshark -n -r "$demo" -Y "$all" -T fields -e frame.time_epoch 2>/dev/null >"$tmp/want.ts"
	tshark -n -r "$tmp/$tag.pcap" -T fields -e frame.time_epoch 2>/dev/null >"$tmp/got.ts"
	if [ "$want" = "$got" ] && cmp -s "$tmp/want.ts" "$tmp/got.ts"; then
		ok "$tag: the evidence pcap holds exactly the alerted flows' $got packets, in order"
	else
		bad "$tag: evidence has $got packets, the filters select $want"
	fi
done
n_native=$(grep -c . "$tmp/example-site.alerts") n_mixed=$(grep -c . "$tmp/mixed.alerts")
[ "$n_native" -gt "$n_mixed" ] && ok "native mode finds more ($n_native flows) than mixed mode ($n_mixed)" ||
	bad "native $n_native alerted flows, mixed $n_mixed"

# --fail-on
"$CMFLOW" -q -r "$demo" -c "$native" --fail-on unexpected; rc=$?
[ $rc -eq 1 ] && ok "--fail-on unexpected: exit 1 (an unknown host talks to the SQL server)" || bad "--fail-on unexpected: exit $rc"
"$CMFLOW" -q -r "$demo" -c "$native" --fail-on noncompliant; rc=$?
[ $rc -eq 1 ] && ok "--fail-on noncompliant: exit 1" || bad "--fail-on noncompliant: exit $rc"
"$CMFLOW" -q -r "$PCAPS/public/ndpi__443-curl.pcap" -c "$native" --fail-on noncompliant; rc=$?
[ $rc -eq 0 ] && ok "--fail-on on a capture without findings: exit 0" || bad "--fail-on without findings: exit $rc"
# standard input is spooled (spool.h): its evidence is the file's
"$CMFLOW" -q -r "$demo" -c "$native" --evidence "$tmp/file-ev.pcap"
"$CMFLOW" -q -r - -c "$native" --evidence "$tmp/stdin-ev.pcap" <"$demo"; rc=$?
[ $rc -eq 0 ] && cmp -s <(tshark -r "$tmp/file-ev.pcap" -T fields -e frame.time_epoch -e frame.len 2>/dev/null) \
	<(tshark -r "$tmp/stdin-ev.pcap" -T fields -e frame.time_epoch -e frame.len 2>/dev/null) &&
	ok "--evidence from standard input: the same packets as from the file" || bad "--evidence with stdin: exit $rc, or other packets"

echo "evidence: $fails failed"
[ "$fails" -eq 0 ]

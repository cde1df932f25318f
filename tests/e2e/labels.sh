#!/bin/bash
# ConfigMgr labels and verdicts flow by flow: each reviewed expectation tests/e2e/expected/NAME.labels is checked
# on pcaps/NAME.pcap analysed with the example site configuration; NAME.VARIANT.labels with
# tests/e2e/expected/VARIANT.conf instead, or signatures/example-site-VARIANT.conf when there is no such file
# (cm-demo-cb.cb.labels: the current branch example).
set -u
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
for exp in "$SRCDIR"/tests/e2e/expected/*.labels; do
	name=$(basename "$exp" .labels)
	cap=${name%%.*} conf=$SRCDIR/signatures/example-site.conf
	[ "$cap" != "$name" ] && conf=$SRCDIR/tests/e2e/expected/${name#*.}.conf
	[ "$cap" != "$name" ] && [ ! -f "$conf" ] && conf=$SRCDIR/signatures/example-site-${name#*.}.conf
	"$CMFLOW" -q -r "$PCAPS/$cap.pcap" -c "$conf" -S "$SRCDIR/signatures" \
		--eve "$tmp/$name.json" || { echo "FAIL $name: cmflow exit $?"; fails=$((fails + 1)); continue; }
	echo "== $name"
	python3 "$SRCDIR/tests/e2e/labels.py" "$tmp/$name.json" "$exp" || fails=$((fails + 1))
	n=$((n + 1))
done
echo "labels: $n captures, $fails failed"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ]

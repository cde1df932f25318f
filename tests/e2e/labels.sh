#!/bin/bash
# ConfigMgr labels flow by flow: each capture with a reviewed expectation in tests/e2e/expected/NAME.labels is
# analysed with the example site configuration, and every flow's rule and fields must be as expected.
set -u
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
for exp in "$SRCDIR"/tests/e2e/expected/*.labels; do
	name=$(basename "$exp" .labels)
	"$CMFLOW" -q -r "$PCAPS/$name.pcap" -c "$SRCDIR/signatures/example-site.conf" -S "$SRCDIR/signatures" \
		--eve "$tmp/$name.json" || { echo "FAIL $name: cmflow exit $?"; fails=$((fails + 1)); continue; }
	echo "== $name"
	python3 "$SRCDIR/tests/e2e/labels.py" "$tmp/$name.json" "$exp" || fails=$((fails + 1))
	n=$((n + 1))
done
echo "labels: $n captures, $fails failed"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ]

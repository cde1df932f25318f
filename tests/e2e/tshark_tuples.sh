#!/bin/bash
# Per-tuple packet totals of cmflow's EVE flow events against tshark, on every capture in pcaps/ (and
# pcaps/public/), except those listed with a reason in tuples-skip.txt; then every EVE line of every capture is
# validated against Suricata's schema (eve_schema.py). Needs tshark, python3 and python3-jsonschema.
set -u
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
command -v tshark >/dev/null || { echo "tshark is missing (apt-get install tshark)"; exit 99; }
here=$SRCDIR/tests/e2e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
skip=$(grep -v '^#' "$here/tuples-skip.txt" | cut -f1)
checked=0 failed=0
for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng "$PCAPS"/*.cap "$PCAPS"/public/*.pcap "$PCAPS"/public/*.pcapng \
	"$PCAPS"/public/*.cap; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	grep -qxF "$name" <<<"$skip" && continue
	eve=$tmp/$name.json
	if ! "$CMFLOW" -q -r "$f" --eve "$eve" 2>"$tmp/err"; then
		echo "FAIL $name: cmflow exit $?: $(head -c 300 "$tmp/err")"
		failed=$((failed + 1))
		continue
	fi
	if ! python3 "$here/tuples.py" "$f" "$eve" >"$tmp/out"; then
		cat "$tmp/out"
		failed=$((failed + 1))
	fi
	checked=$((checked + 1))
done
echo "tshark_tuples: $checked captures compared, $failed differ"
[ "$checked" -gt 100 ] || { echo "too few captures found under $PCAPS"; exit 1; }
python3 "$here/eve_schema.py" "$tmp"/*.json | tail -n 20 || failed=$((failed + 1))
[ "$failed" -eq 0 ]

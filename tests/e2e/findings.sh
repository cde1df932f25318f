#!/bin/bash
# findings.sh: every finding id of the policy files and of the detections raised by its case of findings.txt
# (capture, site configuration, the host it is about), and no finding id without a case.
set -u
. "$(dirname "$0")/lib.sh"
list=$SRCDIR/tests/e2e/findings.txt
ids=$(cat "$SRCDIR"/signatures/*policy*.txt "$SRCDIR"/signatures/detections.txt |
	awk '$1 == "finding" || $1 == "detection" {print $2}' | sort -u)
for id in $ids; do
	grep -q "^$id " "$list" || bad "finding $id has no case in findings.txt"
done
n=0
while read -r id capture conf src; do
	case $id in '#'* | '') continue ;; esac
	n=$((n + 1))
	args=(-q -r "$PCAPS/$capture" "${sig[@]}" --eve "$tmp/$n.json")
	case $conf in
	-) ;;
	*/*) args+=(-c "$SRCDIR/tests/e2e/$conf") ;;
	*) args+=(-c "$SRCDIR/signatures/$conf") ;;
	esac
	"$CMFLOW" "${args[@]}" 2>"$tmp/$n.err"
	python3 "$SRCDIR/tests/e2e/findings.py" "$tmp/$n.json" "$id" "$src" "$SRCDIR/signatures" &&
		ok "$id: $capture with $conf, from $src" || bad "$id: not raised by $capture with $conf ($(cat "$tmp/$n.err" | head -c 200))"
done <"$list"
[ "$n" -ge "$(echo "$ids" | wc -w)" ] && ok "$n cases for $(echo "$ids" | wc -w) finding ids" || bad "only $n cases"
finish

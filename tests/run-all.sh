#!/bin/bash
# run-all.sh: the whole test suite. Installs what is missing (as root), builds in this tree if needed, runs
# `make check` (unit tests, end-to-end tests over pcaps/), and prints one line with the totals.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh all || exit 1
if [ ! -f Makefile ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	./autogen.sh >/dev/null 2>&1 && ./configure -q || exit 1
fi
make -s -j"$(nproc)" >/dev/null || exit 1
make -s -j"$(nproc)" check >/dev/null 2>&1
rc=$?
pass=0 fail=0
for log in tests/unit/*.log tests/e2e/*.log; do
	[ -f "$log" ] || continue
	t=${log%.log}.trs
	if grep -q ':test-result: PASS' "$t" 2>/dev/null; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		echo "---- $log"
		tail -n 30 "$log"
	fi
done
echo "run-all: $pass passed, $fail failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]

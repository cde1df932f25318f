#!/bin/bash
# run-all.sh [--quick]: the whole test suite. Installs what is missing (as root), builds in this tree, runs
# `make check` (unit tests, end-to-end tests over pcaps/, live capture in a namespace), then the same suite
# built with AddressSanitizer and UndefinedBehaviorSanitizer (build-san/), then a short run of every fuzz target
# (tests/fuzz/run.sh, 20 s each). --quick stops after the first `make check`. Prints one line with the totals.
set -u
cd "$(dirname "$0")/.."
quick=no
[ "${1:-}" = "--quick" ] && quick=yes
scripts/deps.sh all || exit 1
if [ ! -f Makefile ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	./autogen.sh >/dev/null 2>&1 && ./configure -q || exit 1
fi
pass=0 fail=0
# tally DIR: counts the test results of a `make check` run in DIR
tally() {
	local t
	for t in "$1"/tests/unit/*.trs "$1"/tests/e2e/*.trs; do
		[ -f "$t" ] || continue
		if grep -q ':test-result: PASS' "$t"; then
			pass=$((pass + 1))
		elif grep -q ':test-result: SKIP' "$t"; then
			echo "---- skipped: ${t%.trs}"
		else
			fail=$((fail + 1))
			echo "---- failed: ${t%.trs} ($2)"
			tail -n 30 "${t%.trs}.log"
		fi
	done
}
make -s -j"$(nproc)" >/dev/null || exit 1
make -s -j"$(nproc)" check >/dev/null 2>&1
tally . "build"
if [ "$quick" = no ]; then
	mkdir -p build-san
	(cd build-san && { [ -f Makefile ] || ../configure -q --enable-sanitizers; } && make -s -j"$(nproc)" >/dev/null &&
		make -s -j"$(nproc)" check >/dev/null 2>&1)
	tally build-san "ASan+UBSan build"
	if tests/fuzz/run.sh 20; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "---- failed: fuzz targets"; fi
fi
echo "run-all: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

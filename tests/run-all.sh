#!/bin/bash
# run-all.sh [--quick]: the whole test suite. Installs what is missing (as root), builds in build/, runs
# `make check` (unit tests, end-to-end tests over pcaps/, live capture in a namespace), then the same suite
# built with AddressSanitizer and UndefinedBehaviorSanitizer (build-san/), then a short run of every fuzz target
# (tests/fuzz/run.sh, 20 s each). --quick stops after the first `make check`. Prints one line with the totals.
set -u
cd "$(dirname "$0")/.."
quick=no
[ "${1:-}" = "--quick" ] && quick=yes
scripts/deps.sh all || exit 1
scripts/configure-in.sh build || exit 1
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
make -s -C build -j"$(nproc)" >/dev/null || exit 1
make -s -C build -j"$(nproc)" check >/dev/null 2>&1
tally build "build"
if [ "$quick" = no ]; then
	scripts/configure-in.sh build-san --enable-sanitizers &&
		make -s -C build-san -j"$(nproc)" >/dev/null && make -s -C build-san -j"$(nproc)" check >/dev/null 2>&1
	tally build-san "ASan+UBSan build"
	if tests/fuzz/run.sh 20; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "---- failed: fuzz targets"; fi
fi
echo "run-all: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

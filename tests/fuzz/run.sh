#!/bin/bash
# run.sh [SECONDS] [TARGET...]: builds the libFuzzer targets (clang, ASan + UBSan) in their own build directory,
# replays the kept regression inputs (tests/fuzz/regress/TARGET/), then fuzzes each target for SECONDS (default
# 60) from seeds made of the captures in pcaps/. A crash stops with exit 1 and leaves its input in the build
# directory (crash-*): fix it and keep the input under tests/fuzz/regress/TARGET/.
#   CI runs: tests/fuzz/run.sh 20        long runs: tests/fuzz/run.sh 3600 fuzz_packet
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_packet fuzz_json fuzz_dcerpc fuzz_smb fuzz_parsers fuzz_config fuzz_pcapng fuzz_tls fuzz_community_id fuzz_auth)
build=${FUZZ_BUILD:-$src/build-fuzz}
command -v clang >/dev/null || { echo "run.sh: clang is missing (apt-get install clang)"; exit 1; }
CC=clang "$src/scripts/configure-in.sh" "$build" --enable-fuzzing --disable-tests || exit 1
(cd "$build" && make -s -j"$(nproc)" $(for t in "${targets[@]}"; do echo "tests/fuzz/$t"; done)) >/dev/null || exit 1
corpus=$build/corpus
[ -d "$corpus" ] || python3 "$here/make-corpus.py" "$src/pcaps" "$src/signatures" "$corpus"
status=0
for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/$t
	if [ -d "$here/regress/$t" ] && ls "$here/regress/$t"/* >/dev/null 2>&1; then
		"$bin" "$here/regress/$t"/* >"$build/$t.regress.log" 2>&1 ||
			{ echo "$t: a kept regression input fails again (see $build/$t.regress.log)"; status=1; continue; }
	fi
	mkdir -p "$build/work-$t"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/" \
		"$build/work-$t" "$corpus/$t" >"$build/$t.log" 2>&1; then
		echo "$t: $(grep -o 'Done [0-9]* runs' "$build/$t.log" | tail -1) in ${secs}s, no crash"
	else
		echo "$t: CRASH (see $build/$t.log)"
		grep -m3 -E 'ERROR|SUMMARY' "$build/$t.log"
		status=1
	fi
done
exit $status

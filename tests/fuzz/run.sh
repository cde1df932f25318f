#!/bin/bash
# run.sh [-j N] [--merge DIR] [SECONDS] [TARGET...]: builds the libFuzzer targets (clang, ASan + UBSan) in their
# own build directory, replays the kept regression inputs (tests/fuzz/regress/TARGET/), then fuzzes each target
# for SECONDS (default 60) from seeds made of the captures in pcaps/. A crash stops with exit 1 and leaves its
# input in the build directory (TARGET-crash-*): fix it and keep the input under tests/fuzz/regress/TARGET/.
#   -j N         N targets at a time, each pinned to a core of its own (taskset): a long run on a 2-core machine
#                is -j 2, and nothing else should run beside it (a target must have its core to itself)
#   --merge DIR  after the runs, the corpus each target grew (build/work-TARGET), minimised with libFuzzer's
#                -merge=1, into DIR/TARGET/ (a later run that names DIR as FUZZ_SEEDS starts where this one ended)
#   FUZZ_BUILD   the build directory (default build-fuzz); FUZZ_SEEDS: a directory of TARGET/ seed folders
#                used besides the captures' seeds
#   CI runs: tests/fuzz/run.sh 20        long runs: tests/fuzz/run.sh -j 2 1800
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
jobs=1 merge=
while [ $# -gt 0 ]; do
	case $1 in
	-j) jobs=${2:?run.sh: -j needs a number}; shift 2 ;;
	--merge) merge=${2:?run.sh: --merge needs a directory}; shift 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
case $jobs in '' | *[!0-9]* | 0) echo "run.sh: -j takes a number of targets at a time (1 or more), not '$jobs'" >&2; exit 2 ;; esac
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_packet fuzz_json fuzz_dcerpc fuzz_smb fuzz_parsers fuzz_config fuzz_pcapng fuzz_tls fuzz_community_id fuzz_auth)
build=${FUZZ_BUILD:-$src/build-fuzz}
command -v clang >/dev/null || { echo "run.sh: clang is missing (apt-get install clang)"; exit 1; }
cores=$(nproc)
if [ "$jobs" -gt 1 ]; then
	command -v taskset >/dev/null || { echo "run.sh: -j needs taskset (util-linux)"; exit 1; }
	[ "$jobs" -le "$cores" ] || { echo "run.sh: -j $jobs: this machine has $cores cores, one target a core"; exit 2; }
fi
CC=clang "$src/scripts/configure-in.sh" "$build" --enable-fuzzing --disable-tests || exit 1
(cd "$build" && make -s -j"$cores" $(for t in "${targets[@]}"; do echo "tests/fuzz/$t"; done)) >/dev/null || exit 1
corpus=$build/corpus
[ -d "$corpus" ] || python3 "$here/make-corpus.py" "$src/pcaps" "$src/signatures" "$corpus"

# fuzz_one TARGET [CPU]: replays its kept inputs, fuzzes it (on CPU when given); one line of result; exit 1 on a
# crash or a kept input that fails again
fuzz_one() {
	local t=$1 cpu=${2:-} bin=$build/tests/fuzz/$1 pin=()
	[ -n "$cpu" ] && pin=(taskset -c "$cpu")
	if [ -d "$here/regress/$t" ] && ls "$here/regress/$t"/* >/dev/null 2>&1; then
		"${pin[@]}" "$bin" "$here/regress/$t"/* >"$build/$t.regress.log" 2>&1 ||
			{ echo "$t: a kept regression input fails again (see $build/$t.regress.log)"; return 1; }
	fi
	local seeds=("$corpus/$t")
	[ -n "${FUZZ_SEEDS:-}" ] && [ -d "$FUZZ_SEEDS/$t" ] && seeds+=("$FUZZ_SEEDS/$t")
	mkdir -p "$build/work-$t"
	if "${pin[@]}" "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/$t-" \
		"$build/work-$t" "${seeds[@]}" >"$build/$t.log" 2>&1; then
		echo "$t: $(grep -o 'Done [0-9]* runs' "$build/$t.log" | tail -1) in ${secs}s${cpu:+ on cpu $cpu}, no crash"
	else
		echo "$t: CRASH (see $build/$t.log)"
		grep -m3 -E 'ERROR|SUMMARY' "$build/$t.log"
		return 1
	fi
}

status=0
if [ "$jobs" -eq 1 ]; then
	for t in "${targets[@]}"; do fuzz_one "$t" || status=1; done
else
	# $jobs targets at a time, each on a cpu of its own: the next target takes the cpu of the one that ended
	declare -A cpu_of=() # pid -> cpu
	free=($(seq 0 $((jobs - 1))))
	reap() { # waits for one target to end, frees its cpu
		local pid
		wait -n -p pid || status=1
		free+=("${cpu_of[$pid]}")
		unset "cpu_of[$pid]"
	}
	for t in "${targets[@]}"; do
		[ ${#free[@]} -gt 0 ] || reap
		fuzz_one "$t" "${free[0]}" &
		cpu_of[$!]=${free[0]}
		free=("${free[@]:1}")
	done
	while [ ${#cpu_of[@]} -gt 0 ]; do reap; done
fi

if [ -n "$merge" ]; then
	for t in "${targets[@]}"; do
		mkdir -p "$merge/$t"
		"$build/tests/fuzz/$t" -merge=1 -timeout=10 -rss_limit_mb=2048 "$merge/$t" "$build/work-$t" \
			>"$build/$t.merge.log" 2>&1 && echo "$t: $(ls "$merge/$t" | wc -l) inputs in $merge/$t" ||
			{ echo "$t: the merge failed (see $build/$t.merge.log)"; status=1; }
	done
fi
exit $status

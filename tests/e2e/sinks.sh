#!/bin/bash
# EVE sinks against real readers (tests/e2e/sinkfeed drives src/output/sink.c until cmflow writes through it):
# /dev/full and a 64 KiB tmpfs (ENOSPC inside a line: the file ends on a whole line, every line counted); socat
# reading unix_stream and unix_dgram sockets, killed and started again while lines are written; a redis-server on a
# free loopback port, shut down and started again: afterwards lines flow again and the counters say exactly what
# was lost (nothing while the queue held; exactly the excess past a small queue). Every line of every reader is
# whole, and every line written reached a reader or is counted as lost.
set -u
: "${CMFLOW:?}" "${SRCDIR:?}"
FEEDER=${SINKFEED:-$(dirname "$CMFLOW")/../tests/e2e/sinkfeed}
[ -x "$FEEDER" ] || { echo "sinks: $FEEDER missing (make check builds it)"; exit 77; }
tmp=$(mktemp -d /tmp/cmflow-sinks.XXXXXX)
pids=()
cleanup() {
	exec 3>&- 4<&- 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# ---- the feeder, spoken to through two FIFOs ----
feed_start() { # SPEC [options]
	rm -f "$tmp/in" "$tmp/out"
	mkfifo "$tmp/in" "$tmp/out"
	"$FEEDER" "$@" <"$tmp/in" >"$tmp/out" &
	feeder=$!
	pids+=("$feeder")
	exec 3>"$tmp/in" 4<"$tmp/out"
	IFS= read -r -t 10 reply <&4 || reply="(no answer)"
}
feed() { # one command, its answer in $reply
	echo "$*" >&3
	IFS= read -r -t 30 reply <&4 || reply="(no answer to $*)"
}
feed_end() { # close MS: the final stats in $final, "closed rc=.. err=.." in $reply
	echo "close $1" >&3
	IFS= read -r -t 30 final <&4 || final="(no answer)"
	IFS= read -r -t 30 reply <&4 || reply="(no answer)"
	exec 3>&- 4<&-
	wait "$feeder" 2>/dev/null
}
val() { # NAME [TEXT]: the value of NAME=... in TEXT (default $reply)
	local t=" ${2:-$reply}"
	t=${t##* "$1"=}
	echo "${t%% *}"
}
wait_out() { # N TIMEOUT_MS: tick until N lines are delivered
	local n=$1 left=$2
	while :; do
		feed stats
		[ "$(val out)" -ge "$n" ] && return 0
		[ "$left" -le 0 ] && return 1
		feed tick 50
		left=$((left - 50))
	done
}
wait_for_path() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }
# lines of ours only, each whole: prints the bad ones
bad_lines() { grep -avE '^\{"event_type":"test","seq":[0-9]+,"pad":"x*"\}$' "$@"; }
seqs() { grep -haoE '"seq":[0-9]+' "$@" | cut -d: -f2; }

# ---- files: /dev/full, a small file system ----
feed_start /dev/full
feed write 100 50
feed_end 0
if [[ $reply == "closed rc=-1 err=/dev/full: write: No space left on device"* ]] && [ "$(val lost "$final")" = 100 ] &&
	[ "$(val health "$final")" = degraded ]; then
	ok "/dev/full: every line counted lost, the error names the file and ENOSPC"
else
	bad "/dev/full: $final / $reply"
fi

mnt=$tmp/small
mkdir -p "$mnt"
if unshare -m true 2>/dev/null; then
	# a private mount namespace: the 64 KiB tmpfs is seen by this command only and goes with it
	unshare -m sh -c 'mount -t tmpfs -o size=64k cmflow-sinks "$1" && printf "write 2000 100\nclose 0\n" |
		"$2" "$1/eve.json" >"$3/small.out"; cp "$1/eve.json" "$3/small.json"' sh "$mnt" "$FEEDER" "$tmp"
	final=$(sed -n 3p "$tmp/small.out" 2>/dev/null)
	closed=$(sed -n 4p "$tmp/small.out" 2>/dev/null)
	lines=$(wc -l <"$tmp/small.json" 2>/dev/null || echo 0)
	if [[ $closed == *"No space left on device"* ]] && [ "$(val out "$final")" = "$lines" ] &&
		[ $(($(val out "$final") + $(val lost "$final"))) = 2000 ] && [ "$(tail -c1 "$tmp/small.json" | od -An -c | tr -d ' ')" = '\n' ] &&
		[ -z "$(bad_lines "$tmp/small.json")" ] && [ "$lines" -gt 100 ]; then
		ok "full 64 KiB tmpfs: $lines whole lines kept, $(val lost "$final") counted lost, no partial line"
	else
		bad "full tmpfs: $final / $closed / $lines lines"
	fi
else
	echo "skip small file system (no mount namespace here)"
fi

# ---- unix_stream: socat killed and started again ----
command -v socat >/dev/null || { echo "sinks: socat missing"; exit 77; }
sock=$tmp/eve.sock
start_socat_stream() { # OUTFILE
	rm -f "$sock"
	socat -u UNIX-LISTEN:"$sock",unlink-early OPEN:"$1",creat,append &
	socat_pid=$!
	pids+=("$socat_pid")
	wait_for_path "$sock"
}
start_socat_stream "$tmp/stream1.txt"
feed_start "unix_stream:$sock" --retry-ms 100
feed write 5000 200
wait_out 5000 5000 || bad "unix_stream: the first 5000 lines were not read: $reply"
feed write 3000 200          # some of these are in the socket, unread, when the reader dies
kill "$socat_pid"
wait "$socat_pid" 2>/dev/null
feed write 3000 200          # the reader is away: queued
feed stats
away=$reply
start_socat_stream "$tmp/stream2.txt"
wait_out 11000 10000 || bad "unix_stream: lines did not flow again: $reply"
feed_end 2000
missing=$(comm -23 <(seq 11000 | sort) <(seqs "$tmp/stream1.txt" "$tmp/stream2.txt" | sort -u) | sort -n)
nmissing=$(echo -n "$missing" | grep -c .)
dups=$(($(seqs "$tmp/stream1.txt" "$tmp/stream2.txt" | wc -l) - 11000 + nmissing))
# socat reads 8 KiB at a time and writes it out: killed in between, it loses what it had read, which no sender can
# see. Such lines are the ones right after the last line in its output, at most 8 KiB of them; any other missing
# line is the sink's fault. The killed reader's output may end inside a line; the new one starts on a boundary.
reader_lost=ok
if [ "$nmissing" -gt 0 ]; then
	first=$(echo "$missing" | head -1) last=$(echo "$missing" | tail -1)
	[ $((last - first + 1)) = "$nmissing" ] && [ "$nmissing" -le $((8192 / 230 + 1)) ] &&
		[ "$(seqs "$tmp/stream1.txt" | tail -1)" = $((first - 1)) ] || reader_lost=bad
fi
if [ "$reader_lost" = ok ] && [ "$(val lost "$final")" = 0 ] && [ "$(val out "$final")" = 11000 ] &&
	[ "$(val connected "$away")" = 0 ] && [ "$(val connects "$final")" = 2 ] &&
	[ -z "$(bad_lines "$tmp/stream2.txt")" ] && [ "$(bad_lines "$tmp/stream1.txt" | wc -l)" -le 1 ] &&
	[ "$dups" -le "$(val resent "$final")" ] && [[ $reply == "closed rc=0"* ]]; then
	ok "unix_stream: reader killed and restarted: $((11000 - nmissing))/11000 lines arrived ($nmissing read by socat, lost in its buffer), 0 lost, $dups sent twice (resent $(val resent "$final"))"
else
	bad "unix_stream: missing $nmissing ($reader_lost) dups $dups / away: $away / final: $final / $reply"
fi

# ---- unix_dgram: socat killed and started again; then a small queue overflows by an exact count ----
start_socat_dgram() { # OUTFILE
	rm -f "$sock"
	socat -u UNIX-RECV:"$sock",unlink-early OPEN:"$1",creat,append &
	socat_pid=$!
	pids+=("$socat_pid")
	wait_for_path "$sock"
}
start_socat_dgram "$tmp/dgram1.txt"
feed_start "unix_dgram:$sock" --retry-ms 100 --queue-lines 2000
feed write 1000 100
# a datagram counts as read once the kernel says so and a later one proves the reader alive (a dead reader's
# unread datagrams vanish the same way), or at a drain: an idle sink keeps its last few as queued
feed drain 5000
[ "$reply" = "ok left=0" ] || bad "unix_dgram: the first 1000 lines were not read: $reply"
kill "$socat_pid"
wait "$socat_pid" 2>/dev/null
feed write 1500 100          # away: 1500 queued (the queue holds 2000)
feed write 1000 100          # 500 fit, 500 counted lost
dropped=$(val dropped)
start_socat_dgram "$tmp/dgram2.txt"
feed tick 300
feed drain 10000
[ "$reply" = "ok left=0" ] || bad "unix_dgram: lines did not flow again: $reply"
feed_end 2000
got=$(seqs "$tmp/dgram1.txt" "$tmp/dgram2.txt" | sort -un | wc -l)
if [ "$dropped" = 500 ] && [ "$(val lost "$final")" = 500 ] && [ "$(val out "$final")" = 3000 ] && [ "$got" = 3000 ] &&
	[ "$(seqs "$tmp/dgram1.txt" "$tmp/dgram2.txt" | sort -un | tail -1)" = 3000 ] &&
	[ -z "$(bad_lines "$tmp/dgram1.txt" "$tmp/dgram2.txt")" ] && [[ $reply == "closed rc=-1"*"queue full"* ]]; then
	ok "unix_dgram: reader killed and restarted: 3000 arrived, exactly the 500 past the 2000-line queue lost and said"
else
	bad "unix_dgram: got $got dropped $dropped / $final / $reply"
fi

# ---- Redis: a real server on a free loopback port, restarted in the middle ----
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "sinks: redis missing"; exit 77; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_redis() {
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning \
		--dir "$tmp" >>"$tmp/redis.log" 2>&1 &
	redis_pid=$!
	pids+=("$redis_pid")
	for _ in $(seq 100); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done
	return 1
}
stop_redis() { redis-cli -p "$port" shutdown nosave >/dev/null 2>&1; wait "$redis_pid" 2>/dev/null; }
rcli() { redis-cli -p "$port" "$@"; }
key=cmflow-eve
start_redis || { bad "redis-server did not start"; exit 1; }
feed_start "redis://127.0.0.1:$port/$key?mode=rpush" --retry-ms 100
feed write 3000 200
wait_out 3000 5000 || bad "redis: the first 3000 lines were not acknowledged: $reply"
rcli lrange "$key" 0 -1 >"$tmp/redis1.txt"
stop_redis                   # the list goes with it (no persistence): what it held is in redis1.txt
feed write 2000 200          # the server is away: queued (or sent into the dying connection: sent again)
feed stats
away=$reply
start_redis || bad "redis-server did not start again"
wait_out 5000 10000 || bad "redis: lines did not flow again: $reply"
# the server drops our connection while 20000 lines stream in: what it had not acknowledged is sent again
(sleep 0.05; rcli client kill type normal >/dev/null) &
feed write 20000 200
wait "$!"
wait_out 25000 10000 || bad "redis: the last 20000 lines: $reply"
rcli lrange "$key" 0 -1 >"$tmp/redis2.txt"
feed_end 1000
missing=$(comm -23 <(seq 25000 | sort) <(seqs "$tmp/redis1.txt" "$tmp/redis2.txt" | sort -u) | wc -l)
dups=$(($(seqs "$tmp/redis1.txt" "$tmp/redis2.txt" | wc -l) - 25000 + missing))
if [ "$missing" = 0 ] && [ "$(val lost "$final")" = 0 ] && [ "$(val out "$final")" = 25000 ] &&
	[ "$(val connects "$final")" = 3 ] && [ "$(val resent "$final")" -gt 0 ] && [ "$dups" -le "$(val resent "$final")" ] &&
	[ "$(val connected "$away")" = 0 ] && [ "$(wc -l <"$tmp/redis1.txt")" = 3000 ] &&
	[ "$(seqs "$tmp/redis2.txt" | sort -un | head -1)" = 3001 ] && [ -z "$(bad_lines "$tmp/redis1.txt" "$tmp/redis2.txt")" ] &&
	[[ $reply == "closed rc=0"* ]]; then
	ok "redis rpush: server restarted, connection killed mid-stream: 25000/25000 lines in the lists, 0 lost, $dups twice (resent $(val resent "$final"))"
else
	bad "redis rpush: missing $missing / away: $away / final: $final / $reply"
fi

# a small queue while the server is away: exactly the excess is lost; the server's refusal is counted and said
rcli del "$key" >/dev/null
feed_start "redis://127.0.0.1:$port/$key" --retry-ms 100 --queue-lines 500
feed write 10 0
wait_out 10 5000 || bad "redis lpush: first lines: $reply"
stop_redis
feed write 800 100
dropped=$(val dropped)
start_redis || bad "redis-server did not start again"
wait_out 510 10000 || bad "redis lpush: lines did not flow again: $reply"
n_after=$(rcli llen "$key")
first=$(rcli lindex "$key" -1 | seqs)
rcli set "$key" not-a-list >/dev/null
feed write 3 0
feed drain 2000
feed error
refused=$reply
feed_end 500
if [ "$dropped" = 300 ] && [ "$n_after" = 500 ] && [ "$first" = 11 ] && [ "$(val lost "$final")" = 303 ] &&
	[[ $refused == *"the server refused a line: WRONGTYPE"* ]] && [[ $reply == "closed rc=-1"* ]]; then
	ok "redis lpush: 300 past a 500-line queue lost, 500 delivered in order after the restart, WRONGTYPE counted"
else
	bad "redis lpush: dropped $dropped, $n_after in the list, oldest $first / $refused / $final / $reply"
fi

# publish: a subscriber (redis-cli) receives the lines on the channel
rcli del "$key" >/dev/null
redis-cli -p "$port" subscribe "$key" >"$tmp/sub.txt" 2>&1 &
sub_pid=$!
pids+=("$sub_pid")
for _ in $(seq 100); do [ "$(rcli pubsub numsub "$key" | tail -1)" = 1 ] && break; sleep 0.05; done
feed_start "redis://127.0.0.1:$port/$key?mode=publish"
feed write 200 10
wait_out 200 5000
feed_end 1000
sleep 0.2
kill "$sub_pid" 2>/dev/null
if [ "$(seqs "$tmp/sub.txt" | sort -un | wc -l)" = 200 ] && [ "$(val out "$final")" = 200 ] && [[ $reply == "closed rc=0"* ]]; then
	ok "redis publish: 200 lines reached a subscriber"
else
	bad "redis publish: $(seqs "$tmp/sub.txt" | wc -l) received / $final / $reply"
fi
stop_redis

# ---- several threads into one socket: whole lines ----
start_socat_stream "$tmp/threads.txt"
feed_start "unix_stream:$sock"
feed threads 4 5000 150
wait_out 20000 10000 || bad "threads: $reply"
feed_end 1000
wait "$socat_pid" 2>/dev/null
if [ "$(seqs "$tmp/threads.txt" | sort -un | wc -l)" = 20000 ] && [ -z "$(bad_lines "$tmp/threads.txt")" ] &&
	[ "$(wc -l <"$tmp/threads.txt")" = 20000 ]; then
	ok "unix_stream: 4 threads, 20000 whole lines"
else
	bad "threads: $(wc -l <"$tmp/threads.txt") lines / $final"
fi

[ "$fails" = 0 ]

#!/bin/bash
# ecosystem.sh: cmflow's EVE as the Suricata/Zeek ecosystem reads it. Suricata's field places (http, tls,
# app_proto "failed", pcap_cnt, host alerts with src_ip), the published schema and its field reference in step
# with their sources, the man page naming every option, and EVE through cmflow itself into a real redis-server
# and a real Unix socket reader (socat), each restarted in the middle of the run: nothing lost, nothing torn.
set -u
. "$(dirname "$0")/lib.sh"
py=$SRCDIR/tests/e2e/ecosystem.py

# ---- field places ----
"$CMFLOW" -q -r "$demo" "${sig[@]}" -c "$site" --eve "$tmp/demo.json"
msg=$(python3 "$py" places "$tmp/demo.json" 2>&1) && ok "Suricata's places: $msg" || bad "field places: $msg"
"$CMFLOW" -q -r "$demo" "${sig[@]}" -c "$SRCDIR/tests/e2e/expected/drift.conf" --eve "$tmp/drift.json"
msg=$(python3 "$py" host-alerts "$tmp/drift.json" 2>&1) && ok "host alerts: $msg" || bad "host alerts: $msg"
python3 "$SRCDIR/tests/e2e/eve_schema.py" "$tmp/demo.json" "$tmp/drift.json" >"$tmp/schema.out" &&
	ok "the demo's events validate against cmflow's schema and Suricata's" || bad "schema: $(head -3 "$tmp/schema.out")"

# ---- the schema, its field reference, the man page ----
python3 "$SRCDIR/scripts/make-eve-schema.py" --check >"$tmp/gen.out" &&
	ok "schema/cmflow-eve.schema.json and man/cmflow-eve.5 are what their sources give" || bad "$(cat "$tmp/gen.out")"
"$CMFLOW" --help >"$tmp/help"
missing=""
for opt in $(grep -oE -- '--[a-z][a-z-]+' "$tmp/help" | sort -u); do
	grep -qF -- "$(echo "$opt" | sed 's/-/\\-/g')" "$SRCDIR/man/cmflow.1" || missing="$missing $opt"
done
[ -z "$missing" ] && ok "the man page names every option of --help" || bad "cmflow.1 lacks:$missing"
for section in "EXIT STATUS" "FILES" "EXAMPLES" "EVE FIELDS"; do
	grep -q "^\.SH $section" "$SRCDIR/man/cmflow.1" && ok "cmflow.1 has $section" || bad "cmflow.1 has no $section"
done

# ---- EVE through cmflow into Redis and a Unix socket, restarted in the middle ----
# the demo eight times, each copy two minutes after the one before, so that flows end (by timeout, packet time)
# all along the run; it comes slowly through a FIFO (tests/e2e/trust.py slow-write: about three seconds), so that
# the peer goes away and comes back while cmflow writes; the reference is the same run into a file
copies=()
for k in 0 1 2 3 4 5 6 7; do
	editcap -t $((k * 120)) "$demo" "$tmp/copy$k.pcap" && copies+=("$tmp/copy$k.pcap")
done
mergecap -F pcap -w "$tmp/long.pcap" "${copies[@]}"
"$CMFLOW" -q -r "$tmp/long.pcap" "${sig[@]}" -c "$site" --eve "$tmp/ref.json"
want=$(wc -l <"$tmp/ref.json")
# standard input in one pass (no spool: libpcap reads record by record, where a file is read in large blocks)
slow() { mkfifo "$tmp/$1" && { python3 "$SRCDIR/tests/e2e/trust.py" slow-write "$tmp/long.pcap" "$tmp/$1" >/dev/null 2>&1 & }; }
cmflow_slow() { # FIFO SPEC ERR: cmflow reading the FIFO as standard input, EVE to SPEC
	"$CMFLOW" -q -r - --spool-max 0 "${sig[@]}" -c "$site" --eve "$2" <"$tmp/$1" 2>"$3"
}
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	redis() { redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		--logfile "$tmp/redis.log" >/dev/null 2>&1 & echo $!; }
	rpid=$(redis)
	for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
	slow fifo1
	cmflow_slow fifo1 "redis://127.0.0.1:$port/cmflow" "$tmp/r.err" &
	cm=$!
	sleep 1.5
	# what the first server took goes with it when it stops (it saves nothing): hold its writers, read it, stop it;
	# lines in flight then were not acknowledged, and go again to the next server
	redis-cli -p "$port" client pause 10000 write >/dev/null 2>&1
	redis-cli -p "$port" lrange cmflow 0 -1 >"$tmp/redis1.json"
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
	wait "$rpid" 2>/dev/null
	sleep 0.5
	rpid=$(redis)
	for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
	wait "$cm"
	rc=$?
	redis-cli -p "$port" lrange cmflow 0 -1 >"$tmp/redis2.json"
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
	wait "$rpid" 2>/dev/null
	first=$(grep -c . "$tmp/redis1.json")
	msg=$(python3 "$py" delivered "$tmp/ref.json" "$tmp/redis1.json" "$tmp/redis2.json" 2>&1)
	delivered=$?
	[ $rc -eq 0 ] && [ $delivered -eq 0 ] && [ "$first" -gt 0 ] && [ "$first" -lt "$want" ] &&
		ok "Redis restarted in the middle ($first events before, the rest after): every event arrived ($msg; exit 0)" ||
		bad "Redis: exit $rc, $first events before the restart: $msg $(head -c 300 "$tmp/r.err")"
else
	echo "skip Redis (redis-server missing)"
fi
if command -v socat >/dev/null; then
	sock=$tmp/eve.sock
	reader() { socat -u UNIX-LISTEN:"$sock",unlink-early OPEN:"$tmp/sock.json",creat,append >/dev/null 2>&1 & echo $!; }
	spid=$(reader)
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	slow fifo2
	cmflow_slow fifo2 "unix_stream:$sock" "$tmp/s.err" &
	cm=$!
	sleep 1.5
	before=$(grep -c . "$tmp/sock.json" 2>/dev/null)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	rm -f "$sock"
	sleep 0.5
	spid=$(reader)
	wait "$cm"
	rc=$?
	sleep 0.5
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	# what socat had read but not yet written when it was killed no sender can know of: at most its 8 KiB buffer
	msg=$(python3 "$py" delivered "$tmp/ref.json" "$tmp/sock.json" --tolerate 16 2>&1)
	delivered=$?
	[ $rc -eq 0 ] && [ $delivered -eq 0 ] && [ "${before:-0}" -gt 0 ] &&
		ok "a Unix socket reader restarted in the middle ($before events before): events whole and delivered ($msg)" ||
		bad "unix_stream: exit $rc, ${before:-0} before the restart: $msg $(head -c 300 "$tmp/s.err")"
else
	echo "skip the Unix socket reader (socat missing)"
fi
finish

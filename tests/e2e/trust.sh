#!/bin/bash
# trust.sh: nothing lost, nothing wrongly said. Every way in which cmflow could lose output or report less than it
# saw while looking successful: outputs that cannot be written, inputs that are not what they claim, bad usage,
# standard input, signals in the middle of a run, strangers that behave like clients, connections seen from
# their middle. Each case is one that once exited 0 or said something false.
set -u
. "$(dirname "$0")/lib.sh"
py=$SRCDIR/tests/e2e/trust.py

# ---- outputs that cannot be written ----
expect "--eve /dev/full: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" --eve /dev/full
err_has "--eve /dev/full: the file and the reason" "/dev/full: write: No space left on device"
expect "--evidence /dev/full: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" -c "$site" --evidence /dev/full
err_has "--evidence /dev/full: says so" "/dev/full"
expect "--report /dev/full: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" --report /dev/full
expect "summary to /dev/full: exit 2" 2 sh -c "'$CMFLOW' -r '$demo' ${sig[*]} >/dev/full"
err_has "summary to /dev/full: says so" "summary could not be written"
if mkdir -p "$tmp/small" && mount -t tmpfs -o size=16k tmpfs "$tmp/small" 2>/dev/null; then
	# a small file system fills in the middle of the run: the EVE file ends with a whole line, and exit 2
	expect "a full file system: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" -c "$site" --eve "$tmp/small/eve.json"
	err_has "a full file system: the lines lost, counted" "lost"
	python3 "$py" whole-lines "$tmp/small/eve.json" && ok "a full file system: no partial line in the EVE file" ||
		bad "a full file system: a partial EVE line"
	umount "$tmp/small"
else
	echo "skip a small full file system (mount -t tmpfs needs root)"
fi
# outputs that cannot be written are found before the first packet is read
mkdir -p "$tmp/ro"
expect "--report in a missing directory: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" --eve "$tmp/early.json" \
	--report "$tmp/nodir/r.html"
err_has "--report in a missing directory: names the option and the file" "--report: $tmp/nodir/r.html"
[ ! -s "$tmp/early.json" ] && ok "--report unwritable: found before any packet was read (no EVE line)" ||
	bad "--report unwritable: found only after the analysis ($(wc -l <"$tmp/early.json") EVE lines)"
expect "--infer-site a directory: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" --infer-site "$tmp/ro"
err_has "--infer-site a directory: says so" "is a directory"
[ -z "$(ls "$tmp/ro")" ] && ok "no temporary file left behind" || bad "left behind: $(ls "$tmp/ro")"
expect "--eve a directory: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" --eve "$tmp/ro"

# ---- inputs that are not what they claim ----
"$CMFLOW" -q -r "$demo" "${sig[@]}" -c "$site" --eve "$tmp/demo.json"
expect "--from-eve of a pcap: exit 2" 2 "$CMFLOW" --report "$tmp/r.html" --from-eve "$demo"
err_has "--from-eve of a pcap: names the file" "$demo"
printf 'hello\nworld\n' >"$tmp/text"
expect "--from-eve of a text file: exit 2" 2 "$CMFLOW" --report "$tmp/r.html" --from-eve "$tmp/text"
err_has "--from-eve of a text file: no EVE line" "no EVE line"
echo '[1,2,3]' >"$tmp/array.json"
expect "--from-eve of a JSON array: exit 2" 2 "$CMFLOW" --report "$tmp/r.html" --from-eve "$tmp/array.json"
[ ! -e "$tmp/r.html" ] && ok "no report from inputs that are not EVE" || bad "a report from inputs that are not EVE"
# a line cut at the end of a good file (a crash, a full disk) is said and left out; garbage in the middle is not
{ cat "$tmp/demo.json"; head -c 50 "$tmp/demo.json"; } >"$tmp/cut.json"
expect "--from-eve with the last line cut: exit 0" 0 "$CMFLOW" --report "$tmp/r.html" --from-eve "$tmp/cut.json"
err_has "--from-eve with the last line cut: said, with its line number" "(the first: line $(($(wc -l <"$tmp/demo.json") + 1)))"
{ head -5 "$tmp/demo.json"; seq 1 20; tail -n +6 "$tmp/demo.json"; } >"$tmp/mixed.json"
expect "--from-eve with many lines that are not EVE: exit 2" 2 "$CMFLOW" --report "$tmp/r.html" --from-eve "$tmp/mixed.json"
err_has "... says which line first" "the first: line 6"
# a link type cmflow does not decode
python3 "$py" linktype 4242 "$demo" "$tmp/lt.pcap"
expect "link type 4242: exit 2" 2 "$CMFLOW" -r "$tmp/lt.pcap" "${sig[@]}"
err_has "link type 4242: names the number and the file" "$tmp/lt.pcap: link type 4242"
out_lacks "link type 4242: no summary" "findings: none"
# directories where files are expected
expect "-c a directory: exit 2" 2 "$CMFLOW" -q -r "$demo" "${sig[@]}" -c /tmp
err_has "-c a directory: says so" "/tmp: is a directory"
expect "--check-config a directory: exit 2" 2 "$CMFLOW" --check-config /tmp "${sig[@]}"
expect "-S a directory without signatures: exit 2" 2 "$CMFLOW" -q -r "$demo" -S "$tmp/ro"
expect "-r a directory: exit 2" 2 "$CMFLOW" -r /tmp "${sig[@]}"
err_has "-r a directory: says so" "/tmp: is a directory"
# inputs that cannot be read: no summary, no stats stamped from the epoch
expect "a nonexistent input: exit 2" 2 "$CMFLOW" -r "$tmp/nothing.pcap" "${sig[@]}" --eve "$tmp/none.json"
out_lacks "a nonexistent input: no summary" "findings: none"
python3 "$py" no-epoch "$tmp/none.json" && ok "a nonexistent input: no event stamped 1970" || bad "an event stamped 1970"
expect "a text file as input: exit 2" 2 "$CMFLOW" -r "$tmp/text" "${sig[@]}"
out_lacks "a text file as input: no summary" "findings: none"
expect "-i nosuchif: exit 2" 2 "$CMFLOW" -i nosuchif0 "${sig[@]}"
out_lacks "-i nosuchif: no summary" "findings: none"
python3 "$py" no-epoch "$tmp/demo.json" && ok "drift alerts are stamped with packet time" || bad "drift alerts stamped 1970"

# ---- bad usage: missing option values ----
expect "-r without a value: exit 2" 2 "$CMFLOW" -r
err_has "-r without a value: said so" "option --read needs a value"
expect "--eve last without a value: exit 2" 2 "$CMFLOW" -r "$demo" --eve
err_has "--eve without a value: said so" "option --eve needs a value"
expect "an unknown option: exit 2" 2 "$CMFLOW" --no-such-option
err_has "an unknown option: named" "unknown option ('--no-such-option')"
expect "-V names nDPI and libpcap" 0 "$CMFLOW" -V
out_has "-V: nDPI" "nDPI 4."
out_has "-V: libpcap" "libpcap version"

# ---- standard input as good as a file ----
"$CMFLOW" -r "$demo" "${sig[@]}" --eve "$tmp/file.json" >"$tmp/file.txt"
"$CMFLOW" -r - "${sig[@]}" --eve "$tmp/stdin.json" <"$demo" >"$tmp/stdin.txt"
python3 "$py" same-flows "$tmp/file.json" "$tmp/stdin.json" &&
	ok "stdin gives the same flows, labels and verdicts as the file (two passes: roles inferred first)" ||
	bad "stdin differs from the file"
# (flow ids differ from run to run: the summary's evidence names them)
nofid() { grep -v '^  stdin\|^  /' "$1" | sed -E 's/[0-9]{9,}/ID/g'; }
diff <(nofid "$tmp/file.txt") <(nofid "$tmp/stdin.txt") >"$tmp/sd" && ok "stdin: the same summary" ||
	bad "stdin: another summary: $(head -5 "$tmp/sd")"
expect "stdin with --evidence works" 0 sh -c "'$CMFLOW' -q -r - ${sig[*]} -c '$site' --evidence '$tmp/ev.pcap' <'$demo'"
[ "$(capinfos -c -M "$tmp/ev.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')" -gt 0 ] &&
	ok "stdin: the evidence pcap has packets" || bad "stdin: no evidence packets"
multi=$PCAPS/public/pcapplusplus__ldap.pcapng # interfaces of two link types: libpcap 1.10 refuses it
# with -c: one pass over files too, so that the streamed run (one pass) is comparable
"$CMFLOW" -q -r "$multi" "${sig[@]}" -c "$site" --eve "$tmp/mf.json"
expect "a multi-interface pcapng on stdin: exit 0" 0 sh -c "'$CMFLOW' -q -r - ${sig[*]} -c '$site' --eve '$tmp/ms.json' <'$multi'"
python3 "$py" same-flows "$tmp/mf.json" "$tmp/ms.json" && ok "a multi-interface pcapng on stdin: the file's flows" ||
	bad "a multi-interface pcapng on stdin differs"
expect "a multi-interface pcapng streamed (no spool)" 0 sh -c "cat '$multi' | '$CMFLOW' -q -r - --spool-max 0 ${sig[*]} -c '$site' --eve '$tmp/mn.json'"
python3 "$py" same-flows "$tmp/mf.json" "$tmp/mn.json" && ok "... streamed in one pass: the file's flows" ||
	bad "streamed pcapng differs"
expect "stdin past the spool: one pass, said once" 0 sh -c "cat '$demo' | '$CMFLOW' -q -r - --spool-max 0 ${sig[*]} -c '$site'"
err_has "stdin past the spool: the message" "larger than the spool"
expect "stdin past the spool with --evidence: exit 2 before reading" 2 sh -c \
	"cat '$demo' | '$CMFLOW' -q -r - --spool-max 0 ${sig[*]} --evidence '$tmp/x.pcap'"

# ---- signals in the middle of a run (under ASan in the sanitizer build) ----
# a slow writer into a FIFO: SIGHUP (reopen and reload) and SIGUSR1 (stats) arrive while the capture is read
mkfifo "$tmp/fifo"
python3 "$py" slow-write "$demo" "$tmp/fifo" &
writer=$!
"$CMFLOW" -r "$tmp/fifo" "${sig[@]}" -c "$site" --eve "$tmp/sig.json" >"$tmp/sig.txt" 2>"$tmp/sig.err" &
pid=$!
sleep 1
kill -HUP $pid 2>/dev/null
sleep 0.3
kill -USR1 $pid 2>/dev/null
sleep 0.3
kill -HUP $pid 2>/dev/null
wait $writer
wait $pid
rc=$?
[ $rc -eq 0 ] && ok "SIGHUP and SIGUSR1 in the middle of an offline run: exit 0" ||
	bad "signals in an offline run: exit $rc: $(head -c 400 "$tmp/sig.err")"
"$CMFLOW" -r "$demo" "${sig[@]}" -c "$site" --eve "$tmp/nosig.json" >"$tmp/nosig.txt"
python3 "$py" same-flows "$tmp/nosig.json" "$tmp/sig.json" && ok "... the same flows and verdicts as without signals" ||
	bad "signals changed the flows"
grep -q 'findings' "$tmp/sig.txt" && ok "... and the summary after the reload" || bad "no summary after the reload"
[ "$(python3 "$py" count stats "$tmp/sig.json")" -ge 2 ] && ok "SIGUSR1: a stats event written at once" ||
	bad "SIGUSR1: no stats event"
# SIGUSR1 while reading a pipe (standard input, one pass): no "Interrupted system call"
python3 "$py" slow-write "$demo" /dev/stdout | "$CMFLOW" -q -r - --spool-max 0 "${sig[@]}" --eve "$tmp/pipe.json" 2>"$tmp/pipe.err" &
sleep 1
pkill -USR1 -f -- "--eve $tmp/pipe.json" 2>/dev/null
wait $!
rc=$?
[ $rc -eq 0 ] && ! grep -q 'Interrupted' "$tmp/pipe.err" && ok "SIGUSR1 while reading a pipe: the run goes on" ||
	bad "SIGUSR1 on a pipe: exit $rc: $(cat "$tmp/pipe.err")"

# ---- inferred roles label, they never vouch ----
# the example site without the host line of client 10.2.0.22: it behaves like a client (SMS CCM 5.0 to the
# management point), and must stay an unknown host
grep -v '^host 10.2.0.0/16' "$site" >"$tmp/nopush.conf"
echo "host 10.2.0.21 site=ABC roles=client" >>"$tmp/nopush.conf"
"$CMFLOW" -q -r "$demo" "${sig[@]}" -c "$tmp/nopush.conf" --eve "$tmp/stranger.json"
python3 "$py" stranger "$tmp/stranger.json" 10.2.0.22 && ok "a stranger that behaves like a client: labelled, not vouched for (unknown-host)" ||
	bad "a stranger was vouched for by inference"

# ---- connections seen from their middle ----
python3 "$py" cut-handshakes "$demo" "$tmp/mid.pcap"
"$CMFLOW" -q -r "$tmp/mid.pcap" "${sig[@]}" -c "$site" --eve "$tmp/mid.json"
python3 "$py" midstream "$tmp/demo.json" "$tmp/mid.json" && ok "midstream: every TCP connection keeps its initiator and role pair" ||
	bad "midstream: role pairs reversed"

finish

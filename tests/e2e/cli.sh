#!/bin/bash
# The command line contract (DESIGN.md): options, exit codes, messages, several files as one stream, stdin,
# BPF filters, EVE lines that a real JSON parser reads, and a damaged capture that still writes what came before.
set -u
: "${CMFLOW:?}" "${PCAPS:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
# expect NAME WANT_RC CMD...: runs CMD, checks its exit code; stderr kept in $tmp/err, stdout in $tmp/out
expect() {
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else bad "$name (exit $rc, wanted $want: $(head -c 200 "$tmp/err"))"; fi
}
err_has() { if grep -qF -- "$2" "$tmp/err"; then ok "$1"; else bad "$1 (stderr lacks '$2': $(head -c 200 "$tmp/err"))"; fi; }
out_has() { if grep -qF -- "$2" "$tmp/out"; then ok "$1"; else bad "$1 (stdout lacks '$2')"; fi; }
# all lines of an EVE file parse as JSON objects; prints the number of flow events
eve_flows() {
	python3 -c '
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1]), 1):
    ev = json.loads(line)
    assert isinstance(ev, dict), "line %d" % i
    n += ev.get("event_type") == "flow"
print(n)' "$1"
}
pkts_of() { # sum of packets over flow events
	python3 -c '
import json, sys
print(sum(e["flow"]["pkts_toserver"] + e["flow"]["pkts_toclient"] for e in map(json.loads, open(sys.argv[1]))
          if e.get("event_type") == "flow"))' "$1"
}

http=$PCAPS/public/zeek__methods.pcap
tls=$PCAPS/public/ndpi__443-curl.pcap

expect "no input is a usage error" 2 "$CMFLOW"
err_has "usage error says what is missing" "nothing to read"
expect "unknown option" 2 "$CMFLOW" --bogus -r "$http"
err_has "unknown option is named" "--bogus"
expect "missing file" 2 "$CMFLOW" -q -r "$tmp/none.pcap"
err_has "missing file is named" "$tmp/none.pcap"
expect "not a capture" 2 "$CMFLOW" -q -r "$SRCDIR/README.md"
err_has "bad capture is named" "README.md"
expect "-r and -i together" 2 "$CMFLOW" -r "$http" -i lo
expect "a repeated single option" 2 "$CMFLOW" -r "$http" --eve "$tmp/a" --eve "$tmp/b"
expect "bad BPF filter" 2 "$CMFLOW" -q -r "$http" "tcp port notaport"
err_has "bad filter is reported" "filter"
expect "--version" 0 "$CMFLOW" -V
out_has "version printed" "cmflow"
expect "--help" 0 "$CMFLOW" --help
out_has "help names --eve" "--eve"

expect "summary on stdout" 0 "$CMFLOW" -r "$tls"
out_has "summary counts packets" "109"
out_has "summary names TLS" "TLS"
expect "-q keeps stdout empty" 0 "$CMFLOW" -q -r "$tls"
[ -s "$tmp/out" ] && bad "-q output not empty" || ok "-q output empty"

expect "EVE to a file" 0 "$CMFLOW" -q -r "$http" --eve "$tmp/http.json"
n=$(eve_flows "$tmp/http.json") && [ "$n" -gt 10 ] && ok "EVE parses ($n flows)" || bad "EVE parses"
tail -n1 "$tmp/http.json" | grep -q '"event_type":"stats"' && ok "stats event last" || bad "stats event last"
all=$(pkts_of "$tmp/http.json")

mixed=$PCAPS/public/ndpi__kerberos.pcap  # Kerberos, LDAP and SMB
expect "BPF as trailing words" 0 "$CMFLOW" -q -r "$mixed" --eve "$tmp/f1.json" tcp port 88
expect "BPF with -f" 0 "$CMFLOW" -q -r "$mixed" --eve "$tmp/f2.json" -f 'tcp port 88'
p1=$(pkts_of "$tmp/f1.json") p2=$(pkts_of "$tmp/f2.json")
want=$(tshark -n -r "$mixed" -Y 'tcp.port == 88' 2>/dev/null | wc -l)
total=$(tshark -n -r "$mixed" 2>/dev/null | wc -l)
[ "$p1" = "$want" ] && [ "$p2" = "$want" ] && [ "$want" -lt "$total" ] && ok "filter keeps tcp port 88 ($p1 of $total packets)" ||
	bad "filter: $p1 / $p2 packets, tshark $want"

expect "stdin" 0 "$CMFLOW" -q -r - --eve "$tmp/stdin.json" <"$http"
[ "$(pkts_of "$tmp/stdin.json")" = "$all" ] && ok "stdin reads the same packets" || bad "stdin packets"

# a capture split in two files (as a rotated span-port capture) is one analysis: flows cross the boundary
editcap -c 300 "$http" "$tmp/part.pcap" >/dev/null 2>&1
parts=("$tmp"/part_*.pcap)
if [ "${#parts[@]}" -ge 2 ]; then
	args=()
	for p in "${parts[@]}"; do args+=(-r "$p"); done
	expect "several files in order" 0 "$CMFLOW" -q "${args[@]}" --eve "$tmp/parts.json"
	[ "$(pkts_of "$tmp/parts.json")" = "$all" ] && [ "$(eve_flows "$tmp/parts.json")" = "$(eve_flows "$tmp/http.json")" ] &&
		ok "split files give the same flows" || bad "split files differ from the whole"
else
	bad "editcap could not split the capture"
fi

# a capture cut in the middle of a record: exit 2, file and packet named, earlier flows still written
size=$(stat -c %s "$http")
head -c $((size / 2)) "$http" >"$tmp/cut.pcap"
good=$(tshark -r "$tmp/cut.pcap" 2>/dev/null | wc -l)
expect "truncated capture" 2 "$CMFLOW" -q -r "$tmp/cut.pcap" --eve "$tmp/cut.json"
err_has "truncated capture names the file" "cut.pcap"
err_has "truncated capture names the packet" "packet $((good + 1))"
[ "$(pkts_of "$tmp/cut.json")" = "$good" ] && ok "the $good packets before the damage are classified" ||
	bad "packets before the damage: $(pkts_of "$tmp/cut.json"), want $good"

echo "cli: $fails failed"
[ "$fails" -eq 0 ]

#!/bin/bash
# Live capture in a network namespace: tcpreplay plays captures into one end of a veth pair, cmflow captures on
# the other; then SIGTERM. The flows written must equal those of the offline run over the same files (per
# conversation packet totals), for 1 and 2 workers; stats events carry the kernel's counters; SIGHUP after a
# rotation loses no line; -Z nobody leaves no root privilege behind. Needs root, iproute2 and tcpreplay
# (skipped, exit 77, without them).
set -u
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
[ "$(id -u)" = 0 ] || { echo "live: needs root (network namespaces)"; exit 77; }
command -v tcpreplay >/dev/null || { echo "live: tcpreplay missing"; exit 77; }
ns=cmlive$$ a=cml$$a b=cml$$b
tmp=$(mktemp -d)
cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	ip link del "$a" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || exit 77
ip link add "$a" type veth peer name "$b" && ip link set "$b" netns "$ns" || exit 77
# no IPv6 neighbour discovery or router solicitations of our own on the wire
sysctl -q -w "net.ipv6.conf.$a.disable_ipv6=1"
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
ip link set "$a" mtu 9000 up
ip netns exec "$ns" ip link set "$b" mtu 9000 up
chmod 755 "$tmp"

fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
# Ethernet captures with frames that fit the MTU, several protocols
files=("$PCAPS/public/zeek__methods.pcap" "$PCAPS/public/ndpi__kerberos.pcap" "$PCAPS/cm-wol.pcap"
	"$PCAPS/public/arkime__wireshark-smb-on-windows10.pcap")
args=()
for f in "${files[@]}"; do args+=(-r "$f"); done
"$CMFLOW" -q "${args[@]}" --eve "$tmp/offline.json" || bad "offline reference run"
sent=0
for f in "${files[@]}"; do sent=$((sent + $(tshark -r "$f" 2>/dev/null | wc -l))); done

# start_cmflow EVE ARGS...: cmflow on the namespace's end; waits until it captures
start_cmflow() {
	local eve=$1
	shift
	ip netns exec "$ns" "$CMFLOW" -q -i "$b" --eve "$eve" "$@" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 50); do
		grep -q "packet" "/proc/$pid/net/packet" 2>/dev/null && [ -e "$eve" ] && break
		sleep 0.1
	done
	sleep 0.5
}
stop_cmflow() {
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	return $rc
}
replay() { tcpreplay -q -i "$a" --pps 2000 "$@" >/dev/null 2>&1; }

# one worker, with a rotation half way
start_cmflow "$tmp/live1.json" --stats-interval 1
replay "${files[0]}" "${files[1]}"
sleep 0.5
mv "$tmp/live1.json" "$tmp/live1.json.1"
kill -HUP "$pid"
sleep 0.5
replay "${files[2]}" "${files[3]}"
kill -USR1 "$pid"
sleep 1.2
if stop_cmflow; then ok "SIGTERM ends with exit 0"; else bad "exit status after SIGTERM: $(cat "$tmp/err")"; fi
[ -s "$tmp/live1.json.1" ] && [ -s "$tmp/live1.json" ] && ok "SIGHUP reopened the EVE file" || bad "SIGHUP rotation"
cat "$tmp/live1.json.1" "$tmp/live1.json" >"$tmp/live1-all.json"
if python3 "$SRCDIR/tests/e2e/tuples.py" --eve "$tmp/offline.json" "$tmp/live1-all.json"; then
	ok "1 worker: the same conversations and packets as offline, no line lost in the rotation"
else
	bad "1 worker differs from offline"
fi
python3 - "$tmp/live1-all.json" "$sent" <<'PY' && ok "stats events: kernel counters, periodic and on SIGUSR1" || bad "stats events"
import json, sys
stats = [e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "stats"]
assert len(stats) >= 3, len(stats)
last = stats[-1]["stats"]["capture"]
assert last["kernel_packets"] >= int(sys.argv[2]), (last, sys.argv[2])
assert last["kernel_drops"] == 0, last
PY

# two workers: the kernel spreads flows over both, the flows are the same
start_cmflow "$tmp/live2.json" --workers 2
replay "${files[@]}"
sleep 0.5
stop_cmflow || bad "exit status with 2 workers: $(cat "$tmp/err")"
if python3 "$SRCDIR/tests/e2e/tuples.py" --eve "$tmp/offline.json" "$tmp/live2.json"; then
	ok "2 workers: the same conversations and packets as offline"
else
	bad "2 workers differ from offline"
fi
python3 - "$tmp/live2.json" <<'PY' && ok "2 workers: flow ids unique" || bad "2 workers: duplicate flow ids"
import json, sys
ids = [e["flow_id"] for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "flow"]
assert len(ids) == len(set(ids)) and ids, ids
PY

# -Z nobody: no root left once capturing
start_cmflow "$tmp/live3.json" -Z nobody
uids=$(awk '/^Uid:|^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status" | tr '\n' ' ')
nobody=$(id -u nobody) nogroup=$(id -g nobody)
[ "$uids" = "$nobody $nobody $nobody $nobody $nogroup $nogroup $nogroup $nogroup " ] &&
	ok "-Z nobody: uid and gid are nobody's ($uids)" || bad "-Z nobody: $uids"
grep -q '^CapEff:[[:space:]]*0*$' "/proc/$pid/status" && ok "-Z nobody: no capabilities left" || bad "capabilities left"
replay "${files[0]}"
sleep 0.3
stop_cmflow || bad "exit status with -Z: $(cat "$tmp/err")"
[ "$(grep -c '"event_type":"flow"' "$tmp/live3.json")" -gt 10 ] && ok "-Z nobody: still capturing" || bad "-Z: no flows"

# follow-ups across workers: endpoint mapper answers and the connections to the announced ports, replayed into
# two workers; cmflow.worker tells which worker ended a flow
epm=("$PCAPS/public/suricata-verify__bug-5133__input.pcap" "$PCAPS/public/suricata-verify__smb2-07__20171220_smb_psexec_add_user.pcap"
	"$PCAPS/public/suricata-verify__dcerpc-ctxids__input.pcap")
start_cmflow "$tmp/live4.json" --workers 2
for round in 1 2 3; do replay "${epm[@]}"; done
sleep 0.5
stop_cmflow || bad "exit status, follow-ups with 2 workers"
python3 - "$tmp/live4.json" <<'PY' && ok "2 workers: every follow-up linked to its parent, across workers too" || bad "2 workers: follow-ups"
import json, sys
flows = {e["flow_id"]: e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "flow"}
linked = [e for e in flows.values() if e.get("configmgr", {}).get("parent_flow_id")]
dynamic = [e for e in flows.values() if e.get("dest_port") in (49683, 49163, 49724)]
worker = lambda e: e.get("cmflow", {}).get("worker")
assert all(worker(e) in (0, 1) for e in flows.values()), "cmflow.worker on every flow of a 2-worker run"
cross = sum(1 for e in linked if worker(e) != worker(flows[e["configmgr"]["parent_flow_id"]]))
print(f"   {len(linked)} linked of {len(dynamic)} connections to announced ports, {cross} across workers")
for e in dynamic:
    if e not in linked:
        print("   not linked:", e["flow_id"], e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"], e["flow"])
assert len(dynamic) >= 4 and len(linked) == len(dynamic)
assert all(flows[e["configmgr"]["parent_flow_id"]]["dest_port"] == 135 for e in linked)
PY

# live --evidence and the alert limiter: the demo replayed twice within a minute; the second round's findings
# repeat the first's (same host pairs and services) and are held back; the evidence file has every packet of
# every alerted flow (the demo's flows are short: their first packets are all of them)
start_cmflow "$tmp/live5.json" -c "$SRCDIR/signatures/example-site.conf" --evidence "$tmp/live5.pcap"
replay "$PCAPS/cm-demo.pcap"
sleep 1
replay "$PCAPS/cm-demo.pcap"
sleep 0.5
stop_cmflow || bad "exit status with --evidence live"
python3 - "$tmp/live5.json" "$tmp/live5.pcap" "$SRCDIR/tests/e2e" <<'PY' && ok "live: alerts once a minute per pair and service; the evidence file has exactly the alerted flows' packets" || bad "live evidence or alert limiter"
import collections, json, sys
sys.path.insert(0, sys.argv[3])
import tuples
ev = [json.loads(l) for l in open(sys.argv[1])]
alerts = [e for e in ev if e["event_type"] == "alert" and "flow_id" in e and  # drift alerts name no flow
          "detection" not in e["configmgr"]]
alerted = {e["flow_id"] for e in alerts}
# live, a flow's kept first packets are judged on its own findings: a detection's flows (here the SMB signing
# posture of the demo's DP) are judged at their end, when those packets are gone, and are not in the evidence
flagged = [e for e in ev if e["event_type"] == "flow" and e["configmgr"].get("reasons")]
print(f"   {len(alerts)} alert events for {len(flagged)} flows with findings")
assert len(alerts) == 7, len(alerts)  # offline 8: the second HTTP flow of 10.2.0.22 to the MP repeats the first
assert len(flagged) == 14, len(flagged)
want = collections.Counter()
for e in flagged:
    k = tuples.tuple_key(e["proto"], e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"])
    want[k] += e["flow"]["pkts_toserver"] + e["flow"]["pkts_toclient"]
got = tuples.tshark_tuples(sys.argv[2])
assert got == want, (got, want)
PY

# --syslog: alerts reach the system logger: a listener of our own on /dev/log, in a private mount namespace with
# a fresh /dev, so that the machine's logger (if any) is not touched
if command -v unshare >/dev/null; then
	cat >"$tmp/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(3)
with open(sys.argv[1], "w") as out:
    try:
        while True:
            out.write(s.recv(4096).decode(errors="replace") + "\n")
            out.flush()
    except socket.timeout:
        pass
PY
	unshare -m sh -c "mount --make-rprivate / && mount -t tmpfs tmpfs /dev && touch /dev/null && \
		{ python3 '$tmp/listen.py' '$tmp/syslog.txt' & for i in \$(seq 100); do [ -S /dev/log ] && break; sleep 0.1; done; \
		'$CMFLOW' -q --syslog -r '$PCAPS/cm-demo.pcap' -c '$SRCDIR/signatures/example-site.conf'; wait; }"
	n=$(grep -c 'cmflow\[[0-9]*\]: \[1:90000' "$tmp/syslog.txt" 2>/dev/null)
	grep -q 'unknown-host.*10.7.0.99:51134 -> 10.1.0.20:1433' "$tmp/syslog.txt" && [ "$n" -eq 8 ] &&
		ok "--syslog: the 8 alerts of the demo reach the system logger" || bad "--syslog: ${n:-0} alerts logged"
fi

echo "live: $fails failed"
[ "$fails" -eq 0 ]

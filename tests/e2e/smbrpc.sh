#!/bin/bash
# smbrpc.sh: SMB and DCE/RPC as the engine reports them, and the detections over sequences of flows.
#  1. On every capture of tests/e2e/expected/smb/INDEX, each share connected, file written, pipe opened, context
#     bound (over TCP or a named pipe) and opnum called that tshark decodes (the .facts files of
#     make-smb-expected.sh) is on its flow's EVE event (smbrpc.py facts); every EVE line still validates against
#     Suricata's schema (eve_schema.py).
#  2. Client push (cm-clientpush.pcap, tests/lab/make-clientpush.sh): from the configured site server the
#     informational client-push alert, from another host the unexpected remote-service-not-site-server one, each
#     naming the flows of its steps, whose display filters select exactly those flows' packets; without a site
#     configuration both are remote-service-creation. The public psexec captures (svcctl over TCP after the
#     endpoint mapper, and over a pipe) give it too; captures with only one of the steps give nothing.
set -u
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "tshark is missing"; exit 99; }
py=$SRCDIR/tests/e2e/smbrpc.py
exp=$SRCDIR/tests/e2e/expected/smb
run() { # run NAME CAPTURE [cmflow options]: EVE into $tmp/NAME.json
	local name=$1 cap=$2
	shift 2
	rm -f "$tmp/$name.json"
	"$CMFLOW" -q -r "$cap" "${sig[@]}" --eve "$tmp/$name.json" "$@" 2>"$tmp/err" ||
		bad "$name: cmflow exit $? ($(head -c 200 "$tmp/err"))"
}

# ---- 1. tshark's facts on their flows ----
n=0
while read -r cap; do
	case $cap in '#'* | '') continue ;; esac
	name=$(basename "$cap")
	[ -f "$PCAPS/$cap" ] && [ -f "$exp/$name.facts" ] || { bad "$cap: capture or facts missing"; continue; }
	run "facts-$name" "$PCAPS/$cap"
	if python3 "$py" facts "$PCAPS/$cap" "$tmp/facts-$name.json" "$exp/$name.facts" "$exp/KNOWN-DIFFERENCES" >"$tmp/out"; then
		n=$((n + 1))
	else
		cat "$tmp/out"
		bad "$name: facts not on their flows"
	fi
	tail -n 1 "$tmp/out"
done <"$exp/INDEX"
[ "$n" -ge 50 ] && ok "tshark's SMB and DCE/RPC facts of $n captures on their flows" || bad "only $n captures compared"
python3 "$SRCDIR/tests/e2e/eve_schema.py" "$tmp"/facts-*.json >"$tmp/out" && ok "EVE of those captures validates against Suricata's schema" ||
	{ tail -5 "$tmp/out"; bad "EVE does not validate"; }

# ---- 2. detections ----
push=$PCAPS/cm-clientpush.pcap
run push-site "$push" -c "$site"
python3 "$py" detection "$tmp/push-site.json" client-push 10.1.0.5 10.2.0.22 3 && ok "client push from the site server" ||
	bad "client push from the site server"
python3 "$py" detection "$tmp/push-site.json" remote-service-not-site-server 10.7.0.99 10.2.0.22 3 &&
	ok "the same steps from another host: unexpected" || bad "the same steps from another host"
python3 - "$tmp/push-site.json" <<'PY' && ok "client push is informational, the outsider's unexpected and high" || bad "verdicts of the detections"
import json, sys
d = {e["configmgr"]["detection"]: e for e in map(json.loads, open(sys.argv[1])) if "detection" in e.get("configmgr", {})}
assert set(d) == {"client-push", "remote-service-not-site-server"}, set(d)
assert d["client-push"]["configmgr"]["verdict"] == "informational" and d["client-push"]["alert"]["severity"] == 3
o = d["remote-service-not-site-server"]
assert o["configmgr"]["verdict"] == "unexpected" and o["alert"]["severity"] == 1
assert o["alert"]["metadata"]["mitre_technique_id"] == ["T1021.002", "T1569.002"]
assert any("StartServiceW" in s["what"] for s in o["configmgr"]["steps"]), o["configmgr"]["steps"]
stats = [e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "stats"][-1]
assert stats["cmflow"]["detections"]["alerts"] == 2 and stats["cmflow"]["alerts"]["unexpected"] >= 1
PY
python3 "$py" filters "$tmp/push-site.json" "$push" && ok "each step's display filter selects its flow" ||
	bad "step display filters"
run push-none "$push"
python3 "$py" detection "$tmp/push-none.json" remote-service-creation 10.1.0.5 10.2.0.22 3 &&
	python3 "$py" detection "$tmp/push-none.json" remote-service-creation 10.7.0.99 10.2.0.22 3 &&
	! grep -q '"detection":"client-push"' "$tmp/push-none.json" &&
	ok "without a site configuration: remote service creation from both, client push from neither" ||
	bad "without a site configuration"
# --fail-on unexpected: the outsider's detection fails an audit
expect "--fail-on unexpected: exit 1 on the outsider's push" 1 "$CMFLOW" -q -r "$push" "${sig[@]}" -c "$site" --fail-on unexpected
# the summary and the report list them
"$CMFLOW" -r "$push" "${sig[@]}" -c "$site" --report "$tmp/push.html" >"$tmp/out" 2>"$tmp/err"
out_has "the summary lists the client push" "client-push: client push"
out_has "the summary lists every RPC interface" "SVCCTL"
grep -q "remote-service-not-site-server" "$tmp/push.html" && ok "the report lists the outsider's detection" ||
	bad "the report lacks the detection"
"$CMFLOW" --from-eve "$tmp/push-site.json" "${sig[@]}" --report "$tmp/push-eve.html" --findings-csv "$tmp/eve.csv" >/dev/null 2>&1
grep -q "remote-service-not-site-server" "$tmp/push-eve.html" && ok "the report from EVE lists it too" ||
	bad "the report from EVE lacks the detection"
"$CMFLOW" -q -r "$push" "${sig[@]}" -c "$site" --findings-csv "$tmp/run.csv" 2>/dev/null
grep -q "^client-push," "$tmp/run.csv" && cmp -s "$tmp/run.csv" "$tmp/eve.csv" &&
	ok "the findings CSV of the run and of its EVE file are the same, detections included" ||
	bad "findings CSV: the run's and the EVE file's differ"
# svcctl over TCP after the endpoint mapper, and over a pipe (Windows' own psexec, public captures)
run psexec-tcp "$PCAPS/public/pcap-attack__LM_psexec_smb_dcerpc_epm_svcctl.pcapng"
python3 "$py" detection "$tmp/psexec-tcp.json" remote-service-creation 172.16.66.1 172.16.66.36 2 &&
	grep -q 'StartServiceW over TCP' "$tmp/psexec-tcp.json" && ok "psexec with svcctl over TCP after the endpoint mapper" ||
	bad "psexec over TCP"
# the same capture read with its source as a configured site server: client push, RP1 on the SMB flow and R16 on
# the svcctl connection after the endpoint mapper
run psexec-site "$PCAPS/public/pcap-attack__LM_psexec_smb_dcerpc_epm_svcctl.pcapng" -c "$SRCDIR/tests/e2e/expected/psexec-site.conf"
python3 - "$tmp/psexec-site.json" <<'PY' && ok "Windows' PsExec from a configured site server: client push on RP1 then R16" || bad "client push over TCP"
import json, sys
d = [e for e in map(json.loads, open(sys.argv[1])) if e.get("configmgr", {}).get("detection")]
assert [e["configmgr"]["detection"] for e in d] == ["client-push"], d
steps = d[0]["configmgr"]["steps"]
assert [(s["step"], s.get("rule")) for s in steps] == [(1, "RP1"), (2, "R16")], steps
PY
run psexec-pipe "$PCAPS/public/suricata-verify__smb2-07__20171220_smb_psexec_add_user.pcap"
python3 "$py" detection "$tmp/psexec-pipe.json" remote-service-creation 192.168.10.31 192.168.10.10 2 &&
	ok "psexec with svcctl over a named pipe" || bad "psexec over a pipe"
# one step is not the sequence: a copy without a service, services without a copy, smbexec (no copy)
for cap in cm-smb3.pcap cm-smb1.pcap cm-smb-rpc.pcap cm-demo.pcap public/pcap-attack__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng; do
	run neg "$PCAPS/$cap" -c "$site"
	python3 "$py" no-detection "$tmp/neg.json" >/dev/null && ok "no detection in $cap" || bad "a detection in $cap"
done
finish

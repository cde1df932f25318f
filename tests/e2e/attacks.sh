#!/bin/bash
# attacks.sh: issue 23's attack techniques on the captures of tests/lab/make-attacks.sh (tests/lab/README.md's
# table, flow by flow).
#  1. With signatures/example-site.conf and without a site configuration, each capture raises exactly the
#     detection alerts of attacks.py's table (+ rows with their id, technique and hosts; - rows nothing), each
#     step's flow is a flow event of the run and its display filter selects exactly that flow's packets.
#  2. Every flow's NTLM server challenges, domains and users (configmgr.auth[]) equal tshark's
#     (ntlmssp.ntlmserverchallenge, ntlmssp.auth.domain/username); every DHCP flow's message types, client MAC,
#     transaction id, vendor class and option 243's first byte and length (configmgr.dhcp) equal tshark's.
#  3. No secret reaches an output: no NTLM response, AUTHENTICATE token or byte run of the PXE media key in EVE,
#     the summary, the HTML report or the findings CSV (the evidence pcap keeps the packets as they were).
#  4. The same NTLM and DHCP comparisons on public captures (LDAP SASL and Sicily binds, SMB, DCE/RPC, DHCP of
#     many clients); --list-detections names every technique and which detections are postures; each detection
#     alert says its kind (configmgr.detection_kind).
set -u
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "tshark is missing"; exit 99; }
py=$SRCDIR/tests/e2e/attacks.py
caps="cm-attack-relay cm-ntlm-normal cm-smb-signing cm-attack-cred2 cm-client-reg cm-attack-recon cm-attack-pxe cm-pxe-protected"
for c in $caps; do
	cap=$PCAPS/$c.pcap
	[ -f "$cap" ] || { bad "$c.pcap missing"; continue; }
	"$CMFLOW" -r "$cap" "${sig[@]}" -c "$site" --eve "$tmp/$c-site.json" --report "$tmp/$c.html" \
		--findings-csv "$tmp/$c.csv" --evidence "$tmp/$c-evidence.pcap" >"$tmp/$c-summary.txt" 2>"$tmp/err" ||
		bad "$c: cmflow exit $? ($(head -c 200 "$tmp/err"))"
	"$CMFLOW" -q -r "$cap" "${sig[@]}" --eve "$tmp/$c-none.json" 2>"$tmp/err" ||
		bad "$c: cmflow (no -c) exit $? ($(head -c 200 "$tmp/err"))"
	for mode in site none; do
		python3 "$py" detections "$cap" "$mode" "$tmp/$c-$mode.json" >"$tmp/out" || bad "$c $mode: detections"
		cat "$tmp/out"
	done
	python3 "$py" ntlm "$cap" "$tmp/$c-site.json" >"$tmp/out" || bad "$c: NTLM fields"
	cat "$tmp/out"
	python3 "$py" dhcp "$cap" "$tmp/$c-site.json" >"$tmp/out" || bad "$c: DHCP fields"
	cat "$tmp/out"
	python3 "$py" secrets "$cap" "$tmp/$c-site.json" "$tmp/$c-none.json" "$tmp/$c-summary.txt" "$tmp/$c.html" \
		"$tmp/$c.csv" >"$tmp/out" || bad "$c: a secret in an output"
	cat "$tmp/out"
done
# public captures: NTLM over LDAP (SASL and Sicily), SMB and DCE/RPC; DHCP of many clients and servers
for c in zeek__sasl-ntlm.pcap zeek__ctu-sme-11-win7ad-1-ldap-tcp-50041.pcap pcapplusplus__ldap.pcapng \
	arkime__ldap-and-search.pcap arkime__smbtorture-ntlmssp.pcap zeek__raw_ntlm_in_smb.pcap zeek__dce_rpc_ntlm.pcapng \
	scapy__dcerpc_privacy_ntlm.pcapng suricata-verify__smb2-ntlmssp-negotiateflags__input.pcap ndpi__mssql_tds.pcap \
	arkime__wireshark-dhcp.pcap pcapplusplus__Dhcp1.pcap suricata-verify__dhcp-eve-extended-option-60__input.pcap \
	suricata-verify__dhcp-eve-extended__input.pcap suricata-verify__dhcp-option-52-overload__input.pcap \
	tcpdump__dhcp-rfc3004.pcap tcpdump__dhcp-rfc4388.pcap zeek__dhcp.pcap zeek__dhcp_inform.pcap \
	zeek__dhcp_discover_param_req_and_client_id.pcap ndpi__dhcp-fuzz.pcapng; do
	cap=$PCAPS/public/$c
	[ -f "$cap" ] || { bad "public/$c missing"; continue; }
	rm -f "$tmp/pub.json"
	"$CMFLOW" -q -r "$cap" "${sig[@]}" --eve "$tmp/pub.json" 2>"$tmp/err" || bad "$c: cmflow exit $?"
	python3 "$py" ntlm "$cap" "$tmp/pub.json" >"$tmp/out" || bad "$c: NTLM fields"
	cat "$tmp/out"
	python3 "$py" dhcp "$cap" "$tmp/pub.json" >"$tmp/out" || bad "$c: DHCP fields"
	cat "$tmp/out"
done
# the evidence pcap keeps the packets as they were: the media key is in it
if [ -f "$tmp/cm-attack-pxe-evidence.pcap" ] && python3 - "$tmp/cm-attack-pxe-evidence.pcap" <<'PY'
import hashlib, sys
key = hashlib.sha256(b"cmflow lab dummy PXE media key 1").digest()
sys.exit(0 if key in open(sys.argv[1], "rb").read() else 1)
PY
then ok "the evidence pcap keeps option 243 as it was"; else bad "the evidence pcap lacks the PXE answer's bytes"; fi
"$CMFLOW" --list-detections "${sig[@]}" >"$tmp/out" 2>"$tmp/err" || bad "--list-detections exit $?"
for t in CRED-1 CRED-2 RECON-2 RECON-3 ELEVATE-2 TAKEOVER; do
	out_has "--list-detections names $t" "	$t	"
done
postures=$(awk -F'\t' '$7 == "posture" { print $1 }' "$tmp/out" | sort | tr '\n' ' ')
others=$(awk -F'\t' '$7 != "activity" && $7 != "posture"' "$tmp/out" | wc -l)
[ "$postures" = "ntlm-between-site-systems pxe-media-no-password smb-signing-not-required " ] && [ "$others" = 0 ] &&
	ok "--list-detections: the three postures say so, every other detection is an activity" ||
	bad "--list-detections kinds: postures '$postures', $others lines of neither kind"
finish

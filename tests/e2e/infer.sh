#!/bin/bash
# Role inference: the roles learnt from the lab captures without a site configuration, each with evidence that
# points at a flow of the same run; real servers of public captures (Kerberos, LDAP, SQL Server TDS, TFTP) found
# as tshark sees them answer; the SMB share of every SMB2 connection as tshark decodes it; --infer-site written,
# accepted by --check-config and giving back the same labels through -c; drift against a wrong configuration.
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"
sig=(-S "$SRCDIR/signatures")

# inferred HOST ROLE lines of a run, from the site configuration --infer-site wrote (the summary shows the first
# hosts of each role only)
inferred() { awk '$1 == "host" { sub(/^roles=/, "", $3); n = split($3, r, ","); for (i = 1; i <= n; i++) print $2, r[i] }' "$1" | sort; }

# 1. the demo without -c: the roles its real programs showed
"$CMFLOW" -r "$PCAPS/cm-demo.pcap" "${sig[@]}" --eve "$tmp/demo.json" --infer-site "$tmp/demo.conf" >"$tmp/demo.txt" ||
	bad "demo: cmflow exit $?"
cat >"$tmp/want" <<'W'
10.1.0.10 management-point
10.1.0.11 distribution-point
10.1.0.12 software-update-point
10.1.0.13 server-locator-point
10.1.0.14 fallback-status-point
10.1.0.5 site-server
10.2.0.21 client
10.2.0.22 client
10.3.0.5 console
W
inferred "$tmp/demo.conf" >"$tmp/got"
diff -u "$tmp/want" "$tmp/got" >"$tmp/diff" && ok "demo: $(wc -l <"$tmp/got") roles inferred without a site configuration" ||
	bad "demo inferred roles: $(cat "$tmp/diff")"
# each inferred role's first flows are flows of this run that involve the host, and labels use the roles
python3 - "$tmp/demo.json" "$tmp/demo.conf" "$tmp/demo.txt" <<'PY' && ok "demo: evidence flows exist and involve their host; flows labelled with inferred role pairs; the summary's roles agree" || bad "demo: evidence or labels"
import json, re, sys
flows = {e["flow_id"]: e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "flow"}
rows = []
host = None
for line in open(sys.argv[2]):
    if line.startswith("host "):
        host = line.split()[1]
    m = re.match(r"#   ([a-z-]+): \d+ flows? \(flow ([0-9, flow]+)\)", line)
    if m and host:
        rows.append((host, m.group(1), [int(x) for x in re.findall(r"\d+", m.group(2))]))
assert len(rows) == 9, rows
# the summary's section counts the hosts of each role as the configuration lists them
summary = {}
take = False
for line in open(sys.argv[3]):
    if line.startswith("roles inferred from traffic"):
        take = True
        continue
    if take and not line.strip():
        break
    w = line.split()
    if take and len(w) >= 3 and w[1].isdigit():
        summary[w[0]] = int(w[1])
per_role = {}
for h, r, _ in rows:
    per_role[r] = per_role.get(r, 0) + 1
assert summary == per_role, (summary, per_role)
for host, role, ids in rows:
    for i in ids:
        f = flows[i]
        assert host in (f["src_ip"], f["dest_ip"]), (host, i)
labelled = [f for f in flows.values() if f.get("configmgr", {}).get("rule")]
inferred = [f for f in flows.values() if f["configmgr"].get("src_roles_inferred") or f["configmgr"].get("dest_roles_inferred")]
assert len(labelled) >= 12 and len(inferred) >= 12, (len(labelled), len(inferred))
mp = [f for f in labelled if f["dest_ip"] == "10.1.0.10" and f["configmgr"]["rule"] in ("R45", "R46")]
assert len(mp) == 4 and all(f["configmgr"]["dest_roles_inferred"] == ["management-point"] for f in mp), mp
PY

# 2. --infer-site: a configuration --check-config accepts, which gives the same labels back through -c
"$CMFLOW" --check-config "$tmp/demo.conf" "${sig[@]}" >/dev/null && ok "--infer-site output passes --check-config" ||
	bad "--check-config rejects the inferred site: $("$CMFLOW" --check-config "$tmp/demo.conf" "${sig[@]}" 2>&1 | head -3)"
grep -q '^host 10.1.0.10 .*roles=management-point$' "$tmp/demo.conf" && grep -q '^#   management-point: .*CCM_POST' "$tmp/demo.conf" &&
	ok "--infer-site: host lines with their evidence in comments" || bad "--infer-site content: $(head -20 "$tmp/demo.conf")"
"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" "${sig[@]}" -c "$tmp/demo.conf" --eve "$tmp/rt.json" || bad "round trip: exit $?"
python3 - "$tmp/demo.json" "$tmp/rt.json" <<'PY' && ok "round trip: the same roles, rules and verdicts through -c" || bad "round trip differs"
import json, sys
def labels(path):
    out = {}
    for e in map(json.loads, open(path)):
        if e["event_type"] == "flow":
            c = e["configmgr"]
            # flow ids differ from run to run: a flow is its Community ID and start
            out[(e["community_id"], e["flow"]["start"])] = tuple(str(c.get(k)) for k in ("src_roles", "dest_roles", "rule", "verdict", "reasons"))
    return out
a, b = labels(sys.argv[1]), labels(sys.argv[2])
diff = [k for k in a if a[k] != b.get(k)]
assert a and a.keys() == b.keys() and not diff, [(k, a[k], b.get(k)) for k in diff]
PY

# 3. drift: a configuration that calls the software update point a distribution point and omits the MP
"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" "${sig[@]}" -c "$SRCDIR/tests/e2e/expected/drift.conf" --eve "$tmp/drift.json" ||
	bad "drift: exit $?"
python3 - "$tmp/drift.json" <<'PY' && ok "drift: informational alerts for the role the traffic shows and the role it never shows" || bad "drift alerts"
import json, sys
# the configuration's drift: informational alerts of hosts (a detection over flows is another matter)
alerts = [e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "alert" and
          e["configmgr"]["verdict"] == "informational" and "detection" not in e["configmgr"]]
details = {(e["configmgr"]["reasons"][0], e["configmgr"]["detail"].split(":")[0], e["configmgr"]["detail"]) for e in alerts}
def has(reason, host, text):
    return any(r == reason and h == host and text in d for r, h, d in details)
assert has("role-not-configured", "10.1.0.12", "shows software-update-point"), details
assert has("role-not-shown", "10.1.0.12", "gives distribution-point"), details
assert has("role-not-configured", "10.1.0.10", "shows management-point") and has("role-not-configured", "10.1.0.10", "no host line"), details
assert not any(h in ("10.1.0.11", "10.1.0.13", "10.1.0.14", "10.3.0.5") for _, h, _ in details), details
assert all(e["alert"]["severity"] == 3 for e in alerts)
PY

# 4. the channels capture: multicast sender, AMT listeners, remote control initiators
"$CMFLOW" -q -r "$PCAPS/cm-channels.pcap" "${sig[@]}" --infer-site "$tmp/ch.conf" || bad "channels: exit $?"
for want in "10.1.0.30 multicast-distribution-point" "10.2.9.50 amt-controller" "10.2.9.51 amt-controller" "10.3.0.5 console"; do
	inferred "$tmp/ch.conf" | grep -qx "$want" && ok "channels: $want" || bad "channels: no '$want'"
done

# 5. public captures: the answering Kerberos/LDAP servers are domain controllers, TDS servers SQL servers, TFTP
#    servers (the host a request to port 69 went to, answering from a new port) PXE service points
check_servers() { # NAME CAPTURE ROLE TSHARK-FILTER FIELD
	local got want
	rm -f "$tmp/p.conf"
	"$CMFLOW" -q -r "$PCAPS/public/$2" "${sig[@]}" --infer-site "$tmp/p.conf" 2>/dev/null
	got=$(inferred "$tmp/p.conf" | awk -v r="$3" '$2 == r {print $1}' | sort -u | paste -sd' ')
	want=$(tshark -n -r "$PCAPS/public/$2" -Y "$4" -T fields -e "$5" 2>/dev/null | sort -u | paste -sd' ')
	[ -n "$want" ] && [ "$got" = "$want" ] && ok "$1: $3 $got (as tshark)" || bad "$1: $3 '$got', tshark '$want'"
}
check_servers kerberos ndpi__kerberos.pcap domain-controller "kerberos && (kerberos.msg_type == 11 || kerberos.msg_type == 13 || kerberos.msg_type == 30)" ip.src
check_servers ldap arkime__ldap-and-search.pcap domain-controller "ldap.protocolOp == 1 || ldap.protocolOp == 5" ip.src
check_servers tds ndpi__mssql_tds.pcap sql-server "tds.type == 4" ip.src
check_servers tftp arkime__tftp_rrq.pcap pxe-service-point "tftp.opcode == 1 || tftp.opcode == 2" ip.dst

# 6. the SMB share of each SMB1 and SMB2 connection: the first tree connected other than IPC$ (else IPC$), as tshark
# decodes
n=0
smbcaps=(arkime__wireshark-smb-on-windows10.pcap pcap-attack__LM_psexec_smb_dcerpc_epm_svcctl.pcapng
	pcap-attack__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng suricata-verify__smb2-07__20171220_smb_psexec_add_user.pcap
	suricata-verify__bug-5133__input.pcap zeek__smb2_krb.pcap zeek__smb3.pcap suricata-verify__smb2-delete__input.pcap)
for cap in "${smbcaps[@]}"; do
	rm -f "$tmp/smb.json"
	"$CMFLOW" -q -r "$PCAPS/public/$cap" "${sig[@]}" --eve "$tmp/smb.json" || bad "$cap: exit $?"
	tshark -n -r "$PCAPS/public/$cap" -Y "(smb2.cmd == 3 && smb2.flags.response == 0) ||
		(smb.cmd == 0x75 && smb.flags.response == 0)" -T fields -e ip.src -e tcp.srcport -e smb2.tree -e smb.path \
		2>/dev/null >"$tmp/trees"
	if python3 - "$tmp/smb.json" "$tmp/trees" <<'PY'; then n=$((n + 1)); else bad "$cap: SMB shares differ from tshark"; fi
import json, sys
want = {}
for line in open(sys.argv[2]):
    ip, port, trees2, trees1 = line.rstrip("\n").split("\t")
    for tree in (trees2 or trees1).split(","):
        share = tree.rsplit("\\", 1)[-1]
        cur = want.get((ip, int(port)))
        if cur is None or (cur.upper() == "IPC$" and share.upper() != "IPC$"):
            want[(ip, int(port))] = share
got = {(e["src_ip"], e["src_port"]): e["configmgr"]["smb_share"] for e in map(json.loads, open(sys.argv[1]))
       if e["event_type"] == "flow" and "smb_share" in e.get("configmgr", {})}
assert want and got == want, (got, want)
PY
done
[ "$n" = "${#smbcaps[@]}" ] && ok "SMB shares of $n captures as tshark decodes them"

echo "infer: $fails failed"
[ "$fails" -eq 0 ]

#!/bin/bash
# cmflow's own proof of the application protocol (the flows it decides without nDPI) against tshark's dissection:
# TLS (ClientHello, server name, the version the ServerHello chose), SMB, HTTP, DCE/RPC and DNS on captures of
# real traffic and on the lab captures. Every flow cmflow proved itself must be what tshark decodes in the flow's
# first payloads; every flow whose first client payload tshark decodes as a ClientHello must be proven TLS; every
# server name and version cmflow reports must be tshark's.
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"

caps=(cm-demo.pcap cm-channels.pcap)
for c in ndpi__http_ipv6.pcap pcapplusplus__many_interfaces-1.pcapng ndpi__443-curl.pcap zeek__ldap-starttls.pcap \
	ndpi__rdp2.pcap arkime__smb-smbclient.pcap arkime__wireshark-smb-on-windows10.pcap ndpi__smbv1.pcap \
	zeek__smb311.pcap zeek__smb2readwrite.pcap zeek__smb1.pcap suricata-verify__smb1_osx.pcap \
	pcap-attack__LM_psexec_smb_dcerpc_epm_svcctl.pcapng pcap-attack__Discovery_impacket_rpcdump.pcapng \
	zeek__dce_rpc_netlogon.pcapng ndpi__dcerpc.pcap scapy__dcerpc_msnrpc.pcapng zeek__methods.pcap \
	arkime__http-content-gzip.pcap ndpi__dns_fragmented.pcap zeek__ipv6-fragmented-dns.pcap arkime__nbns.pcap; do
	[ -e "$PCAPS/public/$c" ] && caps+=("public/$c")
done

for c in "${caps[@]}"; do
	name=$(basename "$c")
	"$CMFLOW" -q -r "$PCAPS/$c" -S "$SRCDIR/signatures" --eve "$tmp/$name.json" 2>/dev/null
	tshark -n -r "$PCAPS/$c" -Y 'tcp.len > 0 || (udp && !icmp && !icmpv6)' -T fields -E separator=/t -e ip.src \
		-e ipv6.src -e tcp.srcport -e udp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport -e frame.protocols -e tls.handshake.type \
		-e tls.handshake.extensions_server_name -e tls.handshake.version -e tls.handshake.extensions.supported_version \
		2>/dev/null >"$tmp/$name.tsv"
	echo "$name"
done >"$tmp/list"

python3 - "$tmp" >"$tmp/out" <<'PY'
import json, sys

tmp = sys.argv[1]
# tshark's protocol names of each of cmflow's own proofs
WORDS = {"tls": ("tls", "ssl"), "smb": ("smb", "smb2"), "http": ("http",), "dcerpc": ("dcerpc",), "dns": ("dns",)}
stats = {"proven": 0, "hello": 0, "sni": 0, "version": 0}
for name in map(str.strip, open(f"{tmp}/list")):
    first, answer, sni, version = {}, {}, {}, {}
    for line in open(f"{tmp}/{name}.tsv"):
        (ip4s, ip6s, tsp, usp, ip4d, ip6d, tdp, udp_, protos, types, server_name, hs_version,
         supported) = line.rstrip("\n").split("\t")
        a, b = (ip4s or ip6s, tsp or usp), (ip4d or ip6d, tdp or udp_)
        key = ("TCP" if tsp else "UDP", min(a, b), max(a, b))
        protos, types = protos.split(":"), types.split(",")
        if key not in first:
            first[key] = (a, protos, "1" in types)
            answer[key] = []
        if len(answer[key]) < 2:
            answer[key].append(protos)
        if "1" in types and server_name and (a, b) not in sni:
            sni[(a, b)] = server_name
        if "2" in types and (b, a) not in version:
            chosen = supported.split(",")[0] if supported else hs_version.split(",")[-1]
            version[(b, a)] = int(chosen, 16)
    names = {0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}  # Suricata's words
    flows = {}
    for e in map(json.loads, open(f"{tmp}/{name}.json")):
        if e["event_type"] == "flow" and e["proto"] in ("TCP", "UDP"):
            a, b = (e["src_ip"], str(e["src_port"])), (e["dest_ip"], str(e["dest_port"]))
            flows[(e["proto"], min(a, b), max(a, b))] = (a, b, e)
    for key, (a, b, e) in flows.items():
        app = e.get("app_proto")
        where = f"{name} {a[0]}:{a[1]} -> {b[0]}:{b[1]}"
        if app in WORDS and "ndpi" not in e:
            stats["proven"] += 1
            # tshark's first or second payload frame (it skips what it takes for a retransmission, and HTTP
            # requests with ConfigMgr's methods, CCM_POST: then the answer tells)
            got = answer.get(key, [])
            if not any(w in protos for protos in got for w in WORDS[app]):
                print(f"FAIL {where}: cmflow proved {app}, tshark decodes {[':'.join(p[-2:]) for p in got]}")
        if key in first and first[key][2] and first[key][0] == a:
            stats["hello"] += 1
            if app != "tls":
                print(f"FAIL {where}: starts with a ClientHello, app_proto {app}")
        tls = e.get("tls", {})
        if "sni" in tls or (app == "tls" and (a, b) in sni):
            stats["sni"] += 1
            if tls.get("sni") != sni.get((a, b)):
                print(f"FAIL {where}: server name {tls.get('sni')}, tshark {sni.get((a, b))}")
        if "version" in tls or (app == "tls" and (a, b) in version):
            stats["version"] += 1
            if tls.get("version") != names.get(version.get((a, b))):
                print(f"FAIL {where}: version {tls.get('version')}, tshark {version.get((a, b))}")
print("STATS", " ".join(f"{k}={v}" for k, v in stats.items()))
PY
grep '^FAIL' "$tmp/out" | while read -r l; do echo "$l"; done
nf=$(grep -c '^FAIL' "$tmp/out")
fails=$((fails + nf))
read -r _ proven hello snis versions < <(grep '^STATS' "$tmp/out" | tr '=' ' ' | awk '{print $1, $3, $5, $7, $9}')
[ "$nf" = 0 ] && ok "${#caps[@]} captures: $proven flows proven by cmflow alone, each what tshark decodes" ||
	bad "$nf flows differ from tshark"
[ "${proven:-0}" -ge 40 ] && ok "at least 40 flows proven without nDPI ($proven)" || bad "only ${proven:-0} flows proven without nDPI"
[ "${hello:-0}" -ge 15 ] && [ "${snis:-0}" -ge 8 ] && [ "${versions:-0}" -ge 10 ] &&
	ok "$hello flows open with a ClientHello (all TLS), $snis server names and $versions versions as tshark's" ||
	bad "too few TLS hellos compared: $hello hellos, $snis names, $versions versions"
# --all-protocols gives nDPI the flows cmflow proved too: each of them then carries nDPI's answer, and cmflow's
# app_proto stays what it proved
"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" -S "$SRCDIR/signatures" --eve "$tmp/own.json" 2>/dev/null
"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" -S "$SRCDIR/signatures" --all-protocols --eve "$tmp/all.json" 2>/dev/null
python3 - "$tmp/own.json" "$tmp/all.json" <<'PY' && ok "--all-protocols: nDPI's answer on the flows cmflow proved, app_proto unchanged" ||
import json, sys
def flows(path):
    # flow ids differ from run to run: a flow is its Community ID and start
    return {(e["community_id"], e["flow"]["start"]): e for e in map(json.loads, open(path)) if e["event_type"] == "flow"}
own, every = flows(sys.argv[1]), flows(sys.argv[2])
# (nDPI has no Wake On LAN: asked, it answers nothing)
proven = [i for i, e in own.items() if e.get("app_proto") in ("http", "tls", "smb", "dcerpc", "dns") and "ndpi" not in e]
assert len(proven) >= 10, proven
for i in proven:
    assert "ndpi" in every[i] and every[i]["app_proto"] == own[i]["app_proto"], (own[i], every[i])
PY
	bad "--all-protocols does not give nDPI the proven flows"
exit $((fails > 0))

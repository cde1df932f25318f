#!/bin/bash
# Tunnels: mirrored traffic inside ERSPAN, VXLAN, Geneve, GRE, IP in IP, Teredo ... judged by its inner flows.
#  1. every public capture of pcaps/tunnels/, and pcaps/cm-tunnels.pcap (one conversation per encapsulation) and
#     pcaps/cm-vxlan.pcap (the kernel's VXLAN, two segments that reuse their addresses): the inner flows of every
#     IP protocol and their packet totals equal tshark's innermost conversations (tuples.py --all), the outer
#     tunnel packets make no flow, every EVE line validates against Suricata's schema;
#  2. pcaps/cm-tunnels-closed.pcap: each encapsulation cmflow must leave closed is counted under its reason and
#     stays its outer packet; the fifth level of GRE is counted in decoder.too_many_layers; UDP on a tunnel's port
#     whose header is not that tunnel's (any application's ephemeral port may be 4789) is plain UDP, uncounted;
#  3. the VXLAN port of the site: without --vxlan-port 4800 (or the site configuration's `tunnel vxlan-port=4800`)
#     the second segment of cm-vxlan.pcap is only UDP to 4800; with either, its flows are those of VNI 43; the
#     findings CSV made --from-eve equals the run's (the VNI keeps the two segments' shared 5-tuple apart);
#  4. the demo (pcaps/cm-demo.pcap) mirrored through VXLAN, Geneve, ERSPAN II and III, GRE (transparent Ethernet
#     and IPv4) and IP in IP (tests/lab/wrap-tunnels.py, made here): the demo's labels and verdicts
#     (tests/e2e/expected/cm-demo.labels; the layer-3 tunnels lose the Ethernet broadcast of one datagram:
#     expected/tunnels/cm-demo-l3.labels), every alert's display filter selects exactly its flow's frames in tshark,
#     and the evidence pcap holds exactly those frames, outer headers included, in order;
#  5. live capture (root and tcpreplay; else skipped): with a BPF filter for the mirror sessions, the inner flows of
#     the offline run.
# tshark's decode-as options: -d udp.port==8472,vxlan and -o teredo.heuristic_teredo:TRUE always (tuples.py),
# -d udp.port==4800,vxlan for cm-vxlan.pcap. Needs tshark, python3 (jsonschema) and python3-scapy.
set -u
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
command -v tshark >/dev/null || { echo "tshark is missing (apt-get install tshark)"; exit 99; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "python3-scapy is missing (apt-get install python3-scapy)"; exit 99; }
here=$SRCDIR/tests/e2e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
site=$SRCDIR/signatures/example-site.conf
tshark_opts=(-d udp.port==8472,vxlan -o teredo.heuristic_teredo:TRUE)

# 1. inner flows against tshark
n=0
for f in "$PCAPS"/tunnels/*.pcap "$PCAPS"/cm-tunnels.pcap "$PCAPS"/cm-vxlan.pcap; do
	name=$(basename "$f" .pcap) copts=() topts=()
	[ "$name" = cm-vxlan ] && copts=(--vxlan-port 4800) topts=(-d udp.port==4800,vxlan)
	if ! "$CMFLOW" -q -r "$f" "${copts[@]}" --eve "$tmp/$name.json" 2>"$tmp/err"; then
		bad "$name: cmflow exit $?: $(head -c 300 "$tmp/err")"
		continue
	fi
	python3 "$here/tuples.py" --all "${topts[@]}" "$f" "$tmp/$name.json" >"$tmp/out" || { cat "$tmp/out"; bad "$name: inner flows differ"; }
	n=$((n + 1))
done
[ "$n" -ge 26 ] && ok "$n captures: the inner flows of every IP protocol and their packets are tshark's innermost conversations" ||
	bad "only $n tunnel captures compared"
python3 "$here/eve_schema.py" "$tmp"/*.json | tail -n 3 || bad "EVE lines that Suricata's schema refuses"
python3 - "$tmp" <<'PY' || bad "flow events of tunnelled flows"
import glob, json, sys
kinds, bad = set(), 0
for path in glob.glob(sys.argv[1] + "/*.json"):
    for e in map(json.loads, open(path)):
        if e["event_type"] != "flow":
            continue
        t, c = e.get("tunnel"), e.get("cmflow", {}).get("tunnel")
        if bool(t) != bool(c) or (t and not (t["depth"] >= 1 and t["src_ip"] and t["dest_ip"] and t["proto"])):
            print(f"{path}: flow {e['flow_id']}: tunnel {t}, cmflow.tunnel {c}")
            bad += 1
        if c:
            kinds.add(c["kind"])
want = {"erspan_i", "erspan_ii", "erspan_iii", "gre", "vxlan", "geneve", "vxlan_gpe", "gre_udp", "ip_in_ip", "teredo",
        "tzsp"}
if want - kinds:
    print("kinds never seen:", sorted(want - kinds))
    bad += 1
print(f"tunnelled flows carry Suricata's tunnel object and cmflow.tunnel; kinds seen: {len(kinds)}")
sys.exit(1 if bad else 0)
PY

# 2. tunnels left closed, by reason
"$CMFLOW" -q -r "$PCAPS/cm-tunnels-closed.pcap" --eve "$tmp/closed.json" || bad "cm-tunnels-closed: exit $?"
python3 - "$tmp/closed.json" <<'PY' && ok "cm-tunnels-closed: each closed tunnel counted under its reason, its packet the outer one" || bad "cm-tunnels-closed"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = [e for e in ev if e["event_type"] == "stats"][-1]
sur, own = st["stats"]["decoder"]["event"], st["cmflow"]["decoder"]["event"]
want = {("sur", "gre", "wrong_version"): 1, ("sur", "erspan", "unsupported_version"): 1,
        ("sur", "geneve", "unknown_payload_type"): 1, ("own", "geneve", "header_too_small"): 1,
        ("own", "gre", "unknown_payload_type"): 1, ("own", "erspan", "unknown_frame_type"): 1,
        ("own", "vxlan_gpe", "unknown_payload_type"): 1, ("own", "ipv4", "ipv4_in_ipv4_wrong_version"): 1,
        ("own", "tzsp", "unknown_payload_type"): 1, ("own", "tzsp", "header_too_small"): 1}
if sum(n for layer in sur.values() for n in layer.values()) + sum(n for layer in own.values() for n in layer.values()) != 10:
    print("more reasons than expected:", sur, own)
    bad_total = 1
else:
    bad_total = 0
bad = bad_total
for (where, layer, reason), n in want.items():
    got = (sur if where == "sur" else own).get(layer, {}).get(reason, 0)
    if got != n:
        print(f"{layer}.{reason}: {got}, expected {n}")
        bad += 1
if st["stats"]["decoder"]["too_many_layers"] != 1:
    print("too_many_layers:", st["stats"]["decoder"]["too_many_layers"])
    bad += 1
flows = [e for e in ev if e["event_type"] == "flow"]
outer = sum(f["flow"]["pkts_toserver"] + f["flow"]["pkts_toclient"] for f in flows if f["src_ip"] == "192.0.2.1")
deep = [f for f in flows if f.get("tunnel", {}).get("depth") == 4 and f["proto"] == "GRE"]
if outer != 12 or len(deep) != 1 or st["cmflow"]["tunnel"]["left_closed"] != 11:
    print(f"outer packets in flows: {outer} (12 expected); flows 4 deep: {len(deep)}; {st['cmflow']['tunnel']}")
    bad += 1
sys.exit(1 if bad else 0)
PY

# 3. the site's VXLAN port
vx=$PCAPS/cm-vxlan.pcap
printf 'tunnel vxlan-port=4800\n' | cat "$site" - >"$tmp/site-4800.conf"
"$CMFLOW" -q -r "$vx" -c "$site" --eve "$tmp/vx-none.json" 2>"$tmp/vx-none.err"
grep -q 'look like VXLAN on a port not read as VXLAN.*--vxlan-port' "$tmp/vx-none.err" &&
	grep -q '"vxlan_unopened":26' "$tmp/vx-none.json" &&
	ok "cm-vxlan without --vxlan-port: the 26 packets of VNI 43 on UDP 4800 said on stderr and counted (cmflow.tunnel.vxlan_unopened)" ||
	bad "cm-vxlan without --vxlan-port: the unread VXLAN is not said"
"$CMFLOW" -q -r "$vx" -c "$site" --vxlan-port 4800 --eve "$tmp/vx-opt.json"
"$CMFLOW" -q -r "$vx" -c "$tmp/site-4800.conf" --eve "$tmp/vx-site.json"
python3 - "$tmp"/vx-none.json "$tmp"/vx-opt.json "$tmp"/vx-site.json <<'PY' &&
import json, sys
def flows(p):
    return sorted((e["src_ip"], e.get("src_port"), e["dest_ip"], e.get("dest_port"),
                   e.get("cmflow", {}).get("tunnel", {}).get("vni")) for e in map(json.loads, open(p))
                  if e["event_type"] == "flow")
none, opt, site = map(flows, sys.argv[1:4])
assert opt == site, (opt, site)
assert sorted(f[4] for f in opt) == [42, 42, 43, 43], opt
assert any(f[3] == 4800 for f in none) and not any(f[4] == 43 for f in none) and sum(1 for f in none if f[4] == 42) == 2, none
# the same inner 5-tuple in both segments: two flows, told apart by the VNI alone
assert sum(1 for f in opt if f[1] == 40000) == 2
PY
	ok "cm-vxlan: VNI 43 on UDP 4800 needs --vxlan-port 4800 or 'tunnel vxlan-port=4800'; the same 5-tuple in VNI 42 and 43 is two flows" ||
	bad "cm-vxlan: the VXLAN port option or the site keyword"
"$CMFLOW" --check-config "$tmp/site-4800.conf" -S "$SRCDIR/signatures" | grep -q 'VXLAN also on UDP 4800' &&
	ok "--check-config names the site's VXLAN port" || bad "--check-config does not name the VXLAN port"
python3 "$here/labels.py" "$tmp/vx-opt.json" "$here/expected/tunnels/cm-vxlan.labels" >"$tmp/out" &&
	ok "cm-vxlan: $(tail -1 "$tmp/out")" || { cat "$tmp/out"; bad "cm-vxlan labels"; }

# alert_filters CAPTURE EVE TAG [tshark options]: each alert's display filter selects its flow's frames; the
# evidence pcap (EVE's run made it as $tmp/TAG.pcap) holds exactly them, in order
alert_filters() {
	local cap=$1 eve=$2 tag=$3
	shift 3
	python3 "$SRCDIR/tests/e2e/alertflows.py" "$eve" >"$tmp/$tag.alerts" || bad "$tag: alertflows.py failed"
	local n=0 all="" want filter got
	while IFS=$'\t' read -r want filter; do
		got=$(tshark -n -r "$cap" "${tshark_opts[@]}" "$@" -Y "$filter" 2>/dev/null | wc -l)
		[ "$got" = "$want" ] || bad "$tag: filter selects $got frames, the flow has $want: $filter"
		n=$((n + 1))
		all="${all:+$all || }($filter)"
	done <"$tmp/$tag.alerts"
	[ "$n" -gt 0 ] || { bad "$tag: no alert"; return; }
	tshark -n -r "$cap" "${tshark_opts[@]}" "$@" -Y "$all" -T fields -e frame.time_epoch -e frame.len 2>/dev/null >"$tmp/want.ts"
	tshark -n -r "$tmp/$tag.pcap" -T fields -e frame.time_epoch -e frame.len 2>/dev/null >"$tmp/got.ts"
	if cmp -s "$tmp/want.ts" "$tmp/got.ts"; then
		ok "$tag: $n alerts' display filters select exactly their flows' frames; the evidence holds them ($(wc -l <"$tmp/got.ts") outer frames)"
	else
		bad "$tag: the evidence has $(wc -l <"$tmp/got.ts") frames, the filters select $(wc -l <"$tmp/want.ts")"
	fi
}
"$CMFLOW" -q -r "$vx" -c "$site" --vxlan-port 4800 --eve "$tmp/vxe.json" --evidence "$tmp/cm-vxlan.pcap" \
	--findings-csv "$tmp/vx-run.csv"
alert_filters "$vx" "$tmp/vxe.json" cm-vxlan -d udp.port==4800,vxlan
# --from-eve joins one flow seen twice by community_id and start: the same inner 5-tuple in VNI 42 and 43 (the same
# community_id, 0.1 s apart) is two flows, told apart by cmflow.tunnel.vni
"$CMFLOW" --findings-csv "$tmp/vx-eve.csv" --from-eve "$tmp/vxe.json" "$tmp/vxe.json" &&
	cmp -s "$tmp/vx-run.csv" "$tmp/vx-eve.csv" &&
	ok "cm-vxlan: --from-eve (the file given twice) counts the flows of VNI 42 and 43 that share a 5-tuple apart, as the run does" ||
	bad "cm-vxlan: --from-eve joins flows of two VNIs: $(diff "$tmp/vx-run.csv" "$tmp/vx-eve.csv" | head -c 300)"

# 4. the demo mirrored
/usr/bin/python3 "$SRCDIR/tests/lab/wrap-tunnels.py" demo "$PCAPS/cm-demo.pcap" "$tmp" >/dev/null || bad "wrap-tunnels.py failed"
for kind in vxlan geneve erspan2 erspan3 gre-eth gre ipip; do
	cap=$tmp/cm-demo-$kind.pcap exp=$here/expected/cm-demo.labels
	case $kind in gre | ipip) exp=$here/expected/tunnels/cm-demo-l3.labels ;; esac
	"$CMFLOW" -q -r "$cap" -c "$site" -S "$SRCDIR/signatures" --eve "$tmp/demo-$kind.json" \
		--evidence "$tmp/demo-$kind.pcap" || { bad "demo-$kind: cmflow exit $?"; continue; }
	if python3 "$here/labels.py" "$tmp/demo-$kind.json" "$exp" >"$tmp/out"; then
		ok "demo in $kind: $(tail -1 "$tmp/out")"
	else
		cat "$tmp/out"
		bad "demo in $kind: labels or verdicts differ"
	fi
	python3 "$here/tuples.py" --all "$cap" "$tmp/demo-$kind.json" >"$tmp/out" || { cat "$tmp/out"; bad "demo in $kind: flows"; }
	alert_filters "$cap" "$tmp/demo-$kind.json" "demo-$kind"
done
# the plain demo's verdicts, flow for flow, in every Ethernet-carrying tunnel
"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" -c "$site" --eve "$tmp/plain.json"
python3 - "$tmp" <<'PY' && ok "demo: the same verdicts and findings as the plain demo in vxlan, geneve, erspan2, erspan3, gre-eth" || bad "demo: verdicts differ from the plain demo"
import collections, json, sys
def summary(p):
    c = collections.Counter()
    for e in map(json.loads, open(p)):
        if e["event_type"] in ("flow", "alert") and "flow_id" in e:
            cm = e.get("configmgr", {})
            c[(e["event_type"], e["proto"], e["src_ip"], e["dest_ip"], e.get("dest_port"), cm.get("rule"),
               cm.get("verdict"), cm.get("finding"), tuple(cm.get("reasons", [])))] += 1
    return c
plain = summary(sys.argv[1] + "/plain.json")
bad = 0
for kind in ("vxlan", "geneve", "erspan2", "erspan3", "gre-eth"):
    got = summary(f"{sys.argv[1]}/demo-{kind}.json")
    if got != plain:
        print(kind, "differs:", sorted((plain - got).items())[:3], sorted((got - plain).items())[:3])
        bad += 1
sys.exit(1 if bad else 0)
PY

# 5. live: the kernel's VXLAN and the hand-built tunnels replayed into a veth, cmflow capturing with a BPF filter
# written for the outer headers (the mirror sessions): the flows of the offline run with the same filter
if [ "$(id -u)" = 0 ] && command -v tcpreplay >/dev/null; then
	ns=cmt-live$$ a=cmt$$a b=cmt$$b
	live_cleanup() {
		[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
		ip link del "$a" 2>/dev/null
		ip netns del "$ns" 2>/dev/null
		rm -rf "$tmp"
	}
	trap live_cleanup EXIT
	ip netns add "$ns" && ip link add "$a" type veth peer name "$b" && ip link set "$b" netns "$ns"
	sysctl -q -w "net.ipv6.conf.$a.disable_ipv6=1"
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
	ip link set "$a" up
	ip netns exec "$ns" ip link set "$b" up
	bpf='proto gre or ip proto 4 or udp dst port 4789 or udp dst port 8472 or udp dst port 4800 or udp dst port 6081'
	files=("$PCAPS/cm-vxlan.pcap" "$PCAPS/cm-tunnels.pcap")
	"$CMFLOW" -q -r "${files[0]}" -r "${files[1]}" --vxlan-port 4800 --eve "$tmp/live-ref.json" "$bpf"
	ip netns exec "$ns" "$CMFLOW" -q -i "$b" --vxlan-port 4800 --eve "$tmp/live.json" "$bpf" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 50); do
		grep -q "packet" "/proc/$pid/net/packet" 2>/dev/null && [ -e "$tmp/live.json" ] && break
		sleep 0.1
	done
	sleep 0.5
	tcpreplay -q -i "$a" --pps 2000 "${files[@]}" >/dev/null 2>&1
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || bad "live: exit status $(cat "$tmp/err")"
	pid=
	if python3 "$here/tuples.py" --all --eve "$tmp/live-ref.json" "$tmp/live.json" >"$tmp/out" &&
		grep -q '"vni":43' "$tmp/live.json"; then
		ok "live with the filter '$bpf': the same inner flows as offline ($(tail -1 "$tmp/out" | cut -d: -f2-))"
	else
		cat "$tmp/out"
		bad "live capture of tunnels differs from offline"
	fi
else
	echo "skip live: needs root and tcpreplay"
fi

echo "tunnels: $fails failed"
[ "$fails" -eq 0 ]

#!/bin/bash
# Damaged captures, made from a good one: a file header cut short, a record claiming 2 GiB, a zero-length record,
# a record longer than the file's snapshot length, a record whose captured length exceeds its wire length,
# pcapng with blocks of an unknown type between the packets, and pcapng cut inside a block; and the good packets
# in big-endian and in nanosecond classic pcap files (the same flows as the original). Each gives a clear
# message naming the file (and the packet where reading stopped) and exit 2, or is read as tshark reads it; what
# was read before the damage is always classified and written.
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"
pkts_of() {
	python3 -c '
import json, sys
print(sum(e["flow"]["pkts_toserver"] + e["flow"]["pkts_toclient"] for e in map(json.loads, open(sys.argv[1]))
          if e.get("event_type") == "flow"))' "$1"
}

python3 - "$PCAPS/public/zeek__methods.pcap" "$tmp" <<'PY' || { bad "making the damaged files"; exit 1; }
import struct, sys
src, out = open(sys.argv[1], "rb").read(), sys.argv[2]
hdr, body = src[:24], src[24:]
recs, off = [], 0
while off + 16 <= len(body) and len(recs) < 40:
    ts, tu, cl, ln = struct.unpack("<IIII", body[off:off + 16])
    recs.append((ts, tu, cl, ln, body[off + 16:off + 16 + cl]))
    off += 16 + cl
def rec(ts, tu, cl, ln, d):
    return struct.pack("<IIII", ts, tu, cl, ln) + d
def write(name, parts, h=hdr):
    open(f"{out}/{name}", "wb").write(h + b"".join(parts))
good = [rec(*r) for r in recs]
open(f"{out}/short-header.pcap", "wb").write(hdr[:10])
r = recs[10]
write("huge-record.pcap", good[:10] + [struct.pack("<IIII", r[0], r[1], 0x7FFFFFFF, 0x7FFFFFFF)] + good[10:])
write("zero-record.pcap", good[:10] + [rec(r[0], r[1], 0, 0, b"")] + good[10:])
write("over-snaplen.pcap", good, h=struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 128, 1))
write("caplen-over-len.pcap", good[:10] + [rec(r[0], r[1], len(r[4]), len(r[4]) - 20, r[4])] + good[11:])
# pcapng: section header, interface description, then enhanced packet blocks with unknown blocks between them
def block(btype, payload):
    payload += b"\0" * (-len(payload) % 4)
    n = 12 + len(payload)
    return struct.pack("<II", btype, n) + payload + struct.pack("<I", n)
shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
idb = block(1, struct.pack("<HHI", 1, 0, 65535))
epbs = []
for ts, tu, cl, ln, d in recs:
    t = ts * 1000000 + tu
    epbs.append(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, cl, ln) + d))
unknown = block(0x00000BAD, b"not a packet, skip me") + block(0x80000001, b"local use")
open(f"{out}/unknown-blocks.pcapng", "wb").write(shb + idb + unknown + b"".join(e + unknown for e in epbs))
cut = shb + idb + b"".join(epbs[:25]) + epbs[25][:30]
open(f"{out}/cut-block.pcapng", "wb").write(cut)
# the same packets in the other classic formats: big-endian, and nanosecond timestamps
magic, vmaj, vmin, zone, sig, snap, lt = struct.unpack("<IHHiIII", hdr)
open(f"{out}/big-endian.pcap", "wb").write(struct.pack(">IHHiIII", magic, vmaj, vmin, zone, sig, snap, lt) +
    b"".join(struct.pack(">IIII", ts, tu, cl, ln) + d for ts, tu, cl, ln, d in recs))
open(f"{out}/nanoseconds.pcap", "wb").write(struct.pack("<IHHiIII", 0xA1B23C4D, vmaj, vmin, zone, sig, snap, lt) +
    b"".join(struct.pack("<IIII", ts, tu * 1000 + 999, cl, ln) + d for ts, tu, cl, ln, d in recs))
open(f"{out}/little-endian.pcap", "wb").write(hdr + b"".join(good))
PY

# run NAME WANT-EXIT: cmflow on the file; stderr in $tmp/err, EVE in $tmp/NAME.json
run() {
	"$CMFLOW" -q -r "$tmp/$1" --eve "$tmp/$1.json" 2>"$tmp/err"
	local rc=$?
	[ "$rc" -eq "$2" ] && return 0
	bad "$1: exit $rc, wanted $2 ($(head -c 300 "$tmp/err"))"
	return 1
}
named() { grep -qF -- "$2" "$tmp/err" && ok "$1" || bad "$1 (stderr: $(head -c 300 "$tmp/err"))"; }

run short-header.pcap 2 && named "a file header cut short: exit 2, the file named" "short-header.pcap"
if run huge-record.pcap 2; then
	named "a record of 2 GiB: exit 2, file and packet named" "huge-record.pcap: damaged capture at packet 11"
	[ "$(pkts_of "$tmp/huge-record.pcap.json")" = 10 ] && ok "the 10 packets before it are classified and written" ||
		bad "packets before the huge record: $(pkts_of "$tmp/huge-record.pcap.json")"
fi
if run zero-record.pcap 0; then
	[ "$(pkts_of "$tmp/zero-record.pcap.json")" = 40 ] && tail -1 "$tmp/zero-record.pcap.json" |
		python3 -c 'import json, sys; assert json.load(sys.stdin)["stats"]["decoder"]["event"]["ethernet"]["pkt_too_small"] == 1' &&
		ok "a zero-length record is counted as malformed and reading goes on (40 packets)" ||
		bad "zero-length record: $(pkts_of "$tmp/zero-record.pcap.json") packets; $(tail -1 "$tmp/zero-record.pcap.json" | head -c 300)"
fi
want=$(tshark -r "$tmp/over-snaplen.pcap" 2>/dev/null | wc -l)
run over-snaplen.pcap 0 && [ "$(pkts_of "$tmp/over-snaplen.pcap.json")" = "$want" ] &&
	ok "records longer than the file's snapshot length are read as tshark reads them ($want)" ||
	bad "over-snaplen: $(pkts_of "$tmp/over-snaplen.pcap.json") packets, tshark $want"
want=$(tshark -r "$tmp/caplen-over-len.pcap" 2>/dev/null | wc -l)
run caplen-over-len.pcap 0 && [ "$(pkts_of "$tmp/caplen-over-len.pcap.json")" = "$want" ] &&
	ok "a record captured longer than it was on the wire is read ($want packets, as tshark)" ||
	bad "caplen > len: $(pkts_of "$tmp/caplen-over-len.pcap.json") packets, tshark $want"
# tshark lists unknown blocks as entries of their own: count its IP packets
want=$(tshark -r "$tmp/unknown-blocks.pcapng" -Y ip 2>/dev/null | wc -l)
run unknown-blocks.pcapng 0 && [ "$want" = 40 ] && [ "$(pkts_of "$tmp/unknown-blocks.pcapng.json")" = 40 ] &&
	ok "pcapng with unknown blocks between the packets: the 40 packets, as tshark" ||
	bad "unknown blocks: $(pkts_of "$tmp/unknown-blocks.pcapng.json") packets, tshark $want"
if run cut-block.pcapng 2; then
	named "pcapng cut inside a block: exit 2, file and packet named" "cut-block.pcapng: damaged capture at packet 26"
	[ "$(pkts_of "$tmp/cut-block.pcapng.json")" = 25 ] && ok "the 25 packets before the cut are written" ||
		bad "packets before the cut: $(pkts_of "$tmp/cut-block.pcapng.json")"
fi

# flows (addresses, ports, packets, first and last time) of a run, one a line
flows_of() {
	python3 -c '
import json, sys
for e in map(json.loads, open(sys.argv[1])):
    if e.get("event_type") == "flow":
        f = e["flow"]
        print(e["src_ip"], e.get("src_port"), e["dest_ip"], e.get("dest_port"), f["pkts_toserver"], f["pkts_toclient"], f["start"], f["end"])' "$1" | sort
}
run little-endian.pcap 0 && flows_of "$tmp/little-endian.pcap.json" >"$tmp/le.flows"
for v in big-endian nanoseconds; do
	run "$v.pcap" 0 && flows_of "$tmp/$v.pcap.json" >"$tmp/$v.flows" && [ -s "$tmp/le.flows" ] &&
		cmp -s "$tmp/le.flows" "$tmp/$v.flows" && ok "$v pcap: the same $(wc -l <"$tmp/le.flows") flows, packets and times" ||
		bad "$v pcap differs: $(diff "$tmp/le.flows" "$tmp/$v.flows" | head -c 300)"
done

echo "damaged: $fails failed"
[ "$fails" -eq 0 ]

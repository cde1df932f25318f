#!/usr/bin/env python3
"""make-corpus.py PCAPS_DIR SIGNATURES_DIR OUT_DIR: seed corpora for the fuzz targets, made from the captures
(classic pcap files, the tunnel captures of pcaps/tunnels/ and pcaps/cm-tunnels*.pcap included: one seed per
frame, with the link-type selector byte fuzz_packet expects; their payloads for the payload parsers), the small capture files whole (pcapng and pcap) for the file readers, and the signatures
files."""
import glob
import os
import struct
import sys

DLT_INDEX = {1: 0, 113: 1, 276: 2, 12: 3, 0: 4, 108: 5, 101: 6}


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            end = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            end = ">"
        else:
            return
        dlt = struct.unpack(end + "I", head[20:24])[0] & 0xffff
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(end + "I", rec[8:12])[0]
            if incl > 262144:
                return
            data = f.read(incl)
            if len(data) < incl:
                return
            yield dlt, data


def tcp_payload(data):
    """(src, dst, payload) of an Ethernet IPv4/IPv6 TCP frame, or None."""
    if len(data) < 14:
        return None
    etype, off = struct.unpack(">H", data[12:14])[0], 14
    if etype == 0x8100 and len(data) >= 18:
        etype, off = struct.unpack(">H", data[16:18])[0], 18
    if etype == 0x0800 and len(data) >= off + 20 and data[off + 9] == 6:
        ihl, total = (data[off] & 15) * 4, struct.unpack(">H", data[off + 2:off + 4])[0]
        src, dst, tcp, end = data[off + 12:off + 16], data[off + 16:off + 20], off + ihl, off + total
    elif etype == 0x86dd and len(data) >= off + 40 and data[off + 6] == 6:
        plen = struct.unpack(">H", data[off + 4:off + 6])[0]
        src, dst, tcp, end = data[off + 8:off + 24], data[off + 24:off + 40], off + 40, off + 40 + plen
    else:
        return None
    if len(data) < tcp + 20:
        return None
    sport, dport = struct.unpack(">HH", data[tcp:tcp + 4])
    body = tcp + (data[tcp + 12] >> 4) * 4
    return (src, sport), (dst, dport), data[body:min(end, len(data))]


def tls_seeds(path, out, n):
    """fuzz_tls seeds: each TLS connection of a capture as the target's chunks (control byte: direction and the
    length's high bits, length byte, payload)."""
    conns = {}
    for dlt, data in frames(path):
        seg = tcp_payload(data) if dlt == 1 else None
        if not seg or not seg[2]:
            continue
        key = frozenset((seg[0], seg[1]))
        c = conns.setdefault(key, {"client": seg[0], "chunks": bytearray()})
        d = 0 if seg[0] == c["client"] else 1
        payload = seg[2]
        for i in range(0, len(payload), 2048):
            part = payload[i:i + 2048]
            c["chunks"] += bytes([d | ((len(part) - 1) >> 8) << 3, (len(part) - 1) & 0xff]) + part
    for c in conns.values():
        if c["chunks"][2:3] == b"\x16" and len(c["chunks"]) < 200000:
            with open(os.path.join(out, "fuzz_tls", f"s{n}"), "wb") as o:
                o.write(c["chunks"])
            n += 1
    return n
def auth_seeds(out, n, data):
    """fuzz_auth: the payloads that carry NTLMSSP, SPNEGO, an HTTP authentication header or a DHCP message;
    HTTP header values alone, and DHCP from its fixed header on."""
    for cut in (54, 42):
        p = data[cut:]
        if b"NTLMSSP" in p or b"\x06\x06\x2b\x06\x01\x05\x05\x02" in p or p[236:240] == b"\x63\x82\x53\x63":
            with open(os.path.join(out, "fuzz_auth", f"s{n}-{cut}"), "wb") as o:
                o.write(p)
        for line in p.split(b"\r\n"):
            name, _, value = line.partition(b": ")
            if name.lower() in (b"authorization", b"www-authenticate") and value:
                with open(os.path.join(out, "fuzz_auth", f"h{n}-{cut}"), "wb") as o:
                    o.write(value)


def main():
    pcaps, sigs, out = sys.argv[1:4]
    for t in ("fuzz_packet", "fuzz_dcerpc", "fuzz_smb", "fuzz_parsers", "fuzz_config", "fuzz_pcapng", "fuzz_json", "fuzz_tls"):
        os.makedirs(os.path.join(out, t), exist_ok=True)
    os.makedirs(os.path.join(out, "fuzz_auth"), exist_ok=True)
    n = 0
    for path in sorted(glob.glob(os.path.join(pcaps, "*.pcap*")) + glob.glob(os.path.join(pcaps, "public", "*")) +
                       glob.glob(os.path.join(pcaps, "tunnels", "*.pcap"))):
        if path.endswith((".md", ".tsv")):
            continue
        with open(path, "rb") as f:
            # whole files for the file readers: pcapng, and small classic pcap files
            if f.read(4) in (b"\x0a\x0d\x0d\x0a", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1") and \
                    os.path.getsize(path) < 65536:
                with open(os.path.join(out, "fuzz_pcapng", f"s{n}"), "wb") as o:
                    o.write(open(path, "rb").read())
                n += 1
        n = tls_seeds(path, out, n)
        for i, (dlt, data) in enumerate(frames(path)):
            if i >= 120 or dlt not in DLT_INDEX:
                break
            early = i < 40  # the first 40 frames for every target, 120 for the stream parsers (SMB comes late)
            if early:
                with open(os.path.join(out, "fuzz_packet", f"s{n}"), "wb") as o:
                    o.write(bytes([DLT_INDEX[dlt]]) + data)
            # payload-ish seeds: the frame minus a typical Ethernet + IPv4 + TCP/UDP header
            # fuzz_smb: the SMB frames (NetBIOS header then 0xFF/0xFE/0xFD 'SMB'), Ethernet + IPv4 + TCP with
            # timestamps (66 bytes) or without (54)
            for cut, target in ((54, "fuzz_parsers"), (42, "fuzz_parsers"), (54, "fuzz_dcerpc"), (66, "fuzz_dcerpc"),
                                (54, "fuzz_smb"), (66, "fuzz_smb")):
                if (target == "fuzz_smb" and data[cut + 5:cut + 8] != b"SMB") or \
                        (not early and target not in ("fuzz_smb", "fuzz_dcerpc")):
                    continue
                if len(data) > cut + 4 and (target != "fuzz_dcerpc" or data[cut] in (4, 5)):
                    with open(os.path.join(out, target, f"s{n}-{cut}"), "wb") as o:
                        o.write(data[cut:])
            auth_seeds(out, n, data)
            n += 1
    for sel, name in ((0, "configmgr2007.rules"), (1, "example-site.conf"), (2, "http-methods.txt"), (3, "fingerprints.txt"),
                      (4, "policy.txt"), (5, "configmgr-cb.rules"), (6, "policy-cb.txt"), (7, "detections.txt"),
                      (9, "example-site-cb.conf")):
        with open(os.path.join(out, "fuzz_config", f"sig{sel}"), "wb") as o:
            o.write(bytes([sel]) + open(os.path.join(sigs, name), "rb").read())
    for i, s in enumerate([b"plain", b"quote\" back\\slash", b"\x00\x01\x1f\x7f", "gr\u00fc\u00df \u20ac".encode(),
                           b"\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff"]):
        with open(os.path.join(out, "fuzz_json", f"s{i}"), "wb") as o:
            o.write(s)
    # EVE lines for the reader of --from-eve
    for i, s in enumerate([b'{"event_type":"flow","flow":{"bytes_toserver":12,"start":"2026"},"configmgr":{"src_roles":["client"],'
                           b'"http":{"url":"/SMS_MP/\\u00e9\\ud83d\\ude00"},"verdict":"expected"}}',
                           b'[1,-2.5e3,true,false,null,{"a":[{}]}]', b'"\\ud800 lone"']):
        with open(os.path.join(out, "fuzz_json", f"eve{i}"), "wb") as o:
            o.write(s)
    # fuzz_community_id reads frames as fuzz_packet does
    ci = os.path.join(out, "fuzz_community_id")
    if not os.path.exists(ci):
        os.symlink("fuzz_packet", ci)
    print(f"make-corpus: {n} seeds from captures")


if __name__ == "__main__":
    main()

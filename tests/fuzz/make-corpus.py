#!/usr/bin/env python3
"""make-corpus.py PCAPS_DIR SIGNATURES_DIR OUT_DIR: seed corpora for the fuzz targets, made from the captures
(classic pcap files: one seed per frame, with the link-type selector byte fuzz_packet expects; their payloads for
the payload parsers), the small capture files whole (pcapng and pcap) for the file readers, and the signatures
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
    for t in ("fuzz_packet", "fuzz_dcerpc", "fuzz_parsers", "fuzz_config", "fuzz_pcapng", "fuzz_json"):
        os.makedirs(os.path.join(out, t), exist_ok=True)
    os.makedirs(os.path.join(out, "fuzz_auth"), exist_ok=True)
    n = 0
    for path in sorted(glob.glob(os.path.join(pcaps, "*.pcap*")) + glob.glob(os.path.join(pcaps, "public", "*"))):
        if path.endswith(".md"):
            continue
        with open(path, "rb") as f:
            # whole files for the file readers: pcapng, and small classic pcap files
            if f.read(4) in (b"\x0a\x0d\x0d\x0a", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1") and \
                    os.path.getsize(path) < 65536:
                with open(os.path.join(out, "fuzz_pcapng", f"s{n}"), "wb") as o:
                    o.write(open(path, "rb").read())
                n += 1
        for i, (dlt, data) in enumerate(frames(path)):
            if i >= 40 or dlt not in DLT_INDEX:
                break
            with open(os.path.join(out, "fuzz_packet", f"s{n}"), "wb") as o:
                o.write(bytes([DLT_INDEX[dlt]]) + data)
            # payload-ish seeds: the frame minus a typical Ethernet + IPv4 + TCP/UDP header
            for cut, target in ((54, "fuzz_parsers"), (42, "fuzz_parsers"), (54, "fuzz_dcerpc")):
                if len(data) > cut + 4 and (target != "fuzz_dcerpc" or data[cut] in (4, 5)):
                    with open(os.path.join(out, target, f"s{n}-{cut}"), "wb") as o:
                        o.write(data[cut:])
            auth_seeds(out, n, data)
            n += 1
    for sel, name in ((0, "configmgr2007.rules"), (1, "example-site.conf"), (2, "http-methods.txt"), (3, "fingerprints.txt"),
                      (4, "policy.txt")):
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
    print(f"make-corpus: {n} seeds from captures")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""gencap.py KIND OUT.pcap [SEED]: the benchmark captures, deterministic from the seed.

KIND bulk:  a ConfigMgr-shaped capture of about 1.3 M packets and 60 k flows: clients of site ABC
            (signatures/example-site.conf) posting to the management point over TLS and HTTP (CCM_POST), large
            distribution point downloads over HTTP and SMB, software update scans, DNS, Kerberos, the endpoint
            mapper with its dynamic RPC connections, Wake On LAN and a multicast session.
KIND short: about 2 M packets in 300 k short flows of the same kinds (no bulk transfers).
KIND bulk-vxlan: the bulk capture as a cloud mirror session sends it: every frame in VXLAN (RFC 7348, UDP 4789,
            VNI 4242, source port a hash of the inner addresses) from 192.0.2.1 to the sensor 192.0.2.2.
KIND site:  a real site's day for the report's tests (tests/e2e/scale.sh): about 20 k conversations of the bulk
            kinds without the large transfers, spread over eight hours of packet time, with strangers on the
            management point, cleartext on the distribution point's HTTPS port, the distribution point opening SMB
            to the site server (the wrong way round), and clients that stop using HTTP after five hours.

Payloads are well-formed enough for the parsers and nDPI to do their real work: HTTP request lines and headers,
TLS ClientHello with SNI, SMB2 NEGOTIATE, DCE/RPC binds, DNS queries, Kerberos AS-REQ and AS-REP (RFC 4120 DER)."""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from pktgen import ether, ipv4, pcap_header, pcap_record  # noqa: E402

MSS = 1448


def hash_addrs(a, b):
    """A direction-free hash of two addresses (the VXLAN source port's entropy)."""
    x, y = sorted((bytes(a), bytes(b)))
    return int.from_bytes(x, "big") * 31 + int.from_bytes(y, "big")


VTEP, SENSOR = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])


class Writer:
    def __init__(self, path, start_us, vxlan=False):
        self.f = open(path, "wb", buffering=1 << 22)
        self.f.write(pcap_header())
        self.t = start_us
        self.n = 0
        self.ident = 0
        self.vxlan = vxlan

    def frame(self, src, dst, proto, l4, step_us=20):
        self.ident = (self.ident + 1) & 0xFFFF
        frame = ether("020000000002", "020000000001", ipv4(src, dst, proto, l4, self.ident, frag=0x4000))
        if self.vxlan:
            sport = 49152 + (hash_addrs(src, dst) & 0x3FFF)
            inner = struct.pack("!BBBBI", 0x08, 0, 0, 0, 4242 << 8) + frame
            frame = ether("0200c0000202", "0200c0000201",
                          ipv4(VTEP, SENSOR, 17, struct.pack("!HHHH", sport, 4789, 8 + len(inner), 0) + inner,
                               self.ident, frag=0x4000))
        self.t += step_us
        self.f.write(pcap_record(self.t, frame))
        self.n += 1

    def udp(self, src, dst, sport, dport, payload):
        self.frame(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


class Tcp:
    """One TCP conversation: handshake, data both ways in MSS segments with ACKs, FIN."""

    def __init__(self, w, cli, srv, sport, dport, rnd):
        self.w, self.cli, self.srv, self.sport, self.dport = w, cli, srv, sport, dport
        self.cseq, self.sseq = rnd.getrandbits(32), rnd.getrandbits(32)

    def seg(self, from_cli, flags, payload=b""):
        if from_cli:
            h = struct.pack("!HHIIBBHHH", self.sport, self.dport, self.cseq, self.sseq, 0x50, flags, 64240, 0, 0)
            self.w.frame(self.cli, self.srv, 6, h + payload)
            self.cseq = (self.cseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        else:
            h = struct.pack("!HHIIBBHHH", self.dport, self.sport, self.sseq, self.cseq, 0x50, flags, 64240, 0, 0)
            self.w.frame(self.srv, self.cli, 6, h + payload)
            self.sseq = (self.sseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF

    def open(self):
        self.seg(True, 0x02)
        self.seg(False, 0x12)
        self.seg(True, 0x10)

    def send(self, from_cli, data, ack_every=2):
        for i in range(0, len(data), MSS):
            self.seg(from_cli, 0x18, data[i:i + MSS])
            if (i // MSS) % ack_every == ack_every - 1:
                self.seg(not from_cli, 0x10)

    def bulk(self, from_cli, nbytes, chunk):
        """nbytes of body in MSS segments, every other one acknowledged (without building the whole body)."""
        for i in range(0, nbytes, MSS):
            self.seg(from_cli, 0x10, chunk[:min(MSS, nbytes - i)])
            if (i // MSS) % 2:
                self.seg(not from_cli, 0x10)

    def close(self):
        self.seg(True, 0x11)
        self.seg(False, 0x11)
        self.seg(True, 0x10)


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!H", 4) + b"\xc0\x2f\x00\x9c" + b"\x01\x00"
    body += struct.pack("!H", len(sni_ext)) + sni_ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


SERVER_HELLO = b"\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03" + bytes(32) + b"\x00\xc0\x2f\x00\x00\x05\xff\x01\x00\x01\x00"


def http_req(method, url, host, body=b"", ua="SMS CCM 5.0"):
    head = f"{method} {url} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def http_resp(n):
    return f"HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nContent-Type: application/octet-stream\r\n\r\n".encode()


SMB2_NEGOTIATE = (b"\x00\x00\x00\x66" + b"\xfeSMB" + struct.pack("<HHIHHII", 64, 0, 0, 0, 31, 0, 0) + bytes(44) +
                  struct.pack("<HHHHI", 36, 2, 1, 0, 0x7F) + bytes(16) + bytes(8) + struct.pack("<HH", 0x0202, 0x0210))

EPM_UUID = bytes.fromhex("083afce1ae5c1a41b2e1f0101e56e5e5")  # e1af8308-5d1f-11c9-91a4-08002b14a0fa (wire order)


def rpc_bind(uuid):
    ctx = struct.pack("<HBB", 0, 1, 0) + uuid + struct.pack("<HH", 3, 0) + bytes.fromhex(
        "045d888aeb1cc9119fe808002b104860") + struct.pack("<I", 2)
    body = struct.pack("<HHIBBH", 4280, 4280, 0, 1, 0, 0) + ctx
    return struct.pack("<BBBB4sHHI", 5, 0, 11, 3, b"\x10\x00\x00\x00", 16 + len(body), 0, 1) + body


def dns_query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def der(tag, content):
    """A DER element (X.690): tag, definite length, content."""
    n = len(content)
    length = bytes([n]) if n < 128 else b"\x81" + bytes([n]) if n < 256 else b"\x82" + struct.pack("!H", n)
    return bytes([tag]) + length + content


def der_int(v):
    return der(0x02, v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True))


def krb_string(s):
    return der(0x1b, s.encode())


def krb_principal(name_type, names):
    return der(0x30, der(0xa0, der_int(name_type)) + der(0xa1, der(0x30, b"".join(krb_string(n) for n in names))))


def krb_as_req(user, realm, nonce):
    """RFC 4120 AS-REQ (APPLICATION 10) as a Windows client sends it first: no pre-authentication yet."""
    body = der(0x30, der(0xa0, der(0x03, b"\x00\x40\x81\x00\x10")) + der(0xa1, krb_principal(1, [user])) +
               der(0xa2, krb_string(realm)) + der(0xa3, krb_principal(2, ["krbtgt", realm])) +
               der(0xa5, der(0x18, b"20370913024805Z")) + der(0xa7, der_int(nonce)) +
               der(0xa8, der(0x30, der_int(18) + der_int(17) + der_int(23))))
    msg = der(0x6a, der(0x30, der(0xa1, der_int(5)) + der(0xa2, der_int(10)) + der(0xa4, body)))
    return struct.pack("!I", len(msg)) + msg


def krb_as_rep(user, realm, size):
    """RFC 4120 AS-REP (APPLICATION 11): the ticket and the encrypted part are opaque filler of about size bytes."""
    ticket = der(0x61, der(0x30, der(0xa0, der_int(5)) + der(0xa1, krb_string(realm)) +
                          der(0xa2, krb_principal(2, ["krbtgt", realm])) +
                          der(0xa3, der(0x30, der(0xa0, der_int(18)) + der(0xa2, der(0x04, bytes(size // 2)))))))
    enc = der(0x30, der(0xa0, der_int(18)) + der(0xa2, der(0x04, bytes(size // 3))))
    msg = der(0x6b, der(0x30, der(0xa0, der_int(5)) + der(0xa1, der_int(11)) + der(0xa3, krb_string(realm)) +
                        der(0xa4, krb_principal(1, [user])) + der(0xa5, ticket) + der(0xa6, enc)))
    return struct.pack("!I", len(msg)) + msg


def ip(a, b, c, d):
    return bytes((a, b, c, d))


MP, DP, SUP, DC, SS = ip(10, 1, 0, 10), ip(10, 1, 0, 11), ip(10, 1, 0, 12), ip(10, 9, 0, 1), ip(10, 1, 0, 5)
MCAST_DP, GROUP = ip(10, 1, 0, 30), ip(239, 255, 10, 1)


def client(rnd):
    n = rnd.randrange(1, 60000)
    return ip(10, 2, n >> 8, n & 0xFF or 1)


def conversation(w, rnd, kind, bulk):
    cli = client(rnd)
    sport = rnd.randrange(1024, 65535)
    if kind == "tls-mp":
        c = Tcp(w, cli, MP, sport, 443, rnd)
        c.open()
        c.send(True, client_hello("mp.abc.example"))
        c.send(False, SERVER_HELLO + bytes(rnd.randrange(900, 3000)))
        c.send(True, b"\x17\x03\x03\x02\x00" + bytes(512))
        c.send(False, b"\x17\x03\x03\x04\x00" + bytes(1024))
        c.close()
    elif kind == "http-mp":
        c = Tcp(w, cli, MP, sport, 80, rnd)
        c.open()
        c.send(True, http_req("CCM_POST", "/ccm_system/request", "mp.abc.example", bytes(rnd.randrange(300, 2000))))
        c.send(False, http_resp(400) + bytes(400))
        c.close()
    elif kind == "http-dp":
        c = Tcp(w, cli, DP, sport, 80, rnd)
        c.open()
        size = rnd.randrange(2, 6) * 1000000 if bulk else rnd.randrange(2000, 20000)
        c.send(True, http_req("GET", f"/SMS_DP_SMSPKG$/ABC0000{rnd.randrange(10)}/setup.cab", "dp.abc.example",
                              ua="Microsoft BITS/7.0"))
        c.send(False, http_resp(size))
        c.bulk(False, size, bytes(MSS))
        c.close()
    elif kind == "smb-dp":
        c = Tcp(w, cli, DP, sport, 445, rnd)
        c.open()
        c.send(True, SMB2_NEGOTIATE)
        c.send(False, SMB2_NEGOTIATE)
        size = rnd.randrange(1, 4) * 1000000 if bulk else rnd.randrange(2000, 20000)
        c.bulk(False, size, b"\x00\x00\xff\xff\xfeSMB" + bytes(MSS - 8))
        c.close()
    elif kind == "sup":
        c = Tcp(w, cli, SUP, sport, 8530, rnd)
        c.open()
        c.send(True, http_req("POST", "/ClientWebService/client.asmx", "sup.abc.example", bytes(1500),
                              ua="Windows-Update-Agent"))
        c.send(False, http_resp(3000) + bytes(3000))
        c.close()
    elif kind == "krb":
        c = Tcp(w, cli, DC, sport, 88, rnd)
        c.open()
        user = f"client{sport}"
        c.send(True, krb_as_req(user, "ABC.EXAMPLE", rnd.getrandbits(31)))
        c.send(False, krb_as_rep(user, "ABC.EXAMPLE", 1100))
        c.close()
    elif kind == "rpc":
        c = Tcp(w, SS, cli, sport, 135, rnd)
        c.open()
        c.send(True, rpc_bind(EPM_UUID))
        c.send(False, bytes(60))
        c.close()
        d = Tcp(w, SS, cli, rnd.randrange(1024, 65535), rnd.randrange(49152, 65535), rnd)
        d.open()
        d.send(True, rpc_bind(EPM_UUID))
        d.send(False, bytes(200))
        d.close()
    elif kind == "dns":
        qid = rnd.getrandbits(16)
        name = f"host{rnd.randrange(100000)}.abc.example"
        w.udp(cli, DC, sport, 53, dns_query(qid, name))
        w.udp(DC, cli, 53, sport, dns_query(qid, name)[:2] + b"\x81\x80" + dns_query(qid, name)[4:] + bytes(16))
    elif kind == "stranger":  # a host no host line names, on the management point's HTTPS port
        c = Tcp(w, ip(10, 7, rnd.randrange(256), rnd.randrange(1, 255)), MP, sport, 443, rnd)
        c.open()
        c.send(True, client_hello("mp.abc.example"))
        c.send(False, SERVER_HELLO + bytes(900))
        c.close()
    elif kind == "http-on-443":  # cleartext HTTP on the distribution point's HTTPS port
        c = Tcp(w, cli, DP, sport, 443, rnd)
        c.open()
        c.send(True, http_req("GET", "/SMS_DP_SMSPKG$/ABC00001/setup.cab", "dp.abc.example", ua="Microsoft BITS/7.0"))
        c.send(False, http_resp(4000) + bytes(4000))
        c.close()
    elif kind == "dp-to-ss":  # a one-way path the wrong way round: the distribution point opens SMB to the site server
        c = Tcp(w, DP, SS, sport, 445, rnd)
        c.open()
        c.send(True, SMB2_NEGOTIATE)
        c.send(False, SMB2_NEGOTIATE)
        c.close()
    elif kind == "wol":
        mac = bytes(rnd.getrandbits(8) for _ in range(6))
        w.udp(SS, ip(10, 2, 255, 255), rnd.randrange(1024, 65535), 9, b"\xff" * 6 + mac * 16)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 2007)
    w = Writer(out, 1795500000 * 1000000, vxlan=kind == "bulk-vxlan")
    if kind in ("bulk", "bulk-vxlan"):
        mix = [("tls-mp", 22000), ("http-mp", 10000), ("sup", 3000), ("krb", 4000), ("rpc", 1500), ("dns", 17000),
               ("wol", 500), ("http-dp", 180), ("smb-dp", 90)]
        big = {"http-dp", "smb-dp"}
        mcast_packets = 60000
    elif kind == "short":
        mix = [("tls-mp", 90000), ("http-mp", 60000), ("sup", 10000), ("krb", 20000), ("rpc", 5000),
               ("dns", 100000), ("wol", 5000), ("http-dp", 3000), ("smb-dp", 2000)]
        big = set()
        mcast_packets = 0
    elif kind == "site":
        mix = [("tls-mp", 7000), ("http-mp", 4000), ("sup", 1000), ("krb", 1500), ("rpc", 500), ("dns", 6000),
               ("wol", 200), ("http-dp", 100), ("smb-dp", 60), ("stranger", 300), ("http-on-443", 40),
               ("dp-to-ss", 12)]
        big = set()
        mcast_packets = 2000
    else:
        sys.exit("usage: gencap.py bulk|short|bulk-vxlan|site OUT.pcap [SEED]")
    order = [k for k, n in mix for _ in range(n)]
    rnd.shuffle(order)
    mcast_every = max(1, len(order) // mcast_packets) if mcast_packets else 0
    gap_us = 8 * 3600 * 1000000 // len(order) if kind == "site" else 0  # eight hours of a site's day
    for i, k in enumerate(order):
        w.t += gap_us
        if kind == "site" and k == "http-mp" and i > len(order) * 5 // 8:
            k = "tls-mp"  # the site's clients moved to HTTPS after five hours: the timeline shows HTTP stop
        conversation(w, rnd, k, k in big)
        if mcast_every and i % mcast_every == 0:
            w.udp(MCAST_DP, GROUP, 63010, 63001, bytes(1400))
    print(f"gencap: {kind}: {w.n} packets, {len(order) + (1 if mcast_packets else 0)} conversations -> {out}")


if __name__ == "__main__":
    main()

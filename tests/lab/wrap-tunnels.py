#!/usr/bin/python3
"""wrap-tunnels.py: a capture mirrored through the encapsulations switches and clouds use, built with scapy from
their specifications (no program on this machine sends them: the kernel has VXLAN only, tests/lab/make-vxlan.sh).

  wrap-tunnels.py demo IN.pcap OUTDIR     every frame of IN (Ethernet) wrapped as a mirror session would send it,
                                          one capture per encapsulation: OUTDIR/NAME-KIND.pcap (KIND below)
  wrap-tunnels.py samples GOOD.pcap BAD.pcap   a few frames of every encapsulation cmflow opens (GOOD), and of
                                          the ones it must count and leave closed (BAD): pcaps/cm-tunnels.pcap and
                                          pcaps/cm-tunnels-closed.pcap, listed in pcaps/README.md

The mirror: switch 192.0.2.1 (02:00:c0:00:02:01) -> sensor 192.0.2.2 (02:00:c0:00:02:02), every frame of IN in
its order and with its time. Encapsulations (KIND):
  vxlan       RFC 7348: UDP 4789, flags I, VNI 4242; source port a hash of the inner flow (RFC 7348 section 5)
  geneve      RFC 8926: UDP 6081, protocol 0x6558, VNI 4243, one 4-byte option (class 0x0103, type 0x80)
  erspan2     draft-foschiano-erspan-03 type II: GRE with a sequence number, 0x88BE; version 1, session 100
  erspan3     type III: GRE 0x22EB with a sequence number; version 2, session 200, 100 us timestamps, the
              optional 8-byte platform-specific sub-header (platform id 3: port index and upper timestamp)
  gre         RFC 2784 / RFC 2890: GRE with key 7 carrying the inner IPv4 packets (0x0800; the Ethernet header and
              the frames without IP, ARP, are left out as a router's GRE tunnel would)
  gre-eth     GRE with a checksum, transparent Ethernet bridging (0x6558): the whole frame
  ipip        RFC 2003: IPv4 in IPv4 (protocol 4), the inner IPv4 packets
Debian package: python3-scapy
"""
import struct
import sys
import zlib

from scapy.all import Ether, IP, IPv6, UDP, TCP, GRE, Raw, PcapReader, PcapWriter, conf  # noqa: F401
from scapy.layers.vxlan import VXLAN

conf.verb = 0
SWITCH_MAC, SENSOR_MAC = "02:00:c0:00:02:01", "02:00:c0:00:02:02"
SWITCH, SENSOR = "192.0.2.1", "192.0.2.2"


def outer(proto, ident):
    return Ether(src=SWITCH_MAC, dst=SENSOR_MAC) / IP(src=SWITCH, dst=SENSOR, proto=proto, id=ident & 0xffff,
                                                       flags="DF", ttl=64)


def entropy_port(frame):
    """RFC 7348: the outer UDP source port from a hash of the inner headers, in 49152..65535."""
    b = bytes(frame)
    return 49152 + (zlib.crc32(b[12:14] + b[26:38]) & 0x3fff)


def geneve_header(vni, proto=0x6558):
    """RFC 8926 section 3.4: Ver 0, Opt Len in 4-byte words, O and C clear, Protocol Type, VNI; one option:
    class 0x0103, type 0x80, length 1 word, 4 bytes of data."""
    option = struct.pack("!HBB", 0x0103, 0x80, 1) + b"\x00\x00\x00\x2a"
    return struct.pack("!BBHI", len(option) // 4, 0, proto, vni << 8) + option


def erspan2_header(session, index):
    """Type II: Ver 1 (4 bits), VLAN (12), COS (3), En (2), T (1), Session ID (10), Reserved (12), Index (20)."""
    return struct.pack("!HHI", 1 << 12, session & 0x3ff, index & 0xfffff)


def erspan3_header(session, ts_100us, with_subheader=True, frame_type=0):
    """Type III: Ver 2, VLAN, COS, BSO, T, Session ID; Timestamp (32); SGT (16); P, FT (5), Hw ID (6), D, Gra (2),
    O; then, when O is set, the platform-specific sub-header: Platf ID 3 (6 bits), reserved, port index, upper
    timestamp."""
    bits = (frame_type << 10) | (0 << 1) | (1 if with_subheader else 0)  # Gra 0: 100 microseconds
    h = struct.pack("!HHIHH", 2 << 12, session & 0x3ff, ts_100us & 0xffffffff, 0, bits)
    if with_subheader:
        h += struct.pack("!II", (3 << 26) | 7, ts_100us >> 32)
    return h


def gre_header(proto, key=None, seq=None, checksum=False):
    """RFC 2784 / 2890: C, K, S flags, version 0, protocol; checksum (zero here: cmflow and tshark do not
    verify it) and reserved1, key, sequence number as present."""
    flags = (0x8000 if checksum else 0) | (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    if checksum:
        h += b"\x00\x00\x00\x00"
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq & 0xffffffff)
    return h


def inner_ip(frame):
    """The IPv4 packet of an Ethernet frame, or None (ARP, IPv6 ...)."""
    b = bytes(frame)
    if len(b) < 34 or b[12:14] != b"\x08\x00":
        return None
    return b[14:]


KINDS = ["vxlan", "geneve", "erspan2", "erspan3", "gre", "gre-eth", "ipip"]


def wrap(kind, frame, n, ts):
    b = bytes(frame)
    if kind == "vxlan":
        return outer(17, n) / UDP(sport=entropy_port(frame), dport=4789) / VXLAN(flags=0x08, vni=4242) / Raw(b)
    if kind == "geneve":
        return outer(17, n) / UDP(sport=entropy_port(frame), dport=6081) / Raw(geneve_header(4243) + b)
    if kind == "erspan2":
        return outer(47, n) / Raw(gre_header(0x88be, seq=n) + erspan2_header(100, n) + b)
    if kind == "erspan3":
        return outer(47, n) / Raw(gre_header(0x22eb, seq=n) + erspan3_header(200, int(ts * 10000)) + b)
    if kind == "gre":
        ip = inner_ip(frame)
        return None if ip is None else outer(47, n) / Raw(gre_header(0x0800, key=7) + ip)
    if kind == "gre-eth":
        return outer(47, n) / Raw(gre_header(0x6558, checksum=True) + b)
    if kind == "ipip":
        ip = inner_ip(frame)
        return None if ip is None else outer(4, n) / Raw(ip)
    raise ValueError(kind)


def demo(src, outdir):
    name = src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    frames = [(float(f.time), f) for f in PcapReader(src)]
    for kind in KINDS:
        path = f"{outdir}/{name}-{kind}.pcap"
        w = PcapWriter(path, linktype=1, sync=False)
        n = 0
        for ts, f in frames:
            p = wrap(kind, f, n, ts)
            if p is None:
                continue
            p.time = ts
            w.write(p)
            n += 1
        w.close()
        print(f"wrap-tunnels.py: {path}: {n} frames")


def samples(good, bad):
    """A few frames of each kind into good, one inner TCP conversation each (10.2.0.21:40001.. -> 10.1.0.10:80, a
    SYN and a SYN-ACK); into bad, the cases cmflow must count and leave closed."""
    t = 1700000000.0
    out = []

    def inner_eth(sport, flags, rev=False, vlan=None):
        a, b = ("10.1.0.10", "10.2.0.21") if rev else ("10.2.0.21", "10.1.0.10")
        ps, pd = (80, sport) if rev else (sport, 80)
        e = Ether(src="02:00:0a:02:00:15", dst="02:00:0a:01:00:0a")
        if vlan is not None:
            from scapy.all import Dot1Q
            e = e / Dot1Q(vlan=vlan)
        return e / IP(src=a, dst=b) / TCP(sport=ps, dport=pd, flags=flags, seq=1000)

    def pair(sport, make, vlan=None):
        for rev, flags in ((False, "S"), (True, "SA")):
            out.append(make(inner_eth(sport, flags, rev, vlan)))

    n = [0]

    def nxt():
        n[0] += 1
        return n[0]

    pair(40001, lambda f: outer(17, nxt()) / UDP(sport=50001, dport=4789) / VXLAN(flags=0x08, vni=1) / f)
    pair(40001, lambda f: outer(17, nxt()) / UDP(sport=50002, dport=4789) / VXLAN(flags=0x08, vni=2) / f)
    pair(40002, lambda f: outer(17, nxt()) / UDP(sport=50003, dport=6081) / Raw(geneve_header(3) + bytes(f)))
    pair(40003, lambda f: outer(47, nxt()) / Raw(gre_header(0x88be) + bytes(f)), vlan=10)  # ERSPAN I
    pair(40004, lambda f: outer(47, nxt()) / Raw(gre_header(0x88be, seq=nxt()) + erspan2_header(5, 1) + bytes(f)))
    pair(40005, lambda f: outer(47, nxt()) / Raw(gre_header(0x22eb, seq=nxt()) + erspan3_header(6, 77) + bytes(f)))
    pair(40006, lambda f: outer(47, nxt()) / Raw(gre_header(0x22eb) + erspan3_header(6, 78, False) + bytes(f)))
    pair(40007, lambda f: outer(47, nxt()) / Raw(gre_header(0x0800, key=9, seq=nxt(), checksum=True) +
                                                 bytes(f)[14:]))
    pair(40008, lambda f: outer(47, nxt()) / Raw(gre_header(0x6558) + bytes(f)))
    # VXLAN-GPE (4790): IPv4 payload (next protocol 1), then NSH MD type 2 without context headers over Ethernet
    pair(40009, lambda f: outer(17, nxt()) / UDP(sport=50004, dport=4790) /
         Raw(struct.pack("!BHBI", 0x0c, 0, 1, 7 << 8) + bytes(f)[14:]))
    pair(40010, lambda f: outer(17, nxt()) / UDP(sport=50005, dport=4790) /
         Raw(struct.pack("!BHBI", 0x0c, 0, 4, 8 << 8) + struct.pack("!HBBI", 2, 2, 3, (9 << 8) | 255) + bytes(f)))
    pair(40011, lambda f: outer(17, nxt()) / UDP(sport=50006, dport=4754) / Raw(gre_header(0x0800) + bytes(f)[14:]))
    pair(40012, lambda f: outer(4, nxt()) / Raw(bytes(f)[14:]))                                  # 4in4
    pair(40013, lambda f: Ether(src=SWITCH_MAC, dst=SENSOR_MAC) / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=4) /
         Raw(bytes(f)[14:]))                                                                   # 4in6
    # TZSP (37008): version 1, type 0 (received), Ethernet, a tag of 2 bytes, padding, end
    pair(40014, lambda f: outer(17, nxt()) / UDP(sport=50007, dport=37008) /
         Raw(struct.pack("!BBH", 1, 0, 1) + b"\x0a\x02\x00\x01\x00\x01" + bytes(f)))
    # VXLAN inside GRE inside IPv4: two levels
    pair(40015, lambda f: outer(47, nxt()) / Raw(gre_header(0x0800) + bytes(
        IP(src="198.51.100.1", dst="198.51.100.2") / UDP(sport=50008, dport=4789) / VXLAN(flags=0x08, vni=15) / f)))

    # IPv6 inner conversations: 6in4 and 6in6, and Teredo with an origin indicator
    def inner6(sport, rev):
        a, b = ("2001:db8:2::21", "2001:db8:1::10")
        if rev:
            a, b = b, a
        return IPv6(src=a, dst=b) / TCP(sport=80 if rev else sport, dport=sport if rev else 80,
                                        flags="SA" if rev else "S")
    for rev in (False, True):
        out.append(outer(41, nxt()) / inner6(40016, rev))
        out.append(Ether(src=SWITCH_MAC, dst=SENSOR_MAC) / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=41) /
                   inner6(40017, rev))
    teredo_client = "2001:0:4136:e378:8000:63bf:3fff:fdd2"
    out.append(outer(17, nxt()) / UDP(sport=3544, dport=34567) / Raw(struct.pack("!HHI", 0, 0x1234 ^ 0xffff,
                                                                                  0x7f000001 ^ 0xffffffff)) /
               IPv6(src="2001:db8:1::10", dst=teredo_client) / TCP(sport=80, dport=40018, flags="SA"))
    out.append(outer(17, nxt()) / UDP(sport=34567, dport=40000) /
               IPv6(src=teredo_client, dst="2001:db8:1::10") / TCP(sport=40018, dport=80, flags="S"))

    write(good, out, t)
    # not tunnels at all, uncounted: a VXLAN port with a header that is not VXLAN's (flags 0), a DNS answer to a
    # client whose port happens to be 3544 (Teredo's); tunnels left closed, counted: a Geneve option length past
    # the packet, GRE version 2, GRE carrying WCCP (0x883e), ERSPAN II of version 2, ERSPAN III of frame type 5,
    # Geneve carrying PPP (0x880b), VXLAN-GPE of next protocol 9, IPv4 in IPv4 holding IPv6, TZSP carrying 802.11
    # (encapsulation 18), TZSP tags past the packet; five levels of GRE in IPv4 (one too deep)
    f = inner_eth(40020, "S")
    dns = bytes.fromhex("12348180000100010000000003616263076578616d706c650000010001c00c000100010000003c00040a010003")
    out = [outer(17, 1) / UDP(sport=50010, dport=4789) / VXLAN(flags=0x00, vni=1) / f,
           outer(17, 2) / UDP(sport=53, dport=3544) / Raw(dns),
           outer(17, 3) / UDP(sport=50011, dport=6081) / Raw(b"\x3f" + geneve_header(3)[1:] + bytes(f)[:40]),
           outer(47, 4) / Raw(b"\x00\x02\x08\x00" + bytes(f)[14:]),
           outer(47, 5) / Raw(gre_header(0x883e) + bytes(f)[14:]),
           outer(47, 6) / Raw(gre_header(0x88be, seq=1) + b"\x20" + erspan2_header(5, 1)[1:] + bytes(f)),
           outer(47, 7) / Raw(gre_header(0x22eb) + erspan3_header(6, 1, False, frame_type=5) + bytes(f)),
           outer(17, 8) / UDP(sport=50012, dport=6081) / Raw(geneve_header(3, proto=0x880b) + bytes(f)),
           outer(17, 9) / UDP(sport=50013, dport=4790) / Raw(struct.pack("!BHBI", 0x0c, 0, 9, 1 << 8) + bytes(f)),
           outer(4, 10) / Raw(bytes(inner6(40021, False))),
           outer(17, 11) / UDP(sport=50014, dport=37008) / Raw(struct.pack("!BBH", 1, 0, 18) + b"\x01" + bytes(f)),
           outer(17, 12) / UDP(sport=50015, dport=37008) / Raw(struct.pack("!BBH", 1, 0, 1) + b"\x0a\x40\x00\x01")]
    deep = IP(bytes(f)[14:])
    for level in range(4):
        deep = IP(src=f"198.51.100.{10 + level}", dst="198.51.100.99", proto=47) / Raw(gre_header(0x0800) + bytes(deep))
    out.append(outer(47, 13) / Raw(gre_header(0x0800) + bytes(deep)))
    write(bad, out, t + 1)


def write(path, frames, t):
    w = PcapWriter(path, linktype=1, sync=False)
    for i, p in enumerate(frames):
        p.time = t + i * 0.001
        w.write(p)
    w.close()
    print(f"wrap-tunnels.py: {path}: {len(frames)} frames")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "demo":
        demo(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "samples":
        samples(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

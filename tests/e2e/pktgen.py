"""pktgen.py: what the capture generators of the tests and the benchmark share (tests/e2e/gen_flood.py,
tests/e2e/hostile.sh, bench/gencap.py): IPv4 packets with their header checksum, Ethernet framing, and the
classic pcap file header and record (microsecond timestamps, Ethernet link type)."""
import struct


def checksum(b):
    """The Internet checksum (RFC 1071) of b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF


def ipv4(src, dst, proto, l4, ident=1, frag=0, ttl=64):
    """An IPv4 packet (no options) around l4; src and dst are 4 bytes; frag holds flags and fragment offset."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident & 0xFFFF, frag, ttl, proto, 0, bytes(src),
                      bytes(dst))
    return hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:] + l4


def ether(dst_mac, src_mac, payload, ethertype=0x0800):
    """An Ethernet II frame; the MACs as 12-digit hex strings."""
    return bytes.fromhex(dst_mac + src_mac) + struct.pack("!H", ethertype) + payload


def pcap_header(snaplen=262144):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1)


def pcap_record(ts_us, frame):
    return struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, len(frame), len(frame)) + frame

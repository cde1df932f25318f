#!/usr/bin/env python3
"""gen_flood.py OUT.pcap SYN_FLOWS UDP_PACKETS START_US END_US [SEED]: a flood capture for tests/e2e/floods.sh.

SYN_FLOWS TCP SYNs, each from its own address and port (10.200.0.0/16 and up, sources never repeat) to the
management point 10.1.0.10 port 8443, and UDP_PACKETS datagrams from 10.201.x.x to random ports of 10.1.0.11,
timestamps spread evenly over [START_US, END_US] so that they interleave with a real capture merged into them.
Deterministic for a seed."""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktgen import ether, ipv4, pcap_header, pcap_record  # noqa: E402


def main():
    out, syn, udp, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    mp, dp = bytes([10, 1, 0, 10]), bytes([10, 1, 0, 11])
    total = syn + udp
    step = (end - start) / max(total, 1)
    kinds = [0] * syn + [1] * udp
    rnd.shuffle(kinds)
    with open(out, "wb") as f:
        f.write(pcap_header(65535))
        ns = nu = 0
        for i, k in enumerate(kinds):
            ts = int(start + i * step)
            if k == 0:
                n = ns
                ns += 1
                src = bytes([10, 200 + (n >> 16) % 50, (n >> 8) & 0xFF, n & 0xFF])
                sport = 1024 + (n * 7919) % 60000
                tcp = struct.pack("!HHIIBBHHH", sport, 8443, rnd.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
                pkt = ether("020000010010", "0200000a0001", ipv4(src, mp, 6, tcp, n))
            else:
                n = nu
                nu += 1
                src = bytes([10, 251, rnd.randrange(256), rnd.randrange(1, 255)])
                body = rnd.randbytes(rnd.randrange(0, 64))
                # ports that no rule of the port matrix names, so that the flood raises no finding of its own
                udph = struct.pack("!HHHH", rnd.randrange(1024, 65536), rnd.randrange(30000, 63000), 8 + len(body), 0)
                pkt = ether("020000010010", "0200000a0001", ipv4(src, dp, 17, udph + body, n))
            f.write(pcap_record(ts, pkt))


if __name__ == "__main__":
    main()

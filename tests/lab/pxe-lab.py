#!/usr/bin/env python3
"""pxe-lab.py: a ConfigMgr-style PXE answer on UDP 4011, and the client request that fetches it, for the lab.

No Debian program answers a PXE request with ConfigMgr's options, so this is a small responder of the lab's own,
built from the public description of the exchange (PXEThief, "Misconfiguration Manager" CRED-1; BOOTP/DHCP per
RFC 2131/2132, PXE options per RFC 4578). Plain sockets, no scapy.

  serve --address A --media key|path [--vars PATH] [--bcd PATH]
      answer every BOOTREQUEST on A:4011 with a DHCPACK carrying option 60 "PXEClient", option 243 and option
      252 (the BCD path). --media key: option 243 starts with type 2 and carries a (dummy) 48-byte key block,
      then the variables file's path as a type-1 entry: what a distribution point whose boot media has no
      password sends. --media path: type 1 and the path only: the media is password-protected.
  request --server S --client A --mac M [--uuid U]
      from A:68, send S:4011 the DHCPREQUEST that PXEThief documents (options 53, 55, 93, 250, 60, 97), wait for
      the answer and print the variables file and BCD paths it names, one per line (never the key).
  discover --mac M [--arch N] [--uuid U]
      an ordinary PXE client's DHCPDISCOVER and DHCPREQUEST broadcast to port 67 (options 60
      "PXEClient:Arch:...", 93, 97), for a DHCP server's ordinary PXE answer.

The dummy key is DUMMY_KEY below (fixed, so that tests can prove it never reaches cmflow's outputs).
"""
import argparse
import hashlib
import os
import socket
import struct
import sys

MAGIC = bytes([99, 130, 83, 99])
# 48 bytes standing for the encrypted key block a blank-password media's answer carries
DUMMY_KEY = (hashlib.sha256(b"cmflow lab dummy PXE media key 1").digest() +
             hashlib.sha256(b"cmflow lab dummy PXE media key 2").digest()[:16])
# ConfigMgr's private option 250 as PXEThief sends it for an x64 client
OPTION_250 = bytes.fromhex("0c01010d020800010200070e0101050400000011ff")
VARS_DEFAULT = "\\SMSTemp\\2024.05.14.10.31.52.0001.{5C1F8A3E-7D2B-4C6A-9E0F-1A2B3C4D5E6F}.boot.var"
BCD_DEFAULT = "\\SMSTemp\\2024.05.14.10.31.52.0003.{5C1F8A3E-7D2B-4C6A-9E0F-1A2B3C4D5E6F}.boot.bcd"


def opt(code, value):
    assert len(value) <= 255
    return bytes([code, len(value)]) + value


def bootp(op, xid, mac, ciaddr="0.0.0.0", siaddr="0.0.0.0", flags=0, file=b""):
    """The 236-byte fixed header (RFC 2131 section 2) and the magic cookie."""
    return (struct.pack("!BBBBIHH", op, 1, 6, 0, xid, 0, flags) + socket.inet_aton(ciaddr) +
            socket.inet_aton("0.0.0.0") + socket.inet_aton(siaddr) + socket.inet_aton("0.0.0.0") +
            mac.ljust(16, b"\0") + b"\0" * 64 + file.ljust(128, b"\0") + MAGIC)


def parse_options(payload):
    """{code: bytes} of a BOOTP message's options (first occurrence), or None when it is not DHCP."""
    if len(payload) < 240 or payload[236:240] != MAGIC:
        return None
    out, i = {}, 240
    while i < len(payload):
        code = payload[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(payload):
            break
        n = payload[i + 1]
        out.setdefault(code, payload[i + 2:i + 2 + n])
        i += 2 + n
    return out


def media_option(kind, vars_path):
    path = vars_path.encode()
    if kind == "key":
        # type 2, the key block (its own length byte, then 48 bytes), then the path as a type-1 entry
        block = bytes([len(DUMMY_KEY)]) + DUMMY_KEY
        return bytes([2, len(block)]) + block + bytes([1, len(path)]) + path
    return bytes([1, len(path)]) + path


def serve(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.address, 4011))
    while True:
        data, (peer, port) = s.recvfrom(2048)
        if len(data) < 240 or data[0] != 1 or parse_options(data) is None:
            continue
        xid = struct.unpack_from("!I", data, 4)[0]
        ciaddr = socket.inet_ntoa(data[12:16])
        reply = bootp(2, xid, data[28:34], ciaddr=ciaddr, siaddr=args.address, file=b"smsboot\\x64\\wdsmgfw.efi")
        reply += opt(53, bytes([5])) + opt(54, socket.inet_aton(args.address)) + opt(60, b"PXEClient")
        reply += opt(243, media_option(args.media, args.vars)) + opt(252, args.bcd.encode() + b"\0")
        reply += bytes([255])
        s.sendto(reply, (peer, port))


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def uuid_bytes(text):
    return bytes.fromhex(text.replace("-", ""))


def request(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.client, 68))
    s.settimeout(5)
    xid = struct.unpack("!I", os.urandom(4))[0]
    msg = bootp(1, xid, mac_bytes(args.mac), ciaddr=args.client)
    msg += opt(53, bytes([3])) + opt(55, bytes([3, 1, 60, 128, 129, 130, 131, 132, 133, 134, 135]))
    msg += opt(93, bytes([0, 0])) + opt(250, OPTION_250) + opt(60, b"PXEClient")
    msg += opt(97, bytes([0]) + uuid_bytes(args.uuid)) + bytes([255])
    s.sendto(msg, (args.server, 4011))
    data, _ = s.recvfrom(2048)
    opts = parse_options(data)
    if not opts or 243 not in opts:
        print("pxe-lab.py: no option 243 in the answer", file=sys.stderr)
        return 1
    media = opts[243]
    # read as PXEThief reads it: type, length, data; a type-2 entry's path follows as the next entry
    kind, n = media[0], media[1]
    if kind == 2:
        rest = media[2 + n:]
        path = rest[2:2 + rest[1]]
        print("pxe-lab.py: blank-password media (option 243 type 2, %d bytes)" % len(media), file=sys.stderr)
    else:
        path = media[2:2 + n]
        print("pxe-lab.py: password-protected media (option 243 type 1)", file=sys.stderr)
    print(path.decode())
    print(opts.get(252, b"").rstrip(b"\0").decode())
    return 0


def discover(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.iface.encode())
    s.bind(("0.0.0.0", 68))
    s.settimeout(5)
    mac = mac_bytes(args.mac)
    xid = struct.unpack("!I", os.urandom(4))[0]
    vendor = ("PXEClient:Arch:%05d:UNDI:003016" % args.arch).encode()
    common = opt(93, struct.pack("!H", args.arch)) + opt(94, bytes([1, 3, 16])) + opt(60, vendor)
    common += opt(97, bytes([0]) + uuid_bytes(args.uuid))
    params = opt(55, bytes([1, 3, 6, 43, 54, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135]))
    s.sendto(bootp(1, xid, mac, flags=0x8000) + opt(53, bytes([1])) + params + common + bytes([255]),
             ("255.255.255.255", 67))
    offer = None
    while offer is None:
        data, _ = s.recvfrom(2048)
        opts = parse_options(data)
        if opts and struct.unpack_from("!I", data, 4)[0] == xid and opts.get(53) == bytes([2]):
            offer = (data, opts)
    data, opts = offer
    yiaddr, server = data[16:20], opts.get(54, b"")
    s.sendto(bootp(1, xid, mac, flags=0x8000) + opt(53, bytes([3])) + opt(50, yiaddr) + opt(54, server) +
             params + common + bytes([255]), ("255.255.255.255", 67))
    while True:
        data, _ = s.recvfrom(2048)
        opts = parse_options(data)
        if opts and struct.unpack_from("!I", data, 4)[0] == xid and opts.get(53) in (bytes([5]), bytes([6])):
            print(socket.inet_ntoa(data[16:20]), data[108:236].rstrip(b"\0").decode(errors="replace"))
            return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--address", required=True)
    p.add_argument("--media", choices=("key", "path"), required=True)
    p.add_argument("--vars", default=VARS_DEFAULT)
    p.add_argument("--bcd", default=BCD_DEFAULT)
    p = sub.add_parser("request")
    p.add_argument("--server", required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--mac", required=True)
    p.add_argument("--uuid", default="2a8c4d9d-c16c-4241-8387-efc6d873c6d2")
    p = sub.add_parser("discover")
    p.add_argument("--mac", required=True)
    p.add_argument("--iface", default="eth0")
    p.add_argument("--arch", type=int, default=7)
    p.add_argument("--uuid", default="4c4c4544-0051-3510-8057-b4c04f4d3432")
    args = ap.parse_args()
    return {"serve": serve, "request": request, "discover": discover}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""tls_expected.py PCAPS_DIR OUT.tsv: what tshark's dissection says of every TLS connection in the TLS captures
(pcaps/tls*.pcap, the current branch demo pcaps/cm-demo-cb.pcap, and the public captures in which tshark decodes a
TLS handshake), as the expected file of tests/unit/test_tls.c and tests/e2e/cb.sh.

One row per TCP connection with a TLS record: the capture (relative to PCAPS_DIR), the client and server
endpoints, where TLS starts in each direction when something else came first (STARTTLS: the raw sequence number
of the first record, else "-"), then the posture and the fields it rests on, all taken from tshark's fields:
tls.record.content_type, tls.handshake.type, tls.handshake.session_id, tls.handshake.extensions.supported_version,
tls.handshake.certificates_length, and the x509if / x509sat RDN fields of the first certificate of each side's
Certificate message (names written as Suricata writes tls.subject: "C=US, O=Contoso, CN=host").

The posture follows the rules of src/proto/tls_handshake.h from these fields:
  tls1.3 (supported_version 0x0304 in the ServerHello), resumed (the ServerHello's session id echoes the
  ClientHello's, or the server's ChangeCipherSpec comes before any Certificate or ServerHelloDone of it),
  renegotiated (a handshake record after a direction's first encrypted handshake record), requested-refused (a
  CertificateRequest and an empty client Certificate, or none before the client's ChangeCipherSpec / key
  exchange), mutual (a non-empty client Certificate, a CertificateVerify, the server's ChangeCipherSpec and
  application data), server-only (no CertificateRequest, ServerHelloDone, and the same going on), otherwise
  unprovable: not-seen (no ServerHello, or the deciding flight unseen) or incomplete.

Run it again (and review the diff) when a capture changes: python3 tests/unit/tls_expected.py pcaps
tests/unit/tls-expected.tsv
"""
import glob
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

# Suricata's abbreviations (x509-parser), then OID-registry short names; the same table as src/proto/x509.c
ATTR = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
    "0.9.2342.19200300.100.1.25": "DC", "1.2.840.113549.1.9.1": "Email", "2.5.4.4": "surname",
    "2.5.4.5": "serialNumber", "2.5.4.9": "streetAddress", "2.5.4.12": "title", "2.5.4.13": "description",
    "2.5.4.17": "postalCode", "2.5.4.42": "givenName", "1.2.840.113549.1.9.2": "unstructuredName",
}


def tshark_pdml(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "pdml", "-o", "tcp.relative_sequence_numbers:FALSE"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    # a damaged capture gives what tshark read before the damage, without the closing tag
    if b"</pdml>" not in out:
        out += b"</pdml>"
    return ET.fromstring(out)


def field(node, name):
    for f in node.iter("field"):
        if f.get("name") == name:
            return f
    return None


def show(node, name):
    f = field(node, name)
    return f.get("show") if f is not None else None


def leaves(node):
    kids = list(node.findall("field"))
    if not kids:
        yield node
    for k in kids:
        yield from leaves(k)


def rdn_string(seq):
    """An rdnSequence field: RDN items in DER order, each a list of (oid, value)."""
    rdns = []
    for item in seq.findall("field"):
        if item.get("name") != "x509if.RDNSequence_item":
            continue
        attrs = []
        for atv in item.findall("field"):
            if atv.get("name") != "x509if.RelativeDistinguishedName_item_element":
                continue
            oid = None
            value = ""
            for leaf in leaves(atv):
                if leaf.get("name") == "x509if.oid":
                    oid = leaf.get("show")
                elif oid is not None:
                    value = leaf.get("show") or ""
            attrs.append(f"{ATTR.get(oid, oid)}={value}")
        rdns.append(" + ".join(attrs))
    return ", ".join(rdns)


def cert_names(hs):
    """Subject and issuer of the first certificate of a Certificate message."""
    cert = field(hs, "x509af.signedCertificate_element")
    if cert is None:
        return "", ""
    names = {}
    for part in ("x509af.issuer", "x509af.subject"):
        node = None
        for f in cert.findall("field"):
            if f.get("name") == part:
                node = f
        seq = None
        if node is not None:
            for f in node.iter("field"):
                if f.get("name") in ("x509if.rdnSequence", "x509af.rdnSequence"):
                    seq = f
                    break
        names[part] = rdn_string(seq) if seq is not None else ""
    return names["x509af.subject"], names["x509af.issuer"]


class Conn:
    def __init__(self, client, server):
        self.client, self.server = client, server
        self.first_payload = [None, None]   # frame number of the first payload per direction
        self.first_tls = [None, None]       # (frame number, raw seq, payload starts a record)
        self.sh = self.tls13 = self.resumed = self.reneg = False
        self.version = 0
        self.client_sid = self.server_sid = None
        self.server_cert = self.cr = self.shd = self.ckx = self.cv = False
        self.client_cert = False
        self.client_cert_len = 0
        self.ccs = [False, False]
        self.app = [False, False]
        self.encrypted = [False, False]
        self.finished = [False, False]
        self.names = {"server": ("", ""), "client": ("", "")}

    def message(self, d, hs):
        t = show(hs, "tls.handshake.type")
        if t is None:
            return
        t = int(t)
        if d == 0 and t == 1:
            self.client_sid = show(hs, "tls.handshake.session_id") or ""
        elif d == 1 and t == 2:
            self.sh = True
            v = show(hs, "tls.handshake.extensions.supported_version") or show(hs, "tls.handshake.version")
            self.version = int(v, 16) if v else 0
            self.server_sid = show(hs, "tls.handshake.session_id") or ""
            if self.version >> 8 == 0x7f or (self.version >> 8 == 3 and self.version & 0xff >= 4):
                self.tls13 = True
            elif self.server_sid and self.server_sid == self.client_sid:
                self.resumed = True
        elif t == 11:
            if d == 1:
                self.server_cert = True
                self.names["server"] = cert_names(hs)
            else:
                self.client_cert = True
                self.client_cert_len = int(show(hs, "tls.handshake.certificates_length") or 0)
                if self.client_cert_len:
                    self.names["client"] = cert_names(hs)
        elif d == 1 and t == 13:
            self.cr = True
        elif d == 1 and t == 14:
            self.shd = True
        elif d == 0 and t == 16:
            self.ckx = True
        elif d == 0 and t == 15:
            self.cv = True

    def record(self, d, rec):
        ct = int(show(rec, "tls.record.content_type") or 0)
        if ct == 20:
            self.ccs[d] = self.encrypted[d] = True
            if d == 1 and self.sh and not self.shd and not self.server_cert and not self.tls13:
                self.resumed = True
        elif ct == 23:
            self.app[d] = True
        elif ct == 22:
            if self.finished[d]:
                self.reneg = True
            elif self.encrypted[d]:
                self.finished[d] = True
            else:
                for hs in rec.findall("field"):
                    if hs.get("name") == "tls.handshake":
                        self.message(d, hs)

    def posture(self):
        went_on = self.ccs[1] and (self.app[0] or self.app[1])
        if self.tls13:
            return "unprovable", "tls1.3"
        if self.resumed:
            return "unprovable", "resumed"
        if self.reneg:
            return "unprovable", "renegotiated"
        if self.cr and self.client_cert and self.client_cert_len == 0:
            return "requested-refused", ""
        if self.cr and not self.client_cert and (self.ckx or self.ccs[0]):
            return "requested-refused", ""
        if went_on and self.client_cert and self.client_cert_len and self.cv:
            return "mutual", ""
        if went_on and self.client_cert and self.client_cert_len:
            return "unprovable", "no-verify"
        if went_on and not self.cr and self.shd:
            return "server-only", ""
        if went_on:
            return "unprovable", "not-seen"
        return "unprovable", "incomplete" if self.sh else "not-seen"


def endpoint(pkt, src):
    ip = show(pkt, "ip.src" if src else "ip.dst")
    if ip is None:
        ip = show(pkt, "ipv6.src" if src else "ipv6.dst")
    port = show(pkt, "tcp.srcport" if src else "tcp.dstport")
    return f"{ip}|{port}"


def connections(path):
    root = tshark_pdml(path)
    conns, order = {}, []
    for pkt in root.findall("packet"):
        tcp = None
        for proto in pkt.findall("proto"):
            if proto.get("name") == "tcp":
                tcp = proto
        if tcp is None:
            continue
        stream = show(tcp, "tcp.stream")
        num = int(show(pkt, "frame.number"))
        src, dst = endpoint(pkt, True), endpoint(pkt, False)
        flags = int(show(tcp, "tcp.flags") or "0", 16)
        tls = [p for p in pkt.findall("proto") if p.get("name") == "tls"]
        key = (stream,)
        c = conns.get(key)
        if c is None:
            # the client: the SYN's sender, else the sender of the first ClientHello, else the first sender
            client, server = src, dst
            if flags & 0x12 == 0x12:
                client, server = dst, src
            c = conns[key] = Conn(client, server)
            c.syn_seen = flags & 0x02 != 0
            order.append(key)
        d = 0 if src == c.client else 1
        if not c.syn_seen and any(show(t, "tls.handshake.type") == "1" for t in tls) and d == 1:
            c.client, c.server = c.server, c.client
            c.first_payload.reverse()
            c.first_tls.reverse()
            d = 0
        tcplen = int(show(tcp, "tcp.len") or 0)
        if tcplen and c.first_payload[d] is None:
            c.first_payload[d] = num
        if tls and c.first_tls[d] is None:
            payload = show(tcp, "tcp.payload") or ""
            head = payload.replace(":", "")[:6]
            aligned = len(head) == 6 and 20 <= int(head[:2], 16) <= 24 and head[2:4] == "03"
            c.first_tls[d] = (num, int(show(tcp, "tcp.seq_raw") or show(tcp, "tcp.seq") or 0), aligned)
        for t in tls:
            for rec in t.findall("field"):
                if rec.get("name") == "tls.record":
                    c.record(d, rec)
    return [conns[k] for k in order if any(conns[k].first_tls)]


def start_of(c, d):
    """The raw sequence number where TLS starts in direction d, when other payload came before it."""
    first = c.first_tls[d]
    if first is None or first[0] == c.first_payload[d]:
        return "-"
    return str(first[1]) if first[2] else "?"


def tls_captures(pcaps):
    # the TLS captures, and the current branch demo's (enhanced HTTP, HTTPS only, the CMG: tests/lab/make-demo-cb.sh)
    local = sorted(os.path.basename(p) for p in glob.glob(os.path.join(pcaps, "tls*.pcap")) +
                   glob.glob(os.path.join(pcaps, "cm-demo-cb.pcap")))
    public = []
    hello = re.compile(rb"\x16\x03[\x00-\x04]..[\x01\x02]", re.S)
    for p in sorted(glob.glob(os.path.join(pcaps, "public", "*.pcap*"))):
        with open(p, "rb") as f:
            if not hello.search(f.read()):
                continue  # no byte sequence that could start a hello: tshark need not look
        out = subprocess.run(["tshark", "-r", p, "-Y", "tls.handshake.type && tcp"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        if out.strip():
            public.append("public/" + os.path.basename(p))
    return local + public


def main():
    pcaps, out = sys.argv[1], sys.argv[2]
    rows = ["# capture\tclient\tserver\tclient_start\tserver_start\tposture\twhy\tversion\tcert_request\t"
            "client_cert_len\tcert_verify\tserver_subject\tserver_issuer\tclient_subject\tclient_issuer"]
    for rel in tls_captures(pcaps):
        for c in connections(os.path.join(pcaps, rel)):
            posture, why = c.posture()
            ss, si = c.names["server"]
            cs, ci = c.names["client"]
            rows.append("\t".join([
                rel, c.client, c.server, start_of(c, 0), start_of(c, 1), posture, why or "-",
                f"0x{c.version:04x}", str(int(c.cr)), str(c.client_cert_len) if c.client_cert else "-",
                str(int(c.cv)), ss or "-", si or "-", cs or "-", ci or "-"]))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print(f"tls_expected: {len(rows) - 1} connections")


if __name__ == "__main__":
    main()

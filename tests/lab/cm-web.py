#!/usr/bin/env python3
"""cm-web.py: a small web server for the lab that answers like ConfigMgr's site systems do.

It is Python's real http.server (a real HTTP/1.1 implementation) with handlers for the methods ConfigMgr
clients use: GET, HEAD, POST, CCM_POST (management point requests), BITS_POST (BITS uploads), PROPFIND.
Content for distribution point paths (/SMS_DP_SMSPKG$/..., the current branch's token paths
/CCMTOKENAUTH_SMS_DP_SMSPKG$/... and a peer cache source's /SCCM_BranchCache$/...) is generated: N bytes of a
fixed pattern.

With --windows-auth it also answers the paths of a management point's and SMS Provider's IIS that need Windows
authentication the way IIS does (facts from the public attack tools that probe them):
  /ccm_system_windowsauth/...  and /AdminService/...  401 with "WWW-Authenticate: Negotiate" and "NTLM" until the
      request carries an NTLM (or Negotiate-wrapped NTLM) AUTHENTICATE message on the same connection; the server
      answers the NEGOTIATE with a CHALLENGE of its own (a random server challenge, MS-NLMP 2.2.1.2). The response
      is NOT verified (the lab has no password database): any AUTHENTICATE with a user name is let in.
  GET /ccm_system_altauth/...  403 (client certificate required)
  CCM_POST /ccm_system_altauth/request  200
Without the flag nothing changes for the other captures' paths.

usage: cm-web.py PORT [--tls CERT KEY] [--verify required|optional CAFILE] [--tls-max 1.2] [--size-kb N]
                 [--windows-auth]
  --tls CERT KEY       HTTPS with this certificate (CERT may hold the chain after it) and key
  --verify MODE CA     ask the client for a certificate issued by CA: required (no certificate ends the
                       handshake) or optional (the client may send an empty Certificate)
  --tls-max 1.2        offer TLS 1.2 at most (a client certificate is then in the clear on the wire)
  --windows-auth       the Windows authentication paths above
"""
import base64
import http.server
import os
import ssl
import struct
import sys
import time

# NTLM negotiate flags (MS-NLMP 2.2.2.5) the lab's CHALLENGE offers
NTLM_UNICODE = 0x00000001
NTLM_REQUEST_TARGET = 0x00000004
NTLM_SIGN = 0x00000010
NTLM_NTLM = 0x00000200
NTLM_ALWAYS_SIGN = 0x00008000
NTLM_TARGET_TYPE_DOMAIN = 0x00010000
NTLM_ESS = 0x00080000
NTLM_TARGET_INFO = 0x00800000
NTLM_VERSION = 0x02000000
NTLM_128 = 0x20000000
NTLM_KEY_EXCH = 0x40000000
NTLM_56 = 0x80000000
NTLM_SERVER_FLAGS = (NTLM_UNICODE | NTLM_REQUEST_TARGET | NTLM_SIGN | NTLM_NTLM | NTLM_ALWAYS_SIGN |
                     NTLM_TARGET_TYPE_DOMAIN | NTLM_ESS | NTLM_TARGET_INFO | NTLM_VERSION | NTLM_128 |
                     NTLM_KEY_EXCH | NTLM_56)
NTLM_DOMAIN = "ABC"
NTLM_COMPUTER = "MP01"
NTLM_DNS_DOMAIN = "abc.example"


def ntlm_token(header):
    """The NTLMSSP message of an Authorization header ("NTLM b64" or "Negotiate b64"), or None. A Negotiate
    token that wraps NTLMSSP in SPNEGO is found by the NTLMSSP signature inside it."""
    if not header:
        return None, None
    scheme, _, b64 = header.strip().partition(" ")
    if scheme.lower() not in ("ntlm", "negotiate") or not b64:
        return None, None
    try:
        raw = base64.b64decode(b64.strip())
    except ValueError:
        return None, None
    at = raw.find(b"NTLMSSP\0")
    if at < 0 or len(raw) < at + 12:
        return scheme, None
    return scheme, raw[at:]


def ntlm_challenge(client_flags):
    """A CHALLENGE message (MS-NLMP 2.2.1.2) with a fresh random server challenge and target info naming the
    lab's management point."""
    def utf16(s):
        return s.encode("utf-16-le")

    def av(av_id, value):
        return struct.pack("<HH", av_id, len(value)) + value

    filetime = int((time.time() + 11644473600) * 10000000)
    info = (av(2, utf16(NTLM_DOMAIN)) + av(1, utf16(NTLM_COMPUTER)) + av(4, utf16(NTLM_DNS_DOMAIN)) +
            av(3, utf16(NTLM_COMPUTER.lower() + "." + NTLM_DNS_DOMAIN)) + av(5, utf16(NTLM_DNS_DOMAIN)) +
            av(7, struct.pack("<Q", filetime)) + av(0, b""))
    target = utf16(NTLM_DOMAIN)
    flags = NTLM_SERVER_FLAGS & (client_flags | NTLM_TARGET_INFO | NTLM_VERSION | NTLM_TARGET_TYPE_DOMAIN)
    flags |= NTLM_UNICODE | NTLM_NTLM
    header_len = 56
    msg = b"NTLMSSP\0" + struct.pack("<I", 2)
    msg += struct.pack("<HHI", len(target), len(target), header_len)
    msg += struct.pack("<I", flags) + os.urandom(8) + b"\0" * 8
    msg += struct.pack("<HHI", len(info), len(info), header_len + len(target))
    msg += bytes([10, 0]) + struct.pack("<H", 17763) + b"\0\0\0" + bytes([15])
    return msg + target + info


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/6.0"
    sys_version = ""
    size = 64 * 1024

    def log_message(self, fmt, *args):
        pass

    def body_for(self, path):
        if path.upper().startswith(("/SMS_DP_SMSPKG$", "/NOCERT_SMS_DP_SMSPKG$", "/SMS_DP_SMSSIG$",
                                    "/CCMTOKENAUTH_SMS_DP_SMSPKG$", "/CCMTOKENAUTH_SMS_DP_SMSSIG$",
                                    "/SCCM_BRANCHCACHE$")):
            return bytes(i & 0xff for i in range(self.size))
        if path.startswith("/SMS_MP/.sms_aut?MPLIST"):
            return b"<MPList><MP Name=\"MP01\" FQDN=\"mp01.abc.example\"><Version>6487</Version></MP></MPList>"
        if path.startswith("/SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA"):
            return (b"<MPKEYINFORMATIONMEDIA><ContentType>1</ContentType><SITECODE>ABC</SITECODE>"
                    b"<UnknownMachines x86UnknownMachineGUID=\"8b3f1d7a-0001-4a5e-9c1b-00000000a086\" "
                    b"x64UnknownMachineGUID=\"8b3f1d7a-0002-4a5e-9c1b-00000000a064\"/></MPKEYINFORMATIONMEDIA>")
        if path.startswith("/SMS_MP/.sms_pol?"):
            return b"<Policy><PolicyID>lab</PolicyID></Policy>"
        if path.startswith("/SMS_SLP/"):
            return b"<SiteCode>ABC</SiteCode>"
        return b"<Reply>OK</Reply>"

    windows_auth = False

    def answer(self, status=200, headers=(), body=None):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if body is None:
            body = b"" if self.command == "HEAD" or status >= 400 else self.body_for(self.path)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/octet-stream" if status < 400 else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def windows_auth_answer(self):
        """IIS's Windows authentication, one connection at a time: True when the request may go on (an
        AUTHENTICATE was seen on this connection), otherwise a 401 has been sent."""
        if getattr(self, "authenticated", False):
            return True
        scheme, msg = ntlm_token(self.headers.get("Authorization"))
        if msg is not None and msg[8] == 1:
            client_flags = struct.unpack_from("<I", msg, 12)[0] if len(msg) >= 16 else 0
            token = base64.b64encode(ntlm_challenge(client_flags)).decode()
            self.answer(401, [("WWW-Authenticate", "%s %s" % (scheme, token))], b"")
            return False
        if msg is not None and msg[8] == 3 and len(msg) >= 44:
            user_len = struct.unpack_from("<H", msg, 36)[0]
            if user_len:
                self.authenticated = True
                return True
        self.answer(401, [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "NTLM")],
                    b"<html><body>401 - Unauthorized</body></html>")
        return False

    def routed(self):
        """The --windows-auth paths: True when answered here."""
        if not self.windows_auth:
            return False
        path = self.path.lower()
        if path.startswith(("/ccm_system_windowsauth/", "/adminservice/")):
            return not self.windows_auth_answer()
        if path.startswith("/ccm_system_altauth/"):
            if self.command == "CCM_POST":
                self.answer(200)
            else:
                self.answer(403, body=b"<html><body>403 - Forbidden: client certificate required</body></html>")
            return True
        return False

    def do_GET(self):
        if not self.routed():
            self.answer()

    def do_HEAD(self):
        if not self.routed():
            self.answer()

    def do_POST(self):
        if not self.routed():
            self.answer()

    def do_CCM_POST(self):
        if not self.routed():
            self.answer()

    def do_BITS_POST(self):
        self.send_response(200)
        self.send_header("BITS-Packet-Type", "Ack")
        self.send_header("BITS-Session-Id", "{A1B2C3D4-0000-0000-0000-000000000001}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PROPFIND(self):
        self.answer(207)


def main():
    port = int(sys.argv[1])
    args = sys.argv[2:]
    if "--windows-auth" in args:
        Handler.windows_auth = True
    if "--size-kb" in args:
        Handler.size = int(args[args.index("--size-kb") + 1]) * 1024
    server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    if "--tls" in args:
        i = args.index("--tls")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args[i + 1], args[i + 2])
        if "--verify" in args:
            v = args.index("--verify")
            ctx.verify_mode = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL}[args[v + 1]]
            ctx.load_verify_locations(args[v + 2])
        if "--tls-max" in args and args[args.index("--tls-max") + 1] == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

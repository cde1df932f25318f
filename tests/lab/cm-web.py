#!/usr/bin/env python3
"""cm-web.py: a small web server for the lab that answers like ConfigMgr's site systems do.

It is Python's real http.server (a real HTTP/1.1 implementation) with handlers for the methods ConfigMgr
clients use: GET, HEAD, POST, CCM_POST (management point requests), BITS_POST (BITS uploads), PROPFIND.
Content for distribution point paths (/SMS_DP_SMSPKG$/..., the current branch's token paths
/CCMTOKENAUTH_SMS_DP_SMSPKG$/... and a peer cache source's /SCCM_BranchCache$/...) is generated: N bytes of a
fixed pattern.

usage: cm-web.py PORT [--tls CERT KEY] [--verify required|optional CAFILE] [--tls-max 1.2] [--size-kb N]
  --tls CERT KEY       HTTPS with this certificate (CERT may hold the chain after it) and key
  --verify MODE CA     ask the client for a certificate issued by CA: required (no certificate ends the
                       handshake) or optional (the client may send an empty Certificate)
  --tls-max 1.2        offer TLS 1.2 at most (a client certificate is then in the clear on the wire)
"""
import http.server
import ssl
import sys


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
        if path.startswith("/SMS_SLP/"):
            return b"<SiteCode>ABC</SiteCode>"
        return b"<Reply>OK</Reply>"

    def answer(self, status=200):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"" if self.command == "HEAD" else self.body_for(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer()

    def do_HEAD(self):
        self.answer()

    def do_POST(self):
        self.answer()

    def do_CCM_POST(self):
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

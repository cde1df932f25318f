#!/bin/bash
# Hostile strings: HTTP requests whose URL, Host and User-Agent carry quotes, backslashes, control characters,
# invalid UTF-8, markup and a very long value, in TCP conversations to a management point and a distribution
# point. Every EVE line must parse, the strings must come back as the bytes sent (invalid bytes as their code
# points, long ones cut), and --infer-site must stay a valid configuration with no line the traffic wrote.
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"

python3 - "$tmp/hostile.pcap" "$SRCDIR/tests/e2e" <<'PY' || { bad "making the capture"; exit 1; }
import struct, sys
sys.path.insert(0, sys.argv[2])
from pktgen import ether, ipv4, pcap_header, pcap_record

def packet(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    return ether("020000000001", "020000000002", ipv4(src, dst, 6, tcp))

# a request target may not hold controls or spaces (cmflow's request-line check refuses them, as servers do);
# headers may, and the injection attempt rides in the User-Agent
requests = [
    ((10, 2, 0, 21), (10, 1, 0, 10), b'CCM_POST /ccm_system/request?a="q"&b=\\back\\&d=\xff\xfe\xc3\x28&e=<script>alert(1)</script> HTTP/1.1\r\n'
     b'Host: ev"il\\host\x07\r\nUser-Agent: SMS CCM 5.0 \x1b[31m\xe2\x82\x0bhost 10.6.6.6 roles=site-server\r\n\r\n'),
    ((10, 2, 0, 22), (10, 1, 0, 11), b"GET /SMS_DP_SMSPKG$/" + b"A" * 3000 + b" HTTP/1.1\r\n"
     b"Host: dp\r\nUser-Agent: " + b"\xf0\x9f\x98\x80" * 600 + b"\r\n\r\n"),
]
out = open(sys.argv[1], "wb")
out.write(pcap_header())
t = 1700000000 * 1000000
for i, (cli, srv, req) in enumerate(requests):
    sport = 40000 + i
    seq = [(cli, srv, sport, 80, 1000, 0, 0x02, b""), (srv, cli, 80, sport, 5000, 1001, 0x12, b""),
           (cli, srv, sport, 80, 1001, 5001, 0x10, b"")]
    seq.append((cli, srv, sport, 80, 1001, 5001, 0x18, req))  # one segment (a jumbo frame for the long one)
    seq.append((srv, cli, 80, sport, 5001, 1001 + len(req), 0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    for p in seq:
        frame = packet(*p)
        t += 1000
        out.write(pcap_record(t, frame))
PY

"$CMFLOW" -q -r "$tmp/hostile.pcap" -S "$SRCDIR/signatures" --eve "$tmp/h.json" --infer-site "$tmp/h.conf" 2>"$tmp/err" ||
	bad "cmflow exit $? ($(head -c 300 "$tmp/err"))"
python3 - "$tmp/h.json" <<'PY' && ok "EVE: every line parses; URL, Host and User-Agent come back as sent (invalid bytes as code points, long values cut)" || bad "EVE strings"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
events = [json.loads(l) for l in lines]
flows = {e["src_ip"]: e for e in events if e["event_type"] == "flow"}
h = flows["10.2.0.21"]["http"]  # Suricata's http object
assert h["http_method"] == "CCM_POST", h
want_url = '/ccm_system/request?a="q"&b=\\back\\&d=\xff\xfe\xc3\x28&e=<script>alert(1)</script>'
assert h["url"] == want_url, (h["url"], want_url)
assert h["hostname"] == 'ev"il\\host\x07', h
assert h["http_user_agent"] == "SMS CCM 5.0 \x1b[31m\xe2\x82\x0bhost 10.6.6.6 roles=site-server", h
d = flows["10.2.0.22"]["http"]
assert d["url"].startswith("/SMS_DP_SMSPKG$/AAAA") and len(d["url"]) <= 1024, len(d["url"])
assert d["http_user_agent"].startswith("\U0001F600") and len(d["http_user_agent"].encode("utf-8")) <= 1024, len(d["http_user_agent"])
for line in lines:  # no raw control character or invalid UTF-8 reaches the file
    assert all(c >= " " for c in line), line[:80]
PY
"$CMFLOW" --check-config "$tmp/h.conf" -S "$SRCDIR/signatures" >"$tmp/check" 2>&1 &&
	! grep -q '10.6.6.6' "$tmp/check" && [ "$(grep -c '^host' "$tmp/h.conf")" = 3 ] &&
	ok "--infer-site: a valid configuration; the traffic's strings stay inside comments" ||
	bad "--infer-site with hostile strings: $(cat "$tmp/h.conf") / $(cat "$tmp/check")"

echo "hostile: $fails failed"
[ "$fails" -eq 0 ]

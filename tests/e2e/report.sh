#!/bin/bash
# The HTML audit report: made directly (--report) and from the EVE file (--from-eve) of the demo capture, the two
# are the same page apart from the generation time; the page is self-contained (no script, no external
# reference); its findings, role-pair matrix and picture hold what the EVE file holds; headless Chromium (Debian's
# chromium) loads it with no network in a namespace of its own, without console errors, renders the SVG and the
# tables, and its screenshot is not blank; hostile strings in EVE files come out as text, never as markup.
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"
conf=(-c "$SRCDIR/signatures/example-site.conf" -S "$SRCDIR/signatures")

"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" "${conf[@]}" --eve "$tmp/demo.json" --report "$tmp/direct.html" ||
	bad "direct report: exit $?"
"$CMFLOW" --report "$tmp/from-eve.html" --from-eve "$tmp/demo.json" || bad "--from-eve report: exit $?"
"$CMFLOW" -q -r "$PCAPS/cm-channels.pcap" "${conf[@]}" --eve "$tmp/channels.json" --report "$tmp/channels.html" ||
	bad "channels report: exit $?"
if diff <(grep -v 'class="generated"' "$tmp/direct.html") <(grep -v 'class="generated"' "$tmp/from-eve.html") >"$tmp/d"; then
	ok "the direct report and the report from the EVE file are the same page apart from the generation time"
else
	bad "direct and --from-eve reports differ: $(head -20 "$tmp/d")"
fi
# without --eve, the direct report uses a temporary EVE file of its own, and removes it
before=$(ls /tmp | grep -c '^cmflow-report-')
"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" "${conf[@]}" --report "$tmp/noeve.html" || bad "report without --eve: exit $?"
diff <(grep -v 'class="generated"' "$tmp/direct.html") <(grep -v 'class="generated"' "$tmp/noeve.html") >/dev/null &&
	[ "$(ls /tmp | grep -c '^cmflow-report-')" = "$before" ] && ok "without --eve: the same page, no temporary file left" ||
	bad "report without --eve differs or left its temporary file"

# self-contained, and its content is the EVE file's
for cap in direct:demo channels:channels; do
python3 - "$tmp/${cap%%:*}.html" "$tmp/${cap#*:}.json" <<'PY' && ok "${cap#*:}: self-contained; findings, matrix, picture and channel sections match the EVE file" || bad "${cap#*:}: report content"
import html.parser, json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
events = [json.loads(l) for l in open(sys.argv[2])]
assert "<script" not in page.lower()
assert not re.search(r'url\(|@import', page), "CSS url() or @import"
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.classes = [], set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        assert not {"src", "href", "xlink:href"} & set(a), (tag, a)  # nothing loaded from anywhere
        assert tag not in ("link", "img", "iframe", "object", "embed", "script"), tag
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        self.classes.append((tag, a.get("class", "")))
p = P()
p.feed(page)
assert {"site-graph", "role-matrix", "header", "http-bars", "overview", "counts", "top-findings"} <= p.ids, p.ids
assert "timeline-chart" not in p.ids  # the capture lasts a second: nothing to see over time
flows = [e for e in events if e["event_type"] == "flow"]
# a channel's section is there when the EVE file holds that channel, and only then (no empty tables)
for channel in ("rpc", "wol", "multicast"):
    held = any(channel in f["configmgr"] for f in flows)
    assert (channel in p.ids) == held, (channel, held)
alerts = [e for e in events if e["event_type"] == "alert" and "flow_id" in e]
groups = {(a["configmgr"]["finding"], a["src_ip"], a["dest_ip"], a["configmgr"].get("service", "(no rule)")) for a in alerts}
rows = sum(1 for t, c in p.classes if t == "tr" and c == "finding")
assert rows == len(groups) and rows > 0, (rows, len(groups))
cells = {(f["configmgr"].get("src_role", ""), f["configmgr"].get("dest_role", ""), f["configmgr"]["service"], f["configmgr"]["rule"])
         for f in flows if f["configmgr"].get("rule")}
matrix = page.split('id="role-matrix"')[1].split("</table>")[0].count("<tr>") - 1
assert matrix == len(cells), (matrix, len(cells))
edges = sum(1 for t, c in p.classes if t == "line" and c.startswith("edge"))
demo = sys.argv[2].endswith("demo.json")
assert edges >= (10 if demo else 1), edges
assert re.search(r'<td id="flows">%d</td>' % len(flows), page)
assert not demo or "edge noncompliant" in page and "edge expected" in page
# the HTTP bars: the roles that serve HTTP by design (server locator, fallback status) drawn as such, not as
# violations; the others' HTTP share in orange
bars = dict(re.findall(r'<tr><td>[^<]*</td><td>([a-z-]+)</td><td class="bar">(.*?)</td>', page.split('id="http-bars"')[1].split("</table>")[0]))
if demo:
    assert {"server-locator-point", "fallback-status-point", "management-point"} <= bars.keys(), bars
    for role in ("server-locator-point", "fallback-status-point"):
        assert 'class="by-design"' in bars[role] and 'class="http"' not in bars[role], bars[role]
    assert 'class="http"' in bars["management-point"], bars
# no empty section: every table has a row besides its header
for t in re.findall(r"<table[^>]*>(.*?)</table>", page, re.S):
    assert t.count("<tr") >= 2, t[:200]
print(f"   {rows} finding rows, {matrix} matrix rows, {edges} edges, {len(flows)} flows")
PY
done

# a headless browser: no network (a namespace without one), no console errors, the DOM and a screenshot
if command -v chromium >/dev/null; then
	cp "$tmp/direct.html" "$tmp/page.html"
	chrome() {
		unshare -n chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" \
			--enable-logging=stderr --v=0 "$@" "file://$tmp/page.html" 2>>"$tmp/chrome.log"
	}
	chrome --dump-dom >"$tmp/dom.html"
	chrome --screenshot="$tmp/shot.png" --window-size=1200,1600 >/dev/null
	# Debian's python3 has python3-pil (another python3 first in PATH may not)
	py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	"$py" - "$tmp/dom.html" "$tmp/shot.png" "$tmp/chrome.log" <<'PY' && ok "Chromium: loads offline, renders the graph and tables, no console error, screenshot not blank" || bad "Chromium rendering"
import sys
dom = open(sys.argv[1], encoding="utf-8").read()
assert 'id="site-graph"' in dom and "<line" in dom and 'id="role-matrix"' in dom, dom[:300]
assert dom.count('class="finding"') > 0
log = open(sys.argv[3], errors="replace").read()
bad = [l for l in log.splitlines() if "CONSOLE" in l or "Uncaught" in l or "ERR_" in l and "file://" in l]
assert not bad, bad[:5]
from PIL import Image
img = Image.open(sys.argv[2]).convert("RGB")
colours = img.getcolors(maxcolors=1 << 20) or []
assert img.size[0] >= 1000 and len(colours) > 20, (img.size, len(colours))
# the verdict colours of the picture are on screen
rgb = {c for _, c in colours}
assert any(abs(r - 0x2e) < 40 and abs(g - 0x7d) < 40 and b < 0x70 for r, g, b in rgb), "no green edge"
print(f"   screenshot {img.size[0]}x{img.size[1]}, {len(colours)} colours")
PY
else
	bad "chromium is not installed (scripts/deps.sh installs it)"
fi

# hostile strings in EVE files (a sensor's output is input too): text, never markup
python3 - "$tmp/hostile.json" <<'PY'
import json, sys
x = '<img src=x onerror=alert(1)>"\'&\x01'
lines = [
    {"timestamp": "2026-01-01T00:00:00.000000+0000", "flow_id": 1, "event_type": "flow", "src_ip": x, "dest_ip": "10.1.0.10",
     "proto": "TCP", "app_proto": "http", "flow": {"pkts_toserver": 1, "pkts_toclient": 1, "bytes_toserver": 1, "bytes_toclient": 1,
     "start": x, "end": x}, "configmgr": {"src_roles": ["client"], "dest_roles": [x], "src_role": x, "dest_role": x, "site": x,
     "verdict": "noncompliant", "reasons": [x], "service": x, "rule": x, "source_row": x, "label": x,
     "rpc": {"interface": x, "via": x}, "wol": {"target_mac": x, "addressing": x}, "multicast": {"group": x, "receivers_seen": 1}}},
    {"timestamp": x, "flow_id": 1, "event_type": "alert", "src_ip": x, "dest_ip": x,
     "alert": {"signature": x, "category": x, "severity": 1}, "configmgr": {"finding": x, "service": x, "verdict": "unexpected",
     "wireshark_filter": x}},
    {"timestamp": x, "event_type": "alert", "alert": {"signature": x, "category": x, "severity": 3},
     "configmgr": {"verdict": "informational", "reasons": [x], "detail": x}},
    {"timestamp": x, "event_type": "stats", "stats": {"decoder": {"pkts": 2}}, "cmflow": {"run": {"inputs": [x], "site_config": x, "version": x}}},
]
with open(sys.argv[1], "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
    f.write("not json at all <b>\n")
PY
"$CMFLOW" --report "$tmp/hostile.html" --from-eve "$tmp/hostile.json" || bad "hostile EVE: exit $?"
python3 - "$tmp/hostile.html" <<'PY' && ok "hostile strings in EVE files are escaped everywhere (no tag, attribute or entity injected)" || bad "hostile strings reach the page as markup"
import html.parser, sys
page = open(sys.argv[1], encoding="utf-8").read()
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad = []
    def handle_starttag(self, tag, attrs):
        if tag in ("img", "script", "iframe", "object") or any(k.startswith("on") for k, _ in attrs):
            self.bad.append(tag)
p = P()
p.feed(page)
assert not p.bad, p.bad
assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 10, page.count("&lt;img")
assert "\x01" not in page
assert "<th>EVE lines left out</th><td>1 " in page, "the line that is not EVE is said"
PY

echo "report: $fails failed"
[ "$fails" -eq 0 ]

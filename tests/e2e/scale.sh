#!/bin/bash
# The report, the summary and the findings CSV at the scale of a real site: a site's day made by bench/gencap.py
# (KIND site: about 20 k conversations over eight hours, thousands of clients, strangers, cleartext on an HTTPS
# port, a one-way path the wrong way round, clients that stop using HTTP after five hours) with the example site.
# The report is under 1 MB and the same from --from-eve; its counts by severity and verdict, its flow verdicts
# and its timeline equal those computed from the EVE file; the CSV holds every finding group of the EVE file with
# its alerts, first and last times, and its totals equal the summary's; the display filter of a group selects
# exactly the packets of its flows (tshark); the summary is under 200 lines; headless Chromium renders the page
# (screenshot kept beside the log as scale-*.png), and the page printed to PDF (A4 landscape) and read back with
# pdftotext holds every label of its pictures whole. SCALE_KIND=bulk runs the same checks on the benchmark's bulk
# capture (1.3 M packets; outside make check's time budget).
set -u
. "${SRCDIR:?}/tests/e2e/lib.sh"
kind=${SCALE_KIND:-site}
conf=(-c "$SRCDIR/signatures/example-site.conf" -S "$SRCDIR/signatures")
py=/usr/bin/python3 # Debian's python3 has python3-pil (another python3 first in PATH may not)
[ -x "$py" ] || py=python3

python3 "$SRCDIR/bench/gencap.py" "$kind" "$tmp/site.pcap" >/dev/null || { bad "gencap.py $kind"; finish; }
"$CMFLOW" -r "$tmp/site.pcap" "${conf[@]}" --eve "$tmp/site.json" --report "$tmp/site.html" \
	--findings-csv "$tmp/site.csv" >"$tmp/summary.txt" || bad "run: exit $?"
"$CMFLOW" --from-eve "$tmp/site.json" --report "$tmp/eve.html" --findings-csv "$tmp/eve.csv" ||
	bad "--from-eve: exit $?"

size=$(stat -c %s "$tmp/site.html")
lines=$(wc -l <"$tmp/summary.txt")
flows=$(grep -c '"event_type":"flow"' "$tmp/site.json")
echo "   $kind: $flows flows, report $size bytes, summary $lines lines, CSV $(($(wc -l <"$tmp/site.csv") - 1)) rows"
[ "$size" -lt 1000000 ] && ok "the report is under 1 MB ($size bytes)" || bad "the report is $size bytes"
[ "$lines" -lt 200 ] && ok "the summary is under 200 lines ($lines)" || bad "the summary has $lines lines"
diff <(grep -v 'class="generated"' "$tmp/site.html") <(grep -v 'class="generated"' "$tmp/eve.html") >"$tmp/d" &&
	ok "the report from --from-eve is the same page" || bad "the report from --from-eve differs: $(head -5 "$tmp/d")"
cmp -s "$tmp/site.csv" "$tmp/eve.csv" && ok "the CSV from --from-eve is the same file" || bad "the CSV from --from-eve differs"

# the report's counts, the CSV and the summary against the EVE file
python3 - "$tmp/site.json" "$tmp/site.html" "$tmp/site.csv" "$tmp/summary.txt" "$kind" >"$tmp/groups" <<'PY' &&
import collections, csv, datetime, json, re, sys
events = [json.loads(l) for l in open(sys.argv[1])]
page = open(sys.argv[2], encoding="utf-8").read()
rows = list(csv.DictReader(open(sys.argv[3], newline="", encoding="utf-8")))
summary = open(sys.argv[4]).read()
flows = [e for e in events if e["event_type"] == "flow"]
alerts = [e for e in events if e["event_type"] == "alert"]
n = lambda s: int(s.replace(",", ""))
# counts by severity x verdict: flow alerts with the repeats held back, and the host and configuration alerts
want = collections.Counter()
for a in alerts:
    c = a["configmgr"]
    want[(a["alert"]["severity"], c["verdict"])] += 1 + c.get("repeats_held_back", 0)
table = page.split('<table id="counts">')[1].split("</table>")[0]
got = {}
for tr in re.findall(r"<tr><th>([123]) \(\w+\)</th>(.*?)</tr>", table):
    cells = re.findall(r">([\d,]+)</td>", tr[1])
    for verdict, v in zip(("noncompliant", "unexpected", "informational"), cells):
        got[(int(tr[0]), verdict)] = n(v)
assert got and all(got[k] == want.get(k, 0) for k in got) and sum(want.values()) == n(
    re.search(r'id="count-alerts">([\d,]+)<', page).group(1)), (got, want)
if sys.argv[5] == "site":  # the site's day has findings of every verdict and several severities
    assert len({s for s, _ in want}) >= 3 and len({v for _, v in want}) >= 3, want
verdicts = collections.Counter(f["configmgr"].get("verdict", "") for f in flows)
line = re.search(r'<p id="flow-verdicts">Flows: ([\d,]+) expected, ([\d,]+) noncompliant, ([\d,]+) unexpected', page)
assert [n(x) for x in line.groups()] == [verdicts["expected"], verdicts["noncompliant"], verdicts["unexpected"]], line.groups()
# the timeline: flows per minute of their end (a run of up to three hours) or per hour, as the bars' titles say;
# none for a run of less than three minutes
ends = [datetime.datetime.strptime(f["flow"]["end"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() for f in flows]
minutes = int(max(ends) // 60 - min(ends) // 60) + 1
width = 60 if minutes <= 180 else 3600
buckets = collections.Counter(int(e // width) for e in ends)
bars = [int(t) for t in re.findall(r'<rect class="flows"[^>]*><title>(\d+) flows</title>', page)]
if max(buckets) - min(buckets) + 1 < 3:
    assert 'id="timeline-chart"' not in page and not bars
else:
    assert sorted(b for b in bars if b) == sorted(buckets.values()), (bars, buckets)
    assert ("per minute" if width == 60 else "per hour") in page
# every finding group of the EVE file is one CSV row with its alerts, its first start and last end
groups = collections.defaultdict(list)
for a in alerts:
    if "flow_id" in a:
        c = a["configmgr"]
        groups[(c["finding"], a["src_ip"], a["dest_ip"], c.get("service", "(no rule)"))].append(a)
assert len(rows) == len(groups), (len(rows), len(groups))
for r in rows:
    g = groups[(r["finding"], r["from_host"], r["to_host"], r["service"])]
    assert n(r["count"]) == sum(1 + a["configmgr"].get("repeats_held_back", 0) for a in g), r
    assert r["first"] == min(a["flow"]["start"] for a in g) and r["last"] == max(a["flow"]["end"] for a in g), r
    assert r["advice"] and r["advice_source"] and r["wireshark_filter"], r
# the summary's findings line and group lines agree with the CSV
m = re.search(r"^findings: (\d+) alerts, (\d+) host pairs in (\d+) groups", summary, re.M)
assert m and int(m.group(1)) == sum(n(r["count"]) for r in rows) and int(m.group(2)) == len(rows), m.group(0)
kinds = collections.Counter()
for r in rows:
    kinds[(r["from_role"], r["to_role"], r["service"], r["finding"])] += n(r["count"])
said = collections.Counter()
kind = None
for l in summary.splitlines():
    k = re.match(r"  \[\w+, severity \d\] ([a-z-]+): ", l)
    if k:
        kind = k.group(1)
    g = re.match(r"    (\S+) -> (\S+)  (.+?)  (\d+) alerts?, (\d+) host pairs?  ", l)
    if g:
        said[(g.group(1), g.group(2), g.group(3), kind)] += int(g.group(4))
assert int(m.group(3)) == len(kinds) and said == {k: v for k, v in kinds.items() if k in said}, (said, kinds)
# two groups to check in tshark: the largest and a one-flow group; each with its flows' packets
big = max(rows, key=lambda r: n(r["count"]))
small = next(r for r in rows if n(r["count"]) == 1)
for r in (big, small):
    g = groups[(r["finding"], r["from_host"], r["to_host"], r["service"])]
    ids = {a["flow_id"] for a in g}
    pkts = sum(f["flow"]["pkts_toserver"] + f["flow"]["pkts_toclient"] for f in flows if f["flow_id"] in ids)
    print(f"{pkts}\t{r['wireshark_filter']}")
print(f"   {sum(want.values())} alerts ({dict(want)}), {len(rows)} CSV rows, {len(kinds)} groups", file=sys.stderr)
PY
	ok "counts, flow verdicts, timeline, CSV and summary equal the EVE file's" || bad "counts, CSV or summary differ from the EVE file"
# the summary's findings line: its counts by verdict and by severity each add up to its alerts (detections, the
# informational ones too), here and on the demo (whose detections include an informational one)
python3 "$SRCDIR/tests/e2e/summary_counts.py" "$tmp/summary.txt" "$tmp/site.csv" >"$tmp/sc" &&
	ok "$kind: the summary's counts equal the CSV's: $(cat "$tmp/sc")" || bad "$kind: $(cat "$tmp/sc")"
"$CMFLOW" -r "$demo" -c "$site" "${sig[@]}" --findings-csv "$tmp/demo.csv" >"$tmp/demo.txt" || bad "demo run: exit $?"
python3 "$SRCDIR/tests/e2e/summary_counts.py" "$tmp/demo.txt" "$tmp/demo.csv" >"$tmp/sc" &&
	grep -q ',informational,' "$tmp/demo.csv" &&
	ok "demo: the summary's counts equal the CSV's, its informational detection counted: $(cat "$tmp/sc")" ||
	bad "demo: the summary's counts: $(cat "$tmp/sc")"
if command -v tshark >/dev/null; then
	while IFS=$'\t' read -r pkts filter; do
		got=$(tshark -n -r "$tmp/site.pcap" -Y "$filter" 2>/dev/null | wc -l)
		[ "$got" = "$pkts" ] && ok "a group's display filter selects its $pkts packets (tshark)" ||
			bad "display filter '$filter': tshark $got packets, the flows $pkts"
	done <"$tmp/groups"
fi

# headless Chromium: the page renders offline; printed to PDF (A4 landscape), every label of its pictures whole
render() { # HTML NAME
	cp "$1" "$tmp/page.html"
	local chrome=(unshare -n chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile")
	"${chrome[@]}" --screenshot="$tmp/$2.png" --window-size=1300,2000 "file://$tmp/page.html" >/dev/null 2>&1
	"${chrome[@]}" --print-to-pdf="$tmp/$2.pdf" --no-pdf-header-footer "file://$tmp/page.html" >/dev/null 2>&1
	pdftotext -layout "$tmp/$2.pdf" "$tmp/$2.txt" &&
		"$py" - "$1" "$tmp/$2.png" "$tmp/$2.txt" "$(pdfinfo "$tmp/$2.pdf" | sed -n 's/^Page size: *//p')" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"\s+", " ", open(sys.argv[3], encoding="utf-8").read())
# A4 landscape: 842 x 595 points
w, h = (float(x) for x in re.match(r"([\d.]+) x ([\d.]+)", sys.argv[4]).groups())
assert abs(w - 841.9) < 2 and abs(h - 595.3) < 2, sys.argv[4]
labels = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", page)]
labels = [l for l in labels if l]
cut = [l for l in labels if re.sub(r"\s+", " ", l) not in text]
assert labels and not cut, cut[:10]
heads = [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", page)]
assert all(h in text for h in heads), [h for h in heads if h not in text]
from PIL import Image
img = Image.open(sys.argv[2]).convert("RGB")
colours = img.getcolors(maxcolors=1 << 20) or []
assert len(colours) > 20, len(colours)
print(f"   {len(labels)} picture labels and {len(heads)} headings whole in the PDF, screenshot {img.size[0]}x{img.size[1]}")
PY
}
if command -v chromium >/dev/null && command -v pdftotext >/dev/null; then
	render "$tmp/site.html" "scale-$kind" && ok "$kind: Chromium renders it; the PDF (A4 landscape) holds every label whole" ||
		bad "$kind: rendering or printing"
	"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" "${conf[@]}" --report "$tmp/demo.html" || bad "demo: exit $?"
	render "$tmp/demo.html" scale-demo && ok "demo: Chromium renders it; the PDF (A4 landscape) holds every label whole" ||
		bad "demo: rendering or printing"
	# the screenshots stay beside the test's log for a person to look at
	mkdir -p tests/e2e && cp "$tmp/scale-$kind.png" "$tmp/scale-demo.png" tests/e2e/ 2>/dev/null || true
else
	bad "chromium or pdftotext is not installed (scripts/deps.sh installs them)"
fi
finish

#!/bin/bash
# cb.sh: the current branch's knowledge set end to end: --list-rules gives a rule for every row of the port list
# or its documented skip, for each current branch site; --check-config names each site's set and settings; a 2007
# site and current branch sites in one configuration label each capture with its own set (the labels of both
# demos, flow by flow); the TLS posture of every TLS connection of the TLS captures and the public ones equals
# tshark's (tests/unit/tls-expected.tsv); the census of client authentication and client notification in the
# summary and the report (the same from the run and from its EVE file); the events validate against Suricata's
# schema.
set -u
. "$(dirname "$0")/lib.sh"
cb=$SRCDIR/signatures/example-site-cb.conf
ids=$SRCDIR/tests/unit/configmgr-cb-row-ids.txt

# --list-rules: every row, per site
if "$CMFLOW" --list-rules -c "$cb" "${sig[@]}" >"$tmp/rules" 2>"$tmp/err"; then
	missing=$(grep -v '^#' "$ids" | while read -r row what; do
		if [ "$what" = rule ]; then n=$(grep -c "^$row	$row	" "$tmp/rules"); else n=$(grep -c "^# $row skipped: ..*" "$tmp/rules"); fi
		[ "$n" = 3 ] || echo "$row($what:$n)"
	done)
	[ -z "$missing" ] && ok "--list-rules: the 169 rules and 18 skips of the port list for each of the 3 sites" ||
		bad "--list-rules misses rows: $missing"
	[ "$(grep -c '^# site PS[123]: ConfigMgr current branch (version=cb, ' "$tmp/rules")" = 3 ] &&
		ok "--list-rules names each site's set" || bad "--list-rules does not name the sets: $(grep '^# site' "$tmp/rules")"
	grep -q "^CB22	CB22	client	->	management-point	Client notification	tcp/10123$" "$tmp/rules" &&
		ok "--list-rules resolves the client notification port" || bad "CB22 not resolved: $(grep '^CB22' "$tmp/rules" | head -1)"
else
	bad "--list-rules -c example-site-cb.conf: $(cat "$tmp/err")"
fi
# without a configuration, and with a 2007 one, the 2007 matrix as before
"$CMFLOW" --list-rules "${sig[@]}" >"$tmp/r2007" && [ "$(grep -c '^R' "$tmp/r2007")" = 119 ] && ! grep -q '^CB' "$tmp/r2007" &&
	ok "--list-rules without a site: the 119 rules of 2007" || bad "--list-rules without a site"
expect "--check-config example-site-cb.conf" 0 "$CMFLOW" --check-config "$cb" "${sig[@]}"
out_has "--check-config names the current branch set" "site PS1 (line 22): ConfigMgr current branch (version=cb"
out_has "--check-config: HTTPS only" "site PS2 (line 24): ConfigMgr current branch (version=cb, $SRCDIR/signatures/configmgr-cb.rules), client communication HTTPS only, enhanced HTTP yes"
out_has "--check-config: enhanced HTTP off" "client communication HTTPS or HTTP, enhanced HTTP no"
out_has "--check-config: the current branch's ports" "SQL Server          TCP 1433, Service Broker TCP 4022"

# a 2007 site and current branch sites in one configuration: each demo labelled by its own site's set
{ cat "$site"; grep -v '^host 10.9.0.1 ' "$cb" | grep -v '^#'; } >"$tmp/both.conf"
expect "--check-config of a 2007 site and current branch sites" 0 "$CMFLOW" --check-config "$tmp/both.conf" "${sig[@]}"
out_has "  ... the 2007 site keeps its set" "site ABC (line 12): ConfigMgr 2007 (version=2007"
"$CMFLOW" -q -r "$PCAPS/cm-demo.pcap" -r "$PCAPS/cm-demo-cb.pcap" -c "$tmp/both.conf" "${sig[@]}" --eve "$tmp/both.json" ||
	bad "both demos with one configuration: exit $?"
cat "$SRCDIR/tests/e2e/expected/cm-demo.labels" "$SRCDIR/tests/e2e/expected/cm-demo-cb.cb.labels" >"$tmp/both.labels"
python3 "$SRCDIR/tests/e2e/labels.py" "$tmp/both.json" "$tmp/both.labels" >"$tmp/labels.out" &&
	ok "one configuration, two sets: both demos' labels and verdicts flow by flow ($(tail -1 "$tmp/labels.out"))" ||
	bad "one configuration, two sets: $(head -5 "$tmp/labels.out")"
python3 - "$tmp/both.json" <<'PY' && ok "2007 flows say version 2007 with R rules, current branch flows cb with CB rules" || bad "versions of the sets"
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    cm = e.get("configmgr", {})
    if e.get("event_type") != "flow" or "rule" not in cm:
        continue
    assert (cm["version"], cm["rule"][:2] == "CB") in (("2007", False), ("cb", True)), (cm["version"], cm["rule"])
PY

# the TLS posture of every connection tshark decodes, TLS 1.3 unprovable
mkdir -p "$tmp/tls"
for cap in $(grep -v '^#' "$SRCDIR/tests/unit/tls-expected.tsv" | cut -f1 | sort -u); do
	"$CMFLOW" -q -r "$PCAPS/$cap" "${sig[@]}" --eve "$tmp/tls/${cap//\//__}.json" 2>>"$tmp/tls.err" || true
done
python3 "$SRCDIR/tests/e2e/tls_postures.py" "$SRCDIR/tests/unit/tls-expected.tsv" "$tmp/tls" >"$tmp/tls.out" &&
	ok "TLS postures as tshark shows them: $(tail -1 "$tmp/tls.out")" || bad "TLS postures: $(head -8 "$tmp/tls.out")"

# the census: summary, report from the run and from its EVE file
"$CMFLOW" -r "$PCAPS/cm-demo-cb.pcap" -c "$cb" "${sig[@]}" --eve "$tmp/cb.json" --report "$tmp/direct.html" >"$tmp/summary" ||
	bad "CB demo: exit $?"
python3 - "$tmp/summary" <<'PY' && ok "summary: clients by site, role and authentication; client notification per client" || bad "summary census: $(grep -A12 'client authentication' "$tmp/summary")"
import re, sys
s = open(sys.argv[1]).read()
rows = {tuple(m.group(1, 2)): tuple(map(int, m.group(3, 4, 5, 6, 7))) for m in re.finditer(
    r"^  (PS\d)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", s, re.M)}
# clients, PKI mutual TLS, enhanced HTTP, plain HTTP, cannot be told
assert rows[("PS1", "management-point")] == (2, 0, 1, 1, 0), rows
assert rows[("PS1", "distribution-point")] == (2, 0, 1, 2, 0), rows
assert rows[("PS1", "cloud-management-gateway")] == (1, 1, 0, 0, 0), rows
assert rows[("PS2", "management-point")] == (3, 1, 0, 1, 1), rows
assert rows[("PS2", "distribution-point")] == (3, 1, 0, 1, 1), rows
assert rows[("PS3", "management-point")] == (1, 0, 0, 1, 1), rows
assert "client notification (current branch sites): 1 of 7 clients seen on it, 6 only polling" in s, s
assert re.search(r"^  PS1\s+10\.12\.0\.21\s+seen\s+2\s+3$", s, re.M)
assert re.search(r"^  PS1\s+10\.12\.0\.22\s+polling only\s+2\s+0$", s, re.M)
assert re.search(r"TLS handshakes read\s+\d+", s)
PY
"$CMFLOW" --report "$tmp/from-eve.html" --from-eve "$tmp/cb.json" || bad "--from-eve: exit $?"
diff <(grep -v 'class="generated"' "$tmp/direct.html") <(grep -v 'class="generated"' "$tmp/from-eve.html") >"$tmp/d" &&
	ok "report: the same page from the run and from its EVE file" || bad "report from EVE differs: $(head -10 "$tmp/d")"
python3 - "$tmp/direct.html" <<'PY' && ok "report: the census bars and table, the client notification table" || bad "report census"
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
assert 'id="client-auth"' in page and 'id="auth-bars"' in page and 'id="auth-table"' in page
assert re.search(r'<td>PS2</td><td>management-point</td><td class="num">3</td><td class="num pki-mutual-tls">1</td>'
                 r'<td class="num enhanced-http">0</td><td class="num plain-http">1</td><td class="num cannot-tell">1</td>', page)
assert page.count('<rect class="pki-mutual-tls"') == 7  # one bar of four classes per site and role
assert 'id="client-notification"' in page and page.count('class="polling-only"') == 6 and page.count('class="seen"') == 1
PY
python3 "$SRCDIR/tests/e2e/eve_schema.py" "$tmp/cb.json" "$tmp/both.json" "$tmp"/tls/*.json >"$tmp/schema" &&
	ok "Suricata's schema: $(tail -1 "$tmp/schema")" || bad "schema: $(head -5 "$tmp/schema")"
# the memory bound is said: readers and what they could not read are counted
python3 - "$tmp/cb.json" <<'PY' && ok "stats: cmflow.tls.handshakes, not_read, bound_hits" || bad "TLS counters"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"stats"' in l][-1]["cmflow"]["tls"]
assert s["handshakes"] == 14 and s["not_read"] == 0 and s["bound_hits"] == 0, s  # the demo's 14 TLS flows
PY
finish

#!/bin/bash
# communityid.sh: Community ID v1 (the spec's baseline, pcaps/community-id/: seed 0 and seed 1) on every flow of
# the spec's own capture; flow ids unique across two runs into one EVE file; --from-eve joins the same flow seen
# twice (one file given twice, or two sensors) by Community ID and start time.
set -u
. "$(dirname "$0")/lib.sh"
cid=$PCAPS/community-id
gzip -dc "$cid/combined.pcap.gz" >"$tmp/combined.pcap"
for seed in 0 1; do
	base=$cid/baseline_deflt.json
	[ "$seed" = 1 ] && base=$cid/baseline_seed1.json
	"$CMFLOW" -q -r "$tmp/combined.pcap" "${sig[@]}" --community-id-seed "$seed" --eve "$tmp/cid$seed.json" ||
		bad "seed $seed: exit $?"
	msg=$(python3 "$SRCDIR/tests/e2e/communityid.py" "$tmp/cid$seed.json" "$base" 2>&1) &&
		ok "Community ID, seed $seed: $msg" || bad "Community ID, seed $seed: $msg"
done
# two runs of different captures into one EVE file: no flow_id twice
"$CMFLOW" -q -r "$demo" "${sig[@]}" -c "$site" --eve "$tmp/two.json"
"$CMFLOW" -q -r "$PCAPS/cm-channels.pcap" "${sig[@]}" -c "$site" --eve "$tmp/two.json"
python3 - "$tmp/two.json" <<'PY' && ok "two runs into one EVE file: no flow_id twice; alerts share their flow's id" || bad "flow ids repeat"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
flows = [e for e in ev if e["event_type"] == "flow"]
ids = [e["flow_id"] for e in flows]
assert len(ids) == len(set(ids)) and len(ids) > 30, (len(ids), len(set(ids)))
assert all(0 < i < 2 ** 51 for i in ids)
byid = {e["flow_id"]: e for e in flows}
for a in (e for e in ev if e["event_type"] == "alert" and "flow_id" in e):
    f = byid[a["flow_id"]]
    assert (a["src_ip"], a.get("src_port"), a["community_id"]) == (f["src_ip"], f.get("src_port"), f["community_id"])
PY
# --from-eve: the same file twice counts each flow once
"$CMFLOW" --report "$tmp/one.html" --from-eve "$tmp/cid0.json" 2>/dev/null
"$CMFLOW" --report "$tmp/twice.html" --from-eve "$tmp/cid0.json" "$tmp/cid0.json" 2>"$tmp/twice.err"
one=$(grep -o '<td id="flows">[0-9]*' "$tmp/one.html")
twice=$(grep -o '<td id="flows">[0-9]*' "$tmp/twice.html")
[ -n "$one" ] && [ "$one" = "$twice" ] && ok "--from-eve A A reports the flows of A once (${one#*>})" ||
	bad "--from-eve A A: $twice, A: $one"
"$CMFLOW" --report "$tmp/d1.html" --from-eve "$tmp/two.json" 2>/dev/null
"$CMFLOW" --report "$tmp/d2.html" --from-eve "$tmp/two.json" "$tmp/two.json" 2>/dev/null
diff <(sed 's/<td class="generated">.*//' "$tmp/d1.html") <(sed 's/<td class="generated">.*//' "$tmp/d2.html") \
	>"$tmp/d.diff" && ok "--from-eve A A: the same report as A (findings counted once)" ||
	bad "--from-eve A A differs: $(head -5 "$tmp/d.diff")"
finish

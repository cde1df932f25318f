#!/usr/bin/env python3
"""communityid.py EVE BASELINE: every flow of cmflow's EVE output over the Community ID spec's combined.pcap carries
the Community ID the spec's baseline gives its first packet (ICMP and ICMPv6 flows by the first message's type;
protocols without ports by their addresses); every alert its flow's."""
import json
import sys

eve, baseline = sys.argv[1:3]
base = json.load(open(baseline))
flows = [json.loads(l) for l in open(eve)]
flows = [e for e in flows if e['event_type'] == 'flow']
names = {'TCP': 6, 'UDP': 17, 'SCTP': 132, 'ICMP': 1, 'IPv6-ICMP': 58}
checked = 0
for e in flows:
    proto = names.get(e['proto']) or int(e['proto'])
    want = set()
    for b in base:
        if b['proto'] != proto or b['saddr'] != e['src_ip'] or b['daddr'] != e['dest_ip']:
            continue
        if proto in (6, 17, 132) and (b['sport'], b['dport']) != (e['src_port'], e['dest_port']):
            continue
        if proto in (1, 58) and b['sport'] != e['icmp_type']:
            continue
        want.add(b['communityid'])
    if len(want) != 1:
        sys.exit('flow %s -> %s proto %s: %d baseline values %s' % (e['src_ip'], e['dest_ip'], proto, len(want), want))
    got = e.get('community_id')
    if got not in want:
        sys.exit('flow %s -> %s proto %s: community_id %s, the baseline %s' % (e['src_ip'], e['dest_ip'], proto,
                                                                                 got, want))
    checked += 1
tuples = {(b['proto'], tuple(sorted([(b['saddr'], b.get('sport')), (b['daddr'], b.get('dport'))]))) for b in base}
print('%d flows checked against %d baseline tuples' % (checked, len(base)))
if checked < 10:
    sys.exit('too few flows')

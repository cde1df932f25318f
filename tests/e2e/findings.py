#!/usr/bin/env python3
"""findings.py EVE FINDING SRC SIGDIR: an alert of that finding is in the EVE file, raised by SRC ('-': an alert
about the configuration, with no flow), with the signature id and severity the policy files (or the detections) of
SIGDIR give it."""
import glob
import json
import shlex
import sys

path, finding, src, sigdir = sys.argv[1:5]
policy = {}
for f in glob.glob(sigdir + '/*policy*.txt') + glob.glob(sigdir + '/detections.txt'):
    for line in open(f):
        w = shlex.split(line, comments=True)
        if w and w[0] in ('finding', 'detection'):
            policy[w[1]] = (int(w[2]), int(w[3]))
hits = []
for line in open(path):
    e = json.loads(line)
    cm = e.get('configmgr', {})
    if e.get('event_type') != 'alert':
        continue
    if cm.get('finding') == finding or finding in cm.get('reasons', []) and 'finding' not in cm:
        hits.append(e)
if src != '-':
    hits = [e for e in hits if e.get('src_ip') == src]
else:
    hits = [e for e in hits if 'flow_id' not in e]
if not hits:
    sys.exit('no %s alert from %s' % (finding, src))
for e in hits:
    got = (e['alert']['signature_id'], e['alert']['severity'])
    if got != policy[finding]:
        sys.exit('%s: signature id and severity %s, the policy says %s' % (finding, got, policy[finding]))

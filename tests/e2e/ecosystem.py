#!/usr/bin/env python3
"""ecosystem.py: the checks of tests/e2e/ecosystem.sh on EVE files, one subcommand each."""
import collections
import json
import sys


def events(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def places(path):
    """Suricata's places: top-level http with Suricata's names (the hostname without a port), tls.version as
    Suricata writes it, app_proto "failed" where payload went by unproven, community_id and pcap_cnt on flows and
    alerts, no configmgr.http any more."""
    ev = events(path)
    flows = [e for e in ev if e['event_type'] == 'flow']
    alerts = [e for e in ev if e['event_type'] == 'alert' and 'flow_id' in e]
    http = [e for e in flows if 'http' in e]
    assert http, 'no http object'
    for e in http:
        h = e['http']
        assert h.get('http_method') and h.get('url'), h
        assert ':' not in h.get('hostname', ''), 'a port in the hostname: %s' % h
        assert 'http' not in e['configmgr'], 'configmgr.http is still written'
    assert any(e['http'].get('http_user_agent') == 'SMS CCM 5.0' for e in http), 'no http_user_agent'
    tls = [e['tls']['version'] for e in flows if 'version' in e.get('tls', {})]
    assert tls and set(tls) <= {'TLS 1.2', 'TLS 1.3', 'TLS 1.1', 'TLSv1', 'SSLv3'}, tls
    failed = [e for e in flows if e.get('app_proto') == 'failed']
    assert failed, 'no app_proto "failed"'
    for e in flows + alerts:
        assert e.get('community_id', '').startswith('1:'), e
        assert e.get('pcap_cnt', 0) > 0, 'no pcap_cnt: %s' % e['event_type']
    for a in alerts:
        assert 'http' in a or a.get('app_proto') != 'http', 'an HTTP alert without its http object'
    print('%d HTTP flows, TLS versions %s, %d flows "failed", %d alerts with pcap_cnt' %
          (len(http), sorted(set(tls)), len(failed), len(alerts)))


def host_alerts(path):
    """Alerts about hosts (role drift) name the host as src_ip and carry no flow."""
    drift = [e for e in events(path) if e['event_type'] == 'alert' and 'flow_id' not in e and
             e['configmgr']['reasons'][0] in ('role-not-configured', 'role-not-shown')]
    assert drift, 'no drift alert'
    for e in drift:
        assert e.get('src_ip') and e['configmgr']['detail'].startswith(e['src_ip']), e
    print('%d drift alerts, each naming its host as src_ip' % len(drift))


def key(e):
    """An event's identity across runs (flow ids differ from run to run)."""
    cm = e.get('configmgr', {})
    return (e['event_type'], e.get('community_id'), e.get('src_ip'), e.get('src_port'), e.get('dest_ip'),
            e.get('dest_port'), e.get('flow', {}).get('start'), cm.get('finding'), cm.get('detail'))


def delivered(ref, *got):
    """Every event of the reference run arrived in the files got (whole: each line is JSON), perhaps twice after
    a reconnection; --tolerate N lets N be missing (what a killed reader had read but not stored)."""
    tolerate = 0
    if '--tolerate' in got:
        i = got.index('--tolerate')
        tolerate, got = int(got[i + 1]), got[:i] + got[i + 2:]
    want = collections.Counter(key(e) for e in events(ref) if e['event_type'] != 'stats')
    have = collections.Counter()
    for g in got:
        have.update(key(e) for e in events(g) if e['event_type'] != 'stats')
    missing = sum((want - have).values())
    assert missing <= tolerate, '%d events missing, e.g. %s' % (missing, next(iter(want - have)))
    extra = sum((have - want).values())
    print('%d events, %d missing, %d sent again after the reconnection' % (sum(want.values()), missing, extra))


if __name__ == '__main__':
    cmds = {'places': places, 'host-alerts': host_alerts, 'delivered': delivered}
    try:
        cmds[sys.argv[1]](*sys.argv[2:])
    except AssertionError as e:
        sys.exit('check failed: %s' % e)

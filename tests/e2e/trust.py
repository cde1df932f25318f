#!/usr/bin/env python3
"""trust.py: the helpers of tests/e2e/trust.sh, one subcommand each (no third-party module: pcap files are read
and written here with struct, EVE with json)."""
import json
import struct
import sys
import time


def read_pcap(path):
    """The global header and the records (header bytes, data) of a classic little-endian microsecond pcap."""
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    assert magic == 0xa1b2c3d4, 'a little-endian microsecond pcap'
    records, at = [], 24
    while at + 16 <= len(data):
        incl = struct.unpack('<I', data[at + 8:at + 12])[0]
        records.append((data[at:at + 16], data[at + 16:at + 16 + incl]))
        at += 16 + incl
    return data[:24], records


def write_pcap(path, header, records):
    with open(path, 'wb') as out:
        out.write(header)
        for h, d in records:
            out.write(h + d)


def events(path, kind=None):
    for line in open(path):
        e = json.loads(line)
        if kind is None or e.get('event_type') == kind:
            yield e


def whole_lines(path):
    """Every line of the file is a whole JSON object and the file ends with a newline (or is empty)."""
    raw = open(path, 'rb').read()
    if raw and not raw.endswith(b'\n'):
        sys.exit('the file ends inside a line')
    for i, line in enumerate(raw.split(b'\n')[:-1], 1):
        json.loads(line)


def linktype(value, src, dst):
    header, records = read_pcap(src)
    write_pcap(dst, header[:20] + struct.pack('<I', int(value)), records)


def no_epoch(path):
    for e in events(path):
        if e.get('timestamp', '').startswith('1970'):
            sys.exit('stamped from the epoch: %s' % e['event_type'])


def flow_view(e):
    cm = e.get('configmgr', {})
    return (e['src_ip'], e.get('src_port'), e['dest_ip'], e.get('dest_port'), e['proto'], e['flow']['start'],
            e['flow']['pkts_toserver'], e['flow']['pkts_toclient'], e['flow']['bytes_toserver'],
            e['flow']['bytes_toclient'], e.get('app_proto'), cm.get('rule'), cm.get('verdict'),
            tuple(cm.get('reasons', [])), cm.get('src_role'), cm.get('dest_role'))


def same_flows(a, b):
    fa = sorted(map(flow_view, events(a, 'flow')))
    fb = sorted(map(flow_view, events(b, 'flow')))
    if fa != fb:
        for x, y in zip(fa, fb):
            if x != y:
                print('first difference:\n  %s\n  %s' % (x, y))
                break
        sys.exit('%d and %d flows differ' % (len(fa), len(fb)))


def count(kind, path):
    print(sum(1 for _ in events(path, kind)))


def slow_write(src, dst):
    """Writes a capture in small pieces over about three seconds (a FIFO or a pipe to cmflow)."""
    raw = open(src, 'rb').read()
    step = max(1, len(raw) // 30)
    with open(dst, 'wb', buffering=0) as out:
        for at in range(0, len(raw), step):
            out.write(raw[at:at + step])
            time.sleep(0.1)


def stranger(path, host):
    """Every flow of host to a site system is judged on the configuration alone: never expected, and its
    unknown-host finding raised, though inference labels host a client."""
    flows = [e for e in events(path, 'flow') if e['src_ip'] == host]
    labelled = [e for e in flows if 'client' in e['configmgr'].get('src_roles_inferred', [])]
    to_systems = [e for e in flows if e['configmgr'].get('dest_roles') and e['dest_port'] in (80, 443, 445)]
    assert labelled, 'inference did not label %s (the case is not tested)' % host
    assert to_systems, 'no flow of %s to a site system' % host
    for e in to_systems:
        cm = e['configmgr']
        assert cm['verdict'] != 'expected', 'vouched for: %s' % json.dumps(cm)
        assert 'unknown-host' in cm['reasons'], 'no unknown-host: %s' % json.dumps(cm)
    alerts = [e for e in events(path, 'alert') if e.get('src_ip') == host and
              e['configmgr'].get('finding') == 'unknown-host']
    assert len(alerts) == len(to_systems), (len(alerts), len(to_systems))


def tcp_conn(d):
    """(frame's connection key, source endpoint, flags) of an Ethernet/IPv4/TCP frame, else None."""
    if len(d) < 54 or d[12:14] != b'\x08\x00' or d[23] != 6:
        return None
    ihl = (d[14] & 0x0f) * 4
    src, dst = d[26:30], d[30:34]
    sport, dport = struct.unpack('>HH', d[14 + ihl:18 + ihl])
    flags = d[14 + ihl + 13]
    a, b = (src, sport), (dst, dport)
    return (min(a, b), max(a, b)), a, flags


def cut_handshakes(src, dst):
    """Every TCP connection seen from its middle: its packets before the server's first packet after the
    handshake are dropped, so that the first packet seen comes from the responder (the harder case)."""
    header, records = read_pcap(src)
    state = {}  # connection -> 'wait' (dropping) or 'keep'
    server = {}
    kept = []
    for h, d in records:
        c = tcp_conn(d)
        if not c:
            kept.append((h, d))
            continue
        key, source, flags = c
        syn, ack = flags & 0x02, flags & 0x10
        if key not in state:
            state[key] = 'wait'
        if syn and not ack:
            server[key] = key[0] if source == key[1] else key[1]
        if state[key] == 'wait':
            if key in server and source == server[key] and not syn:
                state[key] = 'keep'
            else:
                continue
        kept.append((h, d))
    write_pcap(dst, header, kept)


def midstream(full, mid):
    def by_conn(path):
        out = {}
        for e in events(path, 'flow'):
            if e['proto'] != 'TCP':
                continue
            k = tuple(sorted([(e['src_ip'], e['src_port']), (e['dest_ip'], e['dest_port'])]))
            out[k] = e
        return out
    a, b = by_conn(full), by_conn(mid)
    common = [k for k in a if k in b]
    assert len(common) >= 10, 'only %d connections left' % len(common)
    for k in common:
        x, y = a[k], b[k]
        assert y.get('cmflow', {}).get('midstream'), 'not marked midstream: %s' % (k,)
        got = (y['src_ip'], y['src_port'], y['configmgr'].get('src_role'), y['configmgr'].get('dest_role'),
               y['configmgr'].get('rule'))
        want = (x['src_ip'], x['src_port'], x['configmgr'].get('src_role'), x['configmgr'].get('dest_role'),
                x['configmgr'].get('rule'))
        assert got == want, 'midstream %s: %s, from the start %s' % (k, got, want)


if __name__ == '__main__':
    commands = {
        'whole-lines': whole_lines, 'linktype': linktype, 'no-epoch': no_epoch, 'same-flows': same_flows,
        'count': count, 'slow-write': slow_write, 'stranger': stranger, 'cut-handshakes': cut_handshakes,
        'midstream': midstream,
    }
    try:
        commands[sys.argv[1]](*sys.argv[2:])
    except AssertionError as e:
        sys.exit('check failed: %s' % e)

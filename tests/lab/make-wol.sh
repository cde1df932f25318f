#!/bin/bash
# make-wol.sh OUTFILE: Wake On LAN traffic (Table 1 row 85, footnote 5) on the lab network, recorded from the span port.
# Real programs: wakeonlan (UDP magic packets) and etherwake (raw Ethernet, EtherType 0x0842, SecureOn passwords).
# Every magic packet wakes a different target MAC (listed below and in pcaps/README.md).
set -euo pipefail
out=${1:?usage: make-wol.sh OUTFILE}
here=$(cd "$(dirname "$0")" && pwd)

. "$here/lab.sh"
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need wakeonlan wakeonlan
lab_need etherwake etherwake
lab_need socat socat
lab_require_root "network namespaces"

# host NAME MAC ADDR/LEN: a lab host with a fixed MAC and no IPv6 chatter
host() { lab_quiet_host "$1" "$2" "$3"; }

lab_up
# site server and clients in /16 subnets with the whole 10/8 on-link, so that 10.2.255.255 is the clients'
# subnet-directed broadcast address
host siteserver 02:00:0a:01:00:05 10.1.0.5/16
host client21 02:00:0a:02:00:15 10.2.0.21/16
host client22 02:00:0a:02:00:16 10.2.0.22/16
host outsider 02:00:0a:07:00:63 10.7.0.99/8
for h in siteserver client21 client22; do
	lab_exec "$h" ip route add 10.0.0.0/8 dev eth0
done
# no default route in the lab: the limited broadcast needs a route of its own
for h in siteserver outsider; do
	lab_exec "$h" ip route add 255.255.255.255/32 dev eth0
done
# What the clients' router does with a subnet-directed broadcast (ip directed-broadcast): it goes out as an
# Ethernet broadcast. On one link, the site server needs to be told that 10.2.255.255 means ff:ff:ff:ff:ff:ff.
lab_exec siteserver ip neigh replace 10.2.255.255 lladdr ff:ff:ff:ff:ff:ff dev eth0 nud permanent

lab_capture_start "$out"
step() { sleep 0.3; }

# 1. UDP 9 to the limited broadcast address
lab_exec siteserver wakeonlan 00:1a:4b:00:00:01 >/dev/null; step
# 2. UDP 9 to the clients' subnet-directed broadcast
lab_exec siteserver wakeonlan -i 10.2.255.255 00:1a:4b:00:00:02 >/dev/null; step
# 3. UDP 9 to a unicast client address (a client that is still awake, e.g. in sleep with WOL armed)
lab_exec siteserver wakeonlan -i 10.2.0.21 00:1a:4b:00:00:03 >/dev/null; step
# 4. UDP 7 (echo) to the limited broadcast
lab_exec siteserver wakeonlan -p 7 00:1a:4b:00:00:04 >/dev/null; step
# 5. another configured WOL port, 12287, to the subnet-directed broadcast
lab_exec siteserver wakeonlan -i 10.2.255.255 -p 12287 00:1a:4b:00:00:05 >/dev/null; step
# 6. raw Ethernet, EtherType 0x0842, to the target MAC
lab_exec siteserver etherwake -i eth0 00:1a:4b:00:00:06; step
# 7. raw Ethernet to ff:ff:ff:ff:ff:ff
lab_exec siteserver etherwake -i eth0 -b 00:1a:4b:00:00:07; step
# 8. raw Ethernet with a six-byte SecureOn password
lab_exec siteserver etherwake -i eth0 -p 00:11:22:33:44:55 00:1a:4b:00:00:08; step
# 9. raw Ethernet with a four-byte SecureOn password (etherwake writes it in dotted decimal: 192.168.1.1 = c0:a8:01:01)
lab_exec siteserver etherwake -i eth0 -b -p 192.168.1.1 00:1a:4b:00:00:09; step
# 10. NOT a magic packet: plain text to UDP 9 of a client
echo hello | lab_exec siteserver socat - UDP-DATAGRAM:10.2.0.21:9; step
# 11. a magic packet from a host that is not a site server
lab_exec outsider wakeonlan 00:1a:4b:00:00:0a >/dev/null; step
# 12. from the same outsider, unicast to a client
lab_exec outsider wakeonlan -i 10.2.0.22 00:1a:4b:00:00:0b >/dev/null; step

lab_capture_stop
echo "make-wol.sh: wrote $out"

#!/bin/bash
# make-vxlan.sh OUTFILE: the kernel's own VXLAN carrying real ConfigMgr-like traffic (pcaps/cm-vxlan.pcap).
#
# Four VTEP hosts on the lab switch (underlay 198.51.100.0/24), two VXLAN segments built by the kernel's vxlan
# driver (RFC 7348) that reuse the same overlay addresses, as two tenants would:
#   segment 1: VNI 42 on UDP 8472 (Linux's default port: no dstport given), 198.51.100.11 <-> 198.51.100.12
#   segment 2: VNI 43 on UDP 4800 (a port of the site's own: cmflow needs --vxlan-port 4800, tshark
#              -d udp.port==4800,vxlan), 198.51.100.21 <-> 198.51.100.22
# In each, the client 10.2.0.21 talks to the management point 10.1.0.10 (tests/lab/cm-web.py, Python's
# http.server) with curl: a CCM_POST over HTTP from the same client port 40000 (the same inner 5-tuple in both
# segments: only the VNI tells the two conversations apart) and a GET /SMS_MP/.sms_aut?MPLIST; the overlay's
# ARP travels inside the tunnel too. The span port records the outer (underlay) frames only.
# Debian packages: iproute2 tcpdump python3 curl
set -euo pipefail
out=${1:?usage: make-vxlan.sh OUTFILE}
here=$(cd "$(dirname "$0")" && pwd)
LAB_ID=${LAB_ID:-cmt}
. "$here/lab.sh"
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need python3 python3
lab_need curl curl
lab_require_root "network namespaces"

# vtep NAME UNDERLAY REMOTE VNI PORT OVERLAY: a host on the switch whose vxlan interface reaches REMOTE
vtep() {
	local name=$1 under=$2 remote=$3 vni=$4 port=$5 overlay=$6
	lab_quiet_host "$name" - "$under/24"
	if [ "$port" = default ]; then
		lab_exec "$name" ip link add vx0 type vxlan id "$vni" local "$under" remote "$remote" dev eth0 2>/dev/null
	else
		lab_exec "$name" ip link add vx0 type vxlan id "$vni" local "$under" remote "$remote" dstport "$port" dev eth0
	fi
	lab_exec "$name" ip addr add "$overlay/8" dev vx0
	lab_exec "$name" ip link set vx0 up
}

lab_up
trap 'set +e; lab_down' EXIT # lab_down's waits return the killed servers' status: not an error here
vtep client1 198.51.100.11 198.51.100.12 42 default 10.2.0.21
vtep mp1 198.51.100.12 198.51.100.11 42 default 10.1.0.10
vtep client2 198.51.100.21 198.51.100.22 43 4800 10.2.0.21
vtep mp2 198.51.100.22 198.51.100.21 43 4800 10.1.0.10
web="python3 $here/cm-web.py"
lab_bg mp1 $web 80
lab_bg mp2 $web 80
sleep 2

lab_capture_start "$out"
ua='SMS CCM 5.0'
quiet() { "$@" >/dev/null 2>&1 || echo "make-vxlan.sh: warning: $* failed" >&2; }
for seg in 1 2; do
	quiet lab_exec client$seg curl -s --max-time 5 --local-port 40000 -X CCM_POST -A "$ua" \
		--data-binary '<Msg><Body>status from segment '$seg'</Body></Msg>' http://10.1.0.10/ccm_system/request
	quiet lab_exec client$seg curl -s --max-time 5 -A "$ua" 'http://10.1.0.10/SMS_MP/.sms_aut?MPLIST'
done
sleep 1
lab_capture_stop
echo "make-vxlan.sh: wrote $out ($(tcpdump -r "$out" 2>/dev/null | wc -l) packets)"

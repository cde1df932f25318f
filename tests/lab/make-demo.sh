#!/bin/bash
# make-demo.sh OUTFILE: the bundled demo capture (pcaps/cm-demo.pcap): a small ConfigMgr site of site ABC
# (signatures/example-site.conf, native mode) talking through real programs between network namespaces,
# recorded from the lab switch's span port. Compliant paths and the problems an audit should find.
#
# Real programs: Python's http.server (tests/lab/cm-web.py: answers CCM_POST, BITS_POST, GET ... like IIS on a
# site system), curl (HTTP and HTTPS clients, CCM_POST with the ConfigMgr client's user agent), openssl (a
# self-signed certificate), Samba smbd and smbclient (SMB), dnsmasq and dig (DNS), socat (remote control and SQL
# listeners: no SQL Server or ConfigMgr console runs on Linux, so those are plain TCP conversations on the
# right ports), wakeonlan.
# Debian packages: iproute2 tcpdump python3 curl openssl samba smbclient dnsmasq-base bind9-dnsutils socat
# wakeonlan
set -euo pipefail
out=${1:?usage: make-demo.sh OUTFILE}
here=$(cd "$(dirname "$0")" && pwd)

. "$here/lab.sh"
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need python3 python3
lab_need curl curl
lab_need openssl openssl
lab_need smbd samba
lab_need smbclient smbclient
lab_need dnsmasq dnsmasq-base
lab_need dig bind9-dnsutils
lab_need socat socat
lab_need wakeonlan wakeonlan
lab_require_root "network namespaces"

work=$(mktemp -d)
chmod 755 "$work"

# host NAME MAC ADDR: a lab host on the 10/8 network with a fixed MAC, no IPv6 chatter
host() { lab_quiet_host "$1" "$2" "$3/8"; }

# smb NAME ADDR SHARE: a Samba server of its own in host NAME, sharing $work/NAME-share as SHARE (guest)
smb() {
	local name=$1 addr=$2 share=$3 d=$work/smb-$1
	mkdir -p "$d" "$work/$name-share"
	head -c 150000 /dev/urandom >"$work/$name-share/ccmsetup.exe"
	chmod -R a+rX "$work/$name-share"
	cat >"$d/smb.conf" <<EOF
[global]
	server role = standalone server
	interfaces = $addr/8
	bind interfaces only = yes
	smb ports = 445
	disable netbios = yes
	map to guest = bad user
	guest account = nobody
$(lab_smb_state "$d")
	server min protocol = SMB2
[$share]
	path = $work/$name-share
	guest ok = yes
	read only = yes
EOF
	lab_bg "$name" smbd --foreground --no-process-group -s "$d/smb.conf"
}

lab_up
host siteserver 02:00:0a:01:00:05 10.1.0.5
host mp 02:00:0a:01:00:0a 10.1.0.10
host dp 02:00:0a:01:00:0b 10.1.0.11
host sup 02:00:0a:01:00:0c 10.1.0.12
host slp 02:00:0a:01:00:0d 10.1.0.13
host fsp 02:00:0a:01:00:0e 10.1.0.14
host sql 02:00:0a:01:00:14 10.1.0.20
host dc 02:00:0a:09:00:01 10.9.0.1
host console 02:00:0a:03:00:05 10.3.0.5
host client21 02:00:0a:02:00:15 10.2.0.21
host client22 02:00:0a:02:00:16 10.2.0.22
host outsider 02:00:0a:07:00:63 10.7.0.99

openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=abc.example" \
	-addext "subjectAltName=DNS:mp01.abc.example,DNS:dp01.abc.example,DNS:sup01.abc.example" \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
web="python3 $here/cm-web.py"
# management point: HTTPS for native mode clients, HTTP still open (the finding)
lab_bg mp $web 443 --tls "$work/cert.pem" "$work/key.pem"
lab_bg mp $web 80
# distribution point: HTTP downloads, SMB package share, and a plain HTTP server on 443 (cleartext on an HTTPS port)
lab_bg dp $web 80 --size-kb 200
lab_bg dp $web 443 --size-kb 8
smb dp 10.1.0.11 'SMSPKGC$'
# software update point on the WSUS ports
lab_bg sup $web 8530
lab_bg sup $web 8531 --tls "$work/cert.pem" "$work/key.pem"
lab_bg slp $web 80
lab_bg fsp $web 80
# the site server's admin share on a client (client push), and a share on the site server (for the DP's wrong-way SMB)
smb client22 10.2.0.22 'ADMIN$'
smb siteserver 10.1.0.5 'SMS_ABC'
# domain controller: DNS
printf '10.1.0.10 mp01.abc.example\n10.1.0.11 dp01.abc.example\n' >"$work/hosts"
lab_bg dc dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$work/hosts" --listen-address=10.9.0.1 \
	--bind-interfaces --pid-file="$work/dnsmasq.pid"
# "SQL Server" and the remote control agent: TCP listeners that answer
lab_bg sql socat TCP-LISTEN:1433,fork,reuseaddr SYSTEM:'head -c 64 >/dev/null; printf "\\x04\\x01\\x00\\x25\\x00\\x00\\x01\\x00"'
lab_bg client22 socat TCP-LISTEN:2701,fork,reuseaddr SYSTEM:'head -c 32 >/dev/null; printf "RC-ACK\\n"'
sleep 2

lab_capture_start "$out"
ua='SMS CCM 5.0'
c21() { lab_exec client21 "$@"; }
c22() { lab_exec client22 "$@"; }
quiet() { "$@" >/dev/null 2>&1 || echo "make-demo.sh: warning: $* failed" >&2; }

# 1-2 client 10.2.0.21 -> management point over HTTPS (Table 1 row 46): compliant in native mode
quiet c21 curl -sk --max-time 5 -X CCM_POST -A "$ua" --data-binary 'policy request' https://10.1.0.10/ccm_system/request
quiet c21 curl -sk --max-time 5 -A "$ua" 'https://10.1.0.10/SMS_MP/.sms_aut?MPLIST'
# 3-4 client 10.2.0.22 -> management point over HTTP (row 45): a native mode site forbids it
quiet c22 curl -s --max-time 5 -X CCM_POST -A "$ua" --data-binary '<Msg><Body>status</Body></Msg>' http://10.1.0.10/ccm_system/request
quiet c22 curl -s --max-time 5 -X BITS_POST -A 'Microsoft BITS/7.5' -H 'BITS-Packet-Type: Create-Session' \
	-H 'BITS-Supported-Protocols: {7df0354d-249b-430f-820d-3d2a9bef4931}' http://10.1.0.10/CCM_Incoming/
# 5 client -> distribution point: package download over HTTP (row 40; native mode wants HTTPS)
quiet c21 curl -s --max-time 10 -A 'Microsoft BITS/7.5' -o /dev/null 'http://10.1.0.11/SMS_DP_SMSPKG$/ABC00001/ccmsetup.cab'
# 6 client -> distribution point: SMB (row 42)
quiet c21 smbclient -N -m SMB3 '//10.1.0.11/SMSPKGC$' -c 'get ccmsetup.exe /dev/null'
# 7 client -> distribution point: cleartext HTTP on the HTTPS port 443 (row 41, cleartext on an HTTPS port)
quiet c21 curl -s --max-time 5 -o /dev/null 'http://10.1.0.11:443/SMS_DP_SMSPKG$/ABC00002/small.bin'
# 8-9 client -> software update point on the WSUS ports 8530 (HTTP, row 17) and 8531 (HTTPS, row 18)
quiet c21 curl -s --max-time 5 -A 'Windows-Update-Agent' -X POST --data-binary '<soap/>' \
	http://10.1.0.12:8530/ClientWebService/client.asmx
quiet c21 curl -sk --max-time 5 -A 'Windows-Update-Agent' -X POST --data-binary '<soap/>' \
	https://10.1.0.12:8531/ClientWebService/client.asmx
# 10 client -> server locator point over HTTP (row 47: HTTP only by design)
quiet c21 curl -s --max-time 5 -A "$ua" 'http://10.1.0.13/SMS_SLP/.sms_aut?SITECODE'
# 11 client -> fallback status point (row 36: HTTP only by design)
quiet c22 curl -s --max-time 5 -A "$ua" -X POST --data-binary 'state message' 'http://10.1.0.14/SMS_FSP/.sms_fsp'
# 12 client -> domain controller: DNS (not a ConfigMgr path)
quiet c21 dig +short +tries=1 +time=2 @10.9.0.1 mp01.abc.example
# 13 site server -> SQL Server (row 62)
quiet lab_exec siteserver socat -T 3 - TCP:10.1.0.20:1433 <<<"prelogin from the site server"
# 14 site server -> client: client push to the admin$ share (source text P1)
quiet lab_exec siteserver smbclient -N -m SMB3 '//10.2.0.22/ADMIN$' -c 'get ccmsetup.exe /dev/null'
# 15 console -> client: remote control (row 79)
quiet lab_exec console socat -T 3 - TCP:10.2.0.22:2701 <<<"remote control session"
# 16 site server -> client: Wake On LAN magic packet to the clients' subnet (row 85)
quiet lab_exec siteserver wakeonlan -i 10.255.255.255 02:00:0a:02:00:16
# 17 an outsider -> SQL Server: no rule allows it
quiet lab_exec outsider socat -T 3 - TCP:10.1.0.20:1433 <<<"who is there"
# 18 distribution point -> site server: SMB started by the DP (row 37 is from the site server: wrong direction)
quiet lab_exec dp smbclient -N -m SMB3 '//10.1.0.5/SMS_ABC' -c 'ls'
sleep 1
lab_capture_stop
rm -rf "$work"
echo "make-demo.sh: wrote $out ($(tcpdump -r "$out" 2>/dev/null | wc -l) packets)"

#!/bin/bash
# make-findings.sh OUTFILE: the findings the demo does not show (pcaps/cm-findings.pcap), each made by a real
# program between network namespaces with the addresses of signatures/example-site.conf (site ABC, native mode):
#   1. the site server 10.1.0.5 opens SMB (smbclient's NEGOTIATE) on the SQL server's port 10.1.0.20:1433, where
#      row 62 names TDS: protocol-mismatch (a socat listener answers; cmflow proves SMB from the first payload)
#   2. client 10.2.0.21 speaks TLS (openssl s_client) to the management point 10.1.0.10 on port 80, the site's HTTP
#      port: tls-on-http-port
#   3. client 10.2.0.21 connects to the SQL server 10.1.0.20:1433 (socat): no row lets a client talk to the site
#      database: no-rule-to-configmgr-port
#   4. the server locator point 10.1.0.13 connects to the fallback status point 10.1.0.14 on tcp/8080 (socat): two
#      site systems, no row: no-rule-between-site-systems
# Debian packages: iproute2 tcpdump openssl smbclient socat
set -euo pipefail
out=${1:?usage: make-findings.sh OUTFILE}
here=$(cd "$(dirname "$0")" && pwd)
LAB_ID=cmfind
. "$here/lab.sh"
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need openssl openssl
lab_need smbclient smbclient
lab_need socat socat
lab_require_root "network namespaces"
work=$(mktemp -d)
chmod 755 "$work"

host() { lab_quiet_host "$1" - "$2/8"; }
quiet() { "$@" >/dev/null 2>&1 || true; }

lab_up
host siteserver 10.1.0.5
host mp 10.1.0.10
host slp 10.1.0.13
host fsp 10.1.0.14
host sql 10.1.0.20
host client21 10.2.0.21
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=mp.abc.example -keyout "$work/key.pem" \
	-out "$work/cert.pem" 2>/dev/null
lab_bg sql socat TCP-LISTEN:1433,fork,reuseaddr SYSTEM:'head -c 16 >/dev/null; printf "\\x04\\x01\\x00\\x08\\x00\\x00\\x01\\x00"'
lab_bg mp openssl s_server -quiet -accept 80 -cert "$work/cert.pem" -key "$work/key.pem"
lab_bg fsp socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'head -c 16 >/dev/null; printf "hello\\n"'
sleep 2
lab_capture_start "$out"
quiet lab_exec siteserver smbclient -N -t 3 -p 1433 -m SMB3 -L //10.1.0.20
quiet lab_exec client21 openssl s_client -connect 10.1.0.10:80 -servername mp.abc.example </dev/null
quiet lab_exec client21 socat -T 3 - TCP:10.1.0.20:1433 <<<"client to the site database"
quiet lab_exec slp socat -T 3 - TCP:10.1.0.14:8080 <<<"site system to site system"
sleep 1
lab_capture_stop
rm -rf "$work"
set +e # lab_down (on exit) waits for the servers it kills: their status is not a failure

#!/bin/bash
# make-demo-cb.sh OUTFILE: the current branch demo capture (pcaps/cm-demo-cb.pcap): three ConfigMgr current
# branch sites of signatures/example-site-cb.conf talking through real programs between network namespaces,
# recorded from the lab switch's span port. PS1 allows HTTPS or HTTP with enhanced HTTP (its management point and
# distribution point hold certificates from the site's "SMS Issuing" root), PS2 is HTTPS only (an enterprise PKI:
# Contoso Root CA -> Contoso Enterprise CA, clients send their certificates), PS3 allows HTTP without enhanced HTTP
# (deprecated). What each flow is: pcaps/README.md; the labels and verdicts expected of it:
# tests/e2e/expected/cm-demo-cb.cb.labels.
#
# Real programs: openssl (the certificates, s_server and s_client for the CMG channel), curl (HTTP and HTTPS
# clients, with and without a client certificate, TLS 1.2 and 1.3), tests/lab/cm-web.py (Python's http.server,
# over TLS with a certificate request where the site asks for one), socat (client notification, SQL Server and
# its Service Broker, remote control, the wake-up proxy: no ConfigMgr or SQL Server runs on Linux, so those are
# plain TCP or UDP conversations on the right ports), wakeonlan.
# Debian packages: iproute2 tcpdump python3 curl openssl socat wakeonlan
set -euo pipefail
out=${1:?usage: make-demo-cb.sh OUTFILE}
here=$(cd "$(dirname "$0")" && pwd)

LAB_ID=${LAB_ID:-cmc}
. "$here/lab.sh"
lab_need ip iproute2
lab_need ss iproute2
lab_need tcpdump tcpdump
lab_need python3 python3
lab_need curl curl
lab_need openssl openssl
lab_need socat socat
lab_need wakeonlan wakeonlan
lab_require_root "network namespaces"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

work=$(mktemp -d)
chmod 755 "$work"
trap 'lab_down; rm -rf "$work"' EXIT

# ---- certificates ----
cd "$work"
ext() { printf '%s\n' "$@" >"$work/ext.cnf"; }
# ca NAME SUBJECT [PARENT]: a CA certificate NAME.pem / NAME.key, self-signed or signed by PARENT
ca() {
	local name=$1 subj=$2 parent=${3:-}
	if [ -z "$parent" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "$subj" -keyout "$name.key" -out "$name.pem" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	else
		ext "basicConstraints=critical,CA:TRUE" "keyUsage=critical,keyCertSign,cRLSign" \
			"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid"
		openssl req -new -newkey rsa:2048 -nodes -subj "$subj" -keyout "$name.key" -out "$name.csr" 2>/dev/null
		openssl x509 -req -in "$name.csr" -CA "$parent.pem" -CAkey "$parent.key" -set_serial "0x$(openssl rand -hex 8)" \
			-days 3650 -extfile "$work/ext.cnf" -out "$name.pem" 2>/dev/null
	fi
}
# leaf NAME SUBJECT PARENT USAGE [SAN]: an end-entity certificate (RSA), NAME.chain.pem with its issuers but the
# root (what a server or a client sends)
leaf() {
	local name=$1 subj=$2 parent=$3 usage=$4 san=${5:-}
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" 2>/dev/null
	openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
	ext "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=$usage" \
		${san:+"subjectAltName=$san"}
	openssl x509 -req -in "$name.csr" -CA "$parent.pem" -CAkey "$parent.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 825 -extfile "$work/ext.cnf" -out "$name.pem" 2>/dev/null
	cat "$name.pem" >"$name.chain.pem"
	[ "$parent" = contoso-ca ] && cat contoso-ca.pem >>"$name.chain.pem"
	return 0
}
# enhanced HTTP: the site server issues its HTTP site systems an "SMS Role SSL Certificate" from "SMS Issuing"
ca sms-root "/CN=SMS Issuing"
leaf mp1 "/CN=mp01.ps1.example" sms-root serverAuth "DNS:mp01.ps1.example"
leaf dp1 "/CN=dp01.ps1.example" sms-root serverAuth "DNS:dp01.ps1.example"
# the enterprise PKI of the HTTPS only site, the CMG, the SMS Provider and the clients' certificates
ca contoso-root "/C=US/O=Contoso/CN=Contoso Root CA"
ca contoso-ca "/DC=com/DC=contoso/CN=Contoso Enterprise CA" contoso-root
leaf mp2 "/CN=mp02.contoso.com" contoso-ca serverAuth "DNS:mp02.contoso.com"
leaf dp2 "/CN=dp02.contoso.com" contoso-ca serverAuth "DNS:dp02.contoso.com"
leaf mp3 "/CN=mp03.contoso.com" contoso-ca serverAuth "DNS:mp03.contoso.com"
leaf sup1 "/CN=sup01.contoso.com" contoso-ca serverAuth "DNS:sup01.contoso.com"
leaf provider "/CN=provider01.contoso.com" contoso-ca serverAuth "DNS:provider01.contoso.com"
leaf cmg "/CN=ps1cmg.cloudapp.net" contoso-ca serverAuth "DNS:ps1cmg.cloudapp.net"
leaf peer "/CN=client123.ps1.example" contoso-ca serverAuth "DNS:client123.ps1.example"
leaf c121 "/CN=client121.contoso.com" contoso-ca clientAuth
leaf c221 "/CN=client221.contoso.com" contoso-ca clientAuth
leaf c223 "/CN=client223.contoso.com" contoso-ca clientAuth
leaf cmgcp "/CN=cmgcp01.contoso.com" contoso-ca clientAuth
cat sms-root.pem contoso-root.pem >roots.pem
cd - >/dev/null

# ---- the lab ----
# host NAME MAC ADDR/LEN: a lab host, no IPv6 chatter, TCP segments of at most one MSS on the wire (a certificate
# chain in several segments, as on a real link), and the other network on the same link
host() {
	local name=$1 mac=$2 addr=$3
	lab_quiet_host "$name" "$mac" "$addr" gso_max_segs 1
	case $addr in
	10.*) lab_exec "$name" ip route add 203.0.113.0/24 dev eth0 ;;
	*) lab_exec "$name" ip route add 10.0.0.0/8 dev eth0 ;;
	esac
}
lab_up
# lab_down under errexit would stop at the first process that already ended: the trap clears it
trap 'set +e; lab_down; rm -rf "$work"' EXIT
host siteserver 02:00:0a:0b:00:05 10.11.0.5/8
host mp1 02:00:0a:0b:00:0a 10.11.0.10/8
host dp1 02:00:0a:0b:00:0b 10.11.0.11/8
host sup1 02:00:0a:0b:00:0c 10.11.0.12/8
host provider 02:00:0a:0b:00:13 10.11.0.19/8
host sql1 02:00:0a:0b:00:14 10.11.0.20/8
host cmgcp 02:00:0a:0b:00:1e 10.11.0.30/8
host console 02:00:0a:0d:00:05 10.13.0.5/8
host c121 02:00:0a:0c:00:15 10.12.0.21/8
host c122 02:00:0a:0c:00:16 10.12.0.22/8
host c123 02:00:0a:0c:00:17 10.12.0.23/8
host cmg 02:00:cb:00:71:0a 203.0.113.10/24
host mp2 02:00:0a:15:00:0a 10.21.0.10/8
host dp2 02:00:0a:15:00:0b 10.21.0.11/8
host sql2 02:00:0a:15:00:14 10.21.0.20/8
host c221 02:00:0a:16:00:15 10.22.0.21/8
host c222 02:00:0a:16:00:16 10.22.0.22/8
host c223 02:00:0a:16:00:17 10.22.0.23/8
host c224 02:00:0a:16:00:18 10.22.0.24/8
host mp3 02:00:0a:1f:00:0a 10.31.0.10/8
host c321 02:00:0a:20:00:15 10.32.0.21/8
host outsider 02:00:0a:07:00:63 10.7.0.99/8

# wait_listen HOST PORT: until something listens on TCP PORT in HOST
wait_listen() {
	local i
	for i in $(seq 50); do
		lab_exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	echo "make-demo-cb.sh: nothing listens on $1:$2" >&2
	return 1
}
w=$work
web="python3 $here/cm-web.py"
# PS1, enhanced HTTP: HTTPS with the SMS-issued certificates (no client certificate asked), HTTP still served
lab_bg mp1 $web 443 --tls "$w/mp1.chain.pem" "$w/mp1.key"
lab_bg mp1 $web 80
lab_bg dp1 $web 443 --tls "$w/dp1.chain.pem" "$w/dp1.key" --size-kb 64
lab_bg dp1 $web 80 --size-kb 64
lab_bg dp1 $web 8005 --size-kb 16
lab_bg sup1 $web 8530
lab_bg provider $web 443 --tls "$w/provider.chain.pem" "$w/provider.key"
# the CMG: client paths over HTTPS that need a client certificate, and its channel port for the connection point
lab_bg cmg $web 443 --tls "$w/cmg.chain.pem" "$w/cmg.key" --verify required "$w/roots.pem" --tls-max 1.2
lab_bg cmg openssl s_server -accept 10124 -rev -tls1_2 -cert "$w/cmg.pem" -key "$w/cmg.key" \
	-cert_chain "$w/contoso-ca.pem" -quiet
# a peer cache source (a client sharing content over HTTPS on 8003)
lab_bg c123 $web 8003 --tls "$w/peer.chain.pem" "$w/peer.key" --size-kb 16
# client notification on the management point (a TCP listener: the notification server is not on Linux)
lab_bg mp1 socat TCP-LISTEN:10123,fork,reuseaddr SYSTEM:'head -c 32 >/dev/null; printf "BGB-ACK\\n"'
# "SQL Server" and its Service Broker at both sites, remote control on a client, the wake-up proxy's port
lab_bg sql1 socat TCP-LISTEN:1433,fork,reuseaddr SYSTEM:'head -c 32 >/dev/null; printf "\\x04\\x01\\x00\\x25\\x00\\x00\\x01\\x00"'
lab_bg sql1 socat TCP-LISTEN:4022,fork,reuseaddr SYSTEM:'head -c 32 >/dev/null; printf "SSB-ACK\\n"'
lab_bg c121 socat TCP-LISTEN:2701,fork,reuseaddr SYSTEM:'head -c 32 >/dev/null; printf "RC-ACK\\n"'
# PS2, HTTPS only: the enterprise PKI; the management point requires a client certificate, the distribution
# point asks for one; HTTP still answers on both (what the audit must find)
lab_bg mp2 $web 443 --tls "$w/mp2.chain.pem" "$w/mp2.key" --verify required "$w/roots.pem"
lab_bg mp2 $web 80
lab_bg dp2 $web 443 --tls "$w/dp2.chain.pem" "$w/dp2.key" --verify optional "$w/roots.pem" --size-kb 32
lab_bg dp2 $web 80 --size-kb 32
# PS3: HTTP without enhanced HTTP, and HTTPS with an enterprise certificate
lab_bg mp3 $web 80
lab_bg mp3 $web 443 --tls "$w/mp3.chain.pem" "$w/mp3.key"
for hp in mp1:443 mp1:80 dp1:443 dp1:80 dp1:8005 sup1:8530 provider:443 cmg:443 cmg:10124 c123:8003 mp1:10123 \
	sql1:1433 sql1:4022 c121:2701 mp2:443 mp2:80 dp2:443 dp2:80 mp3:80 mp3:443; do
	wait_listen "${hp%:*}" "${hp#*:}"
done

lab_capture_start "$out"
ua='SMS CCM 5.0'
quiet() { "$@" >/dev/null 2>&1 || echo "make-demo-cb.sh: warning: $* failed" >&2; }
# curl_in HOST ARGS...: curl in HOST, trusting both roots, five seconds at most
curl_in() { local h=$1; shift; lab_exec "$h" curl -s --max-time 5 -o /dev/null --cacert "$w/roots.pem" "$@"; }
cert() { echo --cert "$w/$1.chain.pem" --key "$w/$1.key"; }

# ---- PS1: HTTPS or HTTP, enhanced HTTP ----
# 1 client 10.12.0.21 -> MP over HTTPS to the SMS-issued certificate (CB24: enhanced HTTP)
quiet curl_in c121 --tls-max 1.2 -X CCM_POST -A "$ua" --data-binary 'policy request' --resolve mp01.ps1.example:443:10.11.0.10 \
	https://mp01.ps1.example/ccm_system/request
# 2 the same client -> DP content over the token path (CB13: enhanced HTTP)
quiet curl_in c121 --tls-max 1.2 -A 'Microsoft BITS/7.8' --resolve dp01.ps1.example:443:10.11.0.11 \
	'https://dp01.ps1.example/CCMTOKENAUTH_SMS_DP_SMSPKG$/PS100001/setup.cab'
# 3 its client notification channel to the MP (CB22)
quiet lab_exec c121 socat -T 3 - TCP:10.11.0.10:10123 <<<"BGB client online PS1"
# 4-5 client 10.12.0.22 -> MP and DP over plain HTTP (CB23, CB12: allowed with enhanced HTTP), no notification
quiet curl_in c122 -X CCM_POST -A "$ua" --data-binary '<Msg><Body>status</Body></Msg>' http://10.11.0.10/ccm_system/request
quiet curl_in c122 -A 'Microsoft BITS/7.8' 'http://10.11.0.11/SMS_DP_SMSPKG$/PS100002/content.cab'
# 6 client -> software update point's web service on 8530 (CB25)
quiet curl_in c121 -A 'Windows-Update-Agent' -X POST --data-binary '<soap/>' http://10.11.0.12:8530/ClientWebService/client.asmx
# 7 client -> CMG with its PKI certificate (CB11: mutual TLS)
quiet curl_in c121 --tls-max 1.2 $(cert c121) -A "$ua" --resolve ps1cmg.cloudapp.net:443:203.0.113.10 \
	'https://ps1cmg.cloudapp.net/CCM_Proxy_MutualAuth/72057594037927939/CCM_STS'
# 8 the CMG connection point builds the channel to the CMG's first VM on 10124 (CB31)
{ echo "CMG channel PS1"; sleep 0.5; } | lab_exec cmgcp openssl s_client -connect 203.0.113.10:10124 -tls1_2 \
	-CAfile "$w/roots.pem" >/dev/null 2>&1 || true
# 9 the CMG connection point -> MP over HTTPS (CB35)
quiet curl_in cmgcp --tls-max 1.2 --resolve mp01.ps1.example:443:10.11.0.10 https://mp01.ps1.example/CCM_STS
# 10 a client on the CMG's channel port (only the connection point builds the channel: cmg-channel-port-misuse)
{ echo "not the connection point"; sleep 0.5; } | lab_exec c123 openssl s_client -connect 203.0.113.10:10124 -tls1_2 \
	-CAfile "$w/roots.pem" >/dev/null 2>&1 || true
# 11 console -> SMS Provider's administration service (CB49)
quiet curl_in console --tls-max 1.2 --resolve provider01.contoso.com:443:10.11.0.19 \
	https://provider01.contoso.com/AdminService/wmi/SMS_Site
# 12 a client (any device) -> the administration service (CB50)
quiet curl_in c122 --tls-max 1.2 --resolve provider01.contoso.com:443:10.11.0.19 \
	'https://provider01.contoso.com/AdminService/v1.0/Device'
# 13-14 MP and site server -> the site database (CB72, CB136)
quiet lab_exec mp1 socat -T 3 - TCP:10.11.0.20:1433 <<<"prelogin from the management point"
quiet lab_exec siteserver socat -T 3 - TCP:10.11.0.20:1433 <<<"prelogin from the site server"
# 15 PS2's site database -> PS1's: Service Broker, intersite replication (CB160)
quiet lab_exec sql2 socat -T 3 - TCP:10.11.0.20:4022 <<<"SSB replication PS2 to PS1"
# 16 an outsider on Service Broker (sql-broker-outside-site-databases)
quiet lab_exec outsider socat -T 3 - TCP:10.11.0.20:4022 <<<"SSB from nowhere"
# 17 client -> peer cache source on 8003 over HTTPS (CB6)
quiet curl_in c121 --tls-max 1.2 --resolve client123.ps1.example:8003:10.12.0.23 \
	'https://client123.ps1.example:8003/SCCM_BranchCache$/PS100001/setup.cab'
# 18 a wake-up proxy manager (a client) wakes a peer: magic packet to the subnet (CB3)
quiet lab_exec c122 wakeonlan -i 10.255.255.255 02:00:0a:0c:00:15
# 19 the wake-up proxy's own port, client to client (CB4)
quiet lab_exec c122 socat -u - UDP-SENDTO:10.12.0.21:25536 <<<"wake-up proxy keepalive"
# 20 the site server wakes a client (CB84)
quiet lab_exec siteserver wakeonlan -i 10.255.255.255 02:00:0a:0c:00:16
# 21 console -> client: remote control (CB39)
quiet lab_exec console socat -T 3 - TCP:10.12.0.21:2701 <<<"remote control session"
# 22 client -> DP: express updates on 8005 (CB14)
quiet curl_in c121 'http://10.11.0.11:8005/SMS_DP_SMSPKG$/PS100003/delta.psf'

# ---- PS2: HTTPS only ----
# 23 client 10.22.0.21 -> MP with its PKI certificate over TLS 1.2 (CB24: mutual)
quiet curl_in c221 --tls-max 1.2 $(cert c221) -X CCM_POST -A "$ua" --data-binary 'policy request' \
	--resolve mp02.contoso.com:443:10.21.0.10 https://mp02.contoso.com/ccm_system/request
# 24 client 10.22.0.22 -> MP over HTTP (http-on-https-only-site)
quiet curl_in c222 -X CCM_POST -A "$ua" --data-binary '<Msg/>' http://10.21.0.10/ccm_system/request
# 25 client 10.22.0.23 -> MP with its certificate over TLS 1.3 (encrypted: cannot be told)
quiet curl_in c223 $(cert c223) -X CCM_POST -A "$ua" --data-binary 'policy request' \
	--resolve mp02.contoso.com:443:10.21.0.10 https://mp02.contoso.com/ccm_system/request
# 26 client 10.22.0.24 -> DP that asks for a certificate; it has none (requested-refused: cannot be told)
quiet curl_in c224 --tls-max 1.2 --resolve dp02.contoso.com:443:10.21.0.11 'https://dp02.contoso.com/SMS_DP_SMSPKG$/PS200001/a.cab'
# 27 client 10.22.0.21 -> the same DP with its certificate (mutual)
quiet curl_in c221 --tls-max 1.2 $(cert c221) --resolve dp02.contoso.com:443:10.21.0.11 \
	'https://dp02.contoso.com/SMS_DP_SMSPKG$/PS200001/a.cab'
# 28 client 10.22.0.22 -> DP over HTTP (http-on-https-only-site)
quiet curl_in c222 'http://10.21.0.11/SMS_DP_SMSPKG$/PS200001/a.cab'

# ---- PS3: HTTP without enhanced HTTP ----
# 29 client 10.32.0.21 -> MP over HTTP (http-without-enhanced-http)
quiet curl_in c321 -X CCM_POST -A "$ua" --data-binary '<Msg/>' http://10.31.0.10/ccm_system/request
# 30 the same client over HTTPS to an enterprise certificate, no client certificate asked (cannot be told)
quiet curl_in c321 --tls-max 1.2 --resolve mp03.contoso.com:443:10.31.0.10 'https://mp03.contoso.com/SMS_MP/.sms_aut?MPLIST'
sleep 1
lab_capture_stop
echo "make-demo-cb.sh: wrote $out ($(tcpdump -r "$out" 2>/dev/null | wc -l) packets)"

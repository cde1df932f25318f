# lab.sh: a small test network of Linux network namespaces on one switch, with a span port.
#
# Source this file from a capture script (bash, as root). Every host is a namespace with one interface
# (eth0) plugged into a bridge that lives in its own "switch" namespace. Each switch port mirrors what it
# receives to a veth span0 (tc u32 + mirred), so a tcpdump on its peer span1 sees every frame exactly once, as a
# switch's monitoring port would. Nothing leaves the machine: all addresses live inside these namespaces.
#
#   lab_up                      create the switch (call once; lab_down runs on exit)
#   lab_host NAME ADDR/LEN...   create host NAME with those addresses on eth0 (first one primary)
#   lab_exec NAME CMD...        run CMD inside host NAME
#   lab_bg NAME CMD...          run CMD inside host NAME in the background, in a session of its own (killed by
#                               lab_down)
#   lab_capture_start FILE      start recording the span port into FILE (pcap, Ethernet)
#   lab_capture_stop            flush and stop the recording
#   lab_down                    remove everything
#
# And what every capture script needs around them:
#
#   lab_need CMD PACKAGE        exit naming the Debian package when CMD is missing
#   lab_require_root WHY        exit unless root
#   lab_quiet_host NAME MAC ADDR/LEN [LINKOPT...]   lab_host with IPv6 off and eth0's MAC fixed, with LINKOPTs
#                               (gso_max_segs 1: one segment a frame); MAC '-': the kernel's, no LINKOPT
#   lab_refused CMD...          run CMD, which the lab's servers are meant to refuse: say so only if it succeeds
#   lab_smb_state DIR           make a Samba instance's state directories under DIR; print its [global] lines
#   lab_users DIR USER...       lab-only accounts; sets LAB_AS_USERS, a command prefix that sees them

LAB_ID=${LAB_ID:-cmf$$}
LAB_SW="${LAB_ID}-sw"
LAB_HOSTS=()
LAB_PIDS=()
LAB_TCPDUMP_PID=

lab_up() {
	ip netns add "$LAB_SW"
	ip -n "$LAB_SW" link set lo up
	ip -n "$LAB_SW" link add br0 type bridge
	# no STP, no learning delay: forward from the first frame
	ip -n "$LAB_SW" link set br0 type bridge stp_state 0 forward_delay 0
	ip -n "$LAB_SW" link set br0 up
	# the switch itself must stay silent: no IPv6 autoconfiguration chatter on its own interfaces
	ip netns exec "$LAB_SW" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	# span0 -> span1: mirrored frames leave span0 and arrive on span1, where tcpdump listens
	ip -n "$LAB_SW" link add span0 type veth peer name span1
	ip -n "$LAB_SW" link set span0 up
	ip -n "$LAB_SW" link set span1 up
	trap lab_down EXIT
}

# lab_host NAME ADDR/LEN [ADDR/LEN ...]: addresses may be IPv4 or IPv6.
lab_host() {
	local name=$1; shift
	local ns="${LAB_ID}-${name}" port="p${#LAB_HOSTS[@]}"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "${LAB_ID}${port}" type veth peer name eth0 netns "$ns"
	ip link set "${LAB_ID}${port}" netns "$LAB_SW"
	ip -n "$LAB_SW" link set "${LAB_ID}${port}" name "$port"
	ip -n "$LAB_SW" link set "$port" master br0 up
	# the span: everything this port receives is copied to span0
	ip netns exec "$LAB_SW" tc qdisc add dev "$port" ingress
	ip netns exec "$LAB_SW" tc filter add dev "$port" parent ffff: protocol all u32 match u32 0 0 action mirred egress mirror dev span0
	local a
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" -6 addr add "$a" dev eth0 nodad ;;
		*) ip -n "$ns" addr add "$a" dev eth0 ;;
		esac
	done
	ip -n "$ns" link set eth0 up
	LAB_HOSTS+=("$name")
}

lab_exec() {
	local name=$1; shift
	ip netns exec "${LAB_ID}-${name}" "$@"
}

# A session of its own: Samba's daemons end their whole process group when they stop, which would otherwise be
# the script's own, killed in the middle of lab_down (its namespaces left behind).
lab_bg() {
	local name=$1; shift
	ip netns exec "${LAB_ID}-${name}" setsid "$@" &
	LAB_PIDS+=($!)
}

lab_capture_start() {
	ip netns exec "$LAB_SW" tcpdump -q -n -U -s 0 -i span1 -w "$1" 2>/dev/null &
	LAB_TCPDUMP_PID=$!
	# wait until tcpdump has the interface open
	local i
	for i in $(seq 50); do
		[ -s "$1" ] && break
		sleep 0.1
	done
	sleep 0.3
}

lab_capture_stop() {
	[ -n "$LAB_TCPDUMP_PID" ] || return 0
	sleep 0.5
	kill -INT "$LAB_TCPDUMP_PID" 2>/dev/null
	wait "$LAB_TCPDUMP_PID" 2>/dev/null
	LAB_TCPDUMP_PID=
}

lab_down() {
	local p h
	lab_capture_stop
	for p in "${LAB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${LAB_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done # under set -e: a killed job's status is not a failure
	LAB_PIDS=()
	# processes started with lab_exec ... & by the caller are ended with their namespace's interfaces
	for h in "${LAB_HOSTS[@]}"; do
		ip netns pids "${LAB_ID}-${h}" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "${LAB_ID}-${h}" 2>/dev/null
	done
	LAB_HOSTS=()
	ip netns del "$LAB_SW" 2>/dev/null
	return 0
}

lab_script=$(basename "$0")

lab_need() {
	command -v "$1" >/dev/null 2>&1 || { echo "$lab_script: missing $1 (Debian package: $2)" >&2; exit 1; }
}

lab_require_root() {
	[ "$(id -u)" = 0 ] || { echo "$lab_script: run as root ($1)" >&2; exit 1; }
}

# The addresses are IPv4: no IPv6 autoconfiguration chatter gets into the capture, and a fixed MAC keeps the
# capture's Ethernet addresses the same from one run to the next.
lab_quiet_host() {
	local name=$1 mac=$2 addr=$3
	shift 3
	lab_host "$name" "$addr"
	lab_exec "$name" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	[ "$mac" != - ] || return 0
	lab_exec "$name" ip link set eth0 down
	lab_exec "$name" ip link set eth0 address "$mac" "$@"
	lab_exec "$name" ip link set eth0 up
}

# A request the capture is for, whose refusal is what the lab's server does (Samba creates no service, runs no
# command for smbexec, WMI or DCOM): only a success is news.
lab_refused() {
	"$@" >/dev/null 2>&1 </dev/null || return 0
	echo "$lab_script: note: $* succeeded, where it was expected to be refused" >&2
}

# Every file of the instance under DIR: several Sambas in one lab (and the machine's own) share no database, pid
# file or RPC socket (by default every Samba shares /run/samba/ncalrpc, and one instance's RPC servers would answer
# another's share listing).
lab_smb_state() {
	local d=$1
	mkdir -p "$d/private" "$d/lock" "$d/state" "$d/cache" "$d/pid" "$d/ncalrpc"
	printf '\t%s\n' "passdb backend = tdbsam:$d/private/passdb.tdb" "private dir = $d/private" \
		"lock directory = $d/lock" "state directory = $d/state" "cache directory = $d/cache" "pid directory = $d/pid" \
		"ncalrpc dir = $d/ncalrpc" "log file = $d/log"
}

# The accounts exist only for the commands run through "${LAB_AS_USERS[@]}": copies of /etc/passwd and /etc/group
# with them added (group labusers, uids from 2001) bound over the real ones in a private mount namespace, so the
# machine is untouched. USER: lower case (Samba maps "CLIENT22$" to "client22$").
lab_users() {
	local dir=$1 uid=2001 u
	shift
	cp /etc/passwd "$dir/passwd"
	cp /etc/group "$dir/group"
	echo "labusers:x:2000:" >>"$dir/group"
	for u in "$@"; do
		echo "$u:x:$uid:2000:lab user:/nonexistent:/usr/sbin/nologin" >>"$dir/passwd"
		uid=$((uid + 1))
	done
	LAB_AS_USERS=(unshare -m --propagation private sh -c 'mount --bind "$1" /etc/passwd &&
		mount --bind "$2" /etc/group && shift 2 && exec "$@"' lab_users "$dir/passwd" "$dir/group")
}

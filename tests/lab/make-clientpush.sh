#!/bin/bash
# make-clientpush.sh OUTDIR: client push as a site server does it, step by step in connections of their own, for the
# detections over sequences of flows (src/audit/detect.c, signatures/detections.txt). Writes into OUTDIR:
#
#   cm-clientpush.pcap  the site server 10.1.0.5 pushes to the client 10.2.0.22: smbclient copies ccmsetup.exe to
#                       ADMIN$ (SMB 3, the connection stays open to the end), `net rpc service create` asks svcctl
#                       to create the ccmsetup service (Samba answers CreateServiceW with a fault: it implements no
#                       creation), `net rpc service start` opens and starts it (Samba knows the service from its
#                       "svcctl list": StartServiceW succeeds); then another host, 10.7.0.99, does the same steps
#                       to the same client
#
# The ADMIN$ connections end after the service calls they come before (their SMB session is held open by a
# sleeping smbclient): the detections must match flows that end out of order. Samba (smbd and samba-dcerpcd,
# standalone, as make-smb.sh sets it up) runs in the client's namespace, in a private mount namespace that sees a
# test user (cmpush, mapped to nobody) and the service's start script (an overlay on Samba's modules directory:
# svcctl/ccmsetup, a script that does nothing). Nothing is added to the machine. Namespaces are prefixed
# $LAB_ID (default cmp + the shell's pid). Debian packages: iproute2 tcpdump samba smbclient samba-common-bin
set -euo pipefail
outdir=${1:?usage: make-clientpush.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)

LAB_ID=${LAB_ID:-cmp$$}
. "$here/lab.sh"
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need smbd samba
lab_need smbclient smbclient
lab_need net samba-common-bin
lab_require_root "network and mount namespaces"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
modules=$(smbd -b | sed -n 's/^ *MODULESDIR: //p')
[ -d "$modules" ] || { echo "make-clientpush.sh: Samba's modules directory not found" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
# lab_down, then what it could not remove while Samba's processes (and their mount namespace) were still going
cleanup() {
	set +e
	lab_down
	sleep 1
	local n
	for n in $(ip netns list | awk -v p="^${LAB_ID}-" '$1 ~ p {print $1}'); do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$work"
}

host() { lab_quiet_host "$1" "$2" "$3/8"; }

lab_up
trap cleanup EXIT # after lab_up, which sets its own
host siteserver 02:00:0a:01:00:05 10.1.0.5
host client22 02:00:0a:02:00:16 10.2.0.22
host outsider 02:00:0a:07:00:63 10.7.0.99

d=$work/smb
mkdir -p "$d" "$work/admin" "$work/c/Windows" "$work/upper/svcctl" "$work/ovl"
chmod 777 "$work/admin" "$work/c" "$work/c/Windows"
head -c 60000 /dev/urandom >"$work/ccmsetup.exe"
# the service Samba's svcctl starts: a script that does nothing ("start", "stop", "status")
printf '#!/bin/sh\nexit 0\n' >"$work/upper/svcctl/ccmsetup"
chmod 755 "$work/upper/svcctl/ccmsetup"
lab_users "$work" cmpush
# Samba's view: the test user (lab_users) and the service script (an overlay on the modules directory), in a mount
# namespace of its own
samba_ns=("${LAB_AS_USERS[@]}" sh -c 'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$1" &&
	shift 3 && exec "$@"' samba_overlay "$modules" "$work/upper" "$work/ovl")
printf '[global]\n\tclient min protocol = SMB2\n\tworkgroup = ABC\n' >"$work/client.conf"
cat >"$d/smb.conf" <<EOF
[global]
	server smb encrypt = off
	server role = standalone server
	workgroup = ABC
	netbios name = CLIENT22
	interfaces = 10.2.0.22/8
	bind interfaces only = yes
	smb ports = 445
	disable netbios = yes
	server signing = auto
	admin users = cmpush
	svcctl list = ccmsetup
$(lab_smb_state "$d")
	log level = 1
	rpc start on demand helpers = no
	load printers = no
	printing = bsd
	printcap name = /dev/null
[ADMIN\$]
	path = $work/admin
	read only = no
	valid users = cmpush
[C\$]
	path = $work/c
	read only = no
	valid users = cmpush
EOF
printf 'Push123!\nPush123!\n' | lab_exec client22 "${samba_ns[@]}" smbpasswd -c "$d/smb.conf" -s -a cmpush >/dev/null
lab_bg client22 "${samba_ns[@]}" /usr/libexec/samba/samba-dcerpcd --libexec-rpcds --foreground -s "$d/smb.conf"
sleep 1
lab_bg client22 "${samba_ns[@]}" smbd --foreground --no-process-group -s "$d/smb.conf"
sleep 2

cred='cmpush%Push123!'
target=10.2.0.22
cc=$work/client.conf

# the steps of client push from one host: the copy on a connection held open, the service calls on others
push() {
	local who=$1
	(echo "put $work/ccmsetup.exe ccmsetup.exe"; sleep 6; echo "ls"; echo "exit") |
		lab_exec "$who" smbclient -s "$cc" -m SMB3 -U "$cred" "//$target/ADMIN\$" >"$work/put.$who" 2>&1 &
	local copy=$!
	sleep 2
	# net exits non-zero for both with this Samba (CreateServiceW gets a fault, the start is reported failed)
	lab_refused lab_exec "$who" net -s "$cc" rpc service create ccmsetup ccmsetup 'C:\Windows\ccmsetup\ccmsetup.exe' \
		-S "$target" -U "$cred"
	lab_refused lab_exec "$who" net -s "$cc" rpc service start ccmsetup -S "$target" -U "$cred"
	wait "$copy" || echo "make-clientpush.sh: note: the copy from $who exited $?" >&2
}

lab_capture_start "$outdir/cm-clientpush.pcap"
push siteserver
sleep 1
push outsider
sleep 1
lab_capture_stop
echo "make-clientpush.sh: wrote $outdir/cm-clientpush.pcap ($(tcpdump -r "$outdir/cm-clientpush.pcap" 2>/dev/null | wc -l) packets)"

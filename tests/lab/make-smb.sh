#!/bin/bash
# make-smb.sh OUTDIR: SMB1, SMB3 and DCE/RPC (TCP 135 and named pipes) captures made by real programs against
# Samba, for the SMB message walker and the DCE/RPC parser (src/proto/smb.c, dcerpc.c). Writes into OUTDIR:
#
#   cm-smb1.pcap      site server 10.1.0.5 -> client 10.2.0.22, smbclient forced to SMB1 (-m NT1): IPC$ (share
#                     list over \srvsvc), ADMIN$ (put ccmsetup.exe), C$ (ls); rpcclient over SMB1 (srvsvc, lsarpc)
#   cm-smb3.pcap      the same with SMB3 (-m SMB3)
#   cm-smb-rpc.pcap   10.1.0.5 -> 10.2.0.22 over SMB3 named pipes: net rpc service list / create / start
#                     (svcctl), rpcclient srvsvc netshareenumall, lsarpc lsaquery, samr enumdomusers
#   cm-psexec.pcap    impacket psexec.py from the site server 10.1.0.5 (ADMIN$ upload, svcctl CreateServiceW)
#   cm-smb3-encrypted.pcap  psexec.py again, Samba offering SMB 3 encryption: transform messages after the session
#                     setup
#   cm-lateral.pcap   the same steps from another host 10.7.0.99: impacket smbexec.py, services.py (list, create,
#                     start), psexec.py, rpcdump.py (epmapper over TCP 135), wmiexec.py and dcomexec.py (DCOM on
#                     135: Samba refuses, the requests are real)
#
# Samba (smbd and samba-dcerpcd, standalone server, "server min protocol = NT1") runs in the client's
# namespace with shares ADMIN$ and C$ for a test user (cmpush, a lab-only account: lab.sh's lab_users; no account
# is added to the machine). Debian packages: iproute2 tcpdump samba smbclient samba-common-bin python3-impacket
set -euo pipefail
outdir=${1:?usage: make-smb.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)

LAB_ID=${LAB_ID:-cms$$}
. "$here/lab.sh"
lab_need ip iproute2
lab_need tcpdump tcpdump
lab_need smbd samba
lab_need smbclient smbclient
lab_need rpcclient smbclient
lab_need net samba-common-bin
lab_need pdbedit samba-common-bin
py=/usr/bin/python3 # Debian's python, which has python3-impacket
ex=/usr/share/doc/python3-impacket/examples
[ -f "$ex/psexec.py" ] || { echo "make-smb.sh: missing impacket's examples (python3-impacket)" >&2; exit 1; }
lab_require_root "network namespaces"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

work=$(mktemp -d)
chmod 755 "$work"
cleanup() { lab_down; rm -rf "$work"; }
trap cleanup EXIT

host() { lab_quiet_host "$1" "$2" "$3/8"; }

lab_up
host siteserver 02:00:0a:01:00:05 10.1.0.5
host client22 02:00:0a:02:00:16 10.2.0.22
host outsider 02:00:0a:07:00:63 10.7.0.99

# Samba on the client: ADMIN$ and C$ as an administrator's shares, writable by the test user
d=$work/smb
mkdir -p "$d" "$work/admin" "$work/c/Windows"
chmod 777 "$work/admin" "$work/c" "$work/c/Windows"
head -c 60000 /dev/urandom >"$work/ccmsetup.exe"
# the test user exists only in the Samba processes' view of /etc/passwd (lab_users): no account is added to the
# machine
lab_users "$work" cmpush
# the clients' own configuration: SMB1 allowed (Debian's default client minimum is SMB2)
printf '[global]\n\tclient min protocol = NT1\n\tworkgroup = ABC\n' >"$work/client.conf"
# encryption: off for the cleartext captures (impacket encrypts SMB 3 when the server offers it); desired for the
# last one (cm-smb3-encrypted.pcap)
smbconf() {
cat >"$d/smb.conf" <<EOF
[global]
	server smb encrypt = $1
	server role = standalone server
	workgroup = ABC
	netbios name = CLIENT22
	interfaces = 10.2.0.22/8
	bind interfaces only = yes
	smb ports = 445
	disable netbios = yes
	server min protocol = NT1
	server signing = auto
	# the test user is an administrator of this "client" (as the client push account is): svcctl opens for it
	admin users = cmpush
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
}
smbconf off
printf 'Push123!\nPush123!\n' | lab_exec client22 "${LAB_AS_USERS[@]}" smbpasswd -c "$d/smb.conf" -s -a cmpush >/dev/null
lab_bg client22 "${LAB_AS_USERS[@]}" /usr/libexec/samba/samba-dcerpcd --libexec-rpcds --foreground -s "$d/smb.conf"
sleep 1
lab_bg client22 "${LAB_AS_USERS[@]}" smbd --foreground --no-process-group -s "$d/smb.conf"
smbd_pid=${LAB_PIDS[-1]}
sleep 2

cred='cmpush%Push123!'
target=10.2.0.22
cc=$work/client.conf
quiet() {
	"$@" >"$work/out" 2>&1 </dev/null ||
		{ echo "make-smb.sh: note: $* exited $?" >&2; [ -z "${VERBOSE:-}" ] || tail -5 "$work/out" >&2; }
}
site() { lab_exec siteserver "$@"; }
imp() { local who=$1 tool=$2; shift 2; quiet lab_exec "$who" timeout 25 "$py" "$ex/$tool" "$@"; }
imp_refused() { local who=$1 tool=$2; shift 2; lab_refused lab_exec "$who" timeout 25 "$py" "$ex/$tool" "$@"; }

# one capture per scenario
record() {
	local name=$1; shift
	lab_capture_start "$outdir/$name"
	"$@"
	sleep 1
	lab_capture_stop
	echo "make-smb.sh: wrote $outdir/$name ($(tcpdump -r "$outdir/$name" 2>/dev/null | wc -l) packets)"
}

shares() {
	local m=$1
	quiet site smbclient -s "$cc" -m "$m" -U "$cred" -L "//$target"
	quiet site smbclient -s "$cc" -m "$m" -U "$cred" "//$target/ADMIN\$" -c "put $work/ccmsetup.exe ccmsetup.exe; ls"
	quiet site smbclient -s "$cc" -m "$m" -U "$cred" "//$target/C\$" -c 'ls; cd Windows; ls'
	quiet site rpcclient -s "$cc" --option="client max protocol=$m" -U "$cred" -c 'srvinfo; netshareenumall; lsaquery' "$target"
}
smb1() { shares NT1; }
smb3() { shares SMB3; }

pipes() {
	quiet site net -s "$cc" rpc service list -S "$target" -U "$cred"
	lab_refused site net -s "$cc" rpc service create ccmsetup ccmsetup 'C:\Windows\ccmsetup\ccmsetup.exe' -S "$target" -U "$cred"
	lab_refused site net -s "$cc" rpc service start ccmsetup -S "$target" -U "$cred"
	quiet site rpcclient -s "$cc" -U "$cred" -c 'netshareenumall; lsaquery; enumdomusers' "$target"
}

psexec() {
	imp siteserver psexec.py -c "$work/ccmsetup.exe" "cmpush:Push123!@$target" 'ccmsetup.exe /mp:10.1.0.10'
}

lateral() {
	imp_refused outsider smbexec.py "cmpush:Push123!@$target"
	imp outsider services.py "cmpush:Push123!@$target" list
	imp outsider services.py "cmpush:Push123!@$target" create -name cmsvc -display cmsvc -path 'C:\Windows\cmsvc.exe'
	imp outsider services.py "cmpush:Push123!@$target" start -name cmsvc
	imp outsider psexec.py "cmpush:Push123!@$target" cmd.exe
	imp outsider rpcdump.py "cmpush:Push123!@$target"
	imp_refused outsider wmiexec.py "cmpush:Push123!@$target" whoami
	imp_refused outsider dcomexec.py -object MMC20 "cmpush:Push123!@$target" whoami
}

record cm-smb1.pcap smb1
record cm-smb3.pcap smb3
record cm-smb-rpc.pcap pipes
record cm-psexec.pcap psexec
record cm-lateral.pcap lateral
# the same push with encryption offered: SMB 3 transform messages from the session setup on
smbconf desired
kill -HUP "$smbd_pid"
sleep 2
record cm-smb3-encrypted.pcap psexec

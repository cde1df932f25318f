#!/bin/bash
# deps.sh [build|test|all]: installs the Debian 12 packages cmflow needs that are missing (as root, apt-get).
#   build: compiler, autotools, libpcap, nDPI 4.2, Criterion
#   test:  the test suite's tools: tshark (reference dissector), python3 with jsonschema (EVE schema check),
#          editcap, clang (libFuzzer targets and sanitizers), tcpreplay and iproute2 (live capture test),
#          chromium, fonts-liberation and python3-pil (the HTML report rendered headless, its screenshot checked),
#          poppler-utils (the report printed to PDF read back), redis-server and socat (the EVE sinks),
#          python3-scapy (tunnels.sh wraps the demo in tunnels the kernel does not make)
set -eu
what=${1:-all}
build_pkgs="build-essential pkg-config autoconf automake libtool libpcap-dev libndpi-dev libcriterion-dev libhiredis-dev"
test_pkgs="tshark python3 python3-jsonschema clang tcpreplay iproute2 chromium fonts-liberation python3-pil poppler-utils redis-server socat python3-scapy"
case $what in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs ;;
all) pkgs="$build_pkgs $test_pkgs" ;;
*) echo "usage: deps.sh [build|test|all]" >&2; exit 2 ;;
esac
missing=()
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

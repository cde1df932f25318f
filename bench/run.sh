#!/bin/bash
# bench/run.sh [--runs N] [--tshark] [--no-live | --live-only]: cmflow against its floor and its peers, on this machine.
#
# Makes the benchmark captures (bench/gencap.py, deterministic: "bulk", ~1.3 M packets in ~60 k ConfigMgr
# flows with large distribution point downloads, "short", ~2 M packets in ~300 k short flows, and "bulk-vxlan",
# the bulk capture as a cloud mirror sends it, every frame in VXLAN) in
# $BENCH_DIR (default /var/tmp/cmflow-bench), builds cmflow (build/, as the quick start does) and the bare
# libpcap read loop (bench/readloop.c), and runs on each capture, N times (default 3): the read loop; cmflow with
# the example site configuration and EVE output, to a file in $BENCH_DIR ("cmflow") and to /dev/null
# ("cmflow:devnull": cmflow's own work without the file system's); ndpiReader (Debian libndpi-bin, nDPI 4.2);
# with --tshark also tshark. Prints medians of wall and CPU time, the peak RSS, packets per second and the ratio
# to the read loop, then cmflow's memory per live flow (peak RSS less a run without flows, over the peak count),
# and what the VXLAN wrapping costs cmflow (bulk-vxlan against bulk).
# Then, as root and unless --no-live, the highest tcpreplay rate into a veth pair at which cmflow with 1 and 2
# workers drops nothing (kernel counters of its stats event).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 tshark=no live=yes offline=yes
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--tshark) tshark=yes ;;
	--no-live) live=no ;;
	--live-only) offline=no ;;
	*) echo "usage: bench/run.sh [--runs N] [--tshark] [--no-live | --live-only]" >&2; exit 2 ;;
	esac
	shift
done
dir=${BENCH_DIR:-/var/tmp/cmflow-bench}
mkdir -p "$dir"
ndpi=yes
command -v ndpiReader >/dev/null || { echo "bench: ndpiReader missing (apt-get install libndpi-bin): no nDPI row" >&2; ndpi=no; }
"$src/scripts/configure-in.sh" build >/dev/null && make -s -C "$src/build" -j"$(nproc)" >/dev/null
cmflow=$src/build/src/cmflow
cc -O2 -o "$dir/readloop" "$here/readloop.c" $(pkg-config --cflags --libs libpcap)
# a capture made by another version of the generator is made again
gen=$(md5sum <"$here/gencap.py" | cut -d' ' -f1)
for kind in bulk short bulk-vxlan; do
	if [ ! -s "$dir/$kind.pcap" ] || [ "$(cat "$dir/$kind.gen" 2>/dev/null)" != "$gen" ]; then
		python3 "$here/gencap.py" "$kind" "$dir/$kind.pcap" && echo "$gen" >"$dir/$kind.gen"
	fi
done

site=(-c "$src/signatures/example-site.conf" -S "$src/signatures")
[ "$offline" = yes ] && printf '%-7s %-15s %9s %9s %9s %12s %8s %8s\n' capture tool wall_s cpu_s rss_MiB packets/s x_wall x_cpu
# cmflow's memory without flows: the same run over a capture of a few packets
empty_rss=$(python3 "$here/measure.py" 1 empty "$cmflow" -q -r "$src/pcaps/cm-demo.pcap" "${site[@]}" | cut -f4)
declare -A cmflow_wall cmflow_cpu
for kind in bulk short bulk-vxlan; do
	[ "$offline" = yes ] || break
	cap=$dir/$kind.pcap
	cat "$cap" >/dev/null # page cache: every tool reads from memory
	pkts=$("$dir/readloop" "$cap" | cut -d' ' -f1)
	lines=("$(python3 "$here/measure.py" "$runs" readloop "$dir/readloop" "$cap")")
	rm -f "$dir/eve.json"
	lines+=("$(python3 "$here/measure.py" "$runs" cmflow sh -c "rm -f '$dir/eve.json'; exec '$cmflow' -q -r '$cap' ${site[*]} --eve '$dir/eve.json'")")
	# the same with the EVE lines written to /dev/null: cmflow's own work, without the file system's
	lines+=("$(python3 "$here/measure.py" "$runs" cmflow:devnull "$cmflow" -q -r "$cap" "${site[@]}" --eve /dev/null)")
	[ "$ndpi" = yes ] && lines+=("$(python3 "$here/measure.py" "$runs" ndpiReader ndpiReader -q -i "$cap")")
	[ "$tshark" = yes ] && lines+=("$(python3 "$here/measure.py" 1 tshark tshark -n -r "$cap")")
	base_wall=$(echo "${lines[0]}" | cut -f2) base_cpu=$(echo "${lines[0]}" | cut -f3)
	for l in "${lines[@]}"; do
		IFS=$'\t' read -r tool wall cpu rss <<<"$l"
		awk -v k="$kind" -v t="$tool" -v w="$wall" -v c="$cpu" -v r="$rss" -v p="$pkts" -v bw="$base_wall" -v bc="$base_cpu" \
			'BEGIN { printf "%-7s %-15s %9.2f %9.2f %9d %12.0f %8.1f %8.1f\n", k, t, w, c, r, p / w, w / bw, (bc > 0 ? c / bc : 0) }'
	done
	cmflow_wall[$kind]=$(echo "${lines[1]}" | cut -f2) cmflow_cpu[$kind]=$(echo "${lines[1]}" | cut -f3)
	rss=$(echo "${lines[1]}" | cut -f4) ndpi_rss=$([ "$ndpi" = yes ] && echo "${lines[3]}" | cut -f4 || echo 0)
	peak=$(tail -n 1 "$dir/eve.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["cmflow"]["flows"]["max_active"])')
	echo "        $pkts packets, $(grep -c '"event_type":"flow"' "$dir/eve.json") flows, $(( $(stat -c %s "$dir/eve.json") / 1048576 )) MiB of EVE;" \
		"cmflow's peak RSS is $(awk -v a="$rss" -v b="$ndpi_rss" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else printf "?" }')% of ndpiReader's;" \
		"$(( (rss - empty_rss) * 1048576 / (peak > 0 ? peak : 1) )) bytes per flow alive at the peak ($peak flows, $empty_rss MiB without flows)"
done

[ "$offline" = yes ] && awk -v w="${cmflow_wall[bulk-vxlan]}" -v bw="${cmflow_wall[bulk]}" -v c="${cmflow_cpu[bulk-vxlan]}" \
	-v bc="${cmflow_cpu[bulk]}" 'BEGIN { printf "        VXLAN: cmflow on bulk-vxlan costs %+.0f%% wall, %+.0f%% CPU against bulk (medians of unpaired runs: on a busy machine, pair them with farm-bench --vs)\n", 100 * (w / bw - 1), 100 * (c / bc - 1) }'

[ "$live" = yes ] && [ "$(id -u)" = 0 ] || exit 0
command -v tcpreplay >/dev/null || { echo "bench: tcpreplay missing: no live figures"; exit 0; }
# live: the first 300000 packets of the bulk capture replayed at rising rates into a veth pair
ns=cmbench$$ a=cmb$$a b=cmb$$b
cleanup() { ip link del "$a" 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip link add "$a" type veth peer name "$b"
ip link set "$b" netns "$ns"
sysctl -q -w "net.ipv6.conf.$a.disable_ipv6=1"
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
ip link set "$a" mtu 9000 up
ip netns exec "$ns" ip link set "$b" mtu 9000 up
editcap -r "$dir/bulk.pcap" "$dir/live.pcap" 1-300000 >/dev/null 2>&1
sent=300000
# one run at RATE (packets/s, 0 = as fast as tcpreplay goes) with W workers: prints "received dropped"
live_run() {
	local rate=$1 workers=$2 eve=$dir/live.json pid
	rm -f "$eve"
	ip netns exec "$ns" "$cmflow" -q -i "$b" --workers "$workers" "${site[@]}" --eve "$eve" 2>/dev/null &
	pid=$!
	for _ in $(seq 50); do [ -e "$eve" ] && break; sleep 0.1; done
	sleep 0.5
	if [ "$rate" = 0 ]; then tcpreplay -q -i "$a" --topspeed "$dir/live.pcap" >"$dir/tcpreplay.out" 2>&1
	else tcpreplay -q -i "$a" --pps "$rate" "$dir/live.pcap" >"$dir/tcpreplay.out" 2>&1; fi
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || true
	python3 -c '
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]["stats"]
print(s["decoder"]["pkts"], s["capture"]["kernel_drops"])' "$eve"
}
echo
echo "live: $sent packets of the bulk capture replayed into a veth pair (tcpreplay), cmflow -i with the site"
printf '%-8s %12s %12s %10s %10s\n' workers rate_pps achieved received dropped
for w in 1 2; do
	best=0
	for rate in 50000 100000 200000 400000 800000 0; do
		read -r got drops < <(live_run "$rate" "$w")
		achieved=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' "$dir/tcpreplay.out" | head -1)
		printf '%-8s %12s %12s %10s %10s\n' "$w" "$([ "$rate" = 0 ] && echo top || echo "$rate")" "${achieved:-?}" "$got" "$drops"
		if [ "$drops" = 0 ] && [ "$got" -ge "$sent" ]; then best=${achieved%.*}; else break; fi
	done
	echo "        $w worker(s): highest rate with zero drops: ${best} packets/s"
done

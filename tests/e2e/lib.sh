# lib.sh: sourced by end-to-end scripts: checks the environment make check gives them (CMFLOW, SRCDIR, PCAPS),
# makes a scratch directory $tmp removed on exit, and reports checks (ok/bad; bad counts failures in $fails).
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
# expect NAME WANT_RC CMD...: runs CMD, checks its exit code; stderr kept in $tmp/err, stdout in $tmp/out
expect() {
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else bad "$name (exit $rc, wanted $want: $(head -c 300 "$tmp/err"))"; fi
}
err_has() { if grep -qF -- "$2" "$tmp/err"; then ok "$1"; else bad "$1 (stderr lacks '$2': $(head -c 300 "$tmp/err"))"; fi; }
out_has() { if grep -qF -- "$2" "$tmp/out"; then ok "$1"; else bad "$1 (stdout lacks '$2')"; fi; }
out_lacks() { if grep -qF -- "$2" "$tmp/out"; then bad "$1 (stdout has '$2')"; else ok "$1"; fi; }
# finish: the script's exit status from the checks
finish() {
	[ "$fails" -eq 0 ] && echo "all checks passed" || echo "$fails check(s) failed"
	exit $((fails > 0))
}
sig=(-S "$SRCDIR/signatures")
site=$SRCDIR/signatures/example-site.conf
demo=$PCAPS/cm-demo.pcap

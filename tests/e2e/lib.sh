# lib.sh: sourced by end-to-end scripts: checks the environment make check gives them (CMFLOW, SRCDIR, PCAPS),
# makes a scratch directory $tmp removed on exit, and reports checks (ok/bad; bad counts failures in $fails).
: "${CMFLOW:?}" "${SRCDIR:?}" "${PCAPS:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

#!/bin/bash
# install.sh: `make install` into a scratch DESTDIR: the program, both man pages, the signatures, the EVE schema,
# the systemd unit with the paths configure chose and logrotate's file; the installed program runs, names nDPI
# and libpcap, and (stripped, as distributions ship it) carries no path of the build or source tree.
set -u
. "$(dirname "$0")/lib.sh"
build=$(cd "$(dirname "$CMFLOW")/.." && pwd)
root=$tmp/root
make -s -C "$build" install DESTDIR="$root" >"$tmp/install.log" 2>&1 || { bad "make install: $(tail -5 "$tmp/install.log")"; finish; }
prefix=$(sed -n 's/^prefix = //p' "$build/Makefile")
bindir=$(sed -n 's/^bindir = //p' "$build/Makefile" | sed "s|\${exec_prefix}|$prefix|; s|\$(exec_prefix)|$prefix|")
for f in "$bindir/cmflow" "$prefix/share/man/man1/cmflow.1" "$prefix/share/man/man5/cmflow-eve.5" \
	"$prefix/share/cmflow/signatures/configmgr2007.rules" "$prefix/share/cmflow/schema/cmflow-eve.schema.json" \
	"$prefix/lib/systemd/system/cmflow.service" "$prefix/etc/logrotate.d/cmflow"; do
	[ -s "$root$f" ] && ok "installed: $f" || bad "not installed: $f"
done
unit=$root$prefix/lib/systemd/system/cmflow.service
grep -q "^ExecStart=$bindir/cmflow " "$unit" && ! grep -q '@[a-z]*@' "$unit" &&
	ok "the unit starts $bindir/cmflow (configure's paths, none left to fill in)" || bad "unit: $(grep Exec "$unit")"
"$root$bindir/cmflow" -V >"$tmp/v" 2>&1 && grep -q '^nDPI ' "$tmp/v" && grep -q 'libpcap' "$tmp/v" &&
	ok "the installed program runs: $(tr '\n' ' ' <"$tmp/v")" || bad "installed cmflow -V: $(cat "$tmp/v")"
"$root$bindir/cmflow" -q -r "$demo" -S "$root$prefix/share/cmflow/signatures" -c "$site" --eve "$tmp/i.json" &&
	[ -s "$tmp/i.json" ] && ok "the installed program reads the demo with the installed signatures" || bad "installed run"
cp "$root$bindir/cmflow" "$tmp/stripped"
strip "$tmp/stripped" 2>/dev/null
# A sanitizer build names its source files for its diagnostics (as assert does): those are not
# paths the program reads; a directory such as the build tree's signatures would be.
strings "$tmp/stripped" | grep -F -e "$SRCDIR" -e "$build" | grep -vE '\.(c|h)$' >"$tmp/paths" || true
if [ -s "$tmp/paths" ]; then
	bad "the installed program carries a build path: $(head -3 "$tmp/paths")"
else
	ok "no build or source path compiled in (stripped)"
fi
finish

#!/bin/bash
# configure-in.sh DIR [configure options]: configures the source tree out of tree in DIR (once), after making
# sure the source tree itself is not configured (autotools refuse out-of-tree builds of a configured tree).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ] || [ "$src/Makefile.am" -nt "$src/Makefile.in" ]; then
	(cd "$src" && ./autogen.sh >/dev/null 2>&1)
fi
if [ -f "$src/config.status" ]; then
	(cd "$src" && make -s distclean >/dev/null 2>&1 || rm -f config.status Makefile)
fi
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ "$src/configure" -nt Makefile ]; then
	"$src/configure" -q "$@"
fi

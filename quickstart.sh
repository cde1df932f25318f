#!/bin/bash
# quickstart.sh: installs what is missing (Debian 12, as root), builds cmflow in this tree, and analyses the
# bundled demo capture with the bundled example site configuration, printing the summary.
set -eu
cd "$(dirname "$0")"
scripts/deps.sh all
if [ ! -x src/cmflow ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	./autogen.sh >/dev/null 2>&1
	./configure -q
fi
make -s -j"$(nproc)" >/dev/null
echo "== src/cmflow -r pcaps/cm-demo.pcap -c signatures/example-site.conf"
src/cmflow -r pcaps/cm-demo.pcap -c signatures/example-site.conf

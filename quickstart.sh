#!/bin/bash
# quickstart.sh: installs what is missing (Debian 12, as root), builds cmflow in build/, and analyses the
# bundled demo capture with the bundled example site configuration, printing the summary.
set -eu
cd "$(dirname "$0")"
scripts/deps.sh all
scripts/configure-in.sh build
make -s -C build -j"$(nproc)" >/dev/null
echo "== build/src/cmflow -r pcaps/cm-demo.pcap -c signatures/example-site.conf"
build/src/cmflow -r pcaps/cm-demo.pcap -c signatures/example-site.conf

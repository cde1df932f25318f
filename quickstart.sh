#!/bin/bash
# quickstart.sh: installs what is missing (Debian 12, as root), builds cmflow in build/, and analyses the
# bundled demo capture with the bundled example site configuration, printing the summary and writing the HTML
# audit report build/demo-report.html.
set -eu
cd "$(dirname "$0")"
scripts/deps.sh build
scripts/configure-in.sh build
make -s -C build -j"$(nproc)" >/dev/null
echo "== build/src/cmflow -r pcaps/cm-demo.pcap -c signatures/example-site.conf --report build/demo-report.html"
build/src/cmflow -r pcaps/cm-demo.pcap -c signatures/example-site.conf --report build/demo-report.html
echo "== the audit report: build/demo-report.html (open it in a browser)"

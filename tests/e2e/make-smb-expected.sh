#!/bin/bash
# make-smb-expected.sh: writes tests/e2e/expected/smb/CAPTURE.facts, what tshark decodes of SMB and DCE/RPC in each
# capture listed in tests/e2e/expected/smb/INDEX (paths relative to pcaps/), for tests/unit/test_smb.c. Run it
# again when a capture changes, and review the diff.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$src/tests/e2e/expected/smb
while read -r rel; do
	case $rel in ''|'#'*) continue ;; esac
	python3 "$src/tests/e2e/smb_reference.py" "$src/pcaps/$rel" >"$dir/$(basename "$rel").facts"
done <"$dir/INDEX"

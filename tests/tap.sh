# SPDX-License-Identifier: GPL-2.0
# Sourced by the test scripts: one check, one "ok - DESC" or "not ok - DESC"
# line; tests/run counts those lines.
t() { # DESC CMD...
	local desc=$1
	shift
	if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fi
}

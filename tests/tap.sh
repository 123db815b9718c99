# SPDX-License-Identifier: GPL-2.0
# Sourced by the test scripts: one check, one "ok - DESC" or "not ok - DESC"
# line; tests/run counts those lines.
t() { # DESC CMD...
	local desc=$1
	shift
	if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fi
}
tap_tag() { # TAG: prefix the check lines on stdin with [TAG], pass the rest through
	sed -E "s#^(ok|not ok) - #\1 - [$1] #"
}
tap_summary() { # FILE: list its failed checks, then "N passed, N failed"; fail unless all passed
	local passed failed
	passed=$(grep -c '^ok - ' "$1")
	failed=$(grep -c '^not ok - ' "$1")
	if [ "$failed" -gt 0 ]; then
		echo "# failed:"
		grep '^not ok - ' "$1"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

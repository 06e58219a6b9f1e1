#!/bin/sh
# bench/check_format.sh FILE: FILE is what bench/run.sh printed on stdout, and
# every line of it is a figure "name value unit" (or a "# " comment): a
# section that printed an empty value, a word for a number or a stray line
# fails here. It prints the figures it checked.
[ -r "$1" ] || { echo "check_format: cannot read $1" >&2; exit 1; }
awk '
	/^# / { next }
	NF == 3 && $1 ~ /^[a-z][a-z0-9_]*$/ && $2 ~ /^-?[0-9]+(\.[0-9]+)?$/ && $3 ~ /^[A-Za-z%\/]+$/ { n++; next }
	{ printf "check_format: line %d is not \"name value unit\": %s\n", NR, $0 > "/dev/stderr"; bad++ }
	END {
		if (n == 0) { print "check_format: no figure at all" > "/dev/stderr"; exit 1 }
		printf "check_format: %d figures, %d bad lines\n", n, bad
		exit bad > 0
	}' "$1"

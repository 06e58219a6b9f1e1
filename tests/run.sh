#!/bin/sh
#
# tests/run.sh: runs every unit test binary (tests/test_*) and every
# integration script (tests/t_*.sh), adds up their results and ends with
# exactly one line "N passed, M failed" (", K skipped" when any were skipped).
# A unit test whose binary is missing fails; a script fails unless it ran
# exactly the checks its plan line ("1..N", lib.sh's plan) announced.
#
#   sh tests/run.sh [SUBSTRING]     only tests whose name contains SUBSTRING
#   VERBOSE=1 sh tests/run.sh       show every test's full output
#   TEST_TIMEOUT=SECONDS            per-test limit (default 120)
#   TEST_EXEC='qemu-arm -L /usr/arm-linux-gnueabihf'   runs each unit test under it
#

cd "$(dirname "$0")/.." || exit 1

filter=${1:-}
timeout_s=${TEST_TIMEOUT:-120}
# Seconds a timed-out test gets between TERM (its cleanup runs) and KILL.
grace_s=5
# Failure output shown per test unless VERBOSE is set.
show_lines=40

passed=0
failed=0
skipped=0
# Names and first failing lines of failed tests, repeated just above the
# summary: CI keeps only the tail of a long log.
recap=

work=$(mktemp -d "${TMPDIR:-/tmp}/mesos-run.XXXXXX") || exit 1
# lib.sh also records every daemon it starts here, so daemons of a test
# that had to be killed are still found and stopped.
MESOS_TEST_PIDS=$work/pids
export MESOS_TEST_PIDS
: > "$MESOS_TEST_PIDS"

UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

kill_leftovers () {
	while read -r pid; do
		case "$pid" in
		''|*[!0-9]*) continue ;;
		esac
		kill -KILL "$pid" 2>/dev/null
	done < "$MESOS_TEST_PIDS"
	: > "$MESOS_TEST_PIDS"
}

finish () {
	kill_leftovers
	rm -rf "$work"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_limited OUT ERR CMD...: run CMD with a deadline; the exit status is
# CMD's, and $work/timedout exists afterwards if the deadline killed it.
run_limited () {
	rl_out=$1
	rl_err=$2
	shift 2
	rm -f "$work/timedout"
	"$@" > "$rl_out" 2> "$rl_err" < /dev/null &
	rl_pid=$!
	(
		n=0
		while [ "$n" -lt "$timeout_s" ]; do
			sleep 1
			kill -0 "$rl_pid" 2>/dev/null || exit 0
			n=$((n + 1))
		done
		: > "$work/timedout"
		kill -TERM "$rl_pid" 2>/dev/null
		n=0
		while [ "$n" -lt "$grace_s" ]; do
			sleep 1
			kill -0 "$rl_pid" 2>/dev/null || exit 0
			n=$((n + 1))
		done
		kill -KILL "$rl_pid" 2>/dev/null
	) &
	rl_watch=$!
	wait "$rl_pid"
	rl_status=$?
	kill "$rl_watch" 2>/dev/null
	wait "$rl_watch" 2>/dev/null
	return "$rl_status"
}

selected () {
	[ -z "$filter" ] && return 0
	case "$1" in
	*"$filter"*) return 0 ;;
	esac
	return 1
}

# report NAME RESULT: one line as each test finishes, with the seconds it
# took since started=$(date +%s) was set for it: make check shows progress.
report () {
	printf '%-32s %s%s\n' "$1" "$2" "${started:+ in $(($(date +%s) - started)) s}"
}

# show FILE...: a failing test's output, indented, last lines only.
show () {
	cat "$@" 2>/dev/null | tail -n "$show_lines" | sed 's/^/    | /'
}

#
# Unit tests: the last stdout line is "N passed, M failed".
#
# Every tests/test_*.c has its binary: one that was not built is a failure,
# never a silent skip.
for src in tests/test_*.c; do
	[ -f "$src" ] || continue
	t=${src%.c}
	name=${t#tests/}
	selected "$name" || continue
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		failed=$((failed + 1))
		started=
		report "$name" "FAILED (no binary: run make tests)"
		continue
	fi

	started=$(date +%s)
	# shellcheck disable=SC2086
	run_limited "$work/out" "$work/err" $TEST_EXEC "./$t"
	status=$?
	summary=$(tail -n 1 "$work/out" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p')
	if [ -n "$summary" ]; then
		p=${summary% *}
		f=${summary#* }
	else
		p=0
		f=0
	fi
	why=
	if [ -f "$work/timedout" ]; then
		why="timed out after ${timeout_s}s"
	elif [ -z "$summary" ]; then
		why="no summary line (exit status $status)"
	elif [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		why="exit status $status"
	fi
	# A crash or hang with no failed check still counts as one failure.
	if [ -n "$why" ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -eq 0 ]; then
		report "$name" "ok ($p passed)"
		[ -n "$VERBOSE" ] && show "$work/out" "$work/err"
	else
		report "$name" "FAILED ($p passed, $f failed${why:+; $why})"
		show "$work/err" "$work/out"
		recap="$recap
FAILED $name: ${why:-$f failed}"
	fi
done

#
# Integration scripts: TAP-like "ok - ", "not ok - ", "skip - " lines.
#
for t in tests/t_*.sh; do
	[ -f "$t" ] || continue
	name=${t#tests/}
	selected "$name" || continue

	started=$(date +%s)
	run_limited "$work/out" "$work/err" sh "$t"
	status=$?
	kill_leftovers
	p=$(grep -c '^ok - ' "$work/out")
	f=$(grep -c '^not ok - ' "$work/out")
	s=$(grep -c '^skip - ' "$work/out")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$work/out" | head -n 1)
	why=
	if [ -f "$work/timedout" ]; then
		why="timed out after ${timeout_s}s"
	elif [ "$status" -ne 0 ]; then
		why="exit status $status"
	elif [ -z "$planned" ]; then
		why="no plan line (lib.sh: plan N)"
	elif [ $((p + f + s)) -ne "$planned" ]; then
		why="$((p + f + s)) of $planned planned checks ran"
	fi
	if [ -n "$why" ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -eq 0 ]; then
		if [ "$s" -gt 0 ]; then
			report "$name" "ok ($p passed, $s skipped)"
		else
			report "$name" "ok ($p passed)"
		fi
		[ -n "$VERBOSE" ] && show "$work/out" "$work/err"
	else
		report "$name" "FAILED ($p passed, $f failed${why:+; $why})"
		grep '^not ok - ' "$work/out" | sed 's/^/    /'
		show "$work/err"
		# A script killed at its deadline has no "not ok": its last checks say where it hung.
		[ -f "$work/timedout" ] && tail -n 5 "$work/out" | sed 's/^/    > /'
		recap="$recap
FAILED $name: ${why:-$f failed}$(grep '^not ok - ' "$work/out" | head -n 3 | sed 's/^/ | /' | tr '\n' ' ')"
	fi
done

if [ -n "$recap" ]; then
	printf '%s\n' "$recap" | sed '/^$/d'
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

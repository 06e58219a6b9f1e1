# tests/lib.sh: helpers for the integration scripts tests/t_*.sh (POSIX sh).
# Source it first thing:   . "$(dirname "$0")/lib.sh"
#
# Results are TAP-like lines on stdout ("ok - ", "not ok - ", "skip - ") that
# tests/run.sh counts; diagnostics go to stderr. Synchronisation is always by
# polling a condition (wait_for), never by a bare sleep.
#
# Provides: TOP, TMP, plan, pass, fail, skip, skip_rest, check, wait_for, start_master,
# restart_master, start_agent, stop_pid, cleanup, ctl, state_has, holds,
# need_nobody, start_httpd.
# Also run_for (timeout(1) in POSIX sh).

TOP=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mesos-test.XXXXXX") || {
	echo "not ok - cannot create a temporary directory"
	exit 1
}
: > "$TMP/pids"
: > "$TMP/ran"
LIB_PLANNED=0
# The suite may run as root (CI does); agentd refuses root tasks unless told.
# Tasks switched to "nobody" must still reach their sandboxes under $TMP.
MESOS_ALLOW_ROOT_TASKS=true
export MESOS_ALLOW_ROOT_TASKS
chmod 755 "$TMP"

# Seconds a daemon gets to start (see its log line) and to stop on TERM.
LIB_START_TIMEOUT_S=10
LIB_STOP_TIMEOUT_S=5
# wait_for polls this often; LIB_POLLS_PER_S must match it.
LIB_POLL_INTERVAL=0.05
LIB_POLLS_PER_S=20
# Lines of each daemon log shown when a check fails.
LIB_LOG_TAIL=20

LIB_FAILED=0
LIB_CLEANED=0

# Every pid we start, here and (when run by tests/run.sh) in the runner's
# list, so nothing outlives the test even if the script is killed.
lib_track_pid () {
	echo "$1" >> "$TMP/pids"
	if [ -n "$MESOS_TEST_PIDS" ]; then
		echo "$1" >> "$MESOS_TEST_PIDS"
	fi
}

lib_dump_logs () {
	for lib_log in "$TMP"/*.log; do
		[ -f "$lib_log" ] || continue
		echo "--- last $LIB_LOG_TAIL lines of ${lib_log##*/}" >&2
		tail -n "$LIB_LOG_TAIL" "$lib_log" >&2
	done
}

pass () {
	printf . >> "$TMP/ran"
	echo "ok - $*"
}

fail () {
	printf . >> "$TMP/ran"
	echo "not ok - $*"
	LIB_FAILED=$((LIB_FAILED + 1))
	lib_dump_logs
}

# plan N: the script runs exactly N checks (pass, fail or skip lines);
# tests/run.sh fails it when another number ran, so a script that stops
# early or loses a check cannot look green.
plan () {
	LIB_PLANNED=$1
	echo "1..$1"
}

# lib_ran: how many checks reported so far (subshells' too: they count in a file).
lib_ran () {
	wc -c < "$TMP/ran" | tr -d ' '
}

# skip_rest REASON: every planned check not reported yet is skipped.
skip_rest () {
	lib_rest=$((LIB_PLANNED - $(lib_ran)))
	[ "$lib_rest" -gt 0 ] && skip -n "$lib_rest" "$*"
	return 0
}

# skip [-n K] REASON: K planned checks (default 1) are not run here.
skip () {
	lib_skips=1
	if [ "$1" = "-n" ]; then
		lib_skips=$2
		shift 2
	fi
	while [ "$lib_skips" -gt 0 ]; do
		printf . >> "$TMP/ran"
		echo "skip - $*"
		lib_skips=$((lib_skips - 1))
	done
}

# check DESC CMD...: pass if CMD succeeds; on failure its output goes to stderr.
check () {
	lib_desc=$1
	shift
	if "$@" > "$TMP/check.out" 2>&1; then
		pass "$lib_desc"
		return 0
	fi
	echo "--- output of: $*" >&2
	tail -n "$LIB_LOG_TAIL" "$TMP/check.out" >&2
	fail "$lib_desc"
	return 1
}

# wait_for SECONDS CMD...: poll CMD until it succeeds; 1 if the deadline passes.
wait_for () {
	lib_polls=$(($1 * LIB_POLLS_PER_S))
	shift
	while [ "$lib_polls" -gt 0 ]; do
		if "$@" > /dev/null 2>&1; then
			return 0
		fi
		sleep "$LIB_POLL_INTERVAL"
		lib_polls=$((lib_polls - 1))
	done
	"$@" > /dev/null 2>&1
}

lib_alive () {
	kill -0 "$1" 2>/dev/null
}

# stop_pid PID: TERM, up to LIB_STOP_TIMEOUT_S for it to go, then KILL.
stop_pid () {
	lib_pid=$1
	if ! lib_alive "$lib_pid"; then
		wait "$lib_pid" 2>/dev/null
		return 0
	fi
	kill -TERM "$lib_pid" 2>/dev/null
	# A child of ours stays a zombie (and "alive" to kill -0) until waited
	# for, so the watchdog does the KILL while we wait.
	(
		lib_polls=$((LIB_STOP_TIMEOUT_S * LIB_POLLS_PER_S))
		while [ "$lib_polls" -gt 0 ]; do
			sleep "$LIB_POLL_INTERVAL"
			lib_alive "$lib_pid" || exit 0
			lib_polls=$((lib_polls - 1))
		done
		echo "pid $lib_pid ignored TERM for ${LIB_STOP_TIMEOUT_S}s, killing it" >&2
		kill -KILL "$lib_pid" 2>/dev/null
	) &
	lib_watch=$!
	wait "$lib_pid" 2>/dev/null
	# Not our child (started from a subshell): poll until the watchdog is done.
	while lib_alive "$lib_pid" && lib_alive "$lib_watch"; do
		sleep "$LIB_POLL_INTERVAL"
	done
	kill "$lib_watch" 2>/dev/null
	wait "$lib_watch" 2>/dev/null
	return 0
}

# lib_supervisors: "PID ARGS" of each supervisor of this test still running.
lib_supervisors () {
	ps -e -o pid= -o args= 2>/dev/null | awk -v dir="$TMP/" \
	    '$2 ~ /mesos-executor$/ && (index($3, dir) == 1 || ($3 == "--spawner" && index($4, dir) == 1)) { print }'
}

cleanup () {
	[ "$LIB_CLEANED" -eq 1 ] && return 0
	LIB_CLEANED=1
	if [ -f "$TMP/pids" ]; then
		# TERM them all first so they shut down in parallel.
		while read -r lib_p; do
			kill -TERM "$lib_p" 2>/dev/null
		done < "$TMP/pids"
		while read -r lib_p; do
			stop_pid "$lib_p"
		done < "$TMP/pids"
	fi
	# Supervisors outlive agentd on purpose (a restarted agentd takes them
	# back) and wait --recovery_timeout for it, but only after a crash of
	# agentd: once every daemon has stopped cleanly, one still here is a
	# bug, reported as a failure (a test that leaves agentd killed on
	# purpose says LIB_SUPERVISORS_LEFT=expected). Those the spawner forked
	# carry its arguments: --spawner WORK_DIR.
	lib_polls=$((LIB_STOP_TIMEOUT_S * LIB_POLLS_PER_S))
	[ "$LIB_SUPERVISORS_LEFT" = expected ] && lib_polls=0
	while [ "$lib_polls" -gt 0 ] && [ -n "$(lib_supervisors)" ]; do
		sleep "$LIB_POLL_INTERVAL"
		lib_polls=$((lib_polls - 1))
	done
	lib_supervisors | while read -r lib_p lib_args; do
		if [ "$LIB_SUPERVISORS_LEFT" != expected ]; then
			echo "not ok - no process outlives the test: pid $lib_p ($lib_args)"
		fi
		kill -TERM "$lib_p" 2>/dev/null
	done
	if [ -n "$KEEP_TMP" ]; then
		echo "test files kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# lib_rotate FILE: keep an earlier run's log as FILE.1, FILE.2, ...
lib_rotate () {
	[ -f "$1" ] || return 0
	lib_n=1
	while [ -f "$1.$lib_n" ]; do
		lib_n=$((lib_n + 1))
	done
	mv "$1" "$1.$lib_n"
}

lib_has_line () {
	grep -q -- "$2" "$1"
}

# lib_quote WORD...: the words single-quoted, ready for eval.
lib_quote () {
	lib_q=
	for lib_w in "$@"; do
		lib_q="$lib_q '$(printf '%s' "$lib_w" | sed "s/'/'\\\\''/g")'"
	done
	printf '%s' "$lib_q"
}

# LIB_MASTER_IP: the address the master listens on (soak.sh: every address, for an agent in a
# network namespace); MASTER stays 127.0.0.1:PORT.
lib_run_master () {
	mkdir -p "$TMP/master"
	lib_rotate "$TMP/master.log"
	lib_port=$1
	eval "set -- $LIB_MASTER_FLAGS"
	# No plugins unless the test names a directory of its own: the built
	# ones (Marathon listens on a port) must not join every test.
	mkdir -p "$TMP/no-plugins"
	"$TOP/mesosd" "--ip=${LIB_MASTER_IP:-127.0.0.1}" "--port=$lib_port" "--work_dir=$TMP/master" \
	    "--plugins=$TMP/no-plugins" "$@" \
	    > "$TMP/master.log" 2>&1 &
	MASTER_PID=$!
	lib_track_pid "$MASTER_PID"
	if ! wait_for "$LIB_START_TIMEOUT_S" lib_has_line "$TMP/master.log" 'master [^ ]* listening on [0-9.]*:'; then
		fail "master did not start within ${LIB_START_TIMEOUT_S}s"
		return 1
	fi
	MASTER_PORT=$(sed -n 's/.*master [^ ]* listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$TMP/master.log" | head -n 1)
	MASTER=127.0.0.1:$MASTER_PORT
	return 0
}

# start_master [FLAGS...]: sets MASTER_PID, MASTER_PORT and MASTER.
start_master () {
	LIB_MASTER_FLAGS=$(lib_quote "$@")
	lib_run_master 0
}

# restart_master [FLAGS...]: stop the master (if still running) and start it
# again on the same port, with new FLAGS or else the previous ones.
restart_master () {
	if [ "$#" -gt 0 ]; then
		LIB_MASTER_FLAGS=$(lib_quote "$@")
	fi
	stop_pid "$MASTER_PID"
	lib_run_master "$MASTER_PORT"
}

# start_agent NAME [FLAGS...]: sets (and prints) AGENT_PID_<NAME>.
start_agent () {
	lib_name=$1
	shift
	case "$lib_name" in
	''|*[!A-Za-z0-9_]*)
		fail "start_agent: bad agent name '$lib_name'"
		return 1 ;;
	esac
	mkdir -p "$TMP/$lib_name"
	lib_rotate "$TMP/$lib_name.log"
	# LIB_AGENT_WRAP: a command agentd runs under (soak.sh: ip netns exec NS), LIB_AGENT_MASTER
	# the master's address as seen from there.
	# shellcheck disable=SC2086
	$LIB_AGENT_WRAP "$TOP/agentd" "--master=${LIB_AGENT_MASTER:-$MASTER}" "--work_dir=$TMP/$lib_name" "$@" \
	    > "$TMP/$lib_name.log" 2>&1 &
	lib_apid=$!
	lib_track_pid "$lib_apid"
	eval "AGENT_PID_$lib_name=\$lib_apid"
	echo "$lib_apid"
	if ! wait_for "$LIB_START_TIMEOUT_S" lib_has_line "$TMP/$lib_name.log" 'registered with master as'; then
		fail "agent $lib_name did not register within ${LIB_START_TIMEOUT_S}s"
		return 1
	fi
	return 0
}

ctl () {
	"$TOP/mesosctl" "--master=$MASTER" "$@"
}

state_has () {
	ctl get /master/state | grep -q -- "$1"
}

# holds SECONDS CMD...: CMD keeps succeeding until the clock has moved on
# SECONDS whole seconds (SECONDS - 1 to SECONDS of real time: by the clock,
# not by counting polls, which slow builds make longer).
holds () {
	holds_end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$holds_end" ]; do
		"$@" > /dev/null 2>&1 || return 1
		sleep "$LIB_POLL_INTERVAL"
	done
}

# run_for SECONDS CMD...: CMD, sent SIGTERM if it still runs after SECONDS;
# its exit status, or 124 when it had to be stopped (as timeout(1), which
# stock macOS and older OpenBSD lack).
run_for () {
	rf_polls=$(($1 * LIB_POLLS_PER_S))
	shift
	rm -f "$TMP/run_for.stopped"
	"$@" &
	rf_pid=$!
	(
		while [ "$rf_polls" -gt 0 ]; do
			kill -0 "$rf_pid" 2>/dev/null || exit 0
			sleep "$LIB_POLL_INTERVAL"
			rf_polls=$((rf_polls - 1))
		done
		: > "$TMP/run_for.stopped"
		kill -TERM "$rf_pid" 2>/dev/null
	) &
	rf_watch=$!
	wait "$rf_pid"
	rf_rc=$?
	kill "$rf_watch" 2>/dev/null
	wait "$rf_watch" 2>/dev/null
	if [ -f "$TMP/run_for.stopped" ]; then
		rm -f "$TMP/run_for.stopped"
		return 124
	fi
	return "$rf_rc"
}

# need_nobody WHY: skip the test (and exit) unless we are root and the user
# nobody exists, as tasks of another user need.
need_nobody () {
	if [ "$(id -u)" -ne 0 ]; then
		skip_rest "$1 needs root"
		exit 0
	fi
	if ! id nobody > /dev/null 2>&1; then
		skip_rest "$1 needs the user nobody"
		exit 0
	fi
}

# start_httpd DIR [NAME]: tests/httpd serving DIR; sets HTTPD (its pid) and
# WEB (http://127.0.0.1:PORT). Its output is $TMP/NAME.out (default httpd).
start_httpd () {
	lib_httpd=${2:-httpd}
	"$TOP/tests/httpd" "$1" > "$TMP/$lib_httpd.out" 2> "$TMP/$lib_httpd.log" &
	HTTPD=$!
	lib_track_pid "$HTTPD"
	wait_for 5 grep -q 'listening on' "$TMP/$lib_httpd.out"
	# shellcheck disable=SC2034  # for the test that sources this
	WEB=http://$(sed -n 's/listening on //p' "$TMP/$lib_httpd.out")
}

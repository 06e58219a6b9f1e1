# tests/lib_lb.sh: what mesos-lb's tests (t_lb*.sh) share. Source it after
# lib.sh:   . "$(dirname "$0")/lib_lb.sh"
#
# Provides: start_lb (sets LB_PID, STATS, HTTP), lb_free_port, load, failed_is.

# start_lb FLAGS...: mesos-lb on 127.0.0.1, its HTTP and stats ports free
# ones, its log in $TMP/lb.log; STATS is the stats port's URL, HTTP the
# HTTP port's host:port. LB_NOFILE set: it runs with that many descriptors
# at most (ulimit -n).
start_lb () {
	sh -c 'test -z "$0" || ulimit -n "$0" || exit 1; exec "$@"' "${LB_NOFILE:-}" \
	    "$TOP/mesos-lb" --ip=127.0.0.1 --http_port=0 --stats_port=0 "$@" > "$TMP/lb.log" 2>&1 &
	LB_PID=$!
	lib_track_pid "$LB_PID"
	if ! wait_for "$LIB_START_TIMEOUT_S" lib_has_line "$TMP/lb.log" 'stats port listening on'; then
		fail "mesos-lb did not start within ${LIB_START_TIMEOUT_S}s"
		return 1
	fi
	# shellcheck disable=SC2034  # for the test that sources this
	STATS=http://127.0.0.1:$(sed -n 's/.*stats port listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/lb.log")
	# shellcheck disable=SC2034
	HTTP=127.0.0.1:$(sed -n 's/.*HTTP port listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/lb.log")
	return 0
}

# load ARGS...: bench/lbload's report in $TMP/load.out.
load () {
	"$TOP/bench/lbload" "$@" > "$TMP/load.out" 2> "$TMP/load.err"
}

# failed_is N: the last load had N failed requests.
failed_is () {
	grep -qx "failed $1" "$TMP/load.out"
}

# lb_free_port: a port of 127.0.0.1 nothing listens on now, in FREE_PORT.
lb_free_port () {
	"$TOP/tests/httpd" "$TMP" > "$TMP/probe.out" 2>&1 &
	lb_probe=$!
	wait_for 5 grep -q 'listening on' "$TMP/probe.out"
	# shellcheck disable=SC2034  # for the test that sources this
	FREE_PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/probe.out")
	kill "$lb_probe"
	wait "$lb_probe" 2>/dev/null
}

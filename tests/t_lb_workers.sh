# tests/t_lb_workers.sh: mesos-lb's worker threads (--workers). Connections
# held open through a service port run on the workers; their backend
# leaving the table ends them at the drain timeout (the main loop asks the
# worker that runs them), the stats count them back, new connections go to
# the backend that stays, and TERM with connections open on the workers
# stops cleanly. --workers=1 (the main loop alone) serves too; a bad
# --workers is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_lb.sh"
plan 10

T=10
HELD=8

EXPECT="--workers must be 1-"
"$TOP/mesos-lb" --marathon=http://127.0.0.1:1 --workers=0 > "$TMP/flags.out" 2>&1
RC=$?
check "--workers=0: refused" sh -c "test $RC -eq 1 && grep -q -- '$EXPECT' '$TMP/flags.out'"

start_httpd "$TMP" b0
B0=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/b0.out")
start_httpd "$TMP" b1
B1=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/b1.out")
lb_free_port
SP=$FREE_PORT
lb_free_port
MP=$FREE_PORT
# apps TASKS: the app's task list, as Marathon's /v2/apps says it.
apps () {
	printf '{"apps":[{"id":"/w","labels":{},"healthChecks":[],"portDefinitions":[{"port":%s}],"tasks":[%s]}]}\n' \
	    "$SP" "$1" > "$TMP/apps.json"
}
task () {
	printf '{"id":"w.t%s","host":"127.0.0.1","ports":[%s],"state":"TASK_RUNNING"}' "$1" "$2"
}
apps "$(task 0 "$B0")"
"$TOP/tests/httpd" "$TMP" "$MP" > "$TMP/marathon.out" 2>&1 &
MARATHON_PID=$!
lib_track_pid "$MARATHON_PID"
start_lb "--marathon=http://127.0.0.1:$MP" --http_port=-1 --workers=2 --drain_timeout=1secs \
    --log_level=debug || exit 1
check "two worker threads" grep -q "2 worker threads" "$TMP/lb.log"
check "the service port is proxied" wait_for $T sh -c "curl -sf http://127.0.0.1:$SP/whoami | grep -q :$B0"

"$TOP/bench/lbload" "--hold=$HELD" --duration=30secs "127.0.0.1:$SP" > "$TMP/hold.out" 2>&1 &
HOLD_PID=$!
lib_track_pid "$HOLD_PID"
check "$HELD connections held through the workers" wait_for $T grep -qx "held $HELD" "$TMP/hold.out"
check "  and counted open" wait_for $T sh -c "curl -s '$STATS/_lb/stats' | grep -q '\"open\":$HELD'"

# Marathon comes back with the task gone and another in its place: mesos-lb reads the apps again.
apps "$(task 1 "$B1")"
stop_pid "$MARATHON_PID"
"$TOP/tests/httpd" "$TMP" "$MP" > "$TMP/marathon2.out" 2>&1 &
MARATHON_PID=$!
lib_track_pid "$MARATHON_PID"
check "new connections go to the task that stays" \
    wait_for $T sh -c "curl -sf http://127.0.0.1:$SP/whoami | grep -q :$B1"
check "the gone task's held connections end at the drain timeout" wait_for $T sh -c \
    "test \$(grep -c 'closed: ended by the main loop' '$TMP/lb.log') -eq $HELD"
check "  and the stats count none open" wait_for $T sh -c \
    "curl -s '$STATS/_lb/stats' | grep -q '\"open\":0' && ! curl -s '$STATS/_lb/stats' | grep -q '\"open\":[1-9]'"

# TERM with connections open on the workers: they end, the threads join.
"$TOP/bench/lbload" "--hold=$HELD" --duration=30secs "127.0.0.1:$SP" > "$TMP/hold2.out" 2>&1 &
lib_track_pid "$!"
wait_for $T grep -qx "held $HELD" "$TMP/hold2.out"
stop_pid "$LB_PID"
check "TERM with connections open on the workers: stopped" grep -q "stopped" "$TMP/lb.log"

start_lb "--marathon=http://127.0.0.1:$MP" --http_port=-1 --workers=1 || exit 1
check "--workers=1 (the main loop alone) serves" \
    wait_for $T sh -c "curl -sf http://127.0.0.1:$SP/whoami | grep -q :$B1"

# tests/t_lb_fds.sh: mesos-lb out of descriptors (its ulimit -n lowered).
# A flood of connections through a service port uses them all up: accepting
# pauses and resumes without spinning, says so once, and no backend is
# ejected for a shortage that is mesos-lb's own; once the flood is gone it
# serves again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_lb.sh"
plan 7

T=10
# Descriptors mesos-lb may have, and the connections of the flood (each
# proxied one takes two): far more than fit.
NOFILE=48
FLOOD=200
# CPU mesos-lb may use while starved, in clock ticks per second (of
# CLK_TCK, 100 on Linux): a spinning accept takes them all.
STARVED_TICKS_MAX=20

if [ ! -r /proc/self/stat ]; then
	skip_rest "no /proc here: mesos-lb's CPU time cannot be read"
	exit 0
fi
start_httpd "$TMP" backend
BACKEND=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/backend.out")
start_httpd "$TMP" marathon
lb_free_port
SP=$FREE_PORT
printf '{"apps":[{"id":"/fds","labels":{},"healthChecks":[],"portDefinitions":[{"port":%s}],"tasks":[{"id":"fds.t0","host":"127.0.0.1","ports":[%s],"state":"TASK_RUNNING"}]}]}\n' \
    "$SP" "$BACKEND" > "$TMP/apps.json"
LB_NOFILE=$NOFILE start_lb "--marathon=$WEB" --http_port=-1 || exit 1
check "the service port is proxied" wait_for $T sh -c "curl -sf http://127.0.0.1:$SP/whoami > /dev/null"

"$TOP/bench/lbload" "--hold=$FLOOD" --duration=4secs "127.0.0.1:$SP" > "$TMP/flood.out" 2>&1 &
FLOOD_PID=$!
check "out of descriptors, accepting pauses" wait_for $T grep -q "(accepting pauses" "$TMP/lb.log"
ticks () {
	awk '{ print $14 + $15 }' "/proc/$LB_PID/stat"
}
t0=$(ticks)
sleep 1
t1=$(ticks)
check "and does not spin ($((t1 - t0)) ticks in 1 s)" test "$((t1 - t0))" -le "$STARVED_TICKS_MAX"
check "it says so once" test "$(grep -c "(accepting pauses" "$TMP/lb.log")" -eq 1
wait "$FLOOD_PID"
check "once the flood is gone it serves again" wait_for $T sh -c "curl -sf http://127.0.0.1:$SP/whoami > /dev/null"
check "and says so" grep -q "descriptors are to be had again" "$TMP/lb.log"
check "no backend was ejected for its own shortage" \
    sh -c "curl -s '$STATS/_lb/stats' | grep -q '\"ejections\":0' && ! curl -s '$STATS/_lb/stats' | grep -q '\"ejections\":[1-9]'"

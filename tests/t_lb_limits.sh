# tests/t_lb_limits.sh: mesos-lb's bounds and its answers to bad input,
# with no Marathon to follow (it keeps trying): bad flags are refused at
# start; garbage, oversized and malformed requests get 400, 431 or 501 and
# the daemon serves on; a flood of connections beyond --max_connections
# and a slowloris leave its memory within bounds, and it serves again
# once they are gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_lb.sh"
plan 24

T=10
# Connections in the flood and the slowloris, and the cap mesos-lb runs with.
FLOOD=1000
SLOW=200
CAP=100
# Resident memory mesos-lb may add while they last, in KiB.
GROWTH_KIB=8192

LB="$TOP/mesos-lb"

refused () {
	"$LB" "$@" > "$TMP/flags.out" 2>&1
	test $? -eq 1 && grep -q -- "$EXPECT" "$TMP/flags.out"
}
EXPECT="--marathon is required"
check "no --marathon: refused" refused --http_port=0
EXPECT="bad --marathon URL"
check "a --marathon that is not http: refused" refused --marathon=ftp://x --http_port=0 --stats_port=0
EXPECT="must be 0-65535"
check "a port out of range: refused" refused --marathon=http://127.0.0.1:1 --http_port=99999
EXPECT="unknown flag '--nope'"
check "an unknown flag: refused" refused --marathon=http://127.0.0.1:1 --nope=1
EXPECT="bad value 'x' for MESOS_LB_RETRIES"
check "MESOS_LB_ variables are read and checked" env MESOS_LB_RETRIES=x sh -c '"$0" --marathon=http://127.0.0.1:1 > "$1" 2>&1; test $? -eq 1' "$LB" "$TMP/flags.out"
check "  with the message" grep -q -- "$EXPECT" "$TMP/flags.out"

start_lb --marathon=http://127.0.0.1:1 "--max_connections=$CAP" --http_request_timeout=1secs || exit 1
check "it keeps trying Marathon" wait_for $T grep -q "keeping the last known backends" "$TMP/lb.log"
check "/_lb/health: 503 before Marathon answered" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$STATS/_lb/health")" = 503

# raw TEXT: send TEXT (printf format) to the HTTP port, the answer in $TMP/raw.
raw () {
	printf "$1" | curl -s --max-time 5 telnet://$HTTP > "$TMP/raw" 2>/dev/null
	return 0
}
status_is () {
	head -n 1 "$TMP/raw" | grep -q "^HTTP/1.1 $1 "
}
raw 'GARBAGE\r\n\r\n'
check "garbage: 400" status_is 400
raw 'GET / HTTP/1.1\r\nBad Header\r\n\r\n'
check "a bad header line: 400" status_is 400
raw 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'
check "conflicting lengths: 400" status_is 400
raw 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n'
check "an unknown transfer coding: 501" status_is 501
big=$(awk 'BEGIN { while (n++ < 2000) printf "X-Pad-%d: 0123456789\\r\\n", n }')
raw "GET / HTTP/1.1\\r\\n$big\\r\\n"
check "a head over 16 KB: 431" status_is 431
raw 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n'
check "two pipelined requests: two answers" test "$(grep -c '^HTTP/1.1 503' "$TMP/raw")" -eq 2
raw 'GET / HTTP/1.1\r\nHost: a\r\n'
check "a head cut short: 408 after --http_request_timeout" status_is 408
check "it serves on" sh -c "curl -s $STATS/_lb/stats | grep -q '\"connections\"'"

rss () {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null
}
if [ ! -r "/proc/$LB_PID/status" ]; then
	skip_rest "no /proc here: the memory bound is measured by make bench's figures only"
	exit 0
fi
BASE=$(rss "$LB_PID")
"$TOP/bench/lbload" "--hold=$FLOOD" --duration=4secs "$HTTP" > "$TMP/flood.out" 2>&1 &
FLOOD_PID=$!
"$TOP/bench/lbload" "--hold=$SLOW" --slow --duration=4secs "$HTTP" > "$TMP/slow.out" 2>&1 &
SLOW_PID=$!
check "the flood is connected (the kernel holds what mesos-lb does not take)" \
    wait_for $T grep -q '^held' "$TMP/flood.out"
open_now () {
	curl -s "$STATS/_lb/stats" | sed -n 's/.*"connections":{"open":\([0-9]*\).*/\1/p'
}
check "mesos-lb holds at most --max_connections" test "$(open_now)" -le "$CAP"
check "and says it stopped accepting" grep -q "not accepting more for now" "$TMP/lb.log"
PEAK=$(rss "$LB_PID")
check "memory grew by at most $GROWTH_KIB KiB under the flood ($BASE -> $PEAK KiB)" \
    test "$((PEAK - BASE))" -le "$GROWTH_KIB"
check "slowloris connections are cut at the request timeout" wait_for $T sh -c \
    "test \$(curl -s $STATS/_lb/stats | sed -n 's/.*\"open\":\\([0-9]*\\).*/\\1/p' | head -n 1) -lt $CAP"
wait "$FLOOD_PID"
wait "$SLOW_PID"
check "after the flood: all closed" wait_for $T sh -c "test \"\$(curl -s $STATS/_lb/stats | sed -n 's/.*\"connections\":{\"open\":\\([0-9]*\\).*/\\1/p')\" = 0"
raw 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
check "and serving again" status_is 503
stop_pid "$LB_PID"
check "mesos-lb stops on TERM" grep -q "stopped" "$TMP/lb.log"

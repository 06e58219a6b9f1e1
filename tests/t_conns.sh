# tests/t_conns.sh: the master's connections under abuse (#18): a handshake
# deadline that trickled bytes cannot push back, a framework that answers no
# heartbeat is closed, caps on connections in total and per address refused
# with an ERROR line, and a master out of descriptors backs off instead of
# spinning and serves again once they are back.
. "$(dirname "$0")/lib.sh"
plan 9

SWARM=$TOP/tests/swarm
PEER=$TOP/tests/peer
SLOW_PEERS=200

start_master --handshake_timeout=1secs --framework_heartbeat_interval=200ms || exit 1

# Slowloris: each peer sends a byte every 100 ms and never ends its first
# line; an idle timeout would keep them all open.
"$SWARM" 127.0.0.1 "$MASTER_PORT" "$SLOW_PEERS" --trickle 100 --for 2500 > "$TMP/slow.out" 2>&1
check "$SLOW_PEERS slowloris connections are closed at the handshake deadline" \
    grep -q "opened $SLOW_PEERS closed $SLOW_PEERS " "$TMP/slow.out"

# A framework that subscribes and then answers none of the heartbeats.
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 5000 --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=silent user=tester" --wait-close > "$TMP/silent.out" 2>&1
check "a framework is sent heartbeat PINGs" grep -q '^PING' "$TMP/silent.out"
check "a framework that answers none is disconnected" grep -q 'closed by server' "$TMP/silent.out"
check "/health answers after both" ctl get /health

restart_master --max_connections_per_address=5 || exit 1
"$SWARM" 127.0.0.1 "$MASTER_PORT" 12 --for 800 > "$TMP/per.out" 2>&1
check "connections over the per-address cap are refused with a reason" \
    grep -q '^first: ERROR reason=too%20many%20connections%20from%20127.0.0.1' "$TMP/per.out"
check "exactly those over the cap" grep -q 'opened 12 closed 7 refused 7' "$TMP/per.out"

restart_master --max_connections=3 || exit 1
"$SWARM" 127.0.0.1 "$MASTER_PORT" 6 --for 800 > "$TMP/total.out" 2>&1
check "connections over the total cap are refused" \
    grep -q 'opened 6 closed 3 refused 3' "$TMP/total.out"
stop_pid "$MASTER_PID"

# Out of descriptors: a master allowed 32 of them and a crowd of 60. The
# backlog stays readable; polling it at once again would spin and log
# without end.
FD_LIMIT=32
mkdir -p "$TMP/fdmaster"
sh -c 'ulimit -n "$1" && shift && exec "$@"' sh "$FD_LIMIT" "$TOP/mesosd" --ip=127.0.0.1 \
    --port=0 "--work_dir=$TMP/fdmaster" "--plugins=$TMP/no-plugins" > "$TMP/fd.log" 2>&1 &
FD_PID=$!
lib_track_pid "$FD_PID"
wait_for "$LIB_START_TIMEOUT_S" lib_has_line "$TMP/fd.log" 'listening on 127.0.0.1:' ||
    fail "the master with $FD_LIMIT descriptors did not start"
FD_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$TMP/fd.log" | head -n 1)
"$SWARM" 127.0.0.1 "$FD_PORT" 60 --for 2000 > "$TMP/fd.out" 2>&1
lines=$(grep -c 'accept' "$TMP/fd.log")
check "out of descriptors, accept pauses instead of spinning ($lines log lines)" \
    test "$lines" -gt 0 -a "$lines" -lt 40
check "/health answers once descriptors are back" \
    wait_for 5 "$TOP/mesosctl" "--master=127.0.0.1:$FD_PORT" get /health
stop_pid "$FD_PID"

# tests/t_offers.sh: offers are not hoarded. An offer held past
# --offer_timeout is rescinded and its resources offered again; offers on an
# agent that goes away are rescinded, and frameworks hear the agent is lost.
. "$(dirname "$0")/lib.sh"
plan 5

PEER=$TOP/tests/peer

start_master --offer_timeout=300ms --agent_ping_timeout=200ms --max_agent_ping_timeouts=2 || exit 1
start_agent a1 --resources="cpus:1;mem:128;disk:10" > /dev/null || exit 1

# A framework that takes an offer and sits on it.
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 5000 --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=hoarder user=tester" --await OFFER --await RESCIND --await OFFER --lines 0 \
    > "$TMP/hoard.out" 2>&1
check "a held offer is rescinded after --offer_timeout" grep -q '^RESCIND offer_id=' "$TMP/hoard.out"
check "its resources are offered again" sh -c "[ \$(grep -c '^OFFER ' '$TMP/hoard.out') -eq 2 ]"
check "the master says why" grep -q 'timed out; rescinding it' "$TMP/master.log"

# Offers on an agent that goes away are rescinded; the agent is reported lost.
restart_master --offer_timeout=0 --agent_ping_timeout=200ms --max_agent_ping_timeouts=2
wait_for 10 grep -q 're-registered with master' "$TMP/a1.log"
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 10000 --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=watcher user=tester" --await OFFER --await RESCIND --await AGENT_LOST --lines 0 \
    > "$TMP/watch.out" 2>&1 &
WATCH_PID=$!
lib_track_pid "$WATCH_PID"
wait_for 10 grep -q '^OFFER ' "$TMP/watch.out"
kill -9 "$AGENT_PID_a1"
wait_for 10 grep -q '^AGENT_LOST' "$TMP/watch.out"
check "an offer on a vanished agent is rescinded" grep -q '^RESCIND offer_id=' "$TMP/watch.out"
check "frameworks hear that the agent is lost" grep -q '^AGENT_LOST agent_id=' "$TMP/watch.out"
wait "$WATCH_PID"

[ "$LIB_FAILED" -eq 0 ]

# tests/t_bind_files.sh: a sandbox read's answer is taken only from the agent
# that was asked, under a request ID no one can guess (issue #17, no
# authentication). Agent A (a peer) runs a framework's task; an operator reads
# its sandbox; agent B (another peer) answers that request with forged data:
# the operator must not get it. Nor may B pass a message to the framework as
# if from one of its executors: B runs none of its tasks.
. "$(dirname "$0")/lib.sh"
plan 11

PEER=$TOP/tests/peer
# Milliseconds each peer stays connected: longer than the whole exchange.
PEER_MS=8000
# Seconds the operator waits for an answer that must not come.
CLI_MS=1500

start_master || exit 1
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout $PEER_MS --send "HELLO version=1 kind=agent" \
    --send "REGISTER_AGENT hostname=a resources=cpus:1;mem:64" --await READ_FILE \
    --await NEVER > "$TMP/a.out" 2>&1 &
lib_track_pid $!
check "agent A registers" wait_for 5 lib_has_line "$TMP/a.out" '^AGENT_REGISTERED' || exit 1
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout $PEER_MS --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=probe user=tester" --await OFFER \
    --send "ACCEPT offer_id={offer_id} task_id=t1 name=t1 command=true resources=cpus:0.1;mem:8" \
    --await NEVER > "$TMP/fw.out" 2>&1 &
lib_track_pid $!
check "the task goes to agent A" wait_for 5 lib_has_line "$TMP/a.out" '^RUN_TASK .*task_id=t1' || exit 1
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout $CLI_MS --send "HELLO version=1 kind=cli" \
    --send "READ_FILE task_id=t1 path=stdout" --await FILE_ > "$TMP/cli.out" 2>&1 &
CLI=$!
lib_track_pid $CLI
check "agent A is asked" wait_for 5 lib_has_line "$TMP/a.out" '^READ_FILE ' || exit 1
RID=$(sed -n 's/^READ_FILE .*request_id=\([^ ]*\).*/\1/p' "$TMP/a.out")
check "the request ID is 128 random bits in hex" sh -c "echo '$RID' | grep -q -x '[0-9a-f]\{32\}'"
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 2000 --send "HELLO version=1 kind=agent" \
    --send "REGISTER_AGENT hostname=b2 resources=cpus:1;mem:64" --await AGENT_REGISTERED \
    --send "FILE_DATA request_id=$RID offset=0 eof=true data=forged" --await ERROR > "$TMP/b.out" 2>&1
check "agent B's answer is refused" grep -q '^ERROR .*not%20asked' "$TMP/b.out"
wait "$CLI"
check "the operator does not get it" sh -c "! grep -q forged '$TMP/cli.out'"
counted () {
	ctl get /metrics/snapshot | grep -q '"master/invalid_file_replies":1\.0'
}
check "counted in /metrics" counted
# The first guesses of the old sequential IDs, from agent B again.
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 2000 --send "HELLO version=1 kind=agent" \
    --send "REGISTER_AGENT hostname=b3 resources=cpus:1;mem:64" --await AGENT_REGISTERED \
    --send "FILE_DATA request_id=r0 data=x" --send "FILE_DATA request_id=r1 data=x" \
    --send "PING" --await PONG > "$TMP/b3.out" 2>&1
check "unknown request IDs are ignored, the master serves on" grep -q '^PONG' "$TMP/b3.out"
FW_ID=$(sed -n 's/^SUBSCRIBED .*framework_id=\([^ ]*\).*/\1/p' "$TMP/fw.out")
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 2000 --send "HELLO version=1 kind=agent" \
    --send "REGISTER_AGENT hostname=b4 resources=cpus:1;mem:64" --await AGENT_REGISTERED \
    --send "FRAMEWORK_MESSAGE framework_id=$FW_ID executor_id=x data=forged-message" \
    --await ERROR > "$TMP/b4.out" 2>&1
check "an executor message from an agent without the framework's tasks is refused" \
    grep -q '^ERROR .*has%20no%20task%20on%20this%20agent' "$TMP/b4.out"
check "the framework does not get it" sh -c "! grep -q forged-message '$TMP/fw.out'"
check "a FILE_DATA before registering is refused" sh -c "'$PEER' 127.0.0.1 $MASTER_PORT --timeout 2000 \
    --send 'HELLO version=1 kind=agent' --send 'FILE_DATA request_id=$RID data=x' --wait-close |
    grep -q 'before%20REGISTER_AGENT'"

cleanup

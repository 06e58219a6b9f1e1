# tests/t_update_resend.sh: an update the agent resends reaches the framework
# as it first did. A task's TASK_STARTING and TASK_RUNNING go out together;
# while the framework has acknowledged neither, the agent resends the first,
# and the framework must see TASK_STARTING again under its uuid, not a
# second TASK_RUNNING (the master once forwarded the task's latest state).
. "$(dirname "$0")/lib.sh"
plan 4

PEER=$TOP/tests/peer
T=15

start_master || exit 1
start_agent a1 --resources="cpus:1;mem:128;disk:10" --status_update_retry_interval=300ms > /dev/null || exit 1

# A framework that launches one task and never acknowledges its updates.
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 20000 --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=silent user=$(id -un)" --await OFFER \
    --send "ACCEPT offer_id={offer_id} task_id=t1 name=t1 command=sleep%20300 resources=cpus:0.1;mem:8" \
    --await NO_SUCH_LINE > "$TMP/fw.out" 2>&1 &
FW_PID=$!
lib_track_pid "$FW_PID"

# updates_of STATE: the uuids the framework got with STATE for t1, one a line.
updates_of () {
	grep "^STATUS_UPDATE .*task_id=t1 .*state=$1 " "$TMP/fw.out" | sed -n 's/.* uuid=\([^ ]*\).*/\1/p'
}
# resent: the first TASK_STARTING's uuid came again.
resent () {
	su=$(updates_of TASK_STARTING | head -n 1)
	test -n "$su" && grep -c "^STATUS_UPDATE .* uuid=$su\( \|$\)" "$TMP/fw.out" | grep -q '^[2-9]'
}
check "the task runs" wait_for $T sh -c "grep -q '^STATUS_UPDATE .*task_id=t1 .*state=TASK_RUNNING ' '$TMP/fw.out'"
check "its TASK_STARTING is resent" wait_for $T resent
STARTING_UUID=$(updates_of TASK_STARTING | head -n 1)
check "every update under that uuid says TASK_STARTING" \
    sh -c "! grep '^STATUS_UPDATE .* uuid=$STARTING_UUID\\( \\|\$\\)' '$TMP/fw.out' | grep -qv 'state=TASK_STARTING '"
check "one TASK_RUNNING uuid only" test "$(updates_of TASK_RUNNING | sort -u | wc -l | tr -d ' ')" -eq 1
[ "$LIB_FAILED" -eq 0 ] || cat "$TMP/fw.out" >&2
kill "$FW_PID" 2>/dev/null
wait "$FW_PID" 2>/dev/null

[ "$LIB_FAILED" -eq 0 ]

# tests/t_agent_disk.sh: an agent whose work dir is full (#18). With two tasks
# running, agentd is killed -9 and started again while no new file can be
# written (--test_disk_full_while, as ENOSPC would): it starts, re-registers
# with the same ID and its tasks, says its disk is full in /master/state and
# the metrics, and once there is room its checkpoints resume and the
# condition clears. A task that ends meanwhile is reported all the same.
. "$(dirname "$0")/lib.sh"
plan 10

FULL=$TMP/disk-is-full
start_master || exit 1
AGENT_FLAGS="--resources=cpus:4;mem:1024;disk:1000 --status_update_retry_interval=200ms --test_disk_full_while=$FULL"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
ID1=$(sed -n 's/.*registered with master as \([^ ]*\).*/\1/p' "$TMP/a1.log" | head -n 1)

"$TOP/tests/fw" "--master=$MASTER" --name=full --instances=2 --timeout=60 \
    --command="if [ \"\$MESOS_TASK_ID\" = full-1 ]; then while [ ! -f '$TMP/go' ]; do sleep 0.05; done; exit 0; fi; exec sleep 300" \
    > "$TMP/fw.out" 2>&1 &
FW=$!
lib_track_pid "$FW"
two_running () {
	[ "$(grep -c 'state=TASK_RUNNING' "$TMP/fw.out")" -eq 2 ]
}
check "two tasks run" wait_for 10 two_running

kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
: > "$FULL"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null
check "with its disk full, agentd starts and re-registers as the same agent" \
    grep -q "re-registered with master as $ID1" "$TMP/a1.log"
check "it says why it cannot checkpoint" grep -q 'No space left on device' "$TMP/a1.log"
disk_full_in_state () {
	ctl get /master/state | grep -q '"disk_full":true'
}
check "/master/state shows the agent's disk full" wait_for 5 disk_full_in_state
check "the metrics count it" sh -c "'$TOP/mesosctl' --master=$MASTER get /metrics/snapshot | grep -q '\"master/slaves_disk_full\":1\.0'"
check "the master has its two tasks running" wait_for 5 sh -c "[ \$('$TOP/mesosctl' --master=$MASTER tasks | grep -c 'full-[01] .*TASK_RUNNING') -eq 2 ]"

# A task ends while the disk is full: its update fits the zeros kept ahead in the journal.
: > "$TMP/go"
check "a task that ends meanwhile is reported" wait_for 10 grep -q 'task_id=full-1 .*state=TASK_FINISHED' "$TMP/fw.out"

rm -f "$FULL"
disk_ok_in_state () {
	ctl get /master/state | grep -q '"disk_full":false'
}
check "with room again the condition clears" wait_for 5 disk_ok_in_state
check "and checkpoints are written again" wait_for 5 grep -q 'checkpoints are written again' "$TMP/a1.log"

# Started on a full disk with nothing to write after (the soak's seed 1218): the failed
# compaction is retried on its own, not only at the next commit that may never come.
kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
: > "$FULL"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null
rm -f "$FULL"
check "an idle agent started on a full disk writes checkpoints again once there is room" \
    wait_for 5 grep -q 'checkpoints are written again' "$TMP/a1.log"

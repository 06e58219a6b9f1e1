# tests/t_bind.sh: messages bound to the agent that sends them, with no
# authentication (issue #17). A Marathon app of 4 instances runs on a real
# agent; then
# - a fake agent registers and reports one of those tasks TASK_FAILED: the
#   master refuses it (logged with the fake's ID, counted in /metrics), so
#   Marathon starts no replacement;
# - a fake agent registers with the real agent's ID and an empty resync while
#   the real agent's connection is alive: it is refused, the real agent stays,
#   none of its tasks turns LOST.
# - another framework sends KILL and TEARDOWN naming Marathon's framework and
#   task: both are refused, they act on the sender alone.
# Each time the app must stay at exactly 4 processes.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch.
T=20
# Seconds an attack is given to turn into extra (or lost) tasks.
HOLD_S=3
PEER=$TOP/tests/peer

. "$(dirname "$0")/lib_marathon.sh"
plan 23
marathon_plugin_dir
start_master $PLUGIN_FLAGS || exit 1
R="cpus:4;mem:2048;disk:1000;ports:[31000-31100]"
start_agent a1 --hostname=h1 "--resources=$R" > /dev/null || exit 1
AGENT_ID=$(sed -n 's/.*registered with master as \([^ ]*\).*/\1/p' "$TMP/a1.log" | head -n 1)
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1
FW_ID=$(sed -n 's/.*plugin marathon: info: registered as framework \([^ ]*\).*/\1/p' \
    "$TMP/master.log" | head -n 1)

# A command no other test runs: its processes are counted.
CMD="sleep 7$$"
procs () {
	ps -eo args | grep -c "^$CMD\$"
}
procs_are () {
	test "$(procs)" -eq "$1"
}
running_are () {
	test "$(curl -s "$API/v2/apps/svc/tasks" | tr '{' '\n' | grep -c '"state":"TASK_RUNNING"')" -eq "$1"
}
metric_is () {
	ctl get /metrics/snapshot | grep -q "\"$1\":$2"
}

# Only h1 may run it: a replacement placed on a fake agent would run nowhere.
check "an app of 4 on h1" test "$(req POST /v2/apps '{"id":"svc","cmd":"'"$CMD"'","cpus":0.1,"mem":8,"instances":4,"constraints":[["hostname","LIKE","h1"]]}')" = 201
check "4 run" wait_for $T running_are 4 || exit 1
check "as 4 processes" wait_for $T procs_are 4
TASK=$(curl -s "$API/v2/apps/svc/tasks" | tr '{' '\n' | sed -n 's/^"id":"\(svc[^"]*\)".*/\1/p' | head -n 1)

# ---- 1: a fake agent's TASK_FAILED for a task on the real agent ----
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 2000 --send "HELLO version=1 kind=agent" \
    --send "REGISTER_AGENT hostname=fake resources=cpus:1;mem:64" --await AGENT_REGISTERED \
    --send "STATUS_UPDATE framework_id=$FW_ID task_id=$TASK state=TASK_FAILED source=SOURCE_EXECUTOR uuid=0123456789abcdef0123456789abcdef" \
    --send "STATUS_UPDATE framework_id=$FW_ID task_id=$TASK state=TASK_FAILED source=SOURCE_EXECUTOR uuid=0123456789abcdef0123456789abcdee" \
    --await NEVER > "$TMP/fake1.out" 2>&1
FAKE_ID=$(sed -n 's/^AGENT_REGISTERED .*agent_id=\([^ ]*\).*/\1/p' "$TMP/fake1.out")
check "the fake agent registered" test -n "$FAKE_ID"
check "its update is refused" grep -q "^ERROR .*not%20on%20this%20agent" "$TMP/fake1.out"
check "logged once, with its ID" test "$(grep -c "agent $FAKE_ID .*not on this agent" "$TMP/master.log")" -eq 1
check "counted in /metrics" metric_is master/invalid_status_updates 2.0
check "the app stays at 4 processes" holds $HOLD_S procs_are 4
check "and 4 running tasks" running_are 4
check "the task is still running" sh -c "curl -s '$API/v2/apps/svc/tasks' | grep -q '\"id\":\"$TASK\".*TASK_RUNNING'"

# ---- 2: a fake agent takes the real agent's ID, with an empty resync ----
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 2000 --send "HELLO version=1 kind=agent" \
    --send "REGISTER_AGENT agent_id=$AGENT_ID hostname=h1 resources=$R" \
    --send "AGENT_RESYNC_DONE" --await NEVER > "$TMP/fake2.out" 2>&1
check "the takeover is refused" grep -q "^ERROR .*is%20connected" "$TMP/fake2.out"
check "the real agent was not kicked off" sh -c "! grep -q 'master .*retrying' '$TMP/a1.log'"
check "the app stays at 4 processes, after the takeover" holds $HOLD_S procs_are 4
check "and 4 running tasks, after the takeover" running_are 4
check "none lost" sh -c "! grep -q 'is TASK_LOST' '$TMP/master.log'"
check "the real agent still serves" state_has "\"id\":\"$AGENT_ID\".*\"active\":true"

# ---- 4: another framework kills Marathon's task, tears Marathon down ----
"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 2000 --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=rogue user=nobody" --await SUBSCRIBED \
    --send "KILL framework_id=$FW_ID task_id=$TASK" --await ERROR \
    --send "TEARDOWN framework_id=$FW_ID" --await ERROR --send "KILL task_id=$TASK" \
    --await STATUS_UPDATE > "$TMP/rogue.out" 2>&1
check "a KILL naming another framework is refused" grep -q "^ERROR .*KILL%20names%20framework" "$TMP/rogue.out"
check "so is a TEARDOWN" grep -q "^ERROR .*TEARDOWN%20names%20framework" "$TMP/rogue.out"
check "a KILL by task ID alone finds no task of its own" grep -q "^STATUS_UPDATE .*task_id=$TASK .*state=TASK_LOST" "$TMP/rogue.out"
check "the app stays at 4 processes, after the rogue framework" holds $HOLD_S procs_are 4
check "Marathon is still subscribed" state_has "\"id\":\"$FW_ID\".*\"active\":true"

cleanup

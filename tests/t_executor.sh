# tests/t_executor.sh: custom executors (examples/executor). Two tasks that
# name the same executor run in one executor process; framework messages go
# scheduler -> executor -> scheduler; garbage and a task the executor was not
# given get an ERROR back while the agent keeps serving; a kill goes through
# the executor; an executor killed with -9 fails its tasks with
# REASON_EXECUTOR_TERMINATED; kill -9 of agentd leaves the executor and its
# tasks running, and what the executor reported meanwhile arrives after the
# restart. The executor is held to the sum of its tasks' memory. A plugin's
# send_message() and framework_message() work.
. "$(dirname "$0")/lib.sh"
plan 27

start_master || exit 1
AGENT_FLAGS="--resources=cpus:4;mem:1024;disk:1000 --status_update_retry_interval=200ms --executor_shutdown_grace_period=1secs --recovery_timeout=20secs --container_memory_watch_interval=200ms"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
EXECUTOR="--field=executor_command=$TOP/examples/executor"

fw () {
	"$TOP/tests/fw" "--master=$MASTER" "$@"
}

# executor_pid FILE TASK: the executor's pid in the task's TASK_RUNNING message.
executor_pid () {
	sed -n "s/.*task_id=$2 .*state=TASK_RUNNING .*message=executor%20pid%20\([0-9]*\).*/\1/p" "$1" | head -n 1
}

# Two tasks, one executor, four messages: an echo, a line the agent cannot
# read, an update for a task the executor was never given, and an echo after.
fw --name=two --instances=2 --timeout=30 --command='sleep 1' --field=executor_id=ex1 "$EXECUTOR" \
    --message=hello '--message=raw:NOT A LINE' '--message=raw:STATUS_UPDATE task_id=nope state=TASK_RUNNING' \
    --message=bye --expect-messages=4 > "$TMP/two.out" 2>&1
check "both tasks of one executor finish" sh -c "[ \$(grep -c 'state=TASK_FINISHED .*source=SOURCE_EXECUTOR' '$TMP/two.out') -eq 2 ]"
check "both ran" sh -c "[ \$(grep -c 'state=TASK_RUNNING' '$TMP/two.out') -eq 2 ]"
P0=$(executor_pid "$TMP/two.out" two-0)
P1=$(executor_pid "$TMP/two.out" two-1)
check "both were reported by one executor process" sh -c "[ -n '$P0' ] && [ '$P0' = '$P1' ]"
check "exactly one executor was started" sh -c "[ \$(grep -c 'launched executor .*//ex1 ' '$TMP/a1.log') -eq 1 ]"
check "it has one sandbox, under its executor ID" sh -c "[ \$(ls '$TMP'/a1/slaves/*/frameworks/*/executors/ex1/runs | grep -cv latest) -eq 1 ]"
check "a framework message goes to the executor and back" grep -q 'FRAMEWORK_MESSAGE .*executor_id=ex1 data=echo:hello' "$TMP/two.out"
check "garbage from the executor gets an ERROR" grep -q "data=error:field%20'A'%20has%20no%20'%3D'" "$TMP/two.out"
check "an update for a task it was not given gets an ERROR" grep -q "data=error:task%20'nope'%20is%20not%20one%20of%20this%20executor's" "$TMP/two.out"
check "and the agent keeps serving it" grep -q 'data=echo:bye' "$TMP/two.out"
executor_gone () {
	! kill -0 "$P0" 2>/dev/null
}
check "an executor with no task left is shut down" wait_for 10 executor_gone
check "the tasks' output is in the executor's sandbox" sh -c "'$TOP/mesosctl' --master=$MASTER ls two-0 | grep -q stdout"

# A kill goes to the executor, which ends the task.
fw --name=kl --timeout=30 --command='sleep 300' --kill-after=200 --field=executor_id=ex2 "$EXECUTOR" \
    > "$TMP/kl.out" 2>&1
check "a task of an executor is killed through it" grep -q 'task_id=kl-0 .*state=TASK_KILLED .*source=SOURCE_EXECUTOR' "$TMP/kl.out"

# The executor dies: its tasks fail.
fw --name=cr --instances=2 --timeout=30 --command='sleep 300' --field=executor_id=ex3 "$EXECUTOR" \
    > "$TMP/cr.out" 2>&1 &
FW=$!
lib_track_pid "$FW"
both_running () {
	[ "$(grep -c 'state=TASK_RUNNING' "$TMP/cr.out")" -eq 2 ]
}
check "two tasks run under a third executor" wait_for 10 both_running
kill -KILL "$(executor_pid "$TMP/cr.out" cr-0)"
wait "$FW"
check "an executor killed with -9 fails its tasks" sh -c "[ \$(grep -c 'state=TASK_FAILED .*reason=REASON_EXECUTOR_TERMINATED' '$TMP/cr.out') -eq 2 ]"

# The executor is held to the sum of its tasks' memory (2 x 40 MB here).
fw --name=mem --instances=2 --timeout=30 --resources='cpus:0.1;mem:40' --field=executor_id=ex5 "$EXECUTOR" \
    --command='if [ "$MESOS_TASK_ID" = mem-1 ]; then x=$(dd if=/dev/zero bs=1000000 count=120 2>/dev/null | tr "\0" a); fi; exec sleep 300' \
    > "$TMP/mem.out" 2>&1
check "an executor over its tasks' memory is killed, and its tasks fail with the reason" \
    sh -c "[ \$(grep -c 'state=TASK_FAILED .*reason=REASON_CONTAINER_LIMITATION_MEMORY .*80.0%20MB' '$TMP/mem.out') -eq 2 ]"

# kill -9 agentd: the executor and its tasks stay; what it says meanwhile waits for agentd.
fw --name=rx --instances=2 --timeout=60 --field=executor_id=ex4 "$EXECUTOR" \
    --command="if [ \"\$MESOS_TASK_ID\" = rx-1 ]; then while [ ! -f '$TMP/go' ]; do sleep 0.05; done; : > '$TMP/rx-1.done'; exit 0; fi; exec sleep 300" \
    > "$TMP/rx.out" 2>&1 &
FW=$!
lib_track_pid "$FW"
rx_running () {
	[ "$(grep -c 'state=TASK_RUNNING' "$TMP/rx.out")" -eq 2 ]
}
check "two tasks run under a fourth executor" wait_for 10 rx_running
RXP=$(executor_pid "$TMP/rx.out" rx-0)
kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
: > "$TMP/go"
check "the executor outlives agentd" kill -0 "$RXP"
# rx-1 ends while agentd is down: its update waits with the supervisor.
check "a task of it ends while agentd is down" wait_for 10 test -f "$TMP/rx-1.done"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
check "what the executor reported while agentd was down arrives" \
    wait_for 10 grep -q 'task_id=rx-1 .*state=TASK_FINISHED .*source=SOURCE_EXECUTOR' "$TMP/rx.out"
check "the executor is the same process" kill -0 "$RXP"
check "the master still has its other task running" \
    wait_for 5 sh -c "'$TOP/mesosctl' --master=$MASTER tasks | grep -q 'rx-0 .*TASK_RUNNING'"
ctl kill rx-0 > /dev/null 2>&1
wait "$FW"
check "a task of a recovered executor is killed through it" grep -q 'task_id=rx-0 .*state=TASK_KILLED .*source=SOURCE_EXECUTOR' "$TMP/rx.out"
check "nothing was launched twice" sh -c "[ \$(cat '$TMP'/a1.log* | grep -c 'launched executor .*//ex4 ') -eq 1 ] && [ \$(grep -c 'state=TASK_RUNNING' '$TMP/rx.out') -eq 2 ]"
check "no update reached the framework twice" \
    sh -c "[ -z \"\$(grep -o 'uuid=[0-9a-f]*' '$TMP/rx.out' | sort | uniq -d)\" ]"

# A plugin (run as an external framework) sends and receives framework messages.
printf 'executor=%s\ncommand=sleep 300\n' "$TOP/examples/executor" > "$TMP/messenger.conf"
"$TOP/mesos-plughost" --master="$MASTER" --plugin="$TOP/tests/plugins/messenger.so" \
    --conf="$TMP/messenger.conf" > "$TMP/host.log" 2>&1 &
HOST=$!
lib_track_pid "$HOST"
check "a plugin's send_message() reaches the executor and framework_message() gets the answer" \
    wait_for 10 grep -q 'got 14 bytes from executor msg on .*: echo:ping0pong' "$TMP/host.log"
check "send_message() wants an executor ID" sh -c "! grep -q 'took an empty executor ID' '$TMP/host.log'"
check "and the plugin's kill ends the task" wait_for 10 grep -q 'task messenger-0 is TASK_KILLED' "$TMP/host.log"
stop_pid "$HOST"

[ "$LIB_FAILED" -eq 0 ]

# tests/t_recovery.sh: restarting agentd kills nothing. kill -9 agentd with
# three tasks running and one that exits while it is down, start it again:
# the three are taken back (same processes, nothing launched twice), the
# fourth is reported with its true exit status, the agent keeps its ID.
# Supervisors make their sockets only once agentd is gone. SIGQUIT leaves the same way on purpose. A supervisor killed with its task
# is reported, not waited for. A reboot (another boot id) reports the old
# tasks TASK_LOST; --recover=cleanup kills them and registers a new agent.
. "$(dirname "$0")/lib.sh"
plan 29

start_master || exit 1
AGENT_FLAGS="--resources=cpus:4;mem:1024;disk:1000 --status_update_retry_interval=200ms --recovery_timeout=20secs"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
ID1=$(sed -n 's/.*registered with master as \([^ ]*\).*/\1/p' "$TMP/a1.log" | head -n 1)

fw () {
	"$TOP/tests/fw" "--master=$MASTER" "$@"
}

# meta_of TASK: the checkpoint name of the task's supervisor (its sandbox's run ID; .sock, .status).
meta_of () {
	mo_run=$(readlink "$(ls -d "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest)")
	echo "$TMP/a1/meta/slaves/latest/runs/$mo_run"
}

# supervisor_of PID: the supervisor of the task whose process is PID, its parent.
supervisor_of () {
	ps -o ppid= -p "$1" | tr -d ' '
}

# Four tasks; rec-3 ends (status 7) only when told, while agentd is down.
"$TOP/tests/fw" "--master=$MASTER" --name=rec --instances=4 --timeout=60 \
    --command="echo \$\$ > pid; if [ \"\$MESOS_TASK_ID\" = rec-3 ]; then while [ ! -f '$TMP/go' ]; do sleep 0.05; done; exit 7; fi; exec sleep 300" \
    > "$TMP/rec.out" 2>&1 &
FW=$!
lib_track_pid "$FW"
all_running () {
	[ "$(grep -c 'state=TASK_RUNNING' "$TMP/rec.out")" -eq 4 ]
}
check "four tasks run" wait_for 10 all_running
pid_of () {
	cat "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest/pid 2>/dev/null
}
check "each task recorded its pid" sh -c "for t in rec-0 rec-1 rec-2 rec-3; do [ -s \"\$(ls -d '$TMP'/a1/slaves/*/frameworks/*/executors/\$t/runs/latest)/pid\" ] || exit 1; done"
P0=$(pid_of rec-0)
P1=$(pid_of rec-1)
P2=$(pid_of rec-2)
# sockets_up N: N supervisors listen for a restarted agentd.
sockets_up () {
	[ "$(find "$TMP/a1/meta/slaves" -name '*.sock' -type s | wc -l | tr -d ' ')" -eq "$1" ]
}
check "no supervisor makes its socket while agentd is there" sockets_up 0

kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
check "the tasks outlive agentd" sh -c "kill -0 $P0 && kill -0 $P1 && kill -0 $P2"
check "with agentd gone, each supervisor listens on its socket" wait_for 10 sockets_up 4
: > "$TMP/go"
status_written () {
	[ -f "$(meta_of rec-3).status" ]
}
check "the task that ends while agentd is down leaves its status with its supervisor" wait_for 10 status_written

# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
check "agentd re-registers with the same agent ID" grep -q "re-registered with master as $ID1" "$TMP/a1.log"
check "the ended task is reported with its true exit status" \
    wait_for 10 grep -q 'task_id=rec-3 .*state=TASK_FAILED .*message=exited%20with%20status%207' "$TMP/rec.out"
status_gone () {
	[ ! -e "$(meta_of rec-3).status" ]
}
check "and its status file goes once the task is forgotten" wait_for 10 status_gone
check "the running tasks are the same processes" sh -c "kill -0 $P0 && kill -0 $P1 && kill -0 $P2"
check "nothing was launched again" sh -c "! grep -q 'launched task' '$TMP/a1.log'"
check "each task has one sandbox run" sh -c "for t in rec-0 rec-1 rec-2 rec-3; do [ \$(ls '$TMP'/a1/slaves/*/frameworks/*/executors/\$t/runs | grep -cv latest) -eq 1 ] || exit 1; done"
check "the master still has the three running" wait_for 5 sh -c "[ \$('$TOP/mesosctl' --master=$MASTER tasks | grep -c 'rec-[0-2] .*TASK_RUNNING') -eq 3 ]"

# SIGQUIT: agentd leaves on purpose without touching the tasks.
kill -QUIT "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
check "SIGQUIT leaves the tasks running" sh -c "kill -0 $P0 && kill -0 $P1 && kill -0 $P2"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
# A second restart reads the journal the first one compacted (acknowledged updates dropped): the
# tasks' states must survive it, or the agent re-registers them as TASK_STAGING for good.
check "after a second restart each supervisor is back in touch" \
    wait_for 10 sh -c "[ \$(grep -c 'back in touch (running)' '$TMP/a1.log') -eq 3 ]"
check "and the master still has the three running" wait_for 5 sh -c "[ \$('$TOP/mesosctl' --master=$MASTER tasks | grep -c 'rec-[0-2] .*TASK_RUNNING') -eq 3 ]"

# A supervisor killed with its task: reported, not waited for.
SUP1=$(supervisor_of "$P1")
check "the supervisor of a task can be found" sh -c "ps -o args= -p '$SUP1' | grep -q mesos-executor"
kill -KILL "$SUP1" "$P1"
check "a task whose supervisor died is reported failed" \
    wait_for 10 grep -q 'task_id=rec-1 .*state=TASK_FAILED .*reason=REASON_EXECUTOR_TERMINATED' "$TMP/rec.out"

# The rest end through their supervisors; each state reached the framework exactly once.
ctl kill rec-0 > /dev/null 2>&1
ctl kill rec-2 > /dev/null 2>&1
wait "$FW"
check "the framework saw every task to its end" sh -c "[ \$(grep -c 'state=TASK_KILLED' '$TMP/rec.out') -eq 2 ]"
check "no update reached the framework twice" \
    sh -c "[ -z \"\$(grep -o 'uuid=[0-9a-f]*' '$TMP/rec.out' | sort | uniq -d)\" ]"
check "no task ran twice" sh -c "[ \$(grep -c 'task_id=rec-[0-3] .*state=TASK_RUNNING' '$TMP/rec.out') -eq 4 ]"

# A reboot: the old boot's tasks are gone and reported lost.
fw --name=boot --command='echo $$ > pid; exec sleep 300' --timeout=30 > "$TMP/boot.out" 2>&1 &
FW=$!
lib_track_pid "$FW"
check "a task runs before the reboot" wait_for 10 grep -q 'state=TASK_RUNNING' "$TMP/boot.out"
BOOT_PID=$(pid_of boot-0)
kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
echo "another-boot" > "$TMP/a1/meta/boot_id"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
check "after a reboot the old tasks are reported lost" \
    wait_for 10 grep -q 'state=TASK_LOST .*reason=REASON_AGENT_RESTARTED' "$TMP/boot.out"
task_gone () {
	! kill -0 "$BOOT_PID" 2>/dev/null
}
check "and whatever of them still ran is killed" wait_for 10 task_gone
wait "$FW"

# --recover=cleanup: kill the checkpoint's tasks, register as a new agent.
fw --name=clean --command='echo $$ > pid; exec sleep 300' --timeout=30 > "$TMP/clean.out" 2>&1 &
FW=$!
lib_track_pid "$FW"
check "a task runs before the cleanup" wait_for 10 grep -q 'state=TASK_RUNNING' "$TMP/clean.out"
CLEAN_PID=$(pid_of clean-0)
kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS --recover=cleanup > /dev/null || exit 1
ID2=$(sed -n 's/.*registered with master as \([^ ]*\).*/\1/p' "$TMP/a1.log" | head -n 1)
check "--recover=cleanup registers a new agent" test "$ID2" != "$ID1"
CLEAN_PID_KEEP=$CLEAN_PID
cleaned () {
	! kill -0 "$CLEAN_PID_KEEP" 2>/dev/null
}
check "--recover=cleanup kills the old tasks" wait_for 10 cleaned
check "its framework hears the old task is gone (the agent's ID changed)" \
    wait_for 10 grep -q 'task_id=clean-0 .*state=TASK_GONE .*reason=REASON_AGENT_RESTARTED' "$TMP/clean.out"
check "the master no longer lists the old agent" \
    sh -c "! '$TOP/mesosctl' --master=$MASTER agents | grep -q '$ID1'"
kill -TERM "$FW" 2>/dev/null

[ "$LIB_FAILED" -eq 0 ]

# tests/t_agent.sh: the agent end to end against a real master: registration
# with given and detected resources, tasks that finish, fail and get killed
# (one that ignores SIGTERM dies by SIGKILL after its grace period, leaving no
# process behind), the task's environment and sandbox files, re-registration
# with the same ID after a master restart, an orderly exit on SIGTERM, and
# bad flags refused with one clear line.
. "$(dirname "$0")/lib.sh"
plan 41

start_master || exit 1
# Agents must not hand their own MESOS_ variables down to tasks.
MESOS_AGENT_TEST_MARKER=1
export MESOS_AGENT_TEST_MARKER
start_agent a1 --resources="cpus:2;mem:512;disk:100;ports:[31000-31009]" \
    --attributes="rack:r1;level:10" --hostname=agent-one > /dev/null || exit 1
start_agent a2 --hostname=agent-two > /dev/null || exit 1

ctl get /master/state > "$TMP/state.json"
check "state lists the agent's hostname" grep -q '"hostname":"agent-one"' "$TMP/state.json"
check "state shows the given cpus" grep -q '"cpus":2\.0' "$TMP/state.json"
check "state shows the given ports" grep -q '"ports":"\[31000-31009\]"' "$TMP/state.json"
check "state shows text attributes" grep -q '"rack":"r1"' "$TMP/state.json"
check "state shows scalar attributes" grep -q '"level":10\.0' "$TMP/state.json"
check "an agent without --resources offers the default ports" grep -q '"ports":"\[31000-32000\]"' "$TMP/state.json"
check "an agent without --resources detects its memory and disk" \
    grep -q 'resources cpus:[0-9.]*;disk:[0-9.]*;mem:[0-9.]*;ports:\[31000-32000\]' "$TMP/a2.log"

# Tasks go to whichever agent is offered first; these helpers look in both.
sandbox_of () {
	for so_dir in "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest \
	    "$TMP"/a2/slaves/*/frameworks/*/executors/"$1"/runs/latest; do
		if [ -d "$so_dir" ]; then
			echo "$so_dir"
			return 0
		fi
	done
	return 1
}

task_id_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}

# A task that finishes; its environment and files.
ctl run --name=hello --resources="cpus:0.1;mem:32;ports:[31005-31006]" --env=GREETING=hello \
    --command='echo "out $MESOS_TASK_ID"; echo "err line" >&2; env > env.txt' > "$TMP/run1.out" 2>&1
rc=$?
T1=$(task_id_of "$TMP/run1.out")
check "a task that exits 0 finishes" sh -c "[ $rc -eq 0 ] && grep -q 'TASK_FINISHED exited with status 0' '$TMP/run1.out'"
check "its updates come in order" sh -c "grep -o 'TASK_[A-Z]*' '$TMP/run1.out' | tr '\n' ' ' | grep -q 'TASK_STARTING TASK_RUNNING TASK_FINISHED'"
SB1=$(sandbox_of "$T1")
check "the sandbox follows the Mesos layout with a latest link" test -L "$(dirname "$SB1")/latest"
check "stdout is a file in the sandbox" grep -qx "out $T1" "$SB1/stdout"
check "stderr is a file in the sandbox" grep -qx "err line" "$SB1/stderr"
check "MESOS_TASK_ID is set" grep -qx "MESOS_TASK_ID=$T1" "$SB1/env.txt"
check "MESOS_SANDBOX is the sandbox" sh -c "grep -q '^MESOS_SANDBOX=$TMP/a[12]/slaves/.*/executors/$T1/runs/' '$SB1/env.txt'"
check "MESOS_AGENT_ID and MESOS_FRAMEWORK_ID are set" sh -c "grep -q '^MESOS_AGENT_ID=.*-S' '$SB1/env.txt' && grep -q '^MESOS_FRAMEWORK_ID=.' '$SB1/env.txt'"
check "ports are exported as PORT0, PORT1, PORTS" sh -c "grep -qx 'PORT0=31005' '$SB1/env.txt' && grep -qx 'PORT1=31006' '$SB1/env.txt' && grep -qx 'PORTS=31005,31006' '$SB1/env.txt'"
check "the task's env entries are set" grep -qx 'GREETING=hello' "$SB1/env.txt"
check "the agent's own MESOS_ variables are not passed on" sh -c "! grep -q '^MESOS_AGENT_TEST_MARKER=' '$SB1/env.txt'"
check "mesosctl cat reads a finished task's stdout" sh -c "'$TOP/mesosctl' --master=$MASTER cat $T1 | grep -qx 'out $T1'"
check "mesosctl cat reads a finished task's stderr" sh -c "'$TOP/mesosctl' --master=$MASTER cat $T1 stderr | grep -qx 'err line'"
ln -s /etc "$SB1/escape"
ctl cat "$T1" escape/passwd > "$TMP/cat.out" 2>&1
check "a symlink out of the sandbox is refused" grep -q 'path outside the sandbox' "$TMP/cat.out"
ctl cat "$T1" ../../../../../../../etc/passwd > "$TMP/cat.out" 2>&1
check "a path with .. is refused" grep -q 'path outside the sandbox' "$TMP/cat.out"

# A task that fails, and one killed by a signal.
ctl run --name=fails --resources="cpus:0.1;mem:32" --command='exit 3' > "$TMP/run2.out" 2>&1
check "a task that exits 3 fails with its status" sh -c "grep -q 'TASK_FAILED.*exited with status 3' '$TMP/run2.out'"
ctl run --name=crash --resources="cpus:0.1;mem:32" --command='kill -SEGV $$' > "$TMP/run3.out" 2>&1
check "a task killed by a signal fails with the signal" sh -c "grep -q 'TASK_FAILED.*killed by signal 11 (SIGSEGV)' '$TMP/run3.out'"
ctl run --name=nocmd --resources="cpus:0.1;mem:32" --command='/no/such/program' > "$TMP/run4.out" 2>&1
check "a command that cannot run fails with status 127" sh -c "grep -q 'TASK_FAILED.*exited with status 127' '$TMP/run4.out'"

# A task that ignores SIGTERM: SIGKILL after its grace period, nothing left.
ctl run --name=stubborn --resources="cpus:0.1;mem:32" --grace=500ms \
    --command='trap "" TERM; echo $$ > pids; sleep 300 & echo $! >> pids; wait' > "$TMP/run5.out" 2>&1 &
RUN5=$!
lib_track_pid "$RUN5"
wait_for 10 grep -q TASK_RUNNING "$TMP/run5.out"
T5=$(task_id_of "$TMP/run5.out")
pids_recorded () {
	SB5=$(sandbox_of "$T5") && [ "$(wc -l < "$SB5/pids")" -eq 2 ]
}
check "the stubborn task records its pids" wait_for 10 pids_recorded
ctl kill "$T5" > /dev/null 2>&1
check "its kill is reported as TASK_KILLED by SIGKILL" wait_for 10 grep -q 'TASK_KILLED killed by signal 9 (SIGKILL)' "$TMP/run5.out"
check "the agent waited for the grace period" grep -q "task .*/$T5 did not exit within its grace period" "$TMP/a1.log" "$TMP/a2.log"
none_alive () {
	while read -r na_pid; do
		kill -0 "$na_pid" 2>/dev/null && return 1
	done < "$SB5/pids"
	return 0
}
check "no process of the task is left" wait_for 5 none_alive
wait "$RUN5" 2>/dev/null

# A master restart: the agents re-register with the IDs they had.
ID1=$(sed -n 's/.*registered with master as \([^ ]*\).*/\1/p' "$TMP/a1.log" | head -n 1)
restart_master
check "the agent re-registers with its ID after a master restart" \
    wait_for 10 grep -q "re-registered with master as $ID1" "$TMP/a1.log"
check "the master knows the agent again" wait_for 10 state_has '"hostname":"agent-one"'

# SIGTERM: the agent kills its tasks, reports them, exits 0.
start_agent a3 --hostname=agent-three --executor_shutdown_grace_period=300ms \
    --resources="cpus:1;mem:256;only_a3:1" > /dev/null || exit 1
AGENT3=$AGENT_PID_a3
ctl run --name=busy --resources="cpus:0.1;mem:32;only_a3:1" --command='trap "" TERM; sleep 300' > "$TMP/run6.out" 2>&1 &
RUN6=$!
lib_track_pid "$RUN6"
check "a task runs on the third agent" wait_for 10 grep -q TASK_RUNNING "$TMP/run6.out"
kill -TERM "$AGENT3"
wait "$AGENT3"
rc=$?
check "agentd exits 0 on SIGTERM" test "$rc" -eq 0
check "it killed its task within the shutdown grace period" grep -q 'did not exit within its grace period' "$TMP/a3.log"
check "the task's end reached the framework" wait_for 10 grep -q 'TASK_KILLED' "$TMP/run6.out"
stop_pid "$RUN6"

# Bad flags: one clear line, exit 1.
bad_flag () {
	bf_desc=$1
	bf_expect=$2
	shift 2
	"$TOP/agentd" "$@" > "$TMP/flag.out" 2>&1
	bf_rc=$?
	if [ "$bf_rc" -eq 1 ] && [ "$(wc -l < "$TMP/flag.out")" -eq 1 ] && grep -q -- "$bf_expect" "$TMP/flag.out"; then
		pass "agentd refuses $bf_desc"
	else
		cat "$TMP/flag.out" >&2
		fail "agentd refuses $bf_desc (exit $bf_rc)"
	fi
}
bad_flag "a bad resource string" "bad --resources: .*cpus:x" --master="$MASTER" --work_dir="$TMP/bad" --resources="cpus:x"
bad_flag "an unknown flag" "unknown flag '--frobnicate'" --master="$MASTER" --frobnicate=1
bad_flag "a bad duration" "executor_shutdown_grace_period" --master="$MASTER" --executor_shutdown_grace_period=soon
bad_flag "bad attributes" "bad --attributes" --master="$MASTER" --work_dir="$TMP/bad" --attributes="rack"
bad_flag "a missing --master" "--master is required" --work_dir="$TMP/bad"
"$TOP/agentd" --help > "$TMP/help.out" 2>&1
check "agentd --help lists its flags" sh -c "[ $? -eq 0 ] && grep -q executor_shutdown_grace_period '$TMP/help.out'"

[ "$LIB_FAILED" -eq 0 ]

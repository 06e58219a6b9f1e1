# tests/t_launch_crash.sh: kill -9 of agentd in the middle of a stream of
# launches (bench/launch_bench, 8 in flight) loses no task and starts none
# twice: agentd comes back on the same work dir, every task the framework
# launched ends TASK_FINISHED, or is reported failed (TASK_DROPPED,
# TASK_LOST) before it ever started, and each task that started has exactly
# one sandbox run and one TASK_RUNNING.
. "$(dirname "$0")/lib.sh"
plan 5

# Enough to be killed in the middle of, few enough for make check.
TASKS=120
KILL_AFTER=30
if [ ! -x "$TOP/bench/launch_bench" ]; then
	skip_rest "bench/launch_bench is not built"
	exit 0
fi

start_master || exit 1
AGENT_FLAGS="--resources=cpus:100;mem:100000;disk:1000 --status_update_retry_interval=200ms --recovery_timeout=20secs"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1

# Tasks as whoever runs the test (root included, as make bench does).
MESOS_ALLOW_ROOT_TASKS=true "$TOP/bench/launch_bench" "$MASTER" "$TASKS" 8 2 "$(id -un)" \
    > "$TMP/launch.out" 2> "$TMP/launch.err" &
LB=$!
lib_track_pid "$LB"

# sandboxes: how many tasks have a sandbox (were started) so far.
sandboxes () {
	ls -d "$TMP"/a1/slaves/*/frameworks/*/executors/* 2>/dev/null | wc -l | tr -d ' '
}
started_some () {
	[ "$(sandboxes)" -ge "$KILL_AFTER" ]
}
check "tasks are being launched" wait_for 30 started_some
kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1

lb_done () {
	! kill -0 "$LB" 2>/dev/null
}
check "the launches finish after agentd's restart" wait_for 120 lb_done
wait "$LB"
LB_RC=$?
# ACCEPTs on offers the master rescinded when agentd went away are refused
# with TASK_DROPPED, and a launch agentd got but had not journaled when it
# died is reported TASK_LOST when it comes back: the framework is told of
# each, and none of them started (no TASK_RUNNING, no supervisor's stdout).
check "every task ended TASK_FINISHED, or failed before it started" sh -c "[ $LB_RC -eq 0 ] ||
	grep -q '^launch_bench: [0-9]* of $TASKS tasks failed, [0-9]* of them TASK_DROPPED, 0 after TASK_RUNNING' \
	    '$TMP/launch.err' || { cat '$TMP/launch.err' >&2; exit 1; }"
# unstarted: the sandbox of each failed task (if agentd made one) has no stdout.
check "no failed task had been started" sh -c "for t in \$(sed -n 's/^launch_bench: failed: \\([^ ]*\\) .*/\\1/p' '$TMP/launch.err'); do
	! ls '$TMP'/a1/slaves/*/frameworks/*/executors/\$t/runs/*/stdout 2> /dev/null || exit 1; done"
# The run directories of each task (the latest link aside): one at most (none
# when agentd died making its sandbox, the task reported lost).
check "no task was started twice" sh -c "! grep -q 'TASK_RUNNING twice' '$TMP/launch.err' &&
	for d in '$TMP'/a1/slaves/*/frameworks/*/executors/*; do
	[ \$(ls \"\$d/runs\" 2> /dev/null | grep -vc '^latest\$') -le 1 ] || { echo \"\$d: \$(ls \"\$d/runs\")\" >&2; exit 1; }; done"

# tests/t_launch_crash.sh: kill -9 of agentd in the middle of a stream of
# launches (bench/launch_bench, 8 in flight) loses no task and starts none
# twice: agentd comes back on the same work dir, every task the framework
# launched ends TASK_FINISHED (or TASK_DROPPED, never started, when its
# ACCEPT met an offer rescinded by the crash), and each task that started
# has exactly one sandbox run and one TASK_RUNNING.
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
# with TASK_DROPPED: those tasks never started, and the framework was told.
DROPPED=0
if [ "$LB_RC" -ne 0 ]; then
	DROPPED=$(sed -n 's/.*tasks failed, \([0-9]*\) of them TASK_DROPPED.*/\1/p' "$TMP/launch.err")
fi
check "every task ended TASK_FINISHED, or TASK_DROPPED unstarted" sh -c "[ $LB_RC -eq 0 ] ||
	grep -q '^launch_bench: $DROPPED of $TASKS tasks failed, $DROPPED of them' '$TMP/launch.err' ||
	{ cat '$TMP/launch.err' >&2; exit 1; }"
check "each task not dropped has a sandbox" sh -c "[ \$(ls -d '$TMP'/a1/slaves/*/frameworks/*/executors/* | wc -l) -eq $((TASKS - ${DROPPED:-0})) ]"
# runs: the run directories of each task (the latest link aside): one each.
check "no task was started twice" sh -c "! grep -q 'TASK_RUNNING twice' '$TMP/launch.err' &&
	for d in '$TMP'/a1/slaves/*/frameworks/*/executors/*; do
	[ \$(ls \"\$d/runs\" | grep -vc '^latest\$') -eq 1 ] || { echo \"\$d: \$(ls \"\$d/runs\")\" >&2; exit 1; }; done"

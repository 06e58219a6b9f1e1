# tests/t_sup_exit.sh: after agentd's clean exit no supervisor waits for it
# (#18). A supervisor held back (SIGSTOP) past agentd's shutdown deadline
# finds, once it runs again, that agentd left for good: it ends its task and
# exits at once instead of waiting --recovery_timeout for an agentd that is
# not coming back, and leaves the task's end in RUN.status all the same.
. "$(dirname "$0")/lib.sh"
plan 4

start_master || exit 1
start_agent a1 --resources="cpus:1;mem:256;disk:100" --executor_shutdown_grace_period=200ms \
    --recovery_timeout=10mins > /dev/null || exit 1

ctl run --name=held --command='echo $$ > pid; exec sleep 300' > "$TMP/held.out" 2>&1 &
RUN=$!
lib_track_pid "$RUN"
check "a task runs" wait_for 10 grep -q 'TASK_RUNNING' "$TMP/held.out"
# The task's own pid, from its sandbox (never a look-alike of another test's), and its parent.
pid_file () {
	cat "$TMP"/a1/slaves/*/frameworks/*/executors/held-*/runs/latest/pid 2>/dev/null
}
wait_for 10 pid_file
TASK_PID=$(pid_file)
SUP=$(ps -o ppid= -p "$TASK_PID" | tr -d ' ')
case "$(ps -o args= -p "$SUP")" in
*mesos-executor*) ;;
*) fail "no supervisor found for the task"; exit 1 ;;
esac

kill -STOP "$SUP"
stop_pid "$AGENT_PID_a1"
check "agentd gave up waiting for the held supervisor and exited" \
    grep -q 'shutdown took longer than the grace period' "$TMP/a1.log"
kill -CONT "$SUP"
gone () {
	! kill -0 "$SUP" 2>/dev/null
}
check "the supervisor exits instead of waiting for agentd" wait_for 10 gone
check "its task is gone too" sh -c "! kill -0 $TASK_PID 2>/dev/null"

# tests/t_spawner.sh: the supervisor spawner (spawner.h). agentd starts one;
# tasks' supervisors are its children. Killed, it is missed: tasks still
# launch (with exec) and it comes back; supervisors it forked carry on. It
# leaves with agentd, whether agentd stops or is killed. A supervisor sent
# SIGTERM takes its task with it.
. "$(dirname "$0")/lib.sh"
plan 24

start_master || exit 1
AGENT_FLAGS="--resources=cpus:4;mem:1024;disk:1000 --status_update_retry_interval=200ms"
# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1

# spawner_of AGENT_PID: the pid of its spawner, empty if it has none.
spawner_of () {
	ps -e -o pid= -o ppid= -o args= | awk -v a="$1" \
	    '$2 == a && $3 ~ /mesos-executor$/ && $4 == "--spawner" { print $1 }'
}
parent_of () {
	ps -o ppid= -p "$1" | tr -d ' '
}
gone () {
	! kill -0 "$1" 2>/dev/null
}
# task_pid NAME: the pid its command wrote into its sandbox.
task_pid () {
	cat "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest/pid 2>/dev/null
}
has_pid () {
	[ -s "$(ls -d "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest 2>/dev/null)/pid" ]
}
run_task () {
	"$TOP/tests/fw" "--master=$MASTER" "--name=$1" --instances=1 --timeout=60 \
	    --command='echo $$ > pid; exec sleep 300' > "$TMP/$1.out" 2>&1 &
	lib_track_pid "$!"
}

check "agentd starts a spawner" wait_for 5 sh -c "[ -n \"\$(ps -e -o pid= -o ppid= -o args= | awk -v a=$AGENT_PID_a1 '\$2 == a && \$4 == \"--spawner\"')\" ]"
SPAWNER=$(spawner_of "$AGENT_PID_a1")

run_task one
check "a task runs" wait_for 10 has_pid one-0
SUP=$(parent_of "$(task_pid one-0)")
check "its supervisor is a child of the spawner" test "$(parent_of "$SUP")" = "$SPAWNER"

kill -KILL "$SPAWNER"
check "agentd sees its spawner go" wait_for 5 grep -q 'supervisor spawner is gone' "$TMP/a1.log"
check "a task's supervisor outlives the spawner" kill -0 "$SUP"
run_task two
check "tasks still launch without it" wait_for 10 has_pid two-0
check "agentd starts the spawner again" wait_for 10 sh -c "s=\$(ps -e -o pid= -o ppid= -o args= | awk -v a=$AGENT_PID_a1 '\$2 == a && \$4 == \"--spawner\" { print \$1 }'); [ -n \"\$s\" ] && [ \"\$s\" != $SPAWNER ]"
SPAWNER=$(spawner_of "$AGENT_PID_a1")
run_task three
check "the new spawner forks the next supervisors" wait_for 10 has_pid three-0
check "... as its children" test "$(parent_of "$(parent_of "$(task_pid three-0)")")" = "$SPAWNER"

# The supervisor whose spawner died still answers agentd: a kill goes through it.
ctl kill one-0 > /dev/null 2>&1
check "a task whose spawner died is killed through its supervisor" \
    wait_for 10 grep -q 'task_id=one-0 .*state=TASK_KILLED' "$TMP/one.out"

# SIGTERM to a supervisor: its task does not outlive it, and agentd reports the end it left.
run_task four
check "another task runs" wait_for 10 has_pid four-0
P4=$(task_pid four-0)
kill -TERM "$(parent_of "$P4")"
check "a supervisor stopped with SIGTERM kills its task" wait_for 10 gone "$P4"
check "... and the framework hears TASK_KILLED" \
    wait_for 10 grep -q 'task_id=four-0 .*state=TASK_KILLED' "$TMP/four.out"

# A supervisor whose task ended cleanly serves the next one (spawner.h): the same
# process, each task's usage its own, one killed while idle simply replaced.
run_to_end () {
	"$TOP/tests/fw" "--master=$MASTER" "--name=$1" --instances=1 --timeout=60 --command="$2" \
	    > "$TMP/$1.out" 2>&1
}
sup_of () {
	cat "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest/sup 2>/dev/null
}
user_secs () {
	sed -n "s/.*task_id=$1-0 .*state=TASK_FINISHED .*cpus_user_time_secs=\([0-9.]*\).*/\1/p" "$TMP/$1.out"
}
run_to_end busy 'echo $PPID > sup; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'
run_to_end idle 'echo $PPID > sup'
check "a task after another is served by the same supervisor" \
    sh -c "[ -n '$(sup_of busy-0)' ] && [ '$(sup_of busy-0)' = '$(sup_of idle-0)' ]"
check "... and reports its own cpu time, not the one before's" \
    awk -v busy="$(user_secs busy)" -v idle="$(user_secs idle)" \
    'BEGIN { exit !(busy != "" && idle != "" && busy > 0.1 && idle < busy / 10) }'
REUSED=$(sup_of idle-0)
kill -KILL "$REUSED"
check "an idle supervisor killed is gone" wait_for 5 gone "$REUSED"
run_to_end after 'echo $PPID > sup'
check "the next task gets a new one" \
    sh -c "grep -q 'task_id=after-0 .*state=TASK_FINISHED' '$TMP/after.out' && [ -n '$(sup_of after-0)' ] && [ '$(sup_of after-0)' != '$REUSED' ]"
IDLE_SUP=$(sup_of after-0)

# kill -9 agentd: the spawner sees its socket close and leaves; the tasks stay.
P3=$(task_pid three-0)
kill -KILL "$AGENT_PID_a1"
wait "$AGENT_PID_a1" 2>/dev/null
check "the spawner leaves when agentd is killed" wait_for 5 gone "$SPAWNER"
check "... and so does its idle supervisor" wait_for 5 gone "$IDLE_SUP"
check "the tasks stay" kill -0 "$P3"

# shellcheck disable=SC2086
start_agent a1 $AGENT_FLAGS > /dev/null || exit 1
check "a restarted agentd has a spawner" wait_for 5 sh -c "[ -n \"\$(ps -e -o pid= -o ppid= -o args= | awk -v a=$AGENT_PID_a1 '\$2 == a && \$4 == \"--spawner\"')\" ]"
SPAWNER=$(spawner_of "$AGENT_PID_a1")
check "it takes the tasks back" wait_for 10 grep -q 'its supervisor is back in touch' "$TMP/a1.log"
stop_pid "$AGENT_PID_a1"
check "the spawner leaves when agentd stops" wait_for 5 gone "$SPAWNER"
check "and so do the tasks, killed by the stop" wait_for 10 gone "$P3"

[ "$LIB_FAILED" -eq 0 ]

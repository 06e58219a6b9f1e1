# tests/t_partition.sh: partition awareness as Mesos 1.x. An agent stopped
# (SIGSTOP) past its ping timeout is unreachable: the task of a framework
# that declared PARTITION_AWARE is reported TASK_UNREACHABLE, the other's
# TASK_LOST; /master/state and the metrics count the agent. Continued
# (SIGCONT), the agent re-registers: the partition-aware task is reported
# running again and keeps running, the other is killed.
. "$(dirname "$0")/lib.sh"
plan 12

# Unreachable after 3 missed pings of 200 ms.
start_master --agent_ping_timeout=200ms --max_agent_ping_timeouts=3 || exit 1
start_agent a1 "--resources=cpus:2;mem:1024;disk:1000" > /dev/null || exit 1

# run_fw NAME [FLAGS...]: a framework with one task that writes its pid and sleeps.
run_fw () {
	rf_name=$1
	shift
	"$TOP/tests/fw" "--master=$MASTER" "--name=$rf_name" --timeout=60 --failover-timeout=60 \
	    --command='echo $$ > pid; exec sleep 300' "$@" > "$TMP/$rf_name.out" 2>&1 &
	lib_track_pid "$!"
}
run_fw aware --capabilities=PARTITION_AWARE
run_fw plain

count () {
	grep -c -- "$2" "$TMP/$1.out"
}
at_least () {
	[ "$(count "$1" "$2")" -ge "$3" ]
}
pid_of () {
	cat "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest/pid 2>/dev/null
}
check "both tasks run" wait_for 10 sh -c "grep -q TASK_RUNNING '$TMP/aware.out' && grep -q TASK_RUNNING '$TMP/plain.out' && [ -s \"\$(ls -d '$TMP'/a1/slaves/*/frameworks/*/executors/aware-0/runs/latest)/pid\" ] && [ -s \"\$(ls -d '$TMP'/a1/slaves/*/frameworks/*/executors/plain-0/runs/latest)/pid\" ]"
P_AWARE=$(pid_of aware-0)
P_PLAIN=$(pid_of plain-0)
check "the master lists the capability" state_has '"capabilities":\["PARTITION_AWARE"\]'

kill -STOP "$AGENT_PID_a1"
check "partition-aware: TASK_UNREACHABLE" wait_for 10 at_least aware 'state=TASK_UNREACHABLE' 1
check "the others: TASK_LOST" wait_for 10 at_least plain 'state=TASK_LOST' 1
check "/master/state lists the unreachable agent" state_has '"unreachable_slaves":1,"unreachable_agents":\[{"id":'
check "metrics count it" sh -c "'$TOP/mesosctl' --master=$MASTER get /metrics/snapshot | grep -q '\"master/slaves_unreachable\":1'"

kill -CONT "$AGENT_PID_a1"
check "partition-aware: TASK_RUNNING again" wait_for 15 at_least aware 'state=TASK_RUNNING' 2
check "its process kept running" kill -0 "$P_AWARE"
gone () {
	! kill -0 "$1" 2>/dev/null
}
check "the other's task is killed" wait_for 15 gone "$P_PLAIN"
check "the agent is reachable again" wait_for 10 state_has '"unreachable_slaves":0,'
check "the master runs the partition-aware task" sh -c "'$TOP/mesosctl' --master=$MASTER tasks | grep aware-0 | grep -q TASK_RUNNING"
check "no task of the other framework is left" sh -c "! '$TOP/mesosctl' --master=$MASTER tasks | grep plain-0 | grep -q -e TASK_RUNNING -e TASK_STAGING"

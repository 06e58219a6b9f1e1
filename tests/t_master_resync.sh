# tests/t_master_resync.sh: an agent that re-registers lists its tasks
# (AGENT_TASK) and ends with AGENT_RESYNC_DONE; a task of its own it no
# longer lists is lost, the ones it lists stay, through any number of
# re-registrations (the master marks each task with the round it was
# listed in, it keeps no set of listed keys).
. "$(dirname "$0")/lib.sh"
plan 4

PEER=$TOP/tests/peer

# Pings far apart: the fake agents below never answer one.
start_master --agent_ping_timeout=10secs || exit 1

# rs_agent [--send LINE]...: the agent rs-agent comes back with those lines.
rs_agent () {
	"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 300 --send "HELLO version=1 kind=agent" \
	    --send "REGISTER_AGENT agent_id=rs-agent hostname=rs resources=cpus:2;mem:64" \
	    --await AGENT_REGISTERED "$@" --send "AGENT_RESYNC_DONE" --await NEVER > "$TMP/rs.out" 2>&1
}
# task_state TASK STATE: /master/state shows TASK (its own object) in STATE.
task_state () {
	ctl get /master/state | tr '{' '\n' | grep -q "^\"id\":\"$1\".*\"state\":\"$2\""
}
RS_TASK="AGENT_TASK framework_id=rs-fw framework_name=rs role=rs user=nobody state=TASK_RUNNING resources=cpus:0.1 task_id"

rs_agent --send "$RS_TASK=rs-t1" --send "$RS_TASK=rs-t2" --send "$RS_TASK=rs-t3"
wait_for 5 task_state rs-t3 TASK_RUNNING
check "the third of them is running" task_state rs-t3 TASK_RUNNING
rs_agent --send "$RS_TASK=rs-t1" --send "$RS_TASK=rs-t3"
wait_for 5 task_state rs-t2 TASK_LOST
check "the task the next resync left out is lost" task_state rs-t2 TASK_LOST
rs_agent --send "$RS_TASK=rs-t3"
wait_for 5 task_state rs-t1 TASK_LOST
check "then the next one" task_state rs-t1 TASK_LOST
check "the task every resync listed still runs" task_state rs-t3 TASK_RUNNING

[ "$LIB_FAILED" -eq 0 ]

# tests/t_registry_gc.sh: removed agents are remembered as Mesos's registry
# remembers them: up to --registry_max_agent_count, the oldest forgotten
# first, and for no longer than --registry_max_agent_age (before, the list
# was only ever emptied all at once, when full). An agent restarted with
# --recover=cleanup registers as a new agent and the old one is removed.
. "$(dirname "$0")/lib.sh"
plan 4

start_master --registry_max_agent_count=1 --registry_max_agent_age=3secs || exit 1
remembered () {
	"$TOP/mesosctl" "--master=$MASTER" get /metrics/snapshot |
	    grep -Eq "\"master/slaves_removed_remembered\":$1(\.0)?[,}]"
}
start_agent a1 "--resources=cpus:1;mem:64;disk:10" > /dev/null || exit 1
renew () {
	kill -KILL "$AGENT_PID_a1"
	wait "$AGENT_PID_a1" 2>/dev/null
	start_agent a1 "--resources=cpus:1;mem:64;disk:10" --recover=cleanup > /dev/null
}
renew
check "a removed agent is remembered" wait_for 5 remembered 1
renew
check "removals counted" sh -c "'$TOP/mesosctl' --master=$MASTER get /metrics/snapshot | grep -Eq '\"master/slave_removals\":2(\.0)?[,}]'"
check "past the count the oldest is forgotten" remembered 1
check "past the age every one is forgotten" wait_for 10 remembered 0

# tests/t_split.sh: a plugin never has to know the protocol's limits. An
# app of 5,000 instances on two large agents makes Marathon accept an
# offer with 2,500 tasks (some 10,000 fields, far over PROTO_FIELDS_MAX),
# and its restart reconciles 5,000 task ids in one call: the plugin host
# cuts both into lines that fit (proto_end_split) and the master handles
# the parts as the whole. The agents are bench/loadagents posing as two
# agents that run every task at once, so no process is started per task.
. "$(dirname "$0")/lib.sh"

# Seconds for the plugin to start, launch 5,000 tasks or come back.
T=40
INSTANCES=5000
BIG_AGENT="cpus:1000;mem:1000000;disk:1000000;ports:[10000-60000]"

. "$(dirname "$0")/lib_marathon.sh"
plan 10
if [ ! -x "$TOP/bench/loadagents" ]; then
	skip_rest "bench/loadagents is not built"
	exit 0
fi
marathon_plugin_dir state
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
LOADAGENTS_RESOURCES=$BIG_AGENT "$TOP/bench/loadagents" "$MASTER" 2 600 \
    > "$TMP/agents.out" 2> "$TMP/agents.log" &
lib_track_pid $!
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1
two_agents () {
	test "$(ctl agents | grep -c sim-)" -eq 2
}
check "two large agents" wait_for $T two_agents

running () {
	app_has big "\"tasksRunning\":$INSTANCES,"
}
check "an app of $INSTANCES instances is created" test "$(req POST /v2/apps \
    "{\"id\":\"big\",\"cmd\":\"sleep 1000\",\"cpus\":0.01,\"mem\":1,\"disk\":0,\"instances\":$INSTANCES,\"portDefinitions\":[]}")" = 201
check "all $INSTANCES run" wait_for $T running
check "the plugin was never dropped" sh -c "! grep -q 'too many fields\|line too long' '$TMP/master.log'"
HPID=$(ctl frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
kill -KILL "$HPID" 2>/dev/null
check "the plugin comes back knowing every task" wait_for $T \
    log_has "registered again as framework .* with $INSTANCES known task"
api_url
check "its REST API is back" wait_for $T sh -c "curl -s '$API/ping' | grep -q pong"
# A later launch goes after the reconcile on the same connection: once it
# runs, the master has read the reconcile's parts without dropping the plugin.
check "a small app runs after the reconcile" test "$(req POST /v2/apps \
    '{"id":"small","cmd":"sleep 1000","cpus":0.01,"mem":1,"portDefinitions":[]}')" = 201
small () {
	app_has small '"tasksRunning":1,' && running &&
	    test "$(grep -c 'registered again as framework .* known task' "$TMP/master.log")" -eq 1 &&
	    ! grep -q 'too many fields\|line too long' "$TMP/master.log"
}
check "and the $INSTANCES still run, the plugin not dropped" wait_for $T small

# tests/t_marathon_partition.sh: Marathon under a partition. The plugin
# declares PARTITION_AWARE; an agent stopped (SIGSTOP) past its ping timeout
# leaves its tasks TASK_UNREACHABLE. An app with {inactiveAfterSeconds 1,
# expungeAfterSeconds 600} is replaced after a second; when the agent is
# continued its tasks come back RUNNING and the surplus is killed by
# killSelection (YOUNGEST_FIRST: the replacements), so the app converges to
# exactly its instances. An app with the default {0, 0} forgets its task at
# once: back, it is killed as unknown.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch, and an agent to be given up.
T=20

. "$(dirname "$0")/lib_marathon.sh"
plan 14
marathon_plugin_dir
start_master "--plugins=$TMP/plugins" --agent_ping_timeout=200ms --max_agent_ping_timeouts=3 || exit 1
R="cpus:4;mem:2048;disk:1000;ports:[31000-31100]"
start_agent a1 --hostname=h1 "--resources=$R" > /dev/null || exit 1
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers partition-aware" wait_for $T state_has '"capabilities":\["PARTITION_AWARE"\]'

ids () {
	curl -s "$API/v2/apps/$1/tasks" | tr '{' '\n' | sed -n 's/^"id":"\([^"]*\)".*/\1/p' | sort
}

check "an app of 2 with {1, 600}" test "$(req POST /v2/apps '{"id":"svc","cmd":"sleep 300","cpus":0.1,"mem":8,"instances":2,"unreachableStrategy":{"inactiveAfterSeconds":1,"expungeAfterSeconds":600}}')" = 201
check "an app of 1 with the default {0, 0}" test "$(req POST /v2/apps '{"id":"zz","cmd":"sleep 300","cpus":0.1,"mem":8}')" = 201
check "all on h1" wait_for $T sh -c "[ \"\$(curl -s '$API/v2/apps/svc/tasks' | grep -o '\"host\":\"h1\"[^}]*TASK_RUNNING' | wc -l)\" -eq 2 ] && [ \"\$(curl -s '$API/v2/apps/zz/tasks' | grep -o '\"host\":\"h1\"[^}]*TASK_RUNNING' | wc -l)\" -eq 1 ]"
ORIGINAL=$(ids svc)
ZZ=$(ids zz)
start_agent a2 --hostname=h2 "--resources=$R" > /dev/null || exit 1

eval "A1=\$AGENT_PID_a1"
kill -STOP "$A1"
check "svc's tasks are TASK_UNREACHABLE" wait_for $T tasks_in_is svc TASK_UNREACHABLE 2
check "replaced on h2 after inactiveAfterSeconds" wait_for $T hosts_are svc "h2 h2 "
check "zz is replaced on h2 at once" wait_for $T hosts_are zz "h2 "

kill -CONT "$A1"
check "the unreachable tasks come back, the replacements are killed" wait_for $T hosts_are svc "h1 h1 "
check "svc keeps its original tasks" test "$(ids svc)" = "$ORIGINAL"
check "the master runs exactly 2 of svc" wait_for $T app_running_is svc 2
check "zz's old task is killed: exactly 1 runs" wait_for $T app_running_is zz 1
check "zz's survivor is the replacement" sh -c "! '$TOP/mesosctl' --master=$MASTER tasks | grep TASK_RUNNING | grep -q -F '$ZZ'"
check "svc holds exactly 2 for 2 s" holds 2 app_running_is svc 2

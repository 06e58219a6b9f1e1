# tests/t_marathon_agent.sh: an agent killed -9 under the Marathon plugin:
# once the master gives it up (fast pings here) its tasks are reported lost
# and the plugin replaces them on the agent that is left; OLDEST_FIRST then
# keeps the newest task when the app is scaled down. Then unreachableStrategy:
# a lost task stays listed as TASK_UNREACHABLE, is replaced only after
# inactiveAfterSeconds and forgotten after expungeAfterSeconds; "disabled"
# never replaces it, and a scale-down takes it first.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch, and an agent to be given up.
T=20

. "$(dirname "$0")/lib_marathon.sh"
plan 34
marathon_plugin_dir
start_master "--plugins=$TMP/plugins" --agent_ping_timeout=500ms --max_agent_ping_timeouts=2 || exit 1
R="cpus:4;mem:2048;disk:1000;ports:[31000-31100]"
# A short recovery_timeout: the killed agent's supervisors end their tasks soon after.
start_agent a1 --hostname=h1 "--resources=$R" --recovery_timeout=2secs > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1

check "an app of 3 on h1" test "$(req POST /v2/apps '{"id":"svc","cmd":"sleep 300","cpus":0.1,"mem":8,"instances":3,"killSelection":"OLDEST_FIRST"}')" = 201
check "all 3 on h1" wait_for $T hosts_are svc "h1 h1 h1 "
start_agent a2 --hostname=h2 "--resources=$R" > /dev/null || exit 1
eval "A1=\$AGENT_PID_a1"
kill -KILL "$A1"
check "the master gives the agent up" wait_for $T log_has 'removed\|lost\|unreachable'
check "the 3 tasks run again, on h2" wait_for $T hosts_are svc "h2 h2 h2 "
check "the plugin saw them lost" wait_for $T log_has 'plugin marathon: info: svc\.instance-.* is TASK_LOST\|plugin marathon: info: svc\.instance-.* is TASK_GONE\|plugin marathon: info: svc\.instance-.* is TASK_UNREACHABLE'

# ---- OLDEST_FIRST: the newest survives a scale-down ----
n_is () {
	test "$(hosts svc | wc -w | tr -d ' ')" -eq "$1"
}
BEFORE=$(curl -s "$API/v2/apps/svc/tasks" | tr '{' '\n' | sed -n 's/^"id":"\(svc[^"]*\)".*/\1/p')
check "scale up to 4" test "$(req PUT /v2/apps/svc '{"instances":4}')" = 200
check "4 run" wait_for $T n_is 4
NEWEST=$(curl -s "$API/v2/apps/svc/tasks" | tr '{' '\n' | sed -n 's/^"id":"\(svc[^"]*\)".*/\1/p' |
    grep -v -F "$BEFORE")
check "scale down to 3" test "$(req PUT /v2/apps/svc '{"instances":3}')" = 200
check "3 run" wait_for $T n_is 3
check "the newest is kept" sh -c "curl -s '$API/v2/apps/svc/tasks' | grep -q '\"id\":\"$NEWEST\".*TASK_RUNNING'"

# ---- unreachableStrategy ----
check "inactiveAfterSeconds above expungeAfterSeconds: 422" test "$(req POST /v2/apps '{"id":"bad","cmd":"sleep 300","unreachableStrategy":{"inactiveAfterSeconds":10,"expungeAfterSeconds":5}}')" = 422
check "422 names the rule" grep -q 'inactiveAfterSeconds must be less or equal to expungeAfterSeconds' "$TMP/body"
start_agent a3 --hostname=h3 "--resources=$R" --recovery_timeout=2secs > /dev/null || exit 1
# Both apps may run on h3 and h4 only: first h3, then (h3 gone) h4.
ON34='"constraints":[["hostname","LIKE","h[34]"]]'
check "an app with {3, 6}" test "$(req POST /v2/apps '{"id":"ur","cmd":"sleep 300","cpus":0.1,"mem":8,'"$ON34"',"unreachableStrategy":{"inactiveAfterSeconds":3,"expungeAfterSeconds":6}}')" = 201
check "{3, 6} echoed" grep -q '"unreachableStrategy":{"inactiveAfterSeconds":3,"expungeAfterSeconds":6}' "$TMP/body"
check "an app with disabled" test "$(req POST /v2/apps '{"id":"ud","cmd":"sleep 300","cpus":0.1,"mem":8,'"$ON34"',"unreachableStrategy":"disabled"}')" = 201
check "disabled echoed" grep -q '"unreachableStrategy":"disabled"' "$TMP/body"
check "ur runs on h3" wait_for $T hosts_are ur "h3 "
check "ud runs on h3" wait_for $T hosts_are ud "h3 "

start_agent a4 --hostname=h4 "--resources=$R" > /dev/null || exit 1
eval "A3=\$AGENT_PID_a3"
kill -KILL "$A3"
check "ur's task is listed TASK_UNREACHABLE" wait_for $T tasks_in_is ur TASK_UNREACHABLE 1 || exit 1
LOST_AT=$(date +%s)
check "ud's task is listed TASK_UNREACHABLE" wait_for $T tasks_in_is ud TASK_UNREACHABLE 1
check "no replacement for ur for 1-2 s" holds 2 tasks_in_is ur TASK_RUNNING 0
check "ur is replaced on h4 after inactiveAfterSeconds" wait_for $T hosts_are ur "h4 "
check "the unreachable one is still listed" tasks_in_is ur TASK_UNREACHABLE 1
check "it is expunged after expungeAfterSeconds" wait_for $T tasks_in_is ur TASK_UNREACHABLE 0
check "not before about 6 s" test $(($(date +%s) - LOST_AT)) -ge 5
check "ur still runs on h4" hosts_are ur "h4 "
check "disabled: ud not replaced" tasks_in_is ud TASK_RUNNING 0
check "disabled: ud's task still listed" tasks_in_is ud TASK_UNREACHABLE 1
check "ud scaled to 0" test "$(req PUT /v2/apps/ud '{"instances":0}')" = 200
check "its unreachable task goes first" wait_for $T tasks_in_is ud TASK_UNREACHABLE 0
check "ud scaled to 1 again" test "$(req PUT /v2/apps/ud '{"instances":1}')" = 200
check "ud runs on h4" wait_for $T hosts_are ud "h4 "

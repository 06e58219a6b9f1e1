# tests/t_marathon_agent.sh: an agent killed -9 under the Marathon plugin:
# once the master gives it up (fast pings here) its tasks are reported lost
# and the plugin replaces them on the agent that is left; OLDEST_FIRST then
# keeps the newest task when the app is scaled down.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch, and an agent to be given up.
T=20

if ! command -v curl > /dev/null 2>&1; then
	skip "curl is needed to drive the REST API"
	exit 0
fi
mkdir -p "$TMP/plugins"
cp "$TOP/plugins/marathon.so" "$TMP/plugins/marathon.so"
printf 'http_port=0\nhttp_ip=127.0.0.1\n' > "$TMP/plugins/marathon.conf"
start_master "--plugins=$TMP/plugins" --agent_ping_timeout=500ms --max_agent_ping_timeouts=2 || exit 1
R="cpus:4;mem:2048;disk:1000;ports:[31000-31100]"
# A short recovery_timeout: the killed agent's supervisors end their tasks soon after.
start_agent a1 --hostname=h1 "--resources=$R" --recovery_timeout=2secs > /dev/null || exit 1

log_has () {
	grep -q -- "$1" "$TMP/master.log"
}
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
API=http://127.0.0.1:$(sed -n 's/.*REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/master.log" | tail -n 1)
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1
req () {
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"} "$API$2"
}
hosts () {
	curl -s "$API/v2/apps/$1/tasks" | tr '{' '\n' | grep '"state":"TASK_RUNNING"' |
	    sed 's/.*"host":"\([^"]*\)".*/\1/' | sort | tr '\n' ' '
}
hosts_are () {
	test "$(hosts "$1")" = "$2"
}

check "an app of 3 on h1" test "$(req POST /v2/apps '{"id":"svc","cmd":"sleep 300","cpus":0.1,"mem":8,"instances":3,"killSelection":"OLDEST_FIRST"}')" = 201
check "all 3 on h1" wait_for $T hosts_are svc "h1 h1 h1 "
start_agent a2 --hostname=h2 "--resources=$R" > /dev/null || exit 1
eval "A1=\$AGENT_PID_a1"
kill -KILL "$A1"
check "the master gives the agent up" wait_for $T log_has 'removed\|lost'
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

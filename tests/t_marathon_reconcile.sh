# tests/t_marathon_reconcile.sh: Marathon's view after the master dies
# mid-launch. kill -9 of the master while an app of 200 small tasks is being
# launched on five agents, then started again: within a bounded time every
# task Marathon lists is the master's, in the master's state (none left
# TASK_STAGING), and the deployment ends. Then kill -9 of the master right
# after a scale-down to 100: kills lost with it are sent again once
# reconciliation says the tasks still run, none stays TASK_KILLING, the
# master runs exactly 100 and the deployment ends. The plugin reconciles
# every 3 s here (conf reconciliation_interval) and retries unanswered
# tasks until the master, its agents back, answers.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch; the view to match.
T=60
N=200
HALF=100

. "$(dirname "$0")/lib_marathon.sh"
plan 11
marathon_plugin_dir state
echo 'reconciliation_interval=3' >> "$TMP/plugins/marathon.conf"
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS --agent_reregister_timeout=60secs || exit 1
# 50 tasks an agent: a launch line stays under the master's 1,024 fields (#18 part A lifts that).
R="cpus:2;mem:400;disk:1000;ports:[31000-31100]"
for a in a1 a2 a3 a4 a5; do
	start_agent "$a" "--resources=$R" --status_update_retry_interval=1secs > /dev/null || exit 1
done
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url

# master_running: the ids of the app's tasks the master says run, sorted.
master_running () {
	ctl tasks | awk '$3 == "TASK_RUNNING" && index($1, "many.instance-") == 1 { print $1 }' | sort
}
# marathon_in STATE: the ids Marathon lists in STATE, sorted.
marathon_in () {
	curl -s "$API/v2/apps/many/tasks" | tr '{' '\n' | grep "\"state\":\"$1\"" |
	    sed -n 's/^"id":"\([^"]*\)".*/\1/p' | sort
}
running_at_least () {
	[ "$(master_running | wc -l | tr -d ' ')" -ge "$1" ]
}
# views_match N: Marathon lists exactly the master's N running tasks, nothing else.
views_match () {
	master_running > "$TMP/master.ids"
	marathon_in 'TASK_[A-Z]*' > "$TMP/marathon.all"
	marathon_in TASK_RUNNING > "$TMP/marathon.ids"
	[ "$(wc -l < "$TMP/master.ids" | tr -d ' ')" -eq "$1" ] &&
	    cmp -s "$TMP/master.ids" "$TMP/marathon.ids" && cmp -s "$TMP/master.ids" "$TMP/marathon.all"
}
# kill_master: kill -9 of the master (its plugin host ends on the EOF).
kill_master () {
	kill -KILL "$MASTER_PID"
	wait "$MASTER_PID" 2>/dev/null
}

check "an app of $N small tasks" test "$(req POST /v2/apps '{"id":"many","cmd":"sleep 300","cpus":0.01,"mem":8,"instances":'"$N"'}')" = 201
check "the launch is under way" wait_for $T running_at_least 20
kill_master
restart_master || exit 1
check "the plugin registers again" wait_for $T sh -c "grep -c 'registered again as framework' '$TMP/master.log' | grep -q '^[1-9]'"
api_url
check "Marathon's view matches the master's: $N running" wait_for $T views_match "$N"
check "none is left TASK_STAGING" test -z "$(marathon_in TASK_STAGING)"
check "the deployment ends" wait_for $T no_deployments

check "scale down to $HALF" test "$(req PUT /v2/apps/many "{\"instances\":$HALF}")" = 200
kill_master
restart_master || exit 1
api_url
check "Marathon's view matches the master's: $HALF running" wait_for $T views_match "$HALF"
check "none is left TASK_KILLING" test -z "$(marathon_in TASK_KILLING)"
check "the scale-down ends" wait_for $T no_deployments

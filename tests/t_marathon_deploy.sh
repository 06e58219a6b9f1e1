# tests/t_marathon_deploy.sh: Marathon deployments: listed while they run,
# a second change refused with 409 unless ?force=true, a rollback by
# DELETE /v2/deployments/ID, a rolling restart that never drops below
# minimumHealthCapacity, and a {0, 0} strategy that stops the old tasks
# first.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch or roll.
T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 34
marathon_plugin_dir
start_master "--plugins=$TMP/plugins" || exit 1
start_agent a1 "--resources=cpus:4;mem:4096;disk:1000;ports:[31000-31100]" > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework'

running_ids () {
	curl -s "$API/v2/apps/$1/tasks" | tr '{' '\n' | grep '"state":"TASK_RUNNING"' |
	    sed 's/.*"id":"\([^"]*\)".*/\1/' | sort
}
nrunning_is () {
	test "$(running_ids "$1" | wc -l | tr -d ' ')" -eq "$2"
}

# ---- a deployment that cannot finish: listed, locking, forced, rolled back ----
check "an app of 2" test "$(req POST /v2/apps '{"id":"web","cmd":"sleep 300","cpus":1,"mem":8,"instances":2}')" = 201
check "2 run" wait_for $T nrunning_is web 2
check "its deployment ends" wait_for $T no_deployments
check "scale beyond the agent" test "$(req PUT /v2/apps/web '{"instances":10}')" = 200
DEP=$(sed -n 's/.*"deploymentId":"\([^"]*\)".*/\1/p' "$TMP/body")
check "the deployment is listed" sh -c "curl -s '$API/v2/deployments' | grep -q '\"id\":\"$DEP\".*\"affectedApps\":\[\"/web\"\].*\"action\":\"ScaleApplication\",\"app\":\"/web\"'"
check "4 run, the rest wait" wait_for $T nrunning_is web 4
check "a second change is 409" test "$(req PUT /v2/apps/web '{"instances":3}')" = 409
check "409 names the deployment" body_has "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/$DEP'.\",\"deployments\":\[{\"id\":\"$DEP\"}\]"
check "a delete is 409 too" test "$(req DELETE /v2/apps/web)" = 409
check "force=true goes through" test "$(req PUT '/v2/apps/web?force=true' '{"instances":6}')" = 200
DEP2=$(sed -n 's/.*"deploymentId":"\([^"]*\)".*/\1/p' "$TMP/body")
check "the old deployment is replaced" sh -c "curl -s '$API/v2/deployments' | grep -q '\"id\":\"$DEP2\"' && ! curl -s '$API/v2/deployments' | grep -q '$DEP'"
check "an unknown deployment is 404" test "$(req DELETE /v2/deployments/nope)" = 404
check "rollback: DELETE the deployment" test "$(req DELETE "/v2/deployments/$DEP2")" = 200
check "back to 10 instances (the definition before)" sh -c "curl -s '$API/v2/apps/web' | grep -q '\"instances\":10,'"
check "force-stop the rollback's deployment" sh -c "D=\$(curl -s '$API/v2/deployments' | sed -n 's/.*\"id\":\"\\([^\"]*\\)\".*/\\1/p' | head -n 1); test \"\$(curl -s -o /dev/null -w '%{http_code}' -X DELETE '$API/v2/deployments/'\$D'?force=true')\" = 202"
check "no deployment left" no_deployments
check "scale back to 2 (no lock now)" test "$(req PUT /v2/apps/web '{"instances":2}')" = 200
check "2 run" wait_for $T nrunning_is web 2
check "done" wait_for $T no_deployments

# ---- a rolling restart keeping minimumHealthCapacity ----
check "upgradeStrategy {1, 0}" test "$(req PATCH /v2/apps/web '{"upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":0}}')" = 200
check "settled" wait_for $T no_deployments
BEFORE=$(running_ids web | tr '\n' ' ')
check "POST restart" test "$(req POST /v2/apps/web/restart)" = 200
check "a RestartApplication" log_has 'deployment [0-9a-f-]*: RestartApplication /web$'
MIN=99
MAX=0
polls=$((T * 20))
while [ "$polls" -gt 0 ] && ! no_deployments; do
	n=$(running_ids web | wc -l | tr -d ' ')
	[ "$n" -lt "$MIN" ] && MIN=$n
	[ "$n" -gt "$MAX" ] && MAX=$n
	sleep 0.05
	polls=$((polls - 1))
done
check "the restart ends" no_deployments
check "never fewer than 2 running during it (min $MIN)" test "$MIN" -ge 2
check "never more than 3 (1 extra) during it (max $MAX)" test "$MAX" -le 3
AFTER=$(running_ids web | tr '\n' ' ')
check "2 run after" nrunning_is web 2
check "both tasks are new" sh -c "for t in $BEFORE; do echo '$AFTER' | grep -q \"\$t\" && exit 1; done; exit 0"

# ---- {0, 0}: the old ones go first ----
check "upgradeStrategy {0, 0} and a new cmd" test "$(req PATCH /v2/apps/web '{"cmd":"sleep 301","upgradeStrategy":{"minimumHealthCapacity":0,"maximumOverCapacity":0}}')" = 200
check "it rolls to the end" wait_for $T no_deployments
check "2 run after" nrunning_is web 2
check "the old were killed before the new launched" sh -c "awk '/killing task .*web\\.instance-/ { k++ } /launched task .*web\\.instance-/ { if (k >= 2) ok = 1 } END { exit !ok }' '$TMP/a1.log'"

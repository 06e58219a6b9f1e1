# tests/t_marathon_ctl.sh: `mesosctl app` and `mesosctl deployments` against
# the Marathon plugin's REST API: add --wait, list, show (with the queue's
# reasons for an app that cannot be placed), scale --wait, tasks, a 422
# printed as readable lines, restart, rm --wait.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch.
T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 43
marathon_plugin_dir state
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1
api_url
MARATHON=${API#http://}
export MARATHON

# app ARGS...: mesosctl app, output to $TMP/out (stdout and stderr).
app () {
	"$TOP/mesosctl" app "$@" > "$TMP/out" 2>&1
}
out_has () {
	grep -q -- "$1" "$TMP/out"
}
# running APP N: the app's table line says N running.
running_is () {
	app list && awk -v id="/$1" -v n="$2" '$1 == id && $3 == n { f = 1 } END { exit !f }' "$TMP/out"
}

printf '{"id":"web","cmd":"sleep 300","cpus":0.1,"mem":16,"instances":2}\n' > "$TMP/web.json"
printf '{"id":"/Bad_Id","cmd":"sleep 1","cpus":0}\n' > "$TMP/bad.json"
printf '{"id":"huge","cmd":"sleep 300","cpus":64,"mem":16}\n' > "$TMP/huge.json"

check "the help names the subcommands" sh -c "'$TOP/mesosctl' help app | grep -q 'scale ID N'"
check "an unknown subcommand is a usage error" sh -c "'$TOP/mesosctl' app frob; test \$? -eq 2"
check "app add --wait" app add --wait --timeout=20secs "$TMP/web.json"
check "add says created" out_has '^/web: created'
check "--wait ends with deployed" out_has '^/web: deployed (2 of 2 tasks running)'
check "app list" app list
check "list has a header" out_has '^ID  *INSTANCES  *RUNNING  *HEALTHY  *CPUS  *MEM  *CMD'
check "list shows web running 2" running_is web 2
check "app show" app show web
check "show names the app" out_has '^id:  *\/web$'
check "show counts tasks" out_has '^instances:  *2 (2 running'
check "app tasks" app tasks /web
check "tasks has 2 running rows" test "$(grep -c '^web\.instance-.* TASK_RUNNING ' "$TMP/out")" -eq 2
check "tasks has a HEALTH column (- without a check)" sh -c "grep -q '^ID  *STATE  *HEALTH  *HOST' '$TMP/out' && grep -q ' TASK_RUNNING  *-  ' '$TMP/out'"
check "app scale --wait" app scale --wait --timeout=20secs web 3
check "scale ends deployed with 3" out_has '^/web: deployed (3 of 3 tasks running)'
check "list shows 3" running_is web 3
check "deployments (none left)" "$TOP/mesosctl" deployments
check "deployments table header" sh -c "'$TOP/mesosctl' deployments | grep -q '^ID  *APPS  *ACTION'"

# ---- errors ----
app add "$TMP/bad.json"
check "a 422 exits 1" test $? -eq 1
check "422 status and message on one line" out_has '^mesosctl: POST /v2/apps: 422 .*: Object is not valid$'
check "422 details: the id" out_has '^mesosctl:   /id: must fully match regular expression'
check "422 details: cpus" out_has '^mesosctl:   /cpus: '
app show nope
check "an unknown app exits 1" test $? -eq 1
check "404 message" out_has "^mesosctl: GET /v2/apps/nope: 404 .*: App '/nope' does not exist$"
check "a missing file exits 1" sh -c "'$TOP/mesosctl' app add '$TMP/none.json' 2>&1; test \$? -eq 1"
check "unreachable Marathon" sh -c "'$TOP/mesosctl' app list --marathon=127.0.0.1:1 2>&1 | grep -q '^mesosctl: cannot reach Marathon at 127.0.0.1:1'"

# ---- why is my app waiting? ----
check "add an app no agent can hold" app add "$TMP/huge.json"
refused_cpus () {
	app show huge && out_has '^refused:  *InsufficientCpus: [1-9]'
}
check "show says it waits for cpus" wait_for $T refused_cpus
check "show says how many wait" out_has '^waiting:  *1 instance(s) since '
check "deployments lists its deployment" sh -c "'$TOP/mesosctl' deployments | grep -q ' /huge  *ScaleApplication'"
app scale huge 2
check "a second change while it deploys is refused" test $? -eq 1
check "409 says the app is locked" out_has '^mesosctl: PUT /v2/apps/huge: 409 .*locked by one or more deployments'
check "rm --force" app rm --force huge

# ---- restart and rm ----
check "app restart --wait" app restart --wait --timeout=20secs web
check "restart ends deployed" out_has '^/web: deployed (3 of 3 tasks running)'
check "app rm --wait" app rm --wait --timeout=20secs web
check "rm says removed" out_has "^/web: removed"
check "rm --wait ends" out_has "^/web: deployed (the app is gone)"
gone () {
	app list && ! out_has '^/web '
}
check "the app is gone" gone
check "its tasks are killed" wait_for $T sh -c "! '$TOP/mesosctl' --master=$MASTER tasks | grep -q '^web\.instance-.*TASK_RUNNING'"

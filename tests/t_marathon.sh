# tests/t_marathon.sh: the Marathon plugin (plugins/marathon.so) under the
# master: its REST API (defaults echoed, validation 422s, 400, 404, 409),
# `instances` kept running with Marathon's task ids and environment, a task
# killed from outside replaced, scaling down by killSelection, a task killed
# with ?scale=true, a config change replacing every task, app deletion, and
# the plugin host killed -9 coming back with exactly the same tasks.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch or come back.
T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 68
marathon_plugin_dir state
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url

# running APP: how many of APP's tasks the master has running.
running () {
	ctl tasks | awk -v p="$1.instance-" '$3 == "TASK_RUNNING" && index($1, p) == 1' | wc -l | tr -d ' '
}
running_is () {
	test "$(running "$1")" -eq "$2"
}
running_ids () {
	ctl tasks | awk -v p="$1.instance-" '$3 == "TASK_RUNNING" && index($1, p) == 1 { print $1 }' | sort
}
api_running_is () {
	req GET "/v2/apps/$1" > /dev/null && grep -q "\"tasksRunning\":$2," "$TMP/body"
}

check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework'
check "GET /ping" test "$(req GET /ping)" = 200
check "pong" body_has '^pong$'
check "GET /v2/info" test "$(req GET /v2/info)" = 200
check "info names marathon" body_has '"name":"marathon"'
check "GET /v2/leader" test "$(req GET /v2/leader)" = 200
check "leader is host:port" body_has '"leader":"[^"]*:[0-9][0-9]*"'

# ---- validation ----
check "malformed JSON is 400" test "$(req POST /v2/apps '{"id":')" = 400
check "400 says Invalid JSON" body_has '"message":"Invalid JSON"'
check "a bad id is 422" test "$(req POST /v2/apps '{"id":"/My_App","cmd":"x y"}')" = 422
check "422 body" body_has '"message":"Object is not valid","details":\[{"path":"/id","errors":\["must fully match regular expression'
check "a reserved last segment is 422" test "$(req POST /v2/apps '{"id":"/a/tasks","cmd":"sleep 1"}')" = 422
check "reserved keywords named" body_has 'must not end with any of the following reserved keywords: restart, tasks, versions, ., ..'
check "cmd and args is 422" test "$(req POST /v2/apps '{"id":"/a","cmd":"sleep 1","args":["sleep","1"]}')" = 422
check "cmd/args message" body_has "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
check "minimumHealthCapacity > 1 is 422" test "$(req POST /v2/apps '{"id":"/a","cmd":"x y","upgradeStrategy":{"minimumHealthCapacity":1.5}}')" = 422
check "its path" body_has '"path":"/upgradeStrategy/minimumHealthCapacity","errors":\["is greater than 1"\]'
check "cpus below the minimum is 422" test "$(req POST /v2/apps '{"id":"/a","cmd":"x","cpus":0}')" = 422
check "a wrong type is 400" test "$(req POST /v2/apps '{"id":5,"cmd":"x"}')" = 400
check "its Play-style error" body_has '"path":"/id","errors":\["error.expected.jsstring"\]'
check "an unknown app is 404" test "$(req GET /v2/apps/nope)" = 404
check "404 message" body_has '"message":"App '"'"'/nope'"'"' does not exist"'

# ---- create, defaults, launch ----
check "POST an app is 201" test "$(req POST /v2/apps '{"id":"simple","cmd":"echo $MARATHON_APP_ID $PORT0 $PORTS $HOST $MARATHON_APP_LABEL_TEAM_NAME > env.out; sleep 300","cpus":0.1,"mem":16,"instances":2,"labels":{"team-name":"core"}}')" = 201
check "a relative id is made absolute" body_has '"id":"/simple"'
check "defaults: disk" body_has '"disk":0,'
check "defaults: backoff" body_has '"backoffSeconds":1,"backoffFactor":1.15,"maxLaunchDelaySeconds":300'
check "defaults: upgradeStrategy" body_has '"upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":1}'
check "defaults: killSelection" body_has '"killSelection":"YOUNGEST_FIRST"'
check "defaults: a service port from 10000" body_has '"portDefinitions":\[{"port":1[0-9][0-9][0-9][0-9],"name":"default","protocol":"tcp"}\]'
check "the same id again is 409" test "$(req POST /v2/apps '{"id":"/simple","cmd":"sleep 1"}')" = 409
check "409 message" body_has '"message":"An app with id \[/simple\] already exists."'
check "2 instances run" wait_for $T running_is simple 2
check "the API counts them" wait_for $T api_running_is simple 2
check "GET /v2/apps lists it" sh -c "curl -s '$API/v2/apps' | grep -q '\"apps\":\[{\"id\":\"/simple\"'"
check "embed=apps.tasks" sh -c "curl -s '$API/v2/apps?embed=apps.tasks' | grep -q '\"tasks\":\[{\"id\":\"simple.instance-'"
ids_marathon () {
	running_ids simple | grep -q '^simple\.instance-[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}\._app$'
}
check "task ids are Marathon's" ids_marathon
T1=$(running_ids simple | head -n 1)
# Running is reported at exec: the shell writes env.out a moment later.
task_env_written () {
	ENV_OUT=$(find "$TMP/a1" -path "*$T1*" -name env.out 2>/dev/null | head -n 1)
	test -n "$ENV_OUT" && grep -q '^/simple 31[01][0-9][0-9] 31[01][0-9][0-9] [^ ][^ ]* core$' "$ENV_OUT"
}
check "the task's environment" wait_for $T task_env_written
check "GET /v2/apps/simple/tasks" test "$(req GET /v2/apps/simple/tasks)" = 200
check "tasks carry host ports" body_has '"ports":\[31[01][0-9][0-9]\]'
check "GET /v2/tasks" sh -c "curl -s '$API/v2/tasks?status=running' | grep -q '\"appId\":\"/simple\"'"

# ---- a task killed from outside is replaced ----
ctl kill "$T1" > /dev/null 2>&1
check "the killed task is replaced" wait_for $T sh -c "test \"\$(curl -s '$API/v2/apps/simple' | grep -o '\"tasksRunning\":2')\" != '' && ! '$TOP/mesosctl' --master=$MASTER tasks | grep -q '^$T1 .*TASK_RUNNING'"
check "still 2 running" wait_for $T running_is simple 2

# ---- scale up and down ----
check "PUT instances=4 is 200" test "$(req PUT /v2/apps/simple '{"instances":4}')" = 200
check "a deployment id comes back" body_has '"deploymentId":"[0-9a-f-]*","version":"'
check "4 run" wait_for $T running_is simple 4
OLDEST=$(curl -s "$API/v2/apps/simple/tasks" | tr '{' '\n' | sed -n 's/.*"id":"\(simple[^"]*\)".*"stagedAt":"\([^"]*\)".*/\2 \1/p' | sort | head -n 1 | cut -d' ' -f2)
check "PATCH instances=2 is 200" test "$(req PATCH /v2/apps/simple '{"instances":2}')" = 200
check "scaled down to 2" wait_for $T running_is simple 2
kept () {
	running_ids simple | grep -q "^$1\$"
}
check "YOUNGEST_FIRST kept the oldest" kept "$OLDEST"
check "the scale-down deployment ends" wait_for $T no_deployments
VICTIM=$(running_ids simple | head -n 1)
check "DELETE a task with scale=true" test "$(req DELETE "/v2/apps/simple/tasks/$VICTIM?scale=true")" = 200
check "instances is now 1" wait_for $T sh -c "curl -s '$API/v2/apps/simple' | grep -q '\"instances\":1,'"
check "1 runs" wait_for $T running_is simple 1
check "an unknown task is 404" test "$(req DELETE /v2/apps/simple/tasks/nope)" = 404

# ---- a config change replaces the tasks ----
BEFORE=$(running_ids simple)
check "PUT a new cmd" test "$(req PUT /v2/apps/simple '{"cmd":"sleep 301"}')" = 200
replaced () {
	test "$(running_ids simple)" != "$BEFORE" && running_is simple 1
}
check "the old task is replaced by a new one" wait_for $T replaced
check "the restart deployment ends" wait_for $T no_deployments

# ---- the plugin host killed -9: apps and tasks intact, none twice ----
check "PUT instances=3" test "$(req PUT /v2/apps/simple '{"instances":3}')" = 200
check "3 run" wait_for $T running_is simple 3
BEFORE=$(running_ids simple | tr '\n' ' ')
HPID=$(ctl frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
check "the host's pid is known" test -n "$HPID"
kill -KILL "$HPID" 2>/dev/null
check "the plugin comes back" wait_for $T log_has 'plugin marathon: info: registered again as framework'
check "it reloaded its state" log_has 'plugin marathon: info: loaded 1 app(s) and 3 task(s)'
api_url
check "the REST API is back" wait_for $T sh -c "curl -s '$API/ping' | grep -q pong"
sleep 3
check "the same 3 tasks, none twice" test "$(running_ids simple | tr '\n' ' ')" = "$BEFORE"
check "the API knows them" api_running_is simple 3

# ---- delete ----
check "DELETE the app" test "$(req DELETE /v2/apps/simple)" = 200
check "its tasks are killed" wait_for $T running_is simple 0
check "it is gone" test "$(req GET /v2/apps/simple)" = 404

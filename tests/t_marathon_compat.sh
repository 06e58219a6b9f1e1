# tests/t_marathon_compat.sh: Marathon's files and clients (issue 19). An
# app exported from Marathon 1.10 (GET /v2/apps/ID, with the defaults of
# what is not built and fields only carried) posts back and comes back the
# same; what would run differently is a 422 naming the field; query
# parameters as Marathon's Jersey reads them (?force=True, both embed
# spellings, repeated embed); /v2/info with Marathon's keys only;
# tasksHealthy 0 without health checks; lastTaskFailure and taskStats;
# the text/plain task lists; POST /v2/tasks/delete with unknown ids; the
# rollback of a creation removing the app.
. "$(dirname "$0")/lib.sh"

T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 39
marathon_cluster

# ---- an app as Marathon 1.10 exports it ----
EXPORTED='{"id":"/prod/web","backoffFactor":1.15,"backoffSeconds":1,"cmd":"sleep 300","container":{"type":"MESOS","volumes":[]},"cpus":0.1,"disk":0,"executor":"","instances":1,"labels":{"team":"a"},"maxLaunchDelaySeconds":300,"mem":16,"gpus":0,"networks":[{"mode":"host"}],"portDefinitions":[{"port":0,"name":"default","protocol":"tcp"}],"requirePorts":false,"upgradeStrategy":{"maximumOverCapacity":1,"minimumHealthCapacity":1},"version":"2020-01-01T00:00:00.000Z","versionInfo":{"lastScalingAt":"2020-01-01T00:00:00.000Z","lastConfigChangeAt":"2020-01-01T00:00:00.000Z"},"killSelection":"YOUNGEST_FIRST","unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0},"role":"*","acceptedResourceRoles":["*"],"ipAddress":null,"tty":false,"residency":null,"executorResources":{"cpus":0.1,"mem":32,"disk":10},"resourceLimits":{"cpus":1},"secrets":{},"readinessChecks":[],"dependencies":[],"check":null,"tasksStaged":0,"tasksRunning":1,"tasksHealthy":0,"tasksUnhealthy":0,"deployments":[],"tasks":[],"aFieldOfLaterMarathons":{"x":1}}'
check "an exported app posts (201)" test "$(req POST /v2/apps "$EXPORTED")" = 201
check "carried fields come back" body_has '"executorResources":{"cpus":0.1,"mem":32,"disk":10},"resourceLimits":{"cpus":1}'
check "defaults come back" body_has '"executor":"","networks":\[{"mode":"host"}\]'
check "unknown fields are ignored" sh -c "! grep -q aFieldOfLaterMarathons '$TMP/body'"
check "it runs" wait_for $T sh -c "curl -s '$API/v2/apps/prod/web' | grep -q '\"tasksRunning\":1,'"
check "tasksHealthy is 0 without health checks" app_has prod/web '"tasksHealthy":0,'
check "its deployment ends" wait_for $T no_deployments
TASK1=$(curl -s "$API/v2/apps/prod/web/tasks" | sed -n 's/.*"id":"\(prod_web\.instance-[^"]*\)".*/\1/p' | head -n 1)
curl -s "$API/v2/apps/prod/web" | sed 's/^{"app"://; s/}$//' > "$TMP/exported.json"
check "its own GET puts back unchanged (200)" test "$(req PUT /v2/apps/prod/web "$(cat "$TMP/exported.json")")" = 200
check "no config change: the same task runs" wait_for $T sh -c "no_deployments_now () { test \"\$(curl -s '$API/v2/deployments')\" = '[]'; }; no_deployments_now && curl -s '$API/v2/apps/prod/web/tasks' | grep -q '$TASK1'"

refused () {
	test "$(req POST /v2/apps "$1")" = 422 && body_has "\"path\":\"$2\""
}
check "a Docker image is 422 naming it" refused '{"id":"/d","cmd":"x","container":{"type":"DOCKER","docker":{"image":"nginx"}}}' /container/type
check "a container network is 422 naming it" refused '{"id":"/n","cmd":"x","networks":[{"mode":"container","name":"dcos"}]}' '/networks(0)/mode'
check "secrets are 422 naming them" refused '{"id":"/s","cmd":"x","secrets":{"pw":{"source":"pw"}}}' /secrets
check "gpus are 422 naming them" refused '{"id":"/g","cmd":"x","gpus":1}' /gpus

# ---- query parameters as Marathon parses them ----
check "a scale that cannot finish (41 x 0.1 cpus > 4)" test "$(req PUT /v2/apps/prod/web '{"instances":50}')" = 200
check "409 while it deploys" test "$(req PUT /v2/apps/prod/web '{"instances":1}')" = 409
check "?force=True (Python's spelling) goes through" test "$(req PUT '/v2/apps/prod/web?force=True' '{"instances":1}')" = 200
check "the deployment ends" wait_for $T no_deployments
check "embed=app.tasks on the list" sh -c "curl -s '$API/v2/apps?embed=app.tasks' | grep -q '\"tasks\":\[{\"id\":\"prod_web.instance-'"
check "repeated embed: tasks and taskStats" sh -c "curl -s '$API/v2/apps?embed=apps.taskStats&embed=apps.tasks' | grep -q '\"tasks\":\[{.*\"taskStats\":{.*\"totalSummary\":{\"stats\":{\"counts\":{\"staged\":0,\"running\":1,\"healthy\":0,\"unhealthy\":0}'"
check "/v2/info has no key Marathon lacks" sh -c "! curl -s '$API/v2/info' | grep -q state_dir"

# ---- text/plain task lists ----
textlist () {
	curl -s -H 'Accept: text/plain' "$API$1" | tee "$TMP/text" | grep -Eq "$(printf '^prod_web\t1[0-9]*\t([^\t]*:31[01][0-9][0-9]\t)+$')"
}
check "GET /v2/tasks as text/plain" wait_for $T textlist /v2/tasks
check "GET /v2/apps/ID/tasks as text/plain" wait_for $T textlist /v2/apps/prod/web/tasks

# ---- lastTaskFailure ----
check "an app whose task fails" test "$(req POST /v2/apps '{"id":"/fails","cmd":"exit 3","cpus":0.1,"mem":16,"backoffSeconds":60}')" = 201
check "lastTaskFailure names the failed task" wait_for $T app_has fails '"lastTaskFailure":{"appId":"/fails","host":"[^"]*","message":"[^"]*","state":"TASK_FAILED","taskId":"fails.instance-'
check "embed=apps.lastTaskFailure on the list" sh -c "curl -s '$API/v2/apps?embed=apps.lastTaskFailure' | grep -q '\"lastTaskFailure\":{\"appId\":\"/fails\"'"

# ---- rolling back a creation removes the app ----
check "an app that cannot be placed" test "$(req POST /v2/apps '{"id":"/huge","cmd":"sleep 1","cpus":100}')" = 201
DEP=$(sed -n 's/.*"deployments":\[{"id":"\([0-9a-f-]*\)"}\].*/\1/p' "$TMP/body")
check "the creation's deployment is listed" test -n "$DEP"
check "DELETE it (a rollback) is 200" test "$(req DELETE "/v2/deployments/$DEP")" = 200
check "the app is gone" test "$(req GET /v2/apps/huge)" = 404

# ---- chunked request bodies (curl sends them so with Transfer-Encoding: chunked) ----
chunked () {
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
	    -H 'Transfer-Encoding: chunked' --data "$3" "$2"
}
check "a chunked POST to Marathon is 201" test "$(chunked POST "$API/v2/apps" '{"id":"/chunked","cmd":"sleep 300","cpus":0.1,"mem":16,"instances":0}')" = 201
check "a chunked PUT to the master is 200" test "$(chunked PUT "http://$MASTER/weights" '[{"role":"prod","weight":2}]')" = 200

# ---- fetch options go to the agent's fetcher ----
printf '#!/bin/sh\necho fetched-and-run > ran.out\nexec sleep 300\n' > "$TMP/tool.sh"
check "an app fetching an executable to a destPath" test "$(req POST /v2/apps '{"id":"/fetcher","cmd":"./bin-tool","cpus":0.1,"mem":16,"fetch":[{"uri":"'"$TMP"'/tool.sh","executable":true,"extract":false,"cache":false,"destPath":"bin-tool"}]}')" = 201
check "its fetch options come back" body_has '"fetch":\[{"uri":"[^"]*tool.sh","extract":false,"executable":true,"cache":false,"destPath":"bin-tool"}\]'
check "the fetched file runs under its destPath" wait_for $T sh -c "find '$TMP/a1' -name ran.out | xargs cat 2>/dev/null | grep -q fetched-and-run"
check "a destPath out of the sandbox is 422" refused '{"id":"/f2","cmd":"x","fetch":[{"uri":"/bin/true","destPath":"../x"}]}' '/fetch(0)/destPath'

# ---- POST /v2/tasks/delete ----
check "unknown ids are 200" test "$(req POST /v2/tasks/delete '{"ids":["nope.instance-1._app"]}')" = 200
check "with no task" body_has '^{"tasks":\[\]}$'

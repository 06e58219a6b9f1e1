# tests/t_marathon_state.sh: what the Marathon plugin keeps about its apps:
# versions (GET /v2/apps/ID/versions[/V], a PUT of {"version": V} rolling
# back), GET /metrics, deployment_failed for a deployment overridden with
# force=true or ended by its app's deletion, and a deployment that a plugin
# killed -9 carries on after its restart (same id, then finished once a new
# agent brings the room it waited for).
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch or come back.
T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 45
marathon_plugin_dir state
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 "--resources=cpus:2;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1
deps_have () {
	curl -s "$API/v2/deployments" | grep -q -- "$1"
}
curl -s -N "$API/v2/events" > "$TMP/ev" 2>&1 &
EV=$!
check "the event stream is open" wait_for $T grep -q '^event: event_stream_attached' "$TMP/ev"

# ---- versions ----
check "create an app" test "$(req POST /v2/apps '{"id":"v","cmd":"sleep 300","cpus":1,"mem":8}')" = 201
V1=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$TMP/body")
check "it runs" wait_for $T app_has v '"tasksRunning":1,'
check "scale it to 2" test "$(req PUT /v2/apps/v '{"instances":2}')" = 200
V2=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$TMP/body")
check "two versions, newest first" test "$(req GET /v2/apps/v/versions)" = 200
check "the list" body_has "^{\"versions\":\[\"$V2\",\"$V1\"\]}$"
check "the first version" test "$(req GET "/v2/apps/v/versions/$V1")" = 200
check "is the app as it was" body_has '"id":"/v",.*"instances":1,.*"version":"'"$V1"'"'
check "an unknown version is 404" test "$(req GET /v2/apps/v/versions/2001-01-01T00:00:00.000Z)" = 404
check "saying so" body_has "App '/v' does not exist in version 2001-01-01T00:00:00.000Z"
check "an unknown app's versions are 404" test "$(req GET /v2/apps/nope/versions)" = 404
check "settled" wait_for $T no_deployments
check "PUT {version: V1} rolls back" test "$(req PUT /v2/apps/v "{\"version\":\"$V1\"}")" = 200
check "to 1 instance" wait_for $T app_has v '"instances":1,'
check "as a new version" sh -c "curl -s '$API/v2/apps/v/versions' | grep -q '^{\"versions\":\[\"[^\"]*\",\"$V2\",\"$V1\"\]}$'"
check "settled again" wait_for $T no_deployments

# ---- /metrics ----
check "GET /metrics" test "$(req GET /metrics)" = 200
check "Dropwizard's shape" body_has '^{"version":"4.0.0","gauges":{.*},"counters":{.*},"histograms":{},"meters":{},"timers":{}}$'
check "apps gauge" body_has '"marathon.apps.active.gauge":{"value":1}'
check "running gauge" body_has '"marathon.instances.running.gauge":{"value":1}'
check "launches counted" body_has '"marathon.tasks.launched.counter":{"count":[2-9]}'
check "requests counted" body_has '"marathon.http.requests.counter":{"count":[1-9][0-9]*}'

# ---- deployment_failed ----
check "scale beyond the agent" test "$(req PUT /v2/apps/v '{"instances":5}')" = 200
D1=$(sed -n 's/.*"deploymentId":"\([^"]*\)".*/\1/p' "$TMP/body")
check "it is listed" wait_for $T deps_have "\"id\":\"$D1\""
check "force a new one over it" test "$(req PUT '/v2/apps/v?force=true' '{"instances":4}')" = 200
check "the first one failed" wait_for $T grep -q '^data: {"eventType":"deployment_failed",.*"id":"'"$D1"'"' "$TMP/ev"
check "counted" sh -c "curl -s '$API/metrics' | grep -q '\"marathon.deployments.failure.counter\":{\"count\":1}'"
D2=$(sed -n 's/.*"deploymentId":"\([^"]*\)".*/\1/p' "$TMP/body")

# ---- a deployment carries on across a plugin restart ----
check "2 of 4 run, the deployment waits" wait_for $T app_has v '"tasksRunning":2,'
check "the state on disk has it" sh -c "cat \"$TMP\"/mstate/marathon.* | grep -q \"^P deployment%20/v .*$D2\""
HPID=$("$TOP/mesosctl" "--master=$MASTER" frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
check "the host's pid is known" test -n "$HPID"
kill -KILL "$HPID" 2>/dev/null
check "the plugin comes back" wait_for $T log_has 'plugin marathon: info: registered again as framework'
check "it says the deployment carries on" log_has 'plugin marathon: info: 1 deployment(s) carry on'
api_url
check "the REST API is back" wait_for $T sh -c "curl -s '$API/ping' | grep -q pong"
check "the same deployment is listed" deps_have "\"id\":\"$D2\""
check "the same 2 tasks" app_has v '"tasksRunning":2,'
start_agent a2 "--resources=cpus:2;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null
check "with room it finishes" wait_for $T no_deployments
check "4 run" app_has v '"tasksRunning":4,'
kill "$EV" 2>/dev/null
wait "$EV" 2>/dev/null
curl -s -N "$API/v2/events" > "$TMP/ev2" 2>&1 &
EV=$!
check "a new stream" wait_for $T grep -q '^event: event_stream_attached' "$TMP/ev2"
check "scale beyond the agents" test "$(req PUT /v2/apps/v '{"instances":9}')" = 200
D3=$(sed -n 's/.*"deploymentId":"\([^"]*\)".*/\1/p' "$TMP/body")
check "delete the app with force" test "$(req DELETE '/v2/apps/v?force=true')" = 200
check "its deployment failed" wait_for $T grep -q '^data: {"eventType":"deployment_failed",.*"id":"'"$D3"'"' "$TMP/ev2"
check "the deletion is a StopApplication that succeeds" wait_for $T grep -q '^data: {"eventType":"deployment_success",.*"action":"StopApplication","app":"/v"' "$TMP/ev2"
kill "$EV" 2>/dev/null
wait "$EV" 2>/dev/null
check "the plugin still answers" sh -c "curl -s '$API/ping' | grep -q pong"

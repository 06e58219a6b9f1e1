# tests/t_marathon_events.sh: the Marathon plugin's GET /v2/events stream
# (Server-Sent Events): curl -N reads api_post_event, deployment_info,
# status_update_event and deployment_success for a new app; ?event_type=
# filters; a subscriber that leaves is dropped and the plugin goes on.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch.
T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 15
marathon_plugin_dir state
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1
api_url

# -D: the headers, so the test knows when each stream is open.
curl -s -N -D "$TMP/all.h" "$API/v2/events" > "$TMP/all" 2>&1 &
ALL=$!
curl -s -N -D "$TMP/only.h" "$API/v2/events?event_type=deployment_success" > "$TMP/only" 2>&1 &
ONLY=$!
open_ () {
	grep -q '^HTTP/1.1 200' "$TMP/$1.h" 2>/dev/null && grep -qi '^Content-Type: text/event-stream' "$TMP/$1.h"
}
check "GET /v2/events is a 200 event stream" wait_for $T open_ all
check "the filtered one too" wait_for $T open_ only

check "POST an app" sh -c "curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data '{\"id\":\"ev\",\"cmd\":\"sleep 300\",\"cpus\":0.1,\"mem\":16}' '$API/v2/apps' | grep -q 201"
has () {
	grep -q -- "$2" "$TMP/$1"
}
check "a status_update_event for TASK_RUNNING" wait_for $T has all '^data: {"eventType":"status_update_event",.*"taskStatus":"TASK_RUNNING",.*"appId":"/ev"'
check "its event: line" has all '^event: status_update_event$'
check "an api_post_event" has all '^data: {"eventType":"api_post_event",.*"uri":"/v2/apps","appDefinition":{"id":"/ev"'
check "a deployment_info" has all '^data: {"eventType":"deployment_info",.*"currentStep":{"actions":\[{"action":"ScaleApplication","app":"/ev"}\]}'
check "a deployment_success" wait_for $T has all '^data: {"eventType":"deployment_success",'
check "?event_type= gets its type" wait_for $T has only '^event: deployment_success$'
check "and nothing else" sh -c "! grep -q '^event: [^d]' '$TMP/only'"

kill "$ALL" "$ONLY" 2>/dev/null
wait "$ALL" "$ONLY" 2>/dev/null
check "DELETE the app with the readers gone" sh -c "curl -s -o /dev/null -w '%{http_code}' -X DELETE '$API/v2/apps/ev' | grep -q 200"
check "the plugin still answers" sh -c "curl -s '$API/ping' | grep -q pong"
check "no plugin restart" sh -c "! grep -q 'registered again' '$TMP/master.log'"

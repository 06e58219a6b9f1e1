# tests/t_marathon_health.sh: Marathon health checks end to end. HTTP and
# TCP checks run by the plugin itself, MESOS_HTTP and COMMAND ones by the
# agent: a passing check makes the task healthy (tasksHealthy,
# healthCheckResults, health_status_changed_event); a failing one gets the
# task killed and replaced (unhealthy_instance_kill_event); a rolling
# restart of a health-checked app never has fewer healthy tasks than
# minimumHealthCapacity asks; with two checks a task is healthy only when
# both pass, and killed when one keeps failing. Tasks serve HTTP with tests/httpd, whose
# /status/CODE answers CODE. Intervals are 1 s so it stays quick.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch, check or roll.
T=20

. "$(dirname "$0")/lib_marathon.sh"
plan 48
marathon_plugin_dir
start_master "--plugins=$TMP/plugins" || exit 1
# The plugin connects to its tasks' host: an address needs no resolver. Its
# tasks bind their ports: a range no other test's agent offers, and below the
# kernel's ephemeral ports (32768 up), which any connection here may hold.
start_agent a1 --hostname=127.0.0.1 "--resources=cpus:8;mem:4096;disk:1000;ports:[23100-23199]" > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1

curl -s -N -D "$TMP/ev.h" "$API/v2/events" > "$TMP/ev" 2>&1 &
EV=$!
check "the event stream is open" wait_for $T grep -q '^event: event_stream_attached' "$TMP/ev"

ev_has () {
	grep -q -- "$1" "$TMP/ev"
}
task_ids () {
	curl -s "$API/v2/apps/$1/tasks" | tr '{' '\n' | sed -n 's/^"id":"\([^"]*\)".*/\1/p' | sort
}
# replaced ID OLD: ID has a running task and OLD is no longer among its tasks.
replaced () {
	ids=$(task_ids "$1")
	test -n "$ids" && ! echo "$ids" | grep -q "^$2\$" && app_has "$1" '"tasksRunning":1,'
}
HTTPD=$TOP/tests/httpd
# app ID CHECKS [INSTANCES]: an app serving HTTP on PORT0 with health checks
# (CHECKS: JSON objects, comma-separated).
# No mem: a sanitizer-built tests/httpd holds tens of MB resident, more than an app this small asks.
app () {
	req POST /v2/apps "{\"id\":\"$1\",\"cmd\":\"exec '$HTTPD' . \$PORT0\",\"cpus\":0.1,\"mem\":0,\"instances\":${3:-1},\"healthChecks\":[$2]}"
}
FAST='"intervalSeconds":1,"timeoutSeconds":1,"delaySeconds":0'

# ---- a passing HTTP check, run by the plugin ----
# Another process holds the range's first port: a task that drew it fails
# and its retry draws another (Marathon picks host ports at random).
"$HTTPD" . 23100 > "$TMP/foreign.log" 2>&1 &
FOREIGN=$!
lib_track_pid "$FOREIGN"
check "a foreign process holds port 23100" wait_for $T sh -c "curl -s http://127.0.0.1:23100/status/200 > /dev/null"
check "an app with an HTTP check" test "$(app hok "{\"protocol\":\"HTTP\",\"path\":\"/status/200\",$FAST}")" = 201
check "defaults filled in" body_has '"healthChecks":\[{"protocol":"HTTP","path":"/status/200","portIndex":0,"gracePeriodSeconds":300,"intervalSeconds":1,"timeoutSeconds":1,"delaySeconds":0,"maxConsecutiveFailures":3,"ignoreHttp1xx":false}\]'
check "its task becomes healthy" wait_for $T app_has hok '"tasksHealthy":1,'
check "healthCheckResults as Marathon's" app_has hok '"healthCheckResults":\[{"alive":true,"consecutiveFailures":0,"firstSuccess":"[^"]*","lastSuccess":"[^"]*","lastFailure":null,"lastFailureCause":null,"instanceId":"hok\.instance-[^"]*","taskId":"hok\.instance-'
check "a health_status_changed_event" wait_for $T ev_has '^data: {"eventType":"health_status_changed_event",.*"appId":"/hok",.*"alive":true'
check "not unhealthy" app_has hok '"tasksUnhealthy":0,'
check "its task is not on the foreign port" sh -c "curl -s '$API/v2/apps/hok/tasks' | grep '\"ports\":\[231' | grep -vq '\"ports\":\[23100\]'"
stop_pid "$FOREIGN"

# ---- a failing HTTP check: killed after maxConsecutiveFailures, replaced ----
check "an app whose check fails" test "$(app hbad "{\"protocol\":\"HTTP\",\"path\":\"/status/500\",\"gracePeriodSeconds\":0,\"maxConsecutiveFailures\":1,$FAST}")" = 201
check "it runs" wait_for $T app_has hbad '"tasksRunning":1,'
FIRST=$(task_ids hbad | head -n 1)
check "it is unhealthy" wait_for $T app_has hbad '"alive":false,"consecutiveFailures":[1-9][0-9]*,"firstSuccess":null,"lastSuccess":null,"lastFailure":"[^"]*","lastFailureCause":"HTTP status 500"'
check "it is killed for it" wait_for $T log_has "killing $FIRST: 2 consecutive failed health checks"
check "an unhealthy_instance_kill_event" wait_for $T ev_has '^data: {"eventType":"unhealthy_instance_kill_event",.*"taskId":"'"$FIRST"'"'
check "and replaced" wait_for $T replaced hbad "$FIRST"
check "DELETE it (force: its deployment never ends)" test "$(req DELETE "/v2/apps/hbad?force=true")" = 200

# ---- two checks the plugin runs: healthy only when both pass ----
check "an app with an HTTP and a TCP check" test "$(app h2ok "{\"protocol\":\"HTTP\",\"path\":\"/status/200\",$FAST},{\"protocol\":\"TCP\",$FAST}")" = 201
check "both checks kept" body_has '"healthChecks":\[{"protocol":"HTTP",.*},{"protocol":"TCP","portIndex":0,'
check "its task becomes healthy" wait_for $T app_has h2ok '"tasksHealthy":1,'
check "one result per check" app_has h2ok '"healthCheckResults":\[{"alive":true,[^]]*},{"alive":true,'
check "DELETE it" test "$(req DELETE "/v2/apps/h2ok?force=true")" = 200
check "two checks, the second failing" test "$(app h2bad "{\"protocol\":\"HTTP\",\"path\":\"/status/200\",$FAST},{\"protocol\":\"HTTP\",\"path\":\"/status/503\",\"gracePeriodSeconds\":0,\"maxConsecutiveFailures\":1,$FAST}")" = 201
check "it runs" wait_for $T app_has h2bad '"tasksRunning":1,'
H2FIRST=$(task_ids h2bad | head -n 1)
check "it is killed for the failing check" wait_for $T log_has "killing $H2FIRST: 2 consecutive failed health checks"
check "and replaced" wait_for $T replaced h2bad "$H2FIRST"
check "never healthy" sh -c "! grep -q '$H2FIRST is healthy' '$TMP/master.log'"
check "DELETE it (force: its deployment never ends)" test "$(req DELETE "/v2/apps/h2bad?force=true")" = 200

# ---- a failing TCP check (nothing listens on the port) ----
check "a TCP check on a port nobody serves" test "$(req POST /v2/apps "{\"id\":\"tbad\",\"cmd\":\"sleep 300\",\"cpus\":0.1,\"mem\":16,\"healthChecks\":[{\"protocol\":\"TCP\",\"gracePeriodSeconds\":0,\"maxConsecutiveFailures\":0,$FAST}]}")" = 201
check "it is unhealthy, connection refused" wait_for $T app_has tbad '"tasksUnhealthy":1,'
check "maxConsecutiveFailures 0 never kills" sh -c "! grep -q 'killing tbad' '$TMP/master.log'"
check "DELETE it (force: its deployment never ends)" test "$(req DELETE "/v2/apps/tbad?force=true")" = 200

# ---- checks the agent runs ----
check "a MESOS_HTTP check" test "$(app mok "{\"protocol\":\"MESOS_HTTP\",\"path\":\"/status/204\",$FAST}")" = 201
check "the agent says healthy" wait_for $T app_has mok '"tasksHealthy":1,'
check "a COMMAND check that fails" test "$(req POST /v2/apps "{\"id\":\"cbad\",\"cmd\":\"sleep 300\",\"cpus\":0.1,\"mem\":16,\"healthChecks\":[{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"exit 1\"},\"gracePeriodSeconds\":0,\"maxConsecutiveFailures\":1,$FAST}]}")" = 201
check "it runs" wait_for $T app_has cbad '"tasksRunning":1,'
CFIRST=$(task_ids cbad | head -n 1)
check "the agent kills it for its check" wait_for $T log_has "$CFIRST is TASK_KILLED"
check "and it is replaced" wait_for $T replaced cbad "$CFIRST"
check "DELETE it (force: its deployment never ends)" test "$(req DELETE "/v2/apps/cbad?force=true")" = 200

# ---- a rolling restart counts healthy tasks ----
check "two healthy instances, strategy {1, 0}" test "$(req PATCH /v2/apps/hok '{"instances":2,"upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":0}}')" = 200
check "both healthy" wait_for $T app_has hok '"tasksHealthy":2,'
check "settled" wait_for $T no_deployments
BEFORE=$(task_ids hok | tr '\n' ' ')
check "POST restart" test "$(req POST /v2/apps/hok/restart)" = 200
MIN=99
polls=$((T * 20))
while [ "$polls" -gt 0 ] && ! no_deployments; do
	n=$(curl -s "$API/v2/apps/hok" | sed -n 's/.*"tasksHealthy":\([0-9]*\),.*/\1/p')
	[ -n "$n" ] && [ "$n" -lt "$MIN" ] && MIN=$n
	sleep 0.05
	polls=$((polls - 1))
done
check "the restart ends" no_deployments
check "never fewer than 2 healthy during it (min $MIN)" test "$MIN" -ge 2
AFTER=$(task_ids hok | tr '\n' ' ')
check "both tasks are new" sh -c "for t in $BEFORE; do echo '$AFTER' | grep -q \"\$t\" && exit 1; done; exit 0"

kill "$EV" 2>/dev/null
wait "$EV" 2>/dev/null
check "the plugin still answers" sh -c "curl -s '$API/ping' | grep -q pong"

# tests/t_marathon_ready.sh: Marathon's readinessChecks (issue #19). Tasks
# serve HTTP with tests/httpd; their readiness path is the file $TMP/www/ready,
# 404 until the test makes it. A new app's deployment waits for its task to
# be ready (readinessCheckResults in /v2/deployments and in the app with
# embed=apps.readiness, the last response kept); a rolling restart keeps the
# old task until the new one is ready, then kills it and ends. HTTPS and a
# portName the app lacks are refused with a 422.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch, check or roll.
T=20
# Seconds a deployment is watched to stay held back by an unready task.
HOLD_S=2

. "$(dirname "$0")/lib_marathon.sh"
plan 15
marathon_plugin_dir
start_master "--plugins=$TMP/plugins" || exit 1
# The plugin connects to its tasks' host: an address needs no resolver. The
# port range is below the kernel's ephemeral ports and no other test's.
start_agent a1 --hostname=127.0.0.1 "--resources=cpus:4;mem:2048;disk:1000;ports:[23200-23299]" \
    > /dev/null || exit 1
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework' || exit 1

HTTPD=$TOP/tests/httpd
mkdir -p "$TMP/www"
READY='{"name":"ready","protocol":"HTTP","path":"/files/ready","portName":"http","intervalSeconds":1,"timeoutSeconds":0.5,"httpStatusCodesForReady":[200],"preserveLastResponse":true}'
# No mem: a sanitizer-built tests/httpd holds tens of MB resident.
APP="{\"id\":\"web\",\"cmd\":\"exec '$HTTPD' '$TMP/www' \$PORT0\",\"cpus\":0.1,\"mem\":0,\"portDefinitions\":[{\"port\":0,\"name\":\"http\"}],\"readinessChecks\":[$READY]}"

deploying () {
	curl -s "$API/v2/deployments" | grep -q '"affectedApps":\["/web"\]'
}
running () {
	app_has web "\"tasksRunning\":$1,"
}

check "an app with a readiness check" test "$(req POST /v2/apps "$APP")" = 201
check "shown as given, defaults filled" body_has '"readinessChecks":\[{"name":"ready","protocol":"HTTP","path":"/files/ready","portName":"http","intervalSeconds":1,"timeoutSeconds":0.5,"httpStatusCodesForReady":\[200\],"preserveLastResponse":true}\]'
check "its task runs" wait_for $T running 1
check "its deployment waits for it to be ready" holds $HOLD_S deploying
check "/v2/deployments shows it not ready, with the last response" sh -c "curl -s '$API/v2/deployments' |
	grep -q '\"currentActions\":\[{\"action\":\"[A-Za-z]*\",\"app\":\"/web\",\"readinessCheckResults\":\[{\"name\":\"ready\",\"taskId\":\"web\.instance-[^\"]*\",\"ready\":false,\"lastResponse\":{\"status\":404,'"
check "so does the app with embed=apps.readiness" sh -c "curl -s '$API/v2/apps?embed=apps.readiness' |
	grep -q '\"readinessCheckResults\":\[{\"name\":\"ready\",[^]]*\"ready\":false'"
echo 'up' > "$TMP/www/ready"
check "ready: the deployment ends" wait_for $T sh -c "! curl -s '$API/v2/deployments' | grep -q /web"

# ---- a rolling restart: the old task stays until the new one is ready ----
OLD=$(curl -s "$API/v2/apps/web/tasks" | tr '{' '\n' | sed -n 's/^"id":"\(web[^"]*\)".*/\1/p')
rm -f "$TMP/www/ready"
check "a restart" test "$(req POST /v2/apps/web/restart)" = 200
check "a new task runs beside the old one" wait_for $T running 2
check "the old one is kept while the new one is not ready" holds $HOLD_S sh -c "
	curl -s '$API/v2/apps/web/tasks' | grep -q '$OLD' && curl -s '$API/v2/deployments' | grep -q /web"
echo 'up' > "$TMP/www/ready"
check "ready: the old one is killed, the deployment ends" wait_for $T sh -c "
	! curl -s '$API/v2/apps/web/tasks' | grep -q '$OLD' && ! curl -s '$API/v2/deployments' | grep -q /web"

# ---- refused ----
# refused SED FIELD: the app changed by SED is refused with a 422 naming FIELD.
refused () {
	echo "$APP" | sed "s/\"id\":\"web\"/\"id\":\"bad\"/; $1" > "$TMP/bad.json"
	[ "$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	    --data "@$TMP/bad.json" "$API/v2/apps")" = 422 ] && grep -q "$2" "$TMP/body"
}
check "HTTPS: 422 naming the field" refused 's/"protocol":"HTTP"/"protocol":"HTTPS"/' \
    '/readinessChecks(0)/protocol'
check "a portName the app lacks: 422" refused 's/"portName":"http"/"portName":"nope"/' \
    '/readinessChecks(0)/portName'

cleanup

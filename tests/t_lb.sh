# tests/t_lb.sh: mesos-lb in front of Marathon's apps, on real daemons:
# an app of 3 spread over its service port; virtual hosts for two apps,
# X-Forwarded-For and a 503 for an unknown host; a killed task and a
# killed agent cost a client that retries once nothing; a rolling restart
# under a constant stream of requests fails none; Marathon restarting
# leaves traffic flowing, and the follower finds it again.
. "$(dirname "$0")/lib.sh"

# Seconds Marathon may take to start, launch or roll.
T=20

. "$(dirname "$0")/lib_marathon.sh"
. "$(dirname "$0")/lib_lb.sh"
plan 48

# A fixed port for Marathon's API (a restarted plugin must come back where mesos-lb looks).
lb_free_port
MPORT=$FREE_PORT
marathon_plugin_dir
mkdir -p "$TMP/mstate"
printf 'http_port=%s\nhttp_ip=127.0.0.1\nstate_dir=%s\n' "$MPORT" "$TMP/mstate" > "$TMP/plugins/marathon.conf"
start_master $PLUGIN_FLAGS || exit 1
R="cpus:4;mem:4096;disk:1000"
start_agent a1 --hostname=127.0.0.1 --attributes=rack:r1 "--resources=$R;ports:[31000-31099]" > /dev/null || exit 1
start_agent a2 --hostname=127.0.0.1 --attributes=rack:r2 "--resources=$R;ports:[31100-31199]" > /dev/null || exit 1
check "the REST API listens" wait_for $T log_has "REST API listening on 127.0.0.1:$MPORT" || exit 1
API=http://127.0.0.1:$MPORT

start_lb "--marathon=$API" --eject_time=2secs --drain_timeout=5secs || exit 1
check "it follows Marathon's events" wait_for $T grep -q "following its events" "$TMP/lb.log"
check "healthy once it has read the apps" wait_for $T sh -c "curl -sf '$STATS/_lb/health' | grep -q '\"ok\"'"

# up APP N: mesos-lb has N usable backends for APP.
up () {
	curl -s "$STATS/_lb/stats" | tr '{' '\n' | awk -v app="\"app\":\"/$1\"" \
	    'index($0, app) { on = 1; next } /"app":/ { on = 0 } on && /"state":"up"/ { n++ } END { print n + 0 }' |
	    grep -qx "$2"
}
service_port () {
	curl -s "$API/v2/apps/$1" | sed -n 's/.*"portDefinitions":\[{"port":\([0-9]*\).*/\1/p'
}
# Spread over both agents (racks), so that one of them can go. No mem: a
# sanitizer-built tests/httpd holds tens of MB resident. Each task serves for
# 2 s after its SIGTERM, as a well-behaved app does: time for Marathon's
# TASK_KILLING to reach mesos-lb even on a loaded machine under ASan (500 ms
# was once too short there).
APP='"cmd":"exec '"$TOP"'/tests/httpd --drain=2000 . $PORT0","cpus":0.1,"mem":0,"constraints":[["rack","MAX_PER","2"]]'
check "an app of 3" test "$(req POST /v2/apps "{\"id\":\"web\",$APP,\"instances\":3,\"labels\":{\"HAPROXY_0_VHOST\":\"web.test\"}}")" = 201
check "a second app" test "$(req POST /v2/apps "{\"id\":\"api\",$APP,\"instances\":1,\"labels\":{\"HAPROXY_0_VHOST\":\"api.test\",\"HAPROXY_0_PATH\":\"/header\"}}")" = 201
check "3 backends up for web" wait_for $T up web 3
check "1 backend up for api" wait_for $T up api 1
SP=$(service_port web)
check "web's service port is proxied" wait_for $T sh -c "curl -sf http://127.0.0.1:$SP/whoami | grep -q 127.0.0.1"

# ---- for sites that run HAProxy: the same table as its configuration ----
"$TOP/mesos-lb" "--marathon=$API" --ip=127.0.0.1 "--http_port=$MPORT" --stats_port=-1 \
    "--haproxy_config=$TMP/haproxy.cfg" "--haproxy_reload=echo reload >> $TMP/reloads" \
    > "$TMP/lbh.log" 2>&1 &
LBH_PID=$!
lib_track_pid "$LBH_PID"
check "--haproxy_config: written and reloaded" wait_for $T test -s "$TMP/reloads"
check "a frontend per service port" grep -q "^frontend web_$SP" "$TMP/haproxy.cfg"
check "its tasks as servers (in its TCP and its virtual host backend)" \
    test "$(grep -c '^  server web\.instance-' "$TMP/haproxy.cfg")" -eq 6
check "virtual hosts on the HTTP frontend" grep -q "acl host_web_$SP hdr(host),field(1,:) -i web.test" "$TMP/haproxy.cfg"
check "path rules too" grep -q "use_backend api_[0-9]*_vhost if host_api_[0-9]* path_api_" "$TMP/haproxy.cfg"
if command -v haproxy > /dev/null 2>&1; then
	check "HAProxy finds it valid" haproxy -c -f "$TMP/haproxy.cfg"
else
	skip "haproxy is not installed: its check of the configuration"
fi

# ---- spread over all three ----
load --requests=30 "http://127.0.0.1:$SP/whoami"
check "30 requests on the service port, none failed" failed_is 0
check "spread over all 3 tasks" test "$(grep -c '^body [0-9]* 127.0.0.1:' "$TMP/load.out")" -eq 3
check "round robin: 10 each" test "$(grep -c '^body 10 ' "$TMP/load.out")" -eq 3

# ---- virtual hosts ----
check "Host web.test reaches web" sh -c "curl -s -H 'Host: web.test' http://$HTTP/whoami | grep -q 127.0.0.1"
check "Host api.test with path /header reaches api, with X-Forwarded-For" \
    sh -c "test \"\$(curl -s -H 'Host: api.test:80' http://$HTTP/header/X-Forwarded-For)\" = 127.0.0.1"
check "api.test outside its path goes nowhere: 503" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: api.test' "http://$HTTP/whoami")" = 503
check "an unknown host: 503" \
    test "$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Host: nope.test' "http://$HTTP/")" = 503
check "with a short body" body_has "no app serves host 'nope.test'"
load --requests=20 --keepalive --host=web.test "http://$HTTP/whoami"
check "20 kept-alive requests through the HTTP port" failed_is 0
check "kept-alive requests spread too" test "$(grep -c '^body [0-9]* 127.0.0.1:' "$TMP/load.out")" -eq 3
check "/_lb/health on the HTTP port" sh -c "curl -sf http://$HTTP/_lb/health | grep -q ok"

# ---- a task killed: the client retrying once loses nothing ----
VICTIM=$(curl -s "http://127.0.0.1:$SP/whoami" | sed 's/.*://')
VPID=$(ps -e -o pid= -o args= | awk -v p="$VICTIM" '$2 ~ /tests\/httpd$/ && $NF == p { print $1 }')
check "found the task's process" test -n "$VPID"
kill -9 "$VPID"
load --requests=60 --retries=1 "http://127.0.0.1:$SP/whoami"
check "a task killed: 60 requests, none failed with one retry" failed_is 0
check "the dead backend left the rotation" grep -q ":$VICTIM (.*\(ejected\|TASK_FAILED\|TASK_KILLED\)" "$TMP/lb.log"
check "Marathon replaces it: 3 up again" wait_for $T up web 3

# ---- a rolling restart under constant load ----
check "settled" wait_for $T no_deployments
check "POST restart" test "$(req POST /v2/apps/web/restart)" = 200
# Requests in bursts, one after the other, until the deployment is over.
FAILS=0
BURSTS=0
polls=$((T * 20))
while [ "$polls" -gt 0 ] && ! no_deployments; do
	load --concurrency=2 --requests=40 "http://127.0.0.1:$SP/whoami"
	failed_is 0 || FAILS=$((FAILS + 1))
	BURSTS=$((BURSTS + 1))
	polls=$((polls - 1))
done
check "the restart ends" no_deployments
check "a rolling restart under load ($BURSTS bursts of 40): no request failed" test "$FAILS" -eq 0
check "the load spanned the restart" test "$BURSTS" -ge 2
check "killed tasks were drained" grep -q "TASK_KILLING" "$TMP/lb.log"

check "--haproxy_config: rewritten and reloaded after the restart" \
    test "$(wc -l < "$TMP/reloads")" -ge 2
check "reloads follow writes (one after a burst of them)" \
    test "$(grep -c "wrote $TMP/haproxy.cfg" "$TMP/lbh.log")" -ge "$(wc -l < "$TMP/reloads")"
stop_pid "$LBH_PID"

# ---- an agent killed with its tasks ----
check "3 up" wait_for $T up web 3
A2PID=$(eval echo "\$AGENT_PID_a2")
kill -9 "$A2PID"
# Its supervisors wait for an agentd that is not coming back: left on purpose.
LIB_SUPERVISORS_LEFT=expected
# Its tasks die with it, as on a machine that is gone: theirs run in its work dir.
for p in $(ps -e -o pid= -o args= | awk '$2 ~ /tests\/httpd$/ { print $1 }'); do
	case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in
	"$TMP/a2/"*) kill -9 "$p" ;;
	esac
done
load --requests=60 --retries=1 "http://127.0.0.1:$SP/whoami"
check "an agent killed: 60 requests, none failed with one retry" failed_is 0

# ---- Marathon restarting keeps traffic flowing ----
HOST_PID=$(ctl frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
check "found Marathon's plugin host" test -n "$HOST_PID"
kill -9 "$HOST_PID"
check "mesos-lb sees Marathon gone" wait_for $T grep -q "keeping the last known backends" "$TMP/lb.log"
load --requests=30 --retries=1 "http://127.0.0.1:$SP/whoami"
check "Marathon away: traffic flows" failed_is 0
check "Marathon is back" wait_for $T sh -c "curl -sf $API/ping > /dev/null"
check "mesos-lb follows it again" wait_for $T sh -c "test \$(grep -c 'following its events' '$TMP/lb.log') -ge 2"
load --requests=30 --retries=1 "http://127.0.0.1:$SP/whoami"
check "and traffic flows" failed_is 0

# ---- stats ----
check "mesosctl lb shows the table" sh -c "'$TOP/mesosctl' lb --lb=${STATS#http://} | grep -q '^/web'"
check "stats count connections" sh -c "curl -s $STATS/_lb/stats | grep -q '\"total\":[1-9]'"
stop_pid "$LB_PID"
check "mesos-lb stops on TERM" grep -q "stopped" "$TMP/lb.log"

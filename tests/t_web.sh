# tests/t_web.sh: the master's web page in a real browser. Headless
# chromium, driven from node through the DevTools protocol
# (tests/web_driver.js), loads the page from a master with Marathon and an
# agent, clicks through the agents, a task's sandbox and its live tail,
# creates and scales a Marathon app and sees it running, sees an API's
# error shown, creates and runs a job, and fails on any JavaScript error; screenshots go to $TMP
# (kept with KEEP_TMP=1). Without chromium or node it is skipped. Also,
# with curl: the page's files and /files/* over plain HTTP, their bad
# requests refused, and the plugins' CORS answers.
. "$(dirname "$0")/lib.sh"

# Seconds the plugin may take to start and register.
T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 50
for prog in node chromium curl; do
	if ! command -v "$prog" > /dev/null 2>&1; then
		skip_rest "$prog is needed for the browser test"
		exit 0
	fi
done
marathon_plugin_dir
plugin_dir jobs
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS --history_interval=20ms || exit 1
start_agent a1 --resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]" \
    --attributes="rack:r1;zone:a" > /dev/null || exit 1
# rest_url NAME: the REST API's address of plugin NAME.
rest_url () {
	echo "http://127.0.0.1:$(sed -n "s/.*plugin $1: info: REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p" \
	    "$TMP/master.log" | tail -n 1)"
}
check "Marathon's REST API listens" wait_for $T log_has 'plugin marathon: info: REST API listening' || exit 1
check "jobs' REST API listens" wait_for $T log_has 'plugin jobs: info: REST API listening' || exit 1
API=$(rest_url marathon)
JOBS=$(rest_url jobs)
check "Marathon registers" wait_for $T log_has 'plugin marathon: info: registered as framework'

# mesosctl itself, not a subshell around ctl, so that its pid is the one stopped.
"$TOP/mesosctl" "--master=$MASTER" run --name=webtail --resources="cpus:0.1;mem:32" \
    --command='echo web-hello; while :; do echo tick; sleep 0.3; done' > "$TMP/run.out" 2>&1 &
lib_track_pid $!
check "a task runs" wait_for 10 grep -q TASK_RUNNING "$TMP/run.out"
TASK=$(sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$TMP/run.out" | head -n 1)
URL=http://$MASTER

# ---- plain HTTP ----
get () {
	curl -s -o "$TMP/body" -w '%{http_code}' ${2:+-X "$2"} "$URL$1"
}
check "GET / is the page" test "$(get /)" = 200
check "it loads app.js" grep -q 'src="app.js"' "$TMP/body"
check "GET /app.js" test "$(get /app.js)" = 200
check "the page's content type" sh -c "curl -sI '$URL/style.css' | grep -qi '^content-type: text/css'"
check "POST / is refused" test "$(get / POST)" = 405
check "/master/history has samples" sh -c "test \"\$(curl -s '$URL/master/history' | grep -o '\"time\"' | wc -l)\" -ge 2"
check "/files/read without a task is 400" test "$(get /files/read)" = 400
check "an unknown task is 404" test "$(get '/files/read?task_id=nope')" = 404
check "a bad offset is 400" test "$(get "/files/read?task_id=$TASK&offset=x")" = 400
check "a path out of the sandbox is refused" test "$(get "/files/read?task_id=$TASK&path=../../x")" = 404
long=$(printf '%02000d' 0)
check "a path too long to keep is 400" test "$(get "/files/read?task_id=$TASK&path=$long")" = 400
check "a filter too long to keep is 400" test "$(get "/master/tasks?name=$long")" = 400
check "/files/read gives stdout" sh -c "test \"\$(curl -s -o '$TMP/body' -w '%{http_code}' '$URL/files/read?task_id=$TASK&path=stdout')\" = 200 && grep -q web-hello '$TMP/body'"
check "/files/browse lists the sandbox" sh -c "curl -s '$URL/files/browse?task_id=$TASK' | grep -q '\"name\":\"stdout\",\"type\":\"f\"'"
check "/master/tasks finds the task by name" sh -c "curl -s '$URL/master/tasks?name=webtail' | grep -q '\"id\":\"$TASK\".*\"total\":1,'"
check "and by state" sh -c "curl -s '$URL/master/tasks?state=TASK_RUNNING&limit=1' | grep -q '\"total\":1,\"offset\":0,\"limit\":1'"
check "a page past the end is empty" sh -c "curl -s '$URL/master/tasks?offset=5' | grep -q '^{\"tasks\":\[\],\"total\":1,'"
check "a bad limit is 400" test "$(get '/master/tasks?limit=-1')" = 400
check "/master/frameworks?tasks=false counts tasks" sh -c "curl -s '$URL/master/frameworks?tasks=false' | grep '\"task_count\":1' | grep -qv '\"tasks\":'"
check "/master/slaves lists the agent" sh -c "curl -s '$URL/master/slaves' | grep -q '\"attributes\":{\"rack\":\"r1\"'"
# A request whose agent does not answer: its client leaves, then the answer comes.
# shellcheck disable=SC2154  # set by start_agent
kill -STOP "$AGENT_PID_a1"
check "a client that leaves a pending sandbox read" sh -c "! curl -s -m 1 '$URL/files/read?task_id=$TASK'"
kill -CONT "$AGENT_PID_a1"
check "the master still serves" test "$(get /health)" = 200
check "and reads the sandbox again" sh -c "curl -s '$URL/files/read?task_id=$TASK' | grep -q web-hello"
check "Marathon answers a preflight" sh -c "curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: $URL' -H 'Access-Control-Request-Method: PUT' '$API/v2/apps' | grep -q 204"
check "with the page's origin allowed" sh -c "curl -s -D - -o /dev/null -H 'Origin: $URL' '$API/v2/apps' | grep -qi '^access-control-allow-origin: $URL'"

# ---- the browser ----
node "$TOP/tests/web_driver.js" test "$URL" "$API" "$JOBS" "$TASK" web-hello "$TMP" \
    > "$TMP/driver.out" 2>&1
rc=$?
cat "$TMP/driver.out"
if [ "$rc" -ne 0 ]; then
	fail "the browser test (screenshots in $TMP with KEEP_TMP=1)"
fi
for shot in cluster task marathon jobs sharing cluster-phone; do
	check "screenshot $shot.png saved" test -s "$TMP/$shot.png"
done
# 20 ms a sample (the flag above): the ring has long been full; it keeps 360.
check "the history keeps its last 360 samples" sh -c "test \"\$(curl -s '$URL/master/history' | grep -o '\"time\"' | wc -l)\" -eq 360"
check "the master survived it all" test "$(get /health)" = 200
[ "$LIB_FAILED" -eq 0 ]

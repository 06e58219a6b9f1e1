# tests/lib_marathon.sh: what the Marathon plugin's tests (t_marathon*.sh)
# share. Source it after lib.sh:   . "$(dirname "$0")/lib_marathon.sh"
# Without curl the test is skipped: it drives the REST API.
#
# Provides: plugin_dir, marathon_plugin_dir, PLUGIN_FLAGS, log_has, api_url
# (sets API), req, body_has, app_has, no_deployments, marathon_cluster,
# hosts, hosts_are, tasks_in, tasks_in_is, app_running_is.

if ! command -v curl > /dev/null 2>&1; then
	[ "$LIB_PLANNED" -gt 0 ] || plan 1
	skip_rest "curl is needed to drive the REST API"
	exit 0
fi

# plugin_dir NAME [STATE_DIR]: $TMP/plugins holding NAME.so and its conf, its
# REST API on an ephemeral port of 127.0.0.1 (with STATE_DIR: its state kept
# there, so a restarted plugin finds it). start_master $PLUGIN_FLAGS loads it;
# a plugin killed comes back within a second.
plugin_dir () {
	mkdir -p "$TMP/plugins"
	cp "$TOP/plugins/$1.so" "$TMP/plugins/$1.so"
	printf 'http_port=0\nhttp_ip=127.0.0.1\n' > "$TMP/plugins/$1.conf"
	if [ -n "$2" ]; then
		mkdir -p "$2"
		printf 'state_dir=%s\n' "$2" >> "$TMP/plugins/$1.conf"
	fi
	# shellcheck disable=SC2034  # for the test that sources this
	PLUGIN_FLAGS="--plugins=$TMP/plugins --plugin_backoff=100ms --plugin_backoff_max=1secs"
}

# marathon_plugin_dir [state]: plugin_dir for marathon ("state": in $TMP/mstate).
marathon_plugin_dir () {
	plugin_dir marathon "${1:+$TMP/mstate}"
}

log_has () {
	grep -q -- "$1" "$TMP/master.log"
}

# Seconds a (re)started plugin host may take to open its REST API (slow under ASan).
LIB_MARATHON_API_WAIT_S=60

# api_url: API, the REST API's address (http_port=0: a new one after each restart).
# Waits for the line: right after restart_master the new log may not have it yet.
api_url () {
	wait_for "$LIB_MARATHON_API_WAIT_S" log_has 'REST API listening on 127.0.0.1:' ||
	    fail "api_url: no 'REST API listening' line in $TMP/master.log"
	API=http://127.0.0.1:$(sed -n 's/.*REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
	    "$TMP/master.log" | tail -n 1)
}

# req METHOD PATH [JSON]: the HTTP status on stdout, the body in $TMP/body.
req () {
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"} "$API$2"
}

body_has () {
	grep -q -- "$1" "$TMP/body"
}

# app_has ID PATTERN: GET /v2/apps/ID matches PATTERN.
app_has () {
	curl -s "$API/v2/apps/$1" | grep -q -- "$2"
}

# no_deployments: every deployment is over (an app is locked while one runs: 409).
no_deployments () {
	test "$(curl -s "$API/v2/deployments")" = "[]"
}

# marathon_cluster: a master with the plugin (no state kept), one agent a1 of
# 4 cpus, API set once the plugin has registered; exits the test when the
# cluster does not come up. T is the caller's deadline.
marathon_cluster () {
	plugin_dir marathon
	# shellcheck disable=SC2086
	start_master $PLUGIN_FLAGS || exit 1
	start_agent a1 --resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null || exit 1
	check "the REST API listens" wait_for "$T" log_has 'REST API listening on 127.0.0.1:' || exit 1
	api_url
	check "registers" wait_for "$T" log_has 'plugin marathon: info: registered as framework'
}

# auth_marathon_cluster: a master with every --authenticate* flag, the credentials
# $TMP/creds and ACLs $TMP/acls.json; Marathon authenticating as principal marathon
# (secret marathon-secret), its API behind admin:api-secret; agent a1 with
# $TMP/agent.cred. Exits the test when the master or the agent does not come up.
auth_marathon_cluster () {
	marathon_plugin_dir ""
	printf 'principal=marathon\nsecret=marathon-secret\nhttp_credentials=admin:api-secret\n' \
	    >> "$TMP/plugins/marathon.conf"
	# shellcheck disable=SC2086
	start_master $PLUGIN_FLAGS "--credentials=$TMP/creds" "--acls=$TMP/acls.json" \
	    --authenticate_agents --authenticate_frameworks --authenticate_http_readonly \
	    --authenticate_http_readwrite || exit 1
	start_agent a1 "--credential=$TMP/agent.cred" --resources="cpus:2;mem:1024;ports:[31000-31010]" \
	    > /dev/null || exit 1
}

# hosts APP: the hosts of APP's running tasks, sorted, on one line; hosts_are APP HOSTS.
hosts () {
	curl -s "$API/v2/apps/$1/tasks" | tr '{' '\n' | grep '"state":"TASK_RUNNING"' |
	    sed 's/.*"host":"\([^"]*\)".*/\1/' | sort | tr '\n' ' '
}
hosts_are () {
	test "$(hosts "$1")" = "$2"
}
# tasks_in APP STATE: how many of APP's tasks Marathon lists in STATE; tasks_in_is APP STATE N.
tasks_in () {
	curl -s "$API/v2/apps/$1/tasks" | tr '{' '\n' | grep -c "\"state\":\"$2\""
}
tasks_in_is () {
	test "$(tasks_in "$1" "$2")" -eq "$3"
}

# app_running_is PREFIX N: the master has N tasks running whose ids start with PREFIX.instance-.
app_running_is () {
	test "$(ctl tasks | awk -v p="$1.instance-" '$3 == "TASK_RUNNING" && index($1, p) == 1' |
	    wc -l | tr -d ' ')" -eq "$2"
}

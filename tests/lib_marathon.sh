# tests/lib_marathon.sh: what the Marathon plugin's tests (t_marathon*.sh)
# share. Source it after lib.sh:   . "$(dirname "$0")/lib_marathon.sh"
# Without curl the test is skipped: it drives the REST API.
#
# Provides: marathon_plugin_dir, PLUGIN_FLAGS, log_has, api_url (sets API),
# req, body_has, app_has, no_deployments.

if ! command -v curl > /dev/null 2>&1; then
	skip "curl is needed to drive the REST API"
	exit 0
fi

# marathon_plugin_dir [state]: $TMP/plugins holding marathon.so and its conf,
# its REST API on an ephemeral port of 127.0.0.1 (with "state": its state kept
# in $TMP/mstate, so a restarted plugin finds it). start_master $PLUGIN_FLAGS
# loads it; a plugin killed comes back within a second.
marathon_plugin_dir () {
	mkdir -p "$TMP/plugins"
	cp "$TOP/plugins/marathon.so" "$TMP/plugins/marathon.so"
	if [ "$1" = state ]; then
		mkdir -p "$TMP/mstate"
		printf 'http_port=0\nhttp_ip=127.0.0.1\nstate_dir=%s\n' "$TMP/mstate" > "$TMP/plugins/marathon.conf"
	else
		printf 'http_port=0\nhttp_ip=127.0.0.1\n' > "$TMP/plugins/marathon.conf"
	fi
	# shellcheck disable=SC2034  # for the test that sources this
	PLUGIN_FLAGS="--plugins=$TMP/plugins --plugin_backoff=100ms --plugin_backoff_max=1secs"
}

log_has () {
	grep -q -- "$1" "$TMP/master.log"
}

# api_url: API, the REST API's address (http_port=0: a new one after each restart).
api_url () {
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

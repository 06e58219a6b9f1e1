# tests/t_auth_marathon.sh: the Marathon plugin in a cluster with every
# --authenticate* flag and ACLs (issue #17): it authenticates with its
# conf's principal and secret, its REST API asks for http_credentials, it
# runs an app; nobody without credentials (or with another principal's)
# can tear it down or take its framework ID over.
. "$(dirname "$0")/lib.sh"

T=15
. "$(dirname "$0")/lib_marathon.sh"
plan 12

cat > "$TMP/creds" <<'CREDS'
agent1 agent-secret
marathon marathon-secret
thief thief-secret
ops ops-secret
CREDS
echo 'agent1 agent-secret' > "$TMP/agent.cred"
cat > "$TMP/acls.json" <<'ACLS'
{"teardown_frameworks": [
   {"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}},
   {"principals": {"type": "ANY"}, "framework_principals": {"type": "NONE"}}]}
ACLS
auth_marathon_cluster
check "Marathon authenticates with its conf's credential" \
    wait_for $T log_has 'authenticated as principal marathon (framework)' || exit 1
check "its REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
FWID_FILE=$TMP/master/plugins/marathon.framework_id
check "Marathon subscribes" wait_for $T test -s "$FWID_FILE" || exit 1
FWID=$(cat "$FWID_FILE")

APP='{"id": "/web", "cmd": "sleep 100", "cpus": 0.1, "mem": 16, "instances": 1}'
code=$(curl -s -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data "$APP" "$API/v2/apps")
if [ "$code" = 401 ] && grep -qi '^WWW-Authenticate: Basic realm="Mesosphere"' "$TMP/head"; then
	pass "Marathon's API without http_credentials: 401"
else
	fail "Marathon's API without http_credentials: 401 (got $code)"
fi
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -u admin:wrong "$API/v2/apps")
check "Marathon's API with a wrong password: 401" [ "$code" = 401 ]
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -u admin:api-secret -X POST \
    -H 'Content-Type: application/json' --data "$APP" "$API/v2/apps")
check "Marathon's API with http_credentials takes an app" [ "$code" = 201 ]
running_web () {
	MESOS_PRINCIPAL=ops MESOS_SECRET=ops-secret ctl tasks | grep -q '^web\..*TASK_RUNNING'
}
check "the app's task runs" wait_for $T running_web

# The issue's attacks on Marathon, with authentication on.
"$TOP/tests/fw" "--master=$MASTER" --principal=thief --secret=thief-secret \
    "--framework_id=$FWID" --command=true --timeout=5 > "$TMP/thief.out" 2>&1
check "SUBSCRIBE with Marathon's framework ID by another principal is refused" \
    grep -q "registered by another principal" "$TMP/thief.out"
if ctl teardown "$FWID" > "$TMP/td.out" 2>&1 || ! grep -q "authentication required" "$TMP/td.out"; then
	cat "$TMP/td.out" >&2
	fail "mesosctl teardown of Marathon without credentials is refused"
else
	pass "mesosctl teardown of Marathon without credentials is refused"
fi
if ctl --principal=thief --secret=thief-secret teardown "$FWID" > "$TMP/td.out" 2>&1; then
	fail "teardown of Marathon by a principal the ACLs refuse is refused"
else
	pass "teardown of Marathon by a principal the ACLs refuse is refused"
fi
check "Marathon's task still runs after the attempts" running_web
check "Marathon is still subscribed" sh -c "! grep -q 'framework $FWID.*removed\|torn down' '$TMP/master.log'"

cleanup

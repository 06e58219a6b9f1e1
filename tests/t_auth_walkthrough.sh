# tests/t_auth_walkthrough.sh: issue #17's "done when": a cluster with every
# --authenticate* flag and ACLs runs `make run`'s walkthrough (the README's
# mesosctl commands), Marathon and the sh-framework example with their
# credentials, and refuses each of them without.
. "$(dirname "$0")/lib.sh"

T=15
. "$(dirname "$0")/lib_marathon.sh"
plan 14

RUN_SH=$TOP/examples/sh-framework/run.sh
cat > "$TMP/creds" <<'CREDS'
agent1 agent-secret
marathon marathon-secret
shfw shfw-secret
ops ops-secret
CREDS
echo 'agent1 agent-secret' > "$TMP/agent.cred"
cat > "$TMP/acls.json" <<'ACLS'
{"permissive": false,
 "register_frameworks": [{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}],
 "run_tasks": [{"principals": {"type": "ANY"}, "users": {"type": "ANY"}}],
 "teardown_frameworks": [{"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}}],
 "access_sandboxes": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}}],
 "view_frameworks": [{"principals": {"type": "ANY"}, "users": {"type": "ANY"}}],
 "view_tasks": [{"principals": {"type": "ANY"}, "users": {"type": "ANY"}}]}
ACLS
auth_marathon_cluster

# ops ARGS: mesosctl as the operator.
ops () {
	MESOS_PRINCIPAL=ops MESOS_SECRET=ops-secret ctl "$@"
}
# refused OUT CMD...: CMD fails and says why.
refused () {
	refused_out=$1
	shift
	if "$@" > "$refused_out" 2>&1; then
		return 1
	fi
	grep -q 'authentication required\|401' "$refused_out"
}

# --- the walkthrough -------------------------------------------------------
check "walkthrough: mesosctl agents, with a credential" sh -c "
	MESOS_PRINCIPAL=ops MESOS_SECRET=ops-secret '$TOP/mesosctl' --master=$MASTER agents | grep -q -- '-S0 '"
check "walkthrough: mesosctl agents, without: refused" refused "$TMP/agents.out" ctl agents
ops run --name=hello --command='echo hello from $HOSTNAME' > "$TMP/run.out" 2>&1
check "walkthrough: mesosctl run, with a credential, finishes" grep -q TASK_FINISHED "$TMP/run.out"
check "walkthrough: mesosctl run, without: refused" refused "$TMP/run2.out" \
    ctl --timeout=5secs run --name=nohello --command=true
HELLO=$(ops tasks | awk '$1 ~ /^hello-/ { print $1; exit }')
check "walkthrough: mesosctl tasks lists it" test -n "$HELLO"
check "walkthrough: mesosctl cat, with a credential" sh -c "
	MESOS_PRINCIPAL=ops MESOS_SECRET=ops-secret '$TOP/mesosctl' --master=$MASTER cat '$HELLO' stdout |
	grep -q 'hello from'"
check "walkthrough: mesosctl cat, without: refused" refused "$TMP/cat.out" ctl cat "$HELLO" stdout

# --- Marathon ----------------------------------------------------------------
check "Marathon authenticates with its conf's credential" \
    wait_for $T log_has 'authenticated as principal marathon (framework)'
check "Marathon's REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:'
api_url
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -u admin:api-secret -X POST \
    -H 'Content-Type: application/json' \
    --data '{"id": "/walk", "cmd": "sleep 100", "cpus": 0.1, "mem": 16}' "$API/v2/apps")
walk_runs () {
	ops tasks | grep -q '^walk\..*TASK_RUNNING'
}
if [ "$code" = 201 ] && wait_for $T walk_runs; then
	pass "Marathon, with its credential, runs an app"
else
	fail "Marathon, with its credential, runs an app (POST: $code)"
fi
# The same plugin without a principal in its conf, beside the master.
printf 'http_port=0\nhttp_ip=127.0.0.1\n' > "$TMP/nocred.conf"
"$TOP/mesos-plughost" "--master=$MASTER" "--plugin=$TOP/plugins/marathon.so" \
    "--conf=$TMP/nocred.conf" > "$TMP/plughost.out" 2>&1 &
PH=$!
lib_track_pid "$PH"
check "Marathon without its credential: refused" \
    wait_for $T grep -q 'authentication required' "$TMP/plughost.out"
stop_pid "$PH"

# --- the sh-framework example --------------------------------------------------
MESOS_PRINCIPAL=shfw MESOS_SECRET=shfw-secret MESOSCTL=$TOP/mesosctl \
    timeout 60 sh "$RUN_SH" "$MASTER" command='echo from sh' instances=1 \
    state="$TMP/sh.state" > "$TMP/sh.out" 2>&1
check "sh-framework, with its credential, runs its task to the end" \
    grep -q 'all 1 copies ended, 0 not finished' "$TMP/sh.out"
MESOSCTL=$TOP/mesosctl timeout 60 sh "$RUN_SH" "$MASTER" command=true name=anon \
    state="$TMP/anon.state" > "$TMP/anon.out" 2>&1
check "sh-framework without a credential: refused" grep -q 'authentication required' "$TMP/anon.out"
MESOS_PRINCIPAL=shfw MESOS_SECRET=wrong MESOSCTL=$TOP/mesosctl \
    timeout 60 sh "$RUN_SH" "$MASTER" command=true name=wrong \
    state="$TMP/wrong.state" > "$TMP/wrong.out" 2>&1
check "sh-framework with a wrong secret: refused" grep -q 'authentication failed' "$TMP/wrong.out"

cleanup

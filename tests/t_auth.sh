# tests/t_auth.sh: authentication and authorization (issue #17) with every
# --authenticate* flag on and ACLs: each attack the issue tried fails (a
# fake agent, a wrong secret, a framework ID taken over by another
# principal, a teardown without credentials, HTTP without them), and
# mesosctl, an external framework and agents with their credentials work.
. "$(dirname "$0")/lib.sh"
plan 26

PEER=$TOP/tests/peer
FW=$TOP/tests/fw
# Seconds a task or a refusal may take.
T=10
# The master answers a failed handshake after MASTER_AUTH_FAIL_DELAY_MS (1 s): at least this.
MIN_DELAY_MS=900
NONCE=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ZERO_PROOF=0000000000000000000000000000000000000000000000000000000000000000

cat > "$TMP/creds" <<'CREDS'
# principal secret
agent1 agent-secret
fwa fwa-secret
fwb fwb-secret
ops ops-secret
guest guest-secret
CREDS
echo '{"principal": "agent1", "secret": "agent-secret"}' > "$TMP/agent.cred"
echo 'agent1 not-the-secret' > "$TMP/wrong.cred"
cat > "$TMP/acls.json" <<'ACLS'
{
  "permissive": true,
  "register_frameworks": [
    {"principals": {"values": ["guest"]}, "roles": {"type": "NONE"}}
  ],
  "run_tasks": [
    {"principals": {"values": ["fwb"]}, "users": {"type": "NONE"}}
  ],
  "update_weights": [
    {"principals": {"values": ["guest"]}, "roles": {"type": "NONE"}}
  ],
  "teardown_frameworks": [
    {"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "framework_principals": {"type": "NONE"}}
  ]
}
ACLS

start_master "--credentials=$TMP/creds" "--acls=$TMP/acls.json" --authenticate_agents \
    --authenticate_frameworks --authenticate_http_readonly --authenticate_http_readwrite || exit 1
BASIC_OPS=$(printf 'ops:ops-secret' | base64)

# metric NAME: its value in /metrics/snapshot (asked with the operator's credentials).
metric () {
	curl -s -u ops:ops-secret "http://$MASTER/metrics/snapshot" 2>/dev/null |
	    tr ',{}' '\n\n\n' | sed -n "s|^\"$1\":\\([0-9.]*\\)\$|\\1|p"
}
metric_at_least () {
	[ "$(metric "$1" | cut -d. -f1)" -ge "$2" ] 2>/dev/null
}
now_ms () {
	date +%s%3N
}
have_curl=1
command -v curl > /dev/null 2>&1 || have_curl=0

start_agent a1 "--credential=$TMP/agent.cred" --resources="cpus:2;mem:512" > /dev/null || exit 1
pass "an agent with its credential registers"

# --- a fake agent --------------------------------------------------------------
"$PEER" 127.0.0.1 "$MASTER_PORT" --send "HELLO version=1 kind=agent" \
    --send "REGISTER_AGENT hostname=evil resources=cpus:8;mem:8192" --wait-close --timeout 5000 \
    > "$TMP/peer.out" 2>&1
if grep -q '^ERROR reason=authentication%20required' "$TMP/peer.out" &&
   ! grep -q AGENT_REGISTERED "$TMP/peer.out"; then
	pass "a fake agent without credentials cannot register"
else
	cat "$TMP/peer.out" >&2
	fail "a fake agent without credentials cannot register"
fi

# --- a wrong secret: refused, after the delay, counted ---------------------------
t0=$(now_ms)
"$PEER" 127.0.0.1 "$MASTER_PORT" --send "HELLO version=1 kind=agent principal=agent1 nonce=$NONCE" \
    --await CHALLENGE --send "AUTHENTICATE proof=$ZERO_PROOF" --wait-close --timeout 5000 \
    > "$TMP/peer.out" 2>&1
t1=$(now_ms)
if grep -q '^ERROR reason=authentication%20failed' "$TMP/peer.out" && ! grep -q '^WELCOME' "$TMP/peer.out"; then
	pass "a wrong proof is refused"
else
	cat "$TMP/peer.out" >&2
	fail "a wrong proof is refused"
fi
case "$t0$t1" in
*[!0-9]*) skip "the refusal's delay: date cannot print milliseconds here" ;;
*)	if [ $((t1 - t0)) -ge "$MIN_DELAY_MS" ]; then
		pass "the refusal comes after the delay ($((t1 - t0)) ms)"
	else
		fail "the refusal comes after the delay (only $((t1 - t0)) ms)"
	fi ;;
esac
"$TOP/agentd" "--master=$MASTER" "--work_dir=$TMP/a2" "--credential=$TMP/wrong.cred" \
    > "$TMP/a2.log" 2>&1 &
A2=$!
lib_track_pid "$A2"
check "an agent with a wrong secret is refused" \
    wait_for "$T" lib_has_line "$TMP/a2.log" "authentication failed"
stop_pid "$A2"
check "the secret is never in the master's log" sh -c "! grep -q -e agent-secret -e not-the-secret '$TMP/master.log'"
if [ "$have_curl" = 1 ]; then
	check "failures are counted in /metrics" metric_at_least master/authentication_failures 3
else
	skip "failures counted in /metrics: no curl"
fi

# --- mesosctl run, with and without credentials ------------------------------------
RUN="run --name=t --command=true --resources=cpus:0.1;mem:16"
if ctl $RUN > "$TMP/run.out" 2>&1; then
	fail "mesosctl run without credentials is refused"
elif grep -q "authentication required" "$TMP/run.out"; then
	pass "mesosctl run without credentials is refused"
else
	cat "$TMP/run.out" >&2
	fail "mesosctl run without credentials is refused (with the reason)"
fi
if ctl --principal=fwa --secret=wrong $RUN > "$TMP/run.out" 2>&1 ||
   ! grep -q "authentication failed" "$TMP/run.out"; then
	cat "$TMP/run.out" >&2
	fail "mesosctl run with a wrong secret is refused"
else
	pass "mesosctl run with a wrong secret is refused"
fi
if MESOS_PRINCIPAL=fwa MESOS_SECRET=fwa-secret ctl $RUN > "$TMP/run.out" 2>&1 &&
   grep -q TASK_FINISHED "$TMP/run.out"; then
	pass "mesosctl run with credentials (MESOS_PRINCIPAL/MESOS_SECRET) runs its task"
else
	cat "$TMP/run.out" >&2
	fail "mesosctl run with credentials runs its task"
fi

# --- ACLs on frameworks ------------------------------------------------------------
if ctl --principal=guest --secret=guest-secret $RUN > "$TMP/run.out" 2>&1 ||
   ! grep -q "register_frameworks" "$TMP/run.out"; then
	cat "$TMP/run.out" >&2
	fail "ACL register_frameworks refuses a principal"
else
	pass "ACL register_frameworks refuses a principal"
fi
ctl --principal=fwb --secret=fwb-secret $RUN > "$TMP/run.out" 2>&1
if grep -q "TASK_ERROR.*run_tasks" "$TMP/run.out"; then
	pass "ACL run_tasks refuses a principal's task"
else
	cat "$TMP/run.out" >&2
	fail "ACL run_tasks refuses a principal's task"
fi

# --- mesosctl auth-proof: the proof for frameworks that cannot compute HMAC (docs/PROTOCOL.md's example)
A64=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B64=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
check "mesosctl auth-proof gives PROTOCOL.md's proof" test "$(MESOS_SECRET=kitesurf \
    "$TOP/mesosctl" auth-proof peer agent sherman "$A64" "$B64")" = \
    a12e1fd61b1aff4bb1080d00df6166dfdcf4eacf642f32c4412ed7fca8302f7f

# --- a framework ID taken over by another principal ------------------------------------
"$FW" "--master=$MASTER" --principal=fwa --secret=fwa-secret --name=victim --command="sleep 60" \
    --timeout=60 > "$TMP/victim.out" 2>&1 &
VICTIM=$!
lib_track_pid "$VICTIM"
if ! wait_for "$T" grep -q "state=TASK_RUNNING" "$TMP/victim.out"; then
	cat "$TMP/victim.out" >&2
	fail "an external framework with credentials runs a task"
fi
pass "an external framework with credentials runs a task"
FWID=$(sed -n 's/.*framework_id=\([^ ]*\).*/\1/p' "$TMP/victim.out" | head -n 1)
"$FW" "--master=$MASTER" --principal=fwb --secret=fwb-secret "--framework_id=$FWID" \
    --command=true --timeout=5 > "$TMP/thief.out" 2>&1
if grep -q "registered by another principal" "$TMP/thief.out" && lib_alive "$VICTIM"; then
	pass "SUBSCRIBE with another principal's framework ID is refused"
else
	cat "$TMP/thief.out" >&2
	fail "SUBSCRIBE with another principal's framework ID is refused"
fi
"$PEER" 127.0.0.1 "$MASTER_PORT" --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=thief user=root framework_id=$FWID principal=fwa" --wait-close \
    --timeout 5000 > "$TMP/peer.out" 2>&1
if grep -q '^ERROR reason=authentication%20required' "$TMP/peer.out" && lib_alive "$VICTIM"; then
	pass "SUBSCRIBE claiming the principal without its secret is refused"
else
	cat "$TMP/peer.out" >&2
	fail "SUBSCRIBE claiming the principal without its secret is refused"
fi

# --- teardown ----------------------------------------------------------------------
expect_teardown_refused () {
	if ctl "$@" teardown "$FWID" > "$TMP/td.out" 2>&1 || ! lib_alive "$VICTIM"; then
		cat "$TMP/td.out" >&2
		return 1
	fi
	grep -q "$ETR_WHY" "$TMP/td.out"
}
ETR_WHY="authentication required"
check "teardown without credentials is refused" expect_teardown_refused
ETR_WHY="teardown_frameworks"
check "teardown by a principal the ACLs refuse is refused" \
    expect_teardown_refused --principal=guest --secret=guest-secret
check "teardown by the operator the ACLs allow works" \
    ctl --principal=ops --secret=ops-secret teardown "$FWID"
check "the torn down framework's scheduler is told" wait_for "$T" sh -c "! kill -0 $VICTIM"

# --- HTTP ------------------------------------------------------------------------------
http_code () {
	curl -s -o "$TMP/http.out" -D "$TMP/http.head" -w '%{http_code}' "$@"
}
if [ "$have_curl" = 1 ]; then
	code=$(http_code "http://$MASTER/master/state")
	if [ "$code" = 401 ] && grep -qi '^WWW-Authenticate: Basic realm=' "$TMP/http.head"; then
		pass "HTTP without credentials: 401 with WWW-Authenticate"
	else
		fail "HTTP without credentials: 401 with WWW-Authenticate (got $code)"
	fi
	code=$(http_code -u ops:wrong "http://$MASTER/master/state")
	check "HTTP with a wrong password: 401" [ "$code" = 401 ]
	code=$(http_code -H "Authorization: Basic $BASIC_OPS" "http://$MASTER/master/state")
	check "HTTP with the right credentials: 200" [ "$code" = 200 ]
	code=$(http_code -u guest:guest-secret -X PUT -d '[{"role": "prod", "weight": 2}]' "http://$MASTER/weights")
	check "HTTP PUT /weights refused by ACL update_weights: 403" [ "$code" = 403 ]
	check "HTTP refusals are counted" metric_at_least master/http_authentication_failures 2
	check "ACL refusals are counted" metric_at_least master/authorization_refusals 4
else
	skip -n 5 "HTTP authentication: no curl"
fi

cleanup

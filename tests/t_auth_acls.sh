# tests/t_auth_acls.sh: the ACLs that decide what a principal sees and
# reads, and agent IDs bound to their principal (issue #17):
# - view_frameworks and view_tasks: /master/state (and /state.json),
#   /master/frameworks and /master/tasks show a principal only the
#   frameworks and tasks its ACLs allow; "permissive" lets others see all;
# - access_sandboxes: /files/read, /files/browse and mesosctl cat and ls
#   refused or allowed per principal;
# - an agent ID taken over by another principal is refused, while its agent
#   is connected and while it is away; the same principal takes it back,
#   its running task staying RUNNING, never LOST then adopted again.
. "$(dirname "$0")/lib.sh"
plan 23

T=15
PEER=$TOP/tests/peer
ME=$(id -un)
OTHER=nobody

cat > "$TMP/creds" <<'CREDS'
agent1 agent1-secret
agent2 agent2-secret
ops ops-secret
viewer viewer-secret
blind blind-secret
CREDS
echo 'agent1 agent1-secret' > "$TMP/agent1.cred"
cat > "$TMP/acls.json" <<ACLS
{"permissive": true,
 "view_frameworks": [
   {"principals": {"values": ["viewer"]}, "users": {"values": ["$ME"]}},
   {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
 "view_tasks": [
   {"principals": {"values": ["viewer"]}, "users": {"values": ["$ME"]}},
   {"principals": {"values": ["viewer", "blind"]}, "users": {"type": "NONE"}}],
 "access_sandboxes": [
   {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
   {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}]}
ACLS
start_master "--credentials=$TMP/creds" "--acls=$TMP/acls.json" --authenticate_agents || exit 1
R="cpus:2;mem:512;disk:100"
start_agent a1 "--credential=$TMP/agent1.cred" "--resources=$R" > /dev/null || exit 1
AGENT_ID=$(sed -n 's/.*registered with master as \([^ ]*\).*/\1/p' "$TMP/a1.log" | head -n 1)

# as PRINCIPAL ARGS: mesosctl with PRINCIPAL's credential.
as () {
	as_who=$1
	shift
	MESOS_PRINCIPAL=$as_who MESOS_SECRET=$as_who-secret ctl "$@"
}
# get PRINCIPAL PATH: the body of an HTTP GET as PRINCIPAL ("-": no credential).
get () {
	if [ "$1" = - ]; then
		curl -s "http://$MASTER$2"
	else
		curl -s -u "$1:$1-secret" "http://$MASTER$2"
	fi
}
# code PRINCIPAL PATH: its HTTP status.
code () {
	curl -s -o /dev/null -w '%{http_code}' -u "$1:$1-secret" "http://$MASTER$2"
}

# A task of each user, ended, and a framework of the other user (gone too).
as ops run --name=mine --command='echo mine' --user="$ME" > "$TMP/mine.out" 2>&1
as ops run --name=theirs --command='echo theirs' --user="$OTHER" > "$TMP/theirs.out" 2>&1
"$PEER" 127.0.0.1 "$MASTER_PORT" --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=ghostfw user=$OTHER" --await SUBSCRIBED > "$TMP/ghost.out" 2>&1
MINE=$(get ops /master/tasks | tr '{' '\n' | sed -n 's/^"id":"\(mine-[^"]*\)".*/\1/p' | head -n 1)
THEIRS=$(get ops /master/tasks | tr '{' '\n' | sed -n 's/^"id":"\(theirs-[^"]*\)".*/\1/p' | head -n 1)
check "both frameworks ran a task" test -n "$MINE" -a -n "$THEIRS"

# --- view_frameworks, view_tasks ------------------------------------------------
get ops /master/state > "$TMP/ops.json"
check "permissive: ops sees both tasks in /master/state" \
    sh -c "grep -q '\"$MINE\"' '$TMP/ops.json' && grep -q '\"$THEIRS\"' '$TMP/ops.json'"
get viewer /master/state > "$TMP/viewer.json"
check "viewer sees its user's task in /master/state" grep -q "\"$MINE\"" "$TMP/viewer.json"
check "viewer does not see another user's framework or task" \
    sh -c "! grep -q 'ghostfw\\|\"$THEIRS\"' '$TMP/viewer.json'"
check "the same in /state.json" sh -c "
	curl -s -u viewer:viewer-secret 'http://$MASTER/state.json' > '$TMP/viewer2.json' &&
	grep -q '\"$MINE\"' '$TMP/viewer2.json' && ! grep -q '\"$THEIRS\"' '$TMP/viewer2.json'"
get viewer /master/frameworks > "$TMP/vfw.json"
check "viewer's /master/frameworks: only its user's" \
    sh -c "grep -q '\"user\":\"$ME\"' '$TMP/vfw.json' && ! grep -q ghostfw '$TMP/vfw.json'"
get viewer /master/tasks > "$TMP/vtasks.json"
check "viewer's /master/tasks: only its user's, counted so" \
    sh -c "grep -q '\"$MINE\"' '$TMP/vtasks.json' && ! grep -q '\"$THEIRS\"' '$TMP/vtasks.json' &&
	grep -q '\"total\":1,' '$TMP/vtasks.json'"
get blind /master/state > "$TMP/blind.json"
check "view_tasks NONE: frameworks seen, no task" \
    sh -c "grep -q ghostfw '$TMP/blind.json' && ! grep -q '\"$MINE\"\\|\"$THEIRS\"' '$TMP/blind.json'"
check "view_tasks NONE: /master/tasks is empty" sh -c "get_total=\$(curl -s -u blind:blind-secret \
	'http://$MASTER/master/tasks' | sed -n 's/.*\"total\":\\([0-9]*\\).*/\\1/p'); [ \"\$get_total\" = 0 ]"
check "mesosctl tasks as viewer lists only its user's" sh -c "
	MESOS_PRINCIPAL=viewer MESOS_SECRET=viewer-secret '$TOP/mesosctl' --master=$MASTER tasks > '$TMP/vt.out' &&
	grep -q '^$MINE ' '$TMP/vt.out' && ! grep -q '^$THEIRS ' '$TMP/vt.out'"

# --- access_sandboxes --------------------------------------------------------------
check "ops reads a sandbox over HTTP" sh -c "
	curl -s -u ops:ops-secret 'http://$MASTER/files/read?task_id=$MINE&path=stdout' | grep -q mine"
check "viewer may not: 403" test "$(code viewer "/files/read?task_id=$MINE&path=stdout")" = 403
check "nor list it: 403" test "$(code viewer "/files/browse?task_id=$MINE")" = 403
check "nor anyone without credentials" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "http://$MASTER/files/read?task_id=$MINE")" = 403
check "mesosctl cat as ops" sh -c "
	MESOS_PRINCIPAL=ops MESOS_SECRET=ops-secret '$TOP/mesosctl' --master=$MASTER cat '$MINE' stdout | grep -q mine"
if as viewer cat "$MINE" stdout > "$TMP/cat.out" 2>&1 || ! grep -q 'access_sandboxes' "$TMP/cat.out"; then
	cat "$TMP/cat.out" >&2
	fail "mesosctl cat as viewer: refused"
else
	pass "mesosctl cat as viewer: refused"
fi
if as viewer ls "$MINE" > "$TMP/ls.out" 2>&1 || ! grep -q 'access_sandboxes' "$TMP/ls.out"; then
	cat "$TMP/ls.out" >&2
	fail "mesosctl ls as viewer: refused"
else
	pass "mesosctl ls as viewer: refused"
fi

# --- an agent ID and its principal -------------------------------------------------
CMD="sleep 7$$"
"$TOP/tests/fw" "--master=$MASTER" "--command=$CMD" --resources="cpus:0.1;mem:16" \
    --timeout=120 > "$TMP/fw.out" 2>&1 &
lib_track_pid $!
check "a task runs on agent1's agent" wait_for $T grep -q TASK_RUNNING "$TMP/fw.out"
# take_over FILE: agent2 registers with agent1's agent ID, with an empty resync.
take_over () {
	"$PEER" 127.0.0.1 "$MASTER_PORT" --timeout 3000 --auth agent:agent2:agent2-secret \
	    --send "REGISTER_AGENT agent_id=$AGENT_ID hostname=thief resources=$R" \
	    --send "AGENT_RESYNC_DONE" --await NEVER > "$1" 2>&1
}
take_over "$TMP/take1.out"
check "another principal takes the ID of a connected agent: refused" \
    grep -q '^ERROR .*another%20principal' "$TMP/take1.out"
# shellcheck disable=SC2154  # set by start_agent
kill -KILL "$AGENT_PID_a1"
wait_for $T grep -q "agent $AGENT_ID .*disconnected" "$TMP/master.log"
take_over "$TMP/take2.out"
check "...and of one away: refused" grep -q '^ERROR .*another%20principal' "$TMP/take2.out"
start_agent a1 "--credential=$TMP/agent1.cred" "--resources=$R" > /dev/null
check "the same principal takes its agent back" grep -q "registered with master as $AGENT_ID" "$TMP/a1.log"
check "its task still runs, as one process" \
    sh -c "[ \"\$(ps -eo args | grep -c '^$CMD\$')\" -eq 1 ]"
check "never LOST then adopted" sh -c "! grep -q TASK_LOST '$TMP/fw.out' && ! grep -q 'is TASK_LOST' '$TMP/master.log'"

cleanup

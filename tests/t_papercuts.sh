# tests/t_papercuts.sh: what a newcomer meets first (#18): the README's
# `echo hello from $HOSTNAME` names the agent's host, and `mesosctl run`
# stops reconnecting to a master that is gone after its framework's
# failover timeout. And (name resolution off the loop) agentd resolves a
# --master name once, at start: a name that resolves registers, one that
# does not is refused at once with a clear line.
. "$(dirname "$0")/lib.sh"
plan 6

start_master || exit 1
start_agent a1 --hostname=node-one --resources="cpus:1;mem:256;disk:100" > /dev/null || exit 1

ctl run --name=hello --command='echo hello from $HOSTNAME' > "$TMP/hello.out" 2>&1
check "the task ran" grep -q 'hello-[0-9a-f]* TASK_FINISHED' "$TMP/hello.out"
ID=$(sed -n 's/^\(hello-[0-9a-f]*\) TASK_FINISHED.*/\1/p' "$TMP/hello.out" | head -n 1)
check "HOSTNAME is the agent's hostname" sh -c "'$TOP/mesosctl' --master=$MASTER cat $ID stdout | grep -qx 'hello from node-one'"

mkdir -p "$TMP/named"
"$TOP/agentd" "--master=localhost:$MASTER_PORT" "--work_dir=$TMP/named" --resources="cpus:1;mem:64" \
    > "$TMP/named.log" 2>&1 &
NAMED=$!
lib_track_pid "$NAMED"
check "agentd with --master=localhost:PORT registers" \
    wait_for 10 grep -q 'registered with master as' "$TMP/named.log"
stop_pid "$NAMED"
"$TOP/agentd" --master=no-such-host.invalid:5050 "--work_dir=$TMP/named" > "$TMP/bad.out" 2>&1 &
BAD=$!
lib_track_pid "$BAD"
wait_for 10 sh -c "! kill -0 $BAD"
check "an unresolvable --master is refused at start" grep -q "bad --master 'no-such-host.invalid:5050': cannot resolve" "$TMP/bad.out"

ctl run --name=waiter --failover-timeout=1secs --command='sleep 300' > "$TMP/wait.out" 2>&1 &
RUN=$!
lib_track_pid "$RUN"
wait_for 10 grep -q 'TASK_RUNNING' "$TMP/wait.out" || fail "the task did not start"
stop_pid "$MASTER_PID"
gone=0
wait_for 10 sh -c "! kill -0 $RUN" && gone=1
check "with no master, run gives up after its failover timeout" test "$gone" -eq 1
check "and says so" grep -q "no master answered for 1 s, the framework's failover timeout: giving up" "$TMP/wait.out"

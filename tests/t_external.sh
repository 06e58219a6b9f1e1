# tests/t_external.sh: frameworks outside the master, over TCP. The sh+awk
# example (examples/sh-framework) runs tasks to the end; it disconnects and
# re-registers within its failover timeout with its tasks intact; an
# operator tears one down; one gone past its failover timeout is removed.
# Then a C plugin run by mesos-plughost --master does the same round trip.
. "$(dirname "$0")/lib.sh"
plan 32

# Seconds a framework may take to register, launch or notice.
T=10
RUN_SH=$TOP/examples/sh-framework/run.sh

mkdir -p "$TMP/noplugins"
start_master --plugins="$TMP/noplugins" || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:100" > /dev/null || exit 1

has () {
	grep -q -- "$2" "$1"
}

# fw_id FILE: the framework ID a run printed.
fw_id () {
	sed -n 's/.* as framework \([^ ]*\)$/\1/p' "$1" | head -n 1
}

running_tasks () {
	ctl tasks | awk -v f="$1" '$3 == "TASK_RUNNING" && $4 == f { print $1 }' | sort | tr '\n' ' '
}

count_running () {
	test "$(running_tasks "$1" | wc -w | tr -d ' ')" -eq "$2"
}

# active FW yes|no: the frameworks table shows FW (in)active.
active () {
	ctl frameworks | grep -q "^$1  *[^ ]*  *[^ ]*  *$2 "
}

completed () {
	ctl get /master/state | tr ',' '\n' | sed -n '/"completed_frameworks"/,$p' | grep -q "\"id\":\"$1\""
}

# ---- the sh + awk framework ----
if ! sh "$RUN_SH" "$MASTER" command='echo from sh' instances=2 state="$TMP/one.state" \
    > "$TMP/one.out" 2>&1 && has "$TMP/one.out" 'no TCP tool found'; then
	skip -n 23 "sh framework: no TCP tool (nc, socat, busybox or bash) on this box"
else
	check "sh framework: both tasks finished, exit 0" has "$TMP/one.out" 'all 2 copies ended, 0 not finished'
	check "sh framework: its task's output" sh -c "'$TOP/mesosctl' --master=$MASTER cat sh-framework-0 | grep -qx 'from sh'"
	check "sh framework: torn down at the end" completed "$(fw_id "$TMP/one.out")"

	# Disconnect and re-register: the tasks wait for a file the test creates.
	GO=$TMP/go
	WAIT_CMD="while [ ! -f $GO ]; do sleep 0.1; done"
	sh "$RUN_SH" "$MASTER" command="$WAIT_CMD" instances=2 failover=60 name=failover \
	    state="$TMP/two.state" > "$TMP/two.out" 2>&1 &
	RUN_PID=$!
	lib_track_pid "$RUN_PID"
	check "failover: registers" wait_for $T has "$TMP/two.out" 'registered as framework'
	FW=$(fw_id "$TMP/two.out")
	check "failover: launches its tasks" wait_for $T count_running "$FW" 2
	TASKS=$(running_tasks "$FW")
	kill -TERM "$RUN_PID"
	wait "$RUN_PID" 2>/dev/null
	check "failover: the master sees it disconnect" wait_for $T active "$FW" no
	check "failover: its tasks keep running meanwhile" test "$(running_tasks "$FW")" = "$TASKS"
	sh "$RUN_SH" "$MASTER" command="$WAIT_CMD" instances=2 failover=60 name=failover \
	    state="$TMP/two.state" > "$TMP/three.out" 2>&1 &
	RUN_PID=$!
	lib_track_pid "$RUN_PID"
	check "failover: re-registers with the same ID" wait_for $T has "$TMP/three.out" "registered again as framework $FW"
	check "failover: active again" wait_for $T active "$FW" yes
	check "failover: learns both tasks by reconciliation" \
	    wait_for $T sh -c "test \$(grep -c '^failover-[01] TASK_RUNNING' '$TMP/three.out') -eq 2"
	check "failover: launched nothing new" test "$(running_tasks "$FW")" = "$TASKS"
	: > "$GO"
	wait "$RUN_PID"
	check "failover: the same tasks finish, exit 0" test "$?" -eq 0
	check "failover: reports both finished" has "$TMP/three.out" 'all 2 copies ended, 0 not finished'

	# An operator's teardown.
	sh "$RUN_SH" "$MASTER" command='sleep 300' instances=1 failover=60 name=victim \
	    state="$TMP/four.state" > "$TMP/four.out" 2>&1 &
	RUN_PID=$!
	lib_track_pid "$RUN_PID"
	check "teardown: the framework runs a task" wait_for $T has "$TMP/four.out" 'victim-0 TASK_RUNNING'
	FW=$(fw_id "$TMP/four.out")
	ctl teardown "$FW" > "$TMP/td.out" 2>&1
	check "teardown: mesosctl says so" has "$TMP/td.out" "^framework $FW torn down$"
	wait "$RUN_PID"
	check "teardown: the framework is told and ends non-zero" test "$?" -ne 0
	check "teardown: the framework got the reason" has "$TMP/four.out" 'torn down by an operator'
	check "teardown: its task is killed" wait_for $T sh -c "'$TOP/mesosctl' --master=$MASTER tasks | grep -q '^victim-0  *[^ ]*  *TASK_KILLED  *$FW '"
	check "teardown: it is a completed framework" completed "$FW"

	# Past its failover timeout: removed the same way.
	sh "$RUN_SH" "$MASTER" command='sleep 300' instances=1 failover=1 name=brief \
	    state="$TMP/five.state" > "$TMP/five.out" 2>&1 &
	RUN_PID=$!
	lib_track_pid "$RUN_PID"
	check "expiry: the framework runs a task" wait_for $T has "$TMP/five.out" 'brief-0 TASK_RUNNING'
	FW=$(fw_id "$TMP/five.out")
	kill -TERM "$RUN_PID"
	wait "$RUN_PID" 2>/dev/null
	check "expiry: removed after its failover timeout" wait_for $T completed "$FW"
	check "expiry: its task is killed" wait_for $T sh -c "'$TOP/mesosctl' --master=$MASTER tasks | grep -q '^brief-0  *[^ ]*  *TASK_KILLED  *$FW '"
	check "expiry: the master logs why" grep -q "removing framework $FW (brief): failover timeout elapsed" "$TMP/master.log"
fi

# ---- a C plugin as an external framework (mesos-plughost --master) ----
printf 'command=sleep 300\ninstances=2\nfailover_timeout=60\n' > "$TMP/hello.conf"
"$TOP/mesos-plughost" --master="$MASTER" --plugin="$TOP/plugins/hello.so" --conf="$TMP/hello.conf" \
    > "$TMP/host1.log" 2>&1 &
HOST_PID=$!
lib_track_pid "$HOST_PID"
check "plughost over TCP: registers" wait_for $T has "$TMP/host1.log" 'registered as framework'
FW=$(fw_id "$TMP/host1.log")
check "plughost over TCP: launches its tasks" wait_for $T count_running "$FW" 2
TASKS=$(running_tasks "$FW")
kill -TERM "$HOST_PID"
wait "$HOST_PID" 2>/dev/null
check "plughost over TCP: disconnected" wait_for $T active "$FW" no
check "plughost over TCP: tasks intact while away" test "$(running_tasks "$FW")" = "$TASKS"
"$TOP/mesos-plughost" --master="$MASTER" --plugin="$TOP/plugins/hello.so" --conf="$TMP/hello.conf" \
    --framework_id="$FW" > "$TMP/host2.log" 2>&1 &
HOST_PID=$!
lib_track_pid "$HOST_PID"
check "plughost over TCP: re-registers" wait_for $T has "$TMP/host2.log" "registered again as framework $FW"
check "plughost over TCP: reconciles its tasks" \
    wait_for $T sh -c "test \$(grep -c 'hello\\.[01]\\.[0-9.]* is TASK_RUNNING' '$TMP/host2.log') -ge 2"
# hello launches nothing during its settle time; after it, it must still see 2 copies.
sleep 3
check "plughost over TCP: the same two tasks" test "$(running_tasks "$FW")" = "$TASKS"
ctl teardown "$FW" > /dev/null 2>&1
wait "$HOST_PID"
check "plughost over TCP: ends when torn down" test "$?" -ne 0
check "plughost over TCP: tasks killed by the teardown" wait_for $T count_running "$FW" 0

# tests/t_ctl.sh: mesosctl end to end against a master and two agents: the
# tables, run (success, failure, instances, kill, interrupt, a master
# restart), cat, and the errors a user meets (bad command, no master).
. "$(dirname "$0")/lib.sh"
plan 55

MESOSCTL=$TOP/mesosctl
# Seconds a task started by a test may take to reach a state.
T=10

start_master || exit 1
start_agent a1 --hostname=node-a1 --attributes="rack:r1;zone:a" \
    --resources="cpus:2;mem:512;disk:100;ports:[31000-31009]" > /dev/null || exit 1
start_agent a2 --hostname=node-a2 --attributes="rack:r2;zone:b" \
    --resources="cpus:2;mem:512;disk:100;ports:[32000-32009]" > /dev/null || exit 1

# expect_rc DESC WANT CMD...: CMD exits with status WANT (output in $TMP/out).
expect_rc () {
	er_desc=$1
	er_want=$2
	shift 2
	"$@" > "$TMP/out" 2>&1
	er_rc=$?
	if [ "$er_rc" -eq "$er_want" ]; then
		pass "$er_desc"
	else
		echo "--- exit status $er_rc, wanted $er_want; output:" >&2
		tail -n 20 "$TMP/out" >&2
		fail "$er_desc"
	fi
}

# task_id FILE NAME: the ID of NAME's first task from run's output.
task_id () {
	sed -n "s/^task \\($2-[0-9a-f]\\{6\\}[.0-9]*\\) submitted.*/\\1/p" "$1" | head -n 1
}

# framework_id FILE: the framework ID run printed.
framework_id () {
	sed -n 's/^framework \([^ ]*\) subscribed$/\1/p' "$1" | head -n 1
}

# task_state ID STATE: the tasks table shows task ID in STATE.
task_state () {
	ctl tasks | grep -q "^$1  *[^ ]*  *$2 "
}

# ---- tables ----
ctl agents > "$TMP/agents"
check "agents: a header line" grep -q '^ID  *HOSTNAME  *ACTIVE  *CPUS  *MEM  *DISK  *ATTRIBUTES$' "$TMP/agents"
check "agents: node-a1 with its attributes" grep -q 'node-a1  *yes .*rack:r1;zone:a$' "$TMP/agents"
check "agents: node-a2 with its attributes" grep -q 'node-a2  *yes .*rack:r2;zone:b$' "$TMP/agents"
check "agents: cpus as used/total" grep -q 'node-a1  *yes  *0/2  *0/512  *0/100 ' "$TMP/agents"
ctl state > "$TMP/state"
check "state: two active agents" grep -q '^agents: *2 active, 2 total$' "$TMP/state"
check "state: total cpus" grep -q '^cpus: *0 used of 4$' "$TMP/state"
check "--json prints the raw state" sh -c "'$MESOSCTL' --master=$MASTER --json state | grep -q '\"activated_slaves\"'"
check "--master from MESOS_MASTER" env MESOS_MASTER="$MASTER" "$MESOSCTL" agents

# ---- run ----
expect_rc "run of 'echo hello' exits 0" 0 ctl run --name=hello --command='echo hello'
cp "$TMP/out" "$TMP/hello.out"
check "run prints TASK_FINISHED with the exit status" \
    grep -q '^hello-[0-9a-f]\{6\} TASK_FINISHED.*exited with status 0$' "$TMP/hello.out"
check "run prints TASK_RUNNING" grep -q '^hello-[0-9a-f]\{6\} TASK_RUNNING' "$TMP/hello.out"
HELLO=$(task_id "$TMP/hello.out" hello)
check "run prints the task ID" test -n "$HELLO"
ctl cat "$HELLO" > "$TMP/cat.out" 2>&1
check "cat shows the task's stdout" grep -qx hello "$TMP/cat.out"
check "cat stderr of the task" ctl cat "$HELLO" stderr
check "tasks: the finished task" task_state "$HELLO" TASK_FINISHED
check "frameworks: the finished run is gone" sh -c "! '$MESOSCTL' --master=$MASTER frameworks | grep -q 'mesosctl run'"

expect_rc "run of 'exit 3' exits 1" 1 ctl run --name=fails --command='exit 3'
check "run prints TASK_FAILED" grep -q '^fails-[0-9a-f]\{6\} TASK_FAILED' "$TMP/out"
check "run gives the exit status" grep -q 'exited with status 3' "$TMP/out"

expect_rc "run --instances=3 exits 0" 0 ctl run --name=many --command='echo $MESOS_TASK_ID' --instances=3
check "three tasks submitted" test "$(grep -c '^task many-[0-9a-f]\{6\}\.[012] submitted' "$TMP/out")" -eq 3
check "three tasks finished" test "$(grep -c '^many-[0-9a-f]\{6\}\.[012] TASK_FINISHED' "$TMP/out")" -eq 3

expect_rc "run with --env" 0 ctl run --name=env --command='echo "$GREETING"' --env=GREETING=hi%there
check "the task saw --env" sh -c "'$MESOSCTL' --master=$MASTER cat $(task_id "$TMP/out" env) | grep -qx 'hi%there'"

expect_rc "run of what fits nowhere waits for offers, --timeout does not end it" 124 \
    run_for 2 "$MESOSCTL" --master="$MASTER" --timeout=1secs run --name=big --command=true --resources=cpus:64

# ---- kill ----
"$MESOSCTL" "--master=$MASTER" run --name=sleeper --command='sleep 60' > "$TMP/sleeper.out" 2>&1 &
SLEEPER_PID=$!
lib_track_pid "$SLEEPER_PID"
if wait_for "$T" grep -q 'TASK_RUNNING' "$TMP/sleeper.out"; then
	SLEEPER=$(task_id "$TMP/sleeper.out" sleeper)
	expect_rc "kill of a running task" 0 ctl kill "$SLEEPER"
	wait "$SLEEPER_PID"
	rc=$?
	check "run of a killed task exits 1" test "$rc" -eq 1
	check "run prints TASK_KILLED" grep -q "^$SLEEPER TASK_KILLED" "$TMP/sleeper.out"
else
	fail "the sleeper task did not start"
fi
expect_rc "kill of an unknown task fails" 1 ctl kill no-such-task
check "kill says why" grep -q '^mesosctl: ' "$TMP/out"

# ---- interrupt ----
"$MESOSCTL" "--master=$MASTER" run --name=intr --command='sleep 60' > "$TMP/intr.out" 2>&1 &
INTR_PID=$!
lib_track_pid "$INTR_PID"
if wait_for "$T" grep -q 'TASK_RUNNING' "$TMP/intr.out"; then
	INTR=$(task_id "$TMP/intr.out" intr)
	INTR_FW=$(framework_id "$TMP/intr.out")
	kill -INT "$INTR_PID"
	wait "$INTR_PID"
	rc=$?
	check "interrupted run exits 130" test "$rc" -eq 130
	check "interrupted run says so" grep -q '^interrupted: framework torn down$' "$TMP/intr.out"
	check "the interrupted run's task is killed" wait_for "$T" task_state "$INTR" TASK_KILLED
	check "the interrupted run's framework is gone" \
	    sh -c "test -n '$INTR_FW' && ! '$MESOSCTL' --master=$MASTER frameworks | grep -q '^$INTR_FW '"
else
	fail "the task to interrupt did not start"
fi

# ---- cat errors ----
expect_rc "cat outside the sandbox is refused" 1 ctl cat "$HELLO" ../../../../../../etc/passwd
check "cat outside the sandbox: no file content" sh -c "! grep -q '^root:' '$TMP/out'"
check "cat outside the sandbox: a reason" grep -q '^mesosctl: ' "$TMP/out"
expect_rc "cat of an unknown task fails" 1 ctl cat no-such-task

# ---- usage errors ----
expect_rc "an unknown command exits 2" 2 ctl frobnicate
check "an unknown command is named" grep -q "unknown command 'frobnicate'" "$TMP/out"
expect_rc "an unknown flag exits 2" 2 ctl run --name=x --command=true --bogus
expect_rc "kill without a task ID exits 2" 2 ctl kill
expect_rc "help exits 0" 0 ctl help
check "help lists run" grep -q '^  run ' "$TMP/out"
expect_rc "run --help exits 0" 0 ctl run --help
check "run --help gives the default resources" grep -q 'cpus:0.1;mem:32' "$TMP/out"
expect_rc "version exits 0" 0 "$MESOSCTL" version

# ---- no master ----
expect_rc "an unreachable master exits 1" 1 "$MESOSCTL" --master=127.0.0.1:1 agents
check "an unreachable master: a clear message" \
    grep -qx 'mesosctl: cannot reach master at 127.0.0.1:1: Connection refused' "$TMP/out"
expect_rc "run with an unreachable master exits 1" 1 "$MESOSCTL" --master=127.0.0.1:1 run --name=x --command=true
check "run with an unreachable master: a clear message" \
    grep -qx 'mesosctl: cannot reach master at 127.0.0.1:1: Connection refused' "$TMP/out"

# ---- a master restart: run re-subscribes and its task runs on ----
"$MESOSCTL" "--master=$MASTER" run --name=survivor --command='sleep 3' > "$TMP/surv.out" 2>&1 &
SURV_PID=$!
lib_track_pid "$SURV_PID"
if wait_for "$T" grep -q 'TASK_RUNNING' "$TMP/surv.out"; then
	restart_master || exit 1
	check "run says it lost the master" wait_for "$T" grep -q 'lost master (.*), reconnecting' "$TMP/surv.out"
	check "run re-subscribes" wait_for "$T" grep -q '^framework .* re-subscribed$' "$TMP/surv.out"
	wait "$SURV_PID"
	rc=$?
	check "the task survives the restart and run exits 0" test "$rc" -eq 0
	check "the surviving task finished" grep -q '^survivor-[0-9a-f]\{6\} TASK_FINISHED' "$TMP/surv.out"
else
	fail "the task to survive a restart did not start"
fi

[ "$LIB_FAILED" -eq 0 ]

# tests/t_plugin_crash.sh: plugins that misbehave cannot hurt the master.
# crasher launches a task on each of its first two offers and dies of
# SIGSEGV on the third; looper never returns from its first callback. Both
# are restarted (the hung one after missed heartbeats, killed), fail over
# with their framework IDs, and crasher's tasks survive and come back to it
# by reconciliation.
. "$(dirname "$0")/lib.sh"
plan 17

# Seconds a plugin may take to crash, be detected and come back.
T=15

mkdir -p "$TMP/plugins"
cp "$TOP/tests/plugins/crasher.so" "$TOP/tests/plugins/looper.so" "$TMP/plugins/"
printf 'marker=%s\ncommand=sleep 300\n' "$TMP/crashed" > "$TMP/plugins/crasher.conf"
printf 'marker=%s\n' "$TMP/looped" > "$TMP/plugins/looper.conf"

# Heartbeats every 200 ms, 3 missed = hung: detected within about a second.
start_master --plugins="$TMP/plugins" --allocation_interval=250ms --plugin_ping_interval=200ms --plugin_max_missed_pings=3 \
    --plugin_backoff=100ms --plugin_backoff_max=1secs || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:100" > /dev/null || exit 1

log_has () {
	grep -q -- "$1" "$TMP/master.log"
}

fw_of () {
	sed -n "s/.*plugin $1 (pid [0-9]*) runs as framework \([^ ]*\).*/\1/p" "$TMP/master.log" | head -n 1
}

running_tasks () {
	ctl tasks | awk -v f="$1" '$3 == "TASK_RUNNING" && $4 == f { print $1 }' | sort | tr '\n' ' '
}

# running_are FW "ID ID ": FW's running tasks are exactly these.
running_are () {
	test "$(running_tasks "$1")" = "$2"
}

# ---- a segfault on the third offer ----
check "crasher registers" wait_for $T log_has 'plugin crasher (pid [0-9]*) runs as framework'
CRASH_FW=$(fw_of crasher)
check "crasher crashes on its third offer" wait_for $T log_has 'plugin crasher: info: crashing on offer 3'
# Under AddressSanitizer the SIGSEGV is caught and turned into an exit status.
check "the master logs the crash and restarts it" \
    wait_for $T log_has 'plugin crasher \(killed by signal 11 (SIGSEGV)\|exited with status [0-9]*\); restarting it in'
check "the master is still up" kill -0 "$MASTER_PID"
check "crasher fails over as the same framework" \
    wait_for $T log_has "plugin crasher started as pid [0-9]*, to fail over as framework $CRASH_FW"
check "crasher is told it re-registered" wait_for $T log_has "plugin crasher: info: failed over as $CRASH_FW"
check "its first task comes back by reconciliation" \
    wait_for $T log_has 'plugin crasher: info: task crash.1 TASK_RUNNING (REASON_RECONCILIATION)'
check "its second task comes back by reconciliation" \
    wait_for $T log_has 'plugin crasher: info: task crash.2 TASK_RUNNING (REASON_RECONCILIATION)'
check "both tasks kept running" wait_for $T running_are "$CRASH_FW" "crash.1 crash.2 "
check "state: crasher running, restarted once" \
    wait_for $T state_has '"plugin":{"name":"crasher","pid":[1-9][0-9]*,"state":"running","restarts":1'

# ---- an endless loop ----
check "looper registers and starts looping" wait_for $T log_has 'plugin looper: info: registered as .*; now looping forever'
LOOP_FW=$(fw_of looper)
check "the missed heartbeats are seen and the host killed" \
    wait_for $T log_has 'plugin looper (pid [0-9]*) is hung: no PONG for [0-9]* ms; killing it'
check "looper is restarted" wait_for $T log_has 'plugin looper hung: no PONG for [0-9]* ms; restarting it in'
check "looper fails over as the same framework" wait_for $T log_has "plugin looper: info: failed over as $LOOP_FW"
check "state: looper running, restarted once, with why" \
    wait_for $T state_has '"plugin":{"name":"looper","pid":[1-9][0-9]*,"state":"running","restarts":1,"reason":"hung: no PONG for [0-9]* ms"'
check "the master is still up after both" kill -0 "$MASTER_PID"
check "the master still serves" ctl agents

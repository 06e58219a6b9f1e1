# tests/t_plugin.sh: framework plugins hosted by the master: two plugins at
# once (hello twice, with two confs), an ABI mismatch refused, a host killed
# (SIGKILL) restarted with the same framework ID and its tasks, the
# plugin columns of `mesosctl frameworks`, `mesosctl teardown` of a plugin's
# framework, a master restart the plugins fail over across, and no host
# left behind when the master stops.
. "$(dirname "$0")/lib.sh"
plan 37

# Seconds a plugin may take to start, register or come back.
T=10

mkdir -p "$TMP/plugins"
cp "$TOP/plugins/hello.so" "$TMP/plugins/hello.so"
cp "$TOP/plugins/hello.so" "$TMP/plugins/hello2.so"
cp "$TOP/tests/plugins/badabi.so" "$TMP/plugins/badabi.so"
printf 'command=sleep 300\ninstances=2\n' > "$TMP/plugins/hello.conf"
printf '# a second framework from the same .so\nname=hello-two\ncommand = sleep 300\ninstances=1\n' \
    > "$TMP/plugins/hello2.conf"

PLUGIN_FLAGS="--plugins=$TMP/plugins --plugin_ping_interval=200ms --plugin_max_missed_pings=3 \
--plugin_backoff=100ms --plugin_backoff_max=1secs"
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:100" > /dev/null || exit 1

log_has () {
	grep -q -- "$1" "$TMP/master.log"
}

# fw_of NAME: the framework ID the plugin NAME runs as (from the master's log).
fw_of () {
	sed -n "s/.*plugin $1 (pid [0-9]*) runs as framework \([^ ]*\).*/\1/p" "$TMP/master.log" | tail -n 1
}

# host_pid NAME: the pid of plugin NAME's host, from the frameworks table.
host_pid () {
	ctl frameworks | awk -v n="$1" '$6 == n { print $7 }' | head -n 1
}

# running_tasks FW: the IDs of FW's running tasks, sorted, one line.
running_tasks () {
	ctl tasks | awk -v f="$1" '$3 == "TASK_RUNNING" && $4 == f { print $1 }' | sort | tr '\n' ' '
}

count_running () {
	test "$(running_tasks "$1" | wc -w | tr -d ' ')" -eq "$2"
}

# ---- two plugins at once ----
check "hello registers" wait_for $T log_has 'plugin hello (pid [0-9]*) runs as framework'
check "hello2 registers" wait_for $T log_has 'plugin hello2 (pid [0-9]*) runs as framework'
HELLO_FW=$(fw_of hello)
HELLO2_FW=$(fw_of hello2)
check "the two plugins are two frameworks" test -n "$HELLO_FW" -a -n "$HELLO2_FW" -a "$HELLO_FW" != "$HELLO2_FW"
check "hello runs its 2 copies" wait_for $T count_running "$HELLO_FW" 2
check "hello2 runs its 1 copy" wait_for $T count_running "$HELLO2_FW" 1
check "hello2's conf names its framework" sh -c "'$TOP/mesosctl' --master=$MASTER frameworks | grep -q '^$HELLO2_FW  *hello-two '"
ctl frameworks > "$TMP/fw.out"
check "frameworks: the plugin columns" grep -q '^ID  *NAME  *ROLE  *ACTIVE  *TASKS  *PLUGIN  *PID  *STATE  *RESTARTS$' "$TMP/fw.out"
check "frameworks: hello runs, never restarted" grep -q "^$HELLO_FW  *hello  *\\*  *yes  *2  *hello  *[0-9][0-9]*  *running  *0$" "$TMP/fw.out"
check "state: a plugin object per plugin framework" state_has '"plugin":{"name":"hello2"'

# ---- an ABI mismatch ----
check "badabi is refused with both versions named" \
    log_has 'plugin badabi cannot run: .*badabi.so was built for framework ABI version 2; this master speaks version 1; not restarting it'
check "frameworks: badabi listed as failed" grep -q '^badabi  *-  *failed  *0  *.*ABI version 2' "$TMP/fw.out"
check "state: badabi failed" state_has '"name":"badabi","pid":0,"state":"failed","restarts":0'
check "badabi was started once" test "$(grep -c 'plugin badabi started' "$TMP/master.log")" -eq 1

# ---- a host killed by a signal ----
HELLO_TASKS=$(running_tasks "$HELLO_FW")
HPID=$(host_pid hello)
check "hello's host pid is shown" test -n "$HPID"
kill -KILL "$HPID" 2>/dev/null
check "the master logs why the host ended" wait_for $T log_has 'plugin hello killed by signal 9 (SIGKILL); restarting it in'
check "hello restarts as the same framework" wait_for $T log_has "plugin hello started as pid [0-9]*, to fail over as framework $HELLO_FW"
check "hello registers again" wait_for $T log_has 'plugin hello: info: registered again as framework'
check "the master is still up" kill -0 "$MASTER_PID"
check "frameworks: hello restarted once" wait_for $T sh -c "'$TOP/mesosctl' --master=$MASTER frameworks | grep -q '^$HELLO_FW .* running  *1$'"
check "its tasks kept running" test "$(running_tasks "$HELLO_FW")" = "$HELLO_TASKS"
check "hello learns its tasks back by reconciliation" \
    wait_for $T log_has 'plugin hello: info: hello\.0\.[0-9.]* is TASK_RUNNING'
# After its settle time it would launch into any slot it did not learn about.
sleep 3
check "no copy launched twice" test "$(running_tasks "$HELLO_FW")" = "$HELLO_TASKS"

# ---- teardown ----
ctl teardown "$HELLO2_FW" > "$TMP/td.out" 2>&1
check "teardown of hello2's framework" grep -q "^framework $HELLO2_FW torn down$" "$TMP/td.out"
check "its task is killed" wait_for $T count_running "$HELLO2_FW" 0
check "hello2 is stopped, not restarted" wait_for $T log_has "plugin hello2 stopped: its framework $HELLO2_FW was removed"
check "frameworks: hello2 stopped" sh -c "'$TOP/mesosctl' --master=$MASTER frameworks | grep -q '^hello2  *-  *stopped'"
check "hello keeps running" count_running "$HELLO_FW" 2
if ctl teardown no-such-framework > "$TMP/td.out" 2>&1; then
	fail "teardown of an unknown framework fails"
else
	check "teardown of an unknown framework fails" grep -q "unknown framework 'no-such-framework'" "$TMP/td.out"
fi

# ---- a master restart ----
kill -KILL "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
check "hosts end when their master dies" wait_for $T sh -c "! ps -eo args | grep -q '[m]esos-plughost --plugin=$TMP/'"
# shellcheck disable=SC2086
restart_master $PLUGIN_FLAGS || exit 1
check "hello fails over across the restart" wait_for $T log_has "plugin hello started as pid [0-9]*, to fail over as framework $HELLO_FW"
check "hello registers again after the restart" wait_for $T log_has 'plugin hello: info: registered again'
check "hello2, torn down, starts as a new framework" wait_for $T log_has 'plugin hello2 (pid [0-9]*) runs as framework'
check "the agent re-registers" wait_for $T log_has 're-registered from'
check "hello's tasks are back" wait_for $T count_running "$HELLO_FW" 2
sleep 3
check "still the same 2 copies after hello settles" test "$(running_tasks "$HELLO_FW")" = "$HELLO_TASKS"

# ---- shutdown ----
stop_pid "$MASTER_PID"
check "no plugin host outlives the master" sh -c "! ps -eo args | grep -q '[m]esos-plughost --plugin=$TMP/'"
check "the master stopped its plugins" grep -q 'stopped$' "$TMP/master.log"

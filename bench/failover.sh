#
# bench/failover.sh: the master's failover at scale, sourced by bench/run.sh
# (section failover). FAILOVER_AGENTS simulated agents (bench/loadagents),
# each with FAILOVER_TASKS running tasks, register with a master; the master
# is killed with SIGKILL and started again on the same port and work dir.
# The agents reconnect at once (loadagents' LOADAGENTS_FAILOVER: not with
# agentd's backoff, so the figure is the master's) and re-register with
# their tasks; then a framework subscribes. Figures, from the restarted
# master's first answer: `failover_<N>_agents_reregister_all` (the last
# agent back with its tasks) and `failover_<N>_agents_first_offer` (offers
# flow again), in ms. The aim is under 1 s at 10,000 agents (Mesos 1.5 took
# 4.5 s); and the restarted master's cpu until then (the wall-clock figures
# wait for a core on a loaded machine), loadagents' own cpu from the
# master's first answer to the offer (`failover_<N>_agents_loadagents_cpu`:
# it shares the cores with the master), with the load. Nothing is printed
# unless every agent came back and an offer came.
#
# Sourced by bench/run.sh (its TMP, TOP, PIDS, start_master, wait_line,
# fail_section, stop_master).
FAILOVER_AGENTS=${FAILOVER_AGENTS:-10000}
FAILOVER_TASKS=${FAILOVER_TASKS:-3}
# Seconds loadagents runs at most, and to wait for the first registrations.
FAILOVER_HOLD_S=300
FAILOVER_LOAD_S=120
# For the restarted master to listen, and for everything to come back.
FAILOVER_RESTART_S=10
FAILOVER_BACK_S=60

echo "bench: master failover under $FAILOVER_AGENTS simulated agents with $FAILOVER_TASKS tasks each" >&2
# Every simulated agent connects from 127.0.0.1: no per-address cap.
start_master --max_connections_per_address=0 --max_connections=0
LOADAGENTS_FAILOVER=1 "$TOP/bench/loadagents" "127.0.0.1:$MASTER_PORT" "$FAILOVER_AGENTS" \
    "$FAILOVER_HOLD_S" "$FAILOVER_TASKS" > "$TMP/failover.out" 2> "$TMP/failover.err" &
fo_load=$!
PIDS="$PIDS $fo_load"
if ! wait_line "$TMP/failover.err" 'all .* agents registered' "$FAILOVER_LOAD_S"; then
	fail_section failover "not every simulated agent registered in $FAILOVER_LOAD_S s"
	kill -TERM "$fo_load" 2>/dev/null
	stop_master
else
	# Let the registrations reach the master's registry on disk.
	sleep 2
	kill -KILL "$MASTER_PID"
	wait "$MASTER_PID" 2>/dev/null
	wait_line "$TMP/failover.err" 'lost the master' "$FAILOVER_RESTART_S"
	# The same port and work dir: a master that comes back. The port may
	# be some reconnecting agent's own for a moment (the kernel picked it
	# for the first master, from the range it picks source ports from):
	# then again, until FAILOVER_RESTART_S.
	fo_n=$((FAILOVER_RESTART_S * 10))
	while :; do
		"$TOP/mesosd" --ip=127.0.0.1 --port="$MASTER_PORT" --work_dir="$TMP/master" \
		    --plugins="$TMP/no-plugins" --max_connections_per_address=0 --max_connections=0 \
		    > "$TMP/master2.log" 2>&1 &
		MASTER_PID=$!
		until grep -q 'listening on 127.0.0.1:' "$TMP/master2.log" ||
		    ! kill -0 "$MASTER_PID" 2>/dev/null; do
			sleep 0.05
		done
		grep -q 'listening on 127.0.0.1:' "$TMP/master2.log" && break
		wait "$MASTER_PID" 2>/dev/null
		fo_n=$((fo_n - 1))
		if [ "$fo_n" -le 0 ]; then
			fail_section failover "the master did not start again on port $MASTER_PORT"
			cat "$TMP/master2.log" >&2
			kill -TERM "$fo_load" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	PIDS="$PIDS $MASTER_PID"
	# loadagents ends by itself once an offer came (or at FAILOVER_HOLD_S).
	fo_n=$((FAILOVER_BACK_S * 10))
	while kill -0 "$fo_load" 2>/dev/null && [ "$fo_n" -gt 0 ]; do
		sleep 0.1
		fo_n=$((fo_n - 1))
	done
	# The restarted master's cpu for all of it: on a loaded machine the
	# wall-clock figures are mostly waiting for a core.
	fo_ticks=$(cpu_ticks "$MASTER_PID")
	kill -TERM "$fo_load" 2>/dev/null
	if wait "$fo_load"; then
		sed -n "s/^failover_\([a-z_]*\) \(.*\)/failover_${FAILOVER_AGENTS}_agents_\1 \2/p" "$TMP/failover.out"
		[ -z "$fo_ticks" ] || echo "failover_${FAILOVER_AGENTS}_agents_master_cpu $((fo_ticks * 1000 / $(getconf CLK_TCK))) ms"
		echo "failover_${FAILOVER_AGENTS}_agents_load $(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null) loadavg"
	else
		fail_section failover "the agents did not all come back with an offer in $FAILOVER_BACK_S s"
		tail -n 5 "$TMP/failover.err" >&2
	fi
	stop_master
fi

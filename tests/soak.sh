# tests/soak.sh: `make soak`, a bounded chaos run (issue #18). A master,
# 5 agents, Marathon with several apps and the jobs plugin with a few jobs;
# every SOAK_FAULT_INTERVAL seconds a random fault, from a seed that is
# printed (SOAK_SEED=N repeats a run): kill -9 of the master, of an agent, of
# a plugin host or of a task's supervisor; SIGSTOP of an agent past its ping
# timeout, then SIGCONT; a network partition of the agent that runs in a
# network namespace of its own (its veth link down past the ping timeout,
# then up; skipped with the reason where the machine cannot make one); a
# full disk on an agent (agentd's --test_disk_full_while file, for a while:
# it keeps its tasks and writes checkpoints again). Invariants are checked after
# every fault (the master and both REST APIs answer again, no app or job
# lost) and at the end, once the faults stop (every app converges to exactly
# its instances, the master runs no task of Marathon's that Marathon does not
# list nor the other way round, no job run left running, no process left
# once everything is stopped). Prints `name value unit` lines; exits 1 on
# any violation.
#
#   SOAK_SECONDS=600 SOAK_SEED=N SOAK_FAULT_INTERVAL=5 sh tests/soak.sh
# shellcheck disable=SC1091  # checked on its own in .ci/run
. "$(dirname "$0")/lib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_FAULT_INTERVAL=${SOAK_FAULT_INTERVAL:-5}
SOAK_SEED=${SOAK_SEED:-$(($(date +%s) % 100000))}
# Seconds the cluster gets to answer again after a fault, and to converge at the end.
SOAK_RECOVER_S=60
SOAK_CONVERGE_S=120
# The master gives an agent up after 4 pings of 500 ms; a stop lasts past that.
PING_MS=500
PINGS=4
STOP_S=4
# A full disk lasts this long.
FULL_S=4
# Tasks sleep this long: a process of ours is recognisable by it.
SLEEP_ARG=86417

if ! command -v curl > /dev/null 2>&1; then
	echo "soak: curl is needed to drive the REST APIs" >&2
	exit 1
fi
echo "soak: seed $SOAK_SEED, $SOAK_SECONDS s, a fault every $SOAK_FAULT_INTERVAL s" >&2

# within SECONDS CMD...: poll CMD until it succeeds, by the clock (lib.sh's wait_for counts
# polls, and these checks take far longer than a poll interval); 1 if the time passes.
within () {
	wi_end=$(($(date +%s) + $1))
	shift
	while ! "$@" > /dev/null 2>&1; do
		[ "$(date +%s)" -lt "$wi_end" ] || return 1
		sleep 1
	done
}

# ---- a seeded generator (an LCG; the shell's arithmetic is at least 32-bit signed) ----
RNG=$SOAK_SEED
# rand N: a number in 0..N-1 in R.
rand () {
	RNG=$(((RNG * 1103515 + 12345) % 2147483))
	R=$((RNG % $1))
}

VIOLATIONS=0
# violation NAME WHY: counted under NAME, told on stderr.
violation () {
	VIOLATIONS=$((VIOLATIONS + 1))
	eval "V_$1=\$((\${V_$1:-0} + 1))"
	echo "soak: violation $1: $2" >&2
}
count () {
	eval "C_$1=\$((\${C_$1:-0} + 1))"
}

# ---- the cluster ----
mkdir -p "$TMP/plugins"
for p in marathon jobs; do
	cp "$TOP/plugins/$p.so" "$TMP/plugins/"
	mkdir -p "$TMP/state-$p"
	printf 'http_port=0\nhttp_ip=127.0.0.1\nstate_dir=%s\nreconciliation_interval=10\n' \
	    "$TMP/state-$p" > "$TMP/plugins/$p.conf"
done
# ---- the partitioned agent: a5 in a network namespace, its link to the master a veth pair ----
NET_NS=soak$$
NET_HOST=sk$$h
NET_PEER=sk$$n
# A /30 of 10.218.0.0/16 by this run's pid, so that two runs do not collide.
NET_SUB=10.218.$(($$ % 250)).$(($$ / 250 % 64 * 4))
NET_MASTER_IP=${NET_SUB%.*}.$((${NET_SUB##*.} + 1))
NET_AGENT_IP=${NET_SUB%.*}.$((${NET_SUB##*.} + 2))
NET_WHY=
net_down () {
	ip link del "$NET_HOST" 2>/dev/null
	ip netns del "$NET_NS" 2>/dev/null
}
net_up () {
	command -v ip > /dev/null 2>&1 || { NET_WHY="no ip command (iproute2)"; return 1; }
	[ "$(id -u)" -eq 0 ] || { NET_WHY="not root"; return 1; }
	ip netns add "$NET_NS" 2>"$TMP/net.err" &&
	    ip link add "$NET_HOST" type veth peer name "$NET_PEER" 2>>"$TMP/net.err" &&
	    ip link set "$NET_PEER" netns "$NET_NS" 2>>"$TMP/net.err" &&
	    ip addr add "$NET_MASTER_IP/30" dev "$NET_HOST" 2>>"$TMP/net.err" &&
	    ip link set "$NET_HOST" up 2>>"$TMP/net.err" &&
	    ip netns exec "$NET_NS" ip addr add "$NET_AGENT_IP/30" dev "$NET_PEER" 2>>"$TMP/net.err" &&
	    ip netns exec "$NET_NS" ip link set "$NET_PEER" up 2>>"$TMP/net.err" &&
	    ip netns exec "$NET_NS" ip link set lo up 2>>"$TMP/net.err" && return 0
	NET_WHY="the kernel refused a network namespace or veth pair: $(head -n 1 "$TMP/net.err")"
	net_down
	return 1
}
trap 'net_down; cleanup' EXIT
trap 'net_down; cleanup; exit 130' INT
trap 'net_down; cleanup; exit 143' TERM
if net_up; then
	# shellcheck disable=SC2034  # read by lib.sh's lib_run_master
	LIB_MASTER_IP=0.0.0.0   # the agent in the namespace reaches it on the veth's address
	echo "soak: agent a5 runs in network namespace $NET_NS ($NET_AGENT_IP), partitions are injected" >&2
else
	echo "soak: network partitions skipped: $NET_WHY" >&2
fi
# start_one NAME: start agent NAME (a5 in the namespace when there is one).
start_one () {
	if [ "$1" = a5 ] && [ -z "$NET_WHY" ]; then
		# shellcheck disable=SC2034  # read by lib.sh's start_agent
		LIB_AGENT_WRAP="ip netns exec $NET_NS" LIB_AGENT_MASTER="$NET_MASTER_IP:$MASTER_PORT"
	fi
	# shellcheck disable=SC2086
	start_agent "$1" $AGENT_FLAGS "--test_disk_full_while=$TMP/$1.full"
	st_rc=$?
	# shellcheck disable=SC2034
	LIB_AGENT_WRAP='' LIB_AGENT_MASTER=''
	return "$st_rc"
}

start_master "--plugins=$TMP/plugins" --plugin_backoff=100ms --plugin_backoff_max=1secs \
    "--agent_ping_timeout=${PING_MS}ms" "--max_agent_ping_timeouts=$PINGS" \
    --agent_reregister_timeout=30secs > /dev/null || exit 1
AGENTS="a1 a2 a3 a4 a5"
AGENT_FLAGS="--resources=cpus:2;mem:1024;disk:2000;ports:[31000-31999] --recovery_timeout=1mins --status_update_retry_interval=2secs"
for a in $AGENTS; do
	start_one "$a" > /dev/null || exit 1
done

API_marathon=
API_jobs=
# api NAME: the plugin's REST API address from the current master log, in API_<NAME>.
api () {
	eval "API_$1=http://127.0.0.1:$(sed -n "s/.*plugin $1: info: REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p" \
	    "$TMP/master.log" | tail -n 1)"
}
apis_up () {
	api marathon && api jobs &&
	    curl -sf -m 5 "$API_marathon/ping" > /dev/null &&
	    curl -sf -m 5 "$API_jobs/v1/jobs" > /dev/null &&
	    curl -sf -m 5 "http://$MASTER/health" > /dev/null
}
if ! within $SOAK_RECOVER_S apis_up; then
	echo "soak: the plugins' REST APIs did not come up" >&2
	exit 1
fi

# create URL JSON WHAT: POST JSON to URL, or end the run.
create () {
	curl -sf -m 5 -X POST -H 'Content-Type: application/json' "$1" -d "$2" > /dev/null || {
		echo "soak: cannot create $3" >&2
		exit 1
	}
}
APPS="s1:3 s2:2 s3:4"
for spec in $APPS; do
	create "$API_marathon/v2/apps" "{\"id\":\"${spec%:*}\",\"cmd\":\"exec sleep $SLEEP_ARG\",\"cpus\":0.05,\"mem\":16,\"instances\":${spec#*:}}" "app ${spec%:*}"
done
JOBS="soak.j1 soak.j2 soak.j3"
for j in $JOBS; do
	create "$API_jobs/v1/jobs" "{\"id\":\"$j\",\"run\":{\"cmd\":\"sleep 1\",\"cpus\":0.05,\"mem\":32,\"disk\":0}}" "job $j"
done

# ---- views ----
marathon_fw () {
	ctl frameworks 2>/dev/null | awk '$6 == "marathon" { print $1 }' | head -n 1
}
# master_tasks FW STATE: the master's task ids of framework FW in STATE, sorted.
master_tasks () {
	ctl tasks 2>/dev/null | awk -v fw="$1" -v st="$2" '$4 == fw && $3 == st { print $1 }' | sort
}
# marathon_tasks: every task Marathon lists, "id state", sorted.
marathon_tasks () {
	curl -s -m 5 "$API_marathon/v2/tasks" | tr '{' '\n' |
	    sed -n 's/^"id":"\([^"]*\)".*"state":"\([A-Z_]*\)".*/\1 \2/p' | sort
}
# all_found URL ID...: GET URL/ID answers 2xx for every ID.
all_found () {
	af_url=$1
	shift
	for af_id in "$@"; do
		curl -sf -m 5 "$af_url/${af_id%:*}" > /dev/null || return 1
	done
}
apps_listed () {
	# shellcheck disable=SC2086
	all_found "$API_marathon/v2/apps" $APPS
}
jobs_listed () {
	# shellcheck disable=SC2086
	all_found "$API_jobs/v1/jobs" $JOBS
}
# converged: each app's running count is its instances, on both sides, and the two views agree.
converged () {
	fw=$(marathon_fw)
	[ -n "$fw" ] || return 1
	master_tasks "$fw" TASK_RUNNING > "$TMP/m.ids"
	marathon_tasks > "$TMP/mt.all"
	awk '{ print $1 }' "$TMP/mt.all" > "$TMP/mt.ids"
	awk '$2 == "TASK_RUNNING" { print $1 }' "$TMP/mt.all" > "$TMP/mt.running"
	cmp -s "$TMP/m.ids" "$TMP/mt.ids" && cmp -s "$TMP/m.ids" "$TMP/mt.running" || return 1
	for spec in $APPS; do
		[ "$(grep -c "^${spec%:*}\.instance-" "$TMP/m.ids")" -eq "${spec#*:}" ] || return 1
	done
}

# ---- faults ----
# nth N WORD...: the Nth word (the lists here are split on purpose).
nth () {
	shift "$1"
	echo "$1"
}
# pick_agent: a random agent's name in A.
pick_agent () {
	rand 5
	# shellcheck disable=SC2086
	A=$(nth $((R + 1)) $AGENTS)
}
fault_master () {
	kill -KILL "$MASTER_PID" 2>/dev/null
	wait "$MASTER_PID" 2>/dev/null
	lib_run_master "$MASTER_PORT" > /dev/null || violation master_restart "the master did not start again"
}
fault_agent () {
	pick_agent
	eval "p=\$AGENT_PID_$A"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	start_one "$A" > /dev/null || violation agent_restart "agent $A did not start again"
}
fault_plugin () {
	rand 2
	name=marathon
	[ "$R" -eq 1 ] && name="jobs"
	p=$(ctl frameworks 2>/dev/null | awk -v n="$name" '$6 == n { print $7 }' | head -n 1)
	case "$p" in
	''|*[!0-9]*) count skipped_plugin_not_running; return ;;
	esac
	kill -KILL "$p" 2>/dev/null
}
# A task's supervisor: the parent of one of our tasks' processes.
fault_supervisor () {
	pids=$(ps -e -o pid= -o ppid= -o args= | awk -v a="sleep $SLEEP_ARG" 'index($0, a) { print $2 }')
	n=$(echo "$pids" | wc -w | tr -d ' ')
	if [ "$n" -eq 0 ]; then
		count skipped_no_supervisor
		return
	fi
	rand "$n"
	# shellcheck disable=SC2086
	p=$(nth $((R + 1)) $pids)
	kill -KILL "$p" 2>/dev/null
}
fault_stop () {
	pick_agent
	eval "p=\$AGENT_PID_$A"
	kill -STOP "$p" 2>/dev/null
	sleep "$STOP_S"
	kill -CONT "$p" 2>/dev/null
}

# The agent in the namespace loses its link past its ping timeout: its connection hangs, unreset.
fault_partition () {
	if [ -n "$NET_WHY" ]; then
		count skipped_partition
		return
	fi
	ip link set "$NET_HOST" down
	sleep "$STOP_S"
	ip link set "$NET_HOST" up
}
# A full disk for FULL_S seconds, and agentd killed -9 and started meanwhile: it must start and
# re-register with its tasks all the same (its checkpoint cannot be written), and once the disk
# has room again say its checkpoints are written again.
fault_disk () {
	pick_agent
	: > "$TMP/$A.full"
	eval "p=\$AGENT_PID_$A"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	start_one "$A" > /dev/null || violation agent_restart "agent $A did not start on a full disk"
	fd_lines=0   # its log starts anew
	sleep "$FULL_S"
	rm -f "$TMP/$A.full"
	if tail -n "+$((fd_lines + 1))" "$TMP/$A.log" | grep -q 'the agent goes on, holding back'; then
		count disk_full_felt
		within $SOAK_RECOVER_S sh -c "tail -n '+$((fd_lines + 1))' '$TMP/$A.log' | grep -q 'checkpoints are written again'" ||
		    violation disk_resume "agent $A did not write checkpoints again"
	fi
}

END=$(($(date +%s) + SOAK_SECONDS))
FAULTS="master agent plugin supervisor stop partition disk"
while [ "$(date +%s)" -lt "$END" ]; do
	sleep "$SOAK_FAULT_INTERVAL"
	rand 7
	# shellcheck disable=SC2086
	f=$(nth $((R + 1)) $FAULTS)
	echo "soak: $(date +%H:%M:%S) fault $f" >&2
	"fault_$f"
	count "fault_$f"
	# A job run now and then keeps the jobs plugin launching through the faults.
	rand 3
	curl -s -m 5 -X POST "$API_jobs/v1/jobs/soak.j$((R + 1))/runs" > /dev/null 2>&1
	if ! within $SOAK_RECOVER_S apis_up; then
		violation api_down "the master or a REST API did not answer within ${SOAK_RECOVER_S}s after $f"
		continue
	fi
	apps_listed || violation app_lost "an app is missing after $f"
	jobs_listed || violation job_lost "a job is missing after $f"
done

# ---- the end: converge, then stop everything ----
within $SOAK_RECOVER_S apis_up || violation api_down "not answering at the end"
if ! within $SOAK_CONVERGE_S converged; then
	violation not_converged "apps not at their instance counts or views differ after ${SOAK_CONVERGE_S}s"
	echo "--- master's running tasks of Marathon:" >&2
	cat "$TMP/m.ids" >&2
	echo "--- Marathon's tasks:" >&2
	cat "$TMP/mt.all" >&2
fi
apps_listed || violation app_lost "an app is missing at the end"
jobs_listed || violation job_lost "a job is missing at the end"
jobs_idle () {
	fw=$(ctl frameworks 2>/dev/null | awk '$6 == "jobs" { print $1 }' | head -n 1)
	[ -n "$fw" ] && [ -z "$(master_tasks "$fw" TASK_RUNNING)" ]
}
within $SOAK_CONVERGE_S jobs_idle || violation job_task_left "a job's task still runs at the end"

cleanup_dir=$TMP
# shellcheck disable=SC2034  # read by lib.sh's cleanup
KEEP_TMP=1
cleanup 2> /dev/null
# no_leftovers: no process has the run's directory in its arguments or as its working
# directory, nor is one of our tasks (their pids in $cleanup_dir/left otherwise).
no_leftovers () {
	ps -e -o pid= -o comm= -o args= | awk -v d="$cleanup_dir/" -v a="sleep $SLEEP_ARG" \
	    '$2 != "awk" && (index($0, d) || index($0, a)) { print $1 }' > "$cleanup_dir/left"
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/cwd" 2>/dev/null)" in
		"$cleanup_dir"/*) echo "${p#/proc/}" >> "$cleanup_dir/left" ;;
		esac
	done
	! grep -q . "$cleanup_dir/left"
}
# Supervisors TERMed by the cleanup end their tasks within their grace period.
if ! within 15 no_leftovers; then
	violation process_left "processes outlived the run: $(tr '\n' ' ' < "$cleanup_dir/left")"
	ps -f -p "$(tr '\n' ',' < "$cleanup_dir/left" | sed 's/,$//')" >&2
fi
[ -n "$KEEP_SOAK" ] || rm -rf "$cleanup_dir"

# ---- the counts ----
echo "soak_seed $SOAK_SEED seed"
echo "soak_seconds $SOAK_SECONDS s"
for f in $FAULTS; do
	eval "echo \"fault_$f \${C_fault_$f:-0} count\""
done
echo "fault_partition_skipped ${C_skipped_partition:-0} count"
echo "fault_disk_full_felt ${C_disk_full_felt:-0} count"
echo "fault_plugin_not_running ${C_skipped_plugin_not_running:-0} count"
for v in api_down app_lost job_lost not_converged job_task_left process_left master_restart agent_restart disk_resume; do
	eval "echo \"violation_$v \${V_$v:-0} count\""
done
echo "violations $VIOLATIONS count"
[ "$VIOLATIONS" -eq 0 ]

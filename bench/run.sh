#!/bin/sh
#
# bench/run.sh: the project's figures, run by `make bench`. Every figure is
# printed as one `name value unit` line on stdout; progress goes to stderr.
# Long measurements live here, never in `make check`.
#
#   sh bench/run.sh [SECTION...]   sections: size footprint agents alloc plugin marathon
#                                   marathon_groups launch tasks jobs auth lb isolation web failover (default all)
#
# A section whose measurement did not happen prints no figure, and names itself
# in FAILED: the run then ends with status 1.
#
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
# mesosd and agentd read any flag from MESOS_<FLAG> in the environment: one
# left over in the caller's would change what is measured, so none stays.
for v in $(env | sed -n 's/^\(MESOS_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
# Bench agents run their tasks as whoever runs make bench, root included:
# the user named by the effective uid, never $USER (as nobody a launch costs
# about twice what it does as root). BENCH_USER picks another, said below.
BENCH_USER=${BENCH_USER:-$(id -un)}
USER=$BENCH_USER
LOGNAME=$BENCH_USER
MESOS_ALLOW_ROOT_TASKS=true
export USER LOGNAME MESOS_ALLOW_ROOT_TASKS
FAILED=
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mesos-bench.XXXXXX") || exit 1
PIDS=
SHM=

# Agents the master is loaded with, and for how long their pings are measured.
LOAD_AGENTS=${LOAD_AGENTS:-1000}
LOAD_WINDOW_S=${LOAD_WINDOW_S:-10}
# Tasks of `true` launched on one agent, LAUNCH_BATCH per ACCEPT, with at most
# each of LAUNCH_WINDOWS in flight (4: two per core of the 2-core machine the
# aims are set for; 8: four), the agent's work dir on disk (TMPDIR) and, where
# there is one, on tmpfs (/dev/shm); LAUNCH_FS picks.
LAUNCH_TASKS=${LAUNCH_TASKS:-2000}
LAUNCH_WINDOWS=${LAUNCH_WINDOWS:-4 8}
LAUNCH_FS=${LAUNCH_FS:-disk tmpfs}
LAUNCH_BATCH=${LAUNCH_BATCH:-2}
# Rounds the tasks go in, each beside as many raw spawns (raw, launch, launch,
# raw, ...), so both rates come from the same moments of a machine whose
# speed drifts.
LAUNCH_ROUNDS=${LAUNCH_ROUNDS:-4}
# Tasks left running to weigh the agent's bookkeeping and each supervisor.
RESIDENT_TASKS=${RESIDENT_TASKS:-200}
# An agent with room for all of them.
BENCH_AGENT_RESOURCES="cpus:1000;mem:1000000;disk:1000000;ports:[31000-32000]"

# stop_pids PID...: TERM them all, then wait for each (they end in parallel).
stop_pids () {
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
}

cleanup () {
	# shellcheck disable=SC2086
	stop_pids $PIDS
	rm -rf "$TMP"
	[ -z "$SHM" ] || rm -rf "$SHM"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# BENCH_SMOKE=1: every section at a small size, to prove in CI that each one
# still measures what it says (its figures mean nothing at these sizes).
if [ -n "$BENCH_SMOKE" ]; then
	LOAD_AGENTS=50 LOAD_WINDOW_S=2 RESIDENT_TASKS=20 PLUGIN_WINDOW_S=1
	MARATHON_INSTANCES=50 MARATHON_APPS=20 MARATHON_GETS=100 MARATHON_BIG_TASKS=500
	MARATHON_BIG_GETS=100 MARATHON_AGENTS=2
	LAUNCH_TASKS=100 LAUNCH_WINDOWS=4 LAUNCH_FS=tmpfs
	JOBS_TASKS=50 JOBS_JOBS=50 JOBS_FIRE=10 LB_SECONDS=1 ISO_SPIN_S=2 ISO_TASKS=10
	ISO_MEM_RUNS=1 ISO_IDLE_S=1 WEB_AGENTS=10 MG_APPS=20 MG_GROUPS=4 MG_AGENTS=2
	export JOBS_TASKS JOBS_JOBS JOBS_FIRE LB_SECONDS ISO_SPIN_S ISO_TASKS ISO_MEM_RUNS ISO_IDLE_S WEB_AGENTS
	AUTH_HANDSHAKES=200 AUTH_AGENTS=50 AUTH_HOLD_S=2
	export MG_APPS MG_GROUPS MG_AGENTS AUTH_HANDSHAKES AUTH_AGENTS AUTH_HOLD_S
	PB_APPS=50 PB_SAMPLES=5
	FAILOVER_AGENTS=50
	export PB_APPS PB_SAMPLES
fi

sections=${*:-size sizes footprint agents alloc plugin marathon marathon_groups persist launch tasks jobs auth lb isolation web failover}
BENCH_T0=$(date +%s)
# Seconds a section waits for the previous one's processes to be gone.
BENCH_QUIET_S=${BENCH_QUIET_S:-60}

# bench_leftovers: processes still running from this bench's directories
# (agents, supervisors, tasks): a section starts only without them.
bench_leftovers () {
	# The paths go by the environment: in awk's arguments, ps would count awk.
	ps -e -o args= | BL_TMP="$TMP/" BL_SHM="${SHM:-/nonexistent}/" awk \
	    'index($0, ENVIRON["BL_TMP"]) || index($0, ENVIRON["BL_SHM"]) { n++ } END { print n + 0 }'
}

# until_zero SECONDS CMD...: polls CMD (ten times a second) until it prints 0;
# status 1 once SECONDS have passed.
until_zero () {
	uz_polls=$(($1 * 10))
	shift
	while [ "$("$@")" != 0 ]; do
		uz_polls=$((uz_polls - 1))
		[ "$uz_polls" -gt 0 ] || return 1
		sleep 0.1
	done
}

# want SECTION: SECTION was asked for; it starts on a quiet machine (what the
# sections before it started is gone, within BENCH_QUIET_S), or fails.
want () {
	case " $sections " in
	*" $1 "*) ;;
	*) return 1 ;;
	esac
	if ! until_zero "$BENCH_QUIET_S" bench_leftovers; then
		fail_section "$1" "$(bench_leftovers) processes of the sections before it still run after ${BENCH_QUIET_S} s"
		return 1
	fi
	echo "# section $1 starts at $(($(date +%s) - BENCH_T0)) s"
	return 0
}

# has_curl SECTION: curl drives the REST APIs; without it SECTION is skipped, saying so.
has_curl () {
	command -v curl > /dev/null 2>&1 && return 0
	echo "bench: $1 skipped: curl is not installed" >&2
	return 1
}

# need SECTION FILE...: the section's own programs were built; a missing one fails it.
need () {
	nd_section=$1
	shift
	for nd_file in "$@"; do
		if [ ! -e "$nd_file" ]; then
			fail_section "$nd_section" "$nd_file was not built (make bench builds it)"
			return 1
		fi
	done
}

# fail_section NAME WHY: NAME's measurement did not happen; no figure for it.
fail_section () {
	echo "bench: $1 FAILED: $2" >&2
	case " $FAILED " in
	*" $1 "*) ;;
	*) FAILED="$FAILED $1" ;;
	esac
}

# The machine, first: figures are only compared within one run on one machine.
bench_machine () {
	bm_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
	bm_cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo unknown)
	# A VM (its hypervisor's name when systemd-detect-virt says it, else the
	# cpu's hypervisor flag) and a container are told apart: both change costs.
	bm_virt=unknown
	if grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null; then
		bm_virt="yes (hypervisor flag)"
	elif [ -r /proc/cpuinfo ]; then
		bm_virt=no
	fi
	if command -v systemd-detect-virt > /dev/null 2>&1; then
		bm_virt="$(systemd-detect-virt --vm 2>/dev/null), $bm_virt"
		bm_virt="$bm_virt; container: $(systemd-detect-virt --container 2>/dev/null)"
	fi
	if [ -r /proc/loadavg ]; then
		bm_load=$(cut -d ' ' -f 1-3 /proc/loadavg)
	else
		bm_load=$(uptime | sed 's/.*load averages*: *//')
	fi
	echo "# machine: cpu ${bm_model:-unknown}; $bm_cpus cpus; $(uname -s -r -m); vm: $bm_virt; load $bm_load"
	echo "# tasks run as user $BENCH_USER; MESOS_* cleared; sections:$(printf ' %s' $sections)"
}
bench_machine

# rss_kib PID: resident set size in KiB.
rss_kib () {
	if [ -r "/proc/$1/status" ]; then
		sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
	else
		ps -o rss= -p "$1" | tr -d ' '
	fi
}

# cpu_ticks PID: user + system time in clock ticks (Linux /proc), else empty.
cpu_ticks () {
	[ -r "/proc/$1/stat" ] || return 0
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# daemon_ticks PID...: each one's cpu_ticks on one line (empty if one is unknown).
daemon_ticks () {
	dt_out=
	for dt_pid in "$@"; do
		dt_t=$(cpu_ticks "$dt_pid")
		[ -n "$dt_t" ] || return 0
		dt_out="$dt_out $dt_t"
	done
	echo "$dt_out"
}

# wait_line FILE PATTERN SECONDS
wait_line () {
	n=$(($3 * 20))
	while [ "$n" -gt 0 ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# The master runs no plugin unless a section names a directory of its own.
start_master () {
	# A fresh work dir: no agents remembered from an earlier section.
	rm -rf "$TMP/master"
	mkdir -p "$TMP/no-plugins"
	"$TOP/mesosd" --ip=127.0.0.1 --port=0 --work_dir="$TMP/master" \
	    --plugins="$TMP/no-plugins" "$@" \
	    > "$TMP/master.log" 2>&1 &
	MASTER_PID=$!
	PIDS="$PIDS $MASTER_PID"
	wait_line "$TMP/master.log" 'listening on 127.0.0.1:' 10 || {
		echo "bench: master did not start" >&2
		cat "$TMP/master.log" >&2
		exit 1
	}
	MASTER_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$TMP/master.log" | head -n 1)
}

stop_master () {
	kill -TERM "$MASTER_PID" 2>/dev/null
	wait "$MASTER_PID" 2>/dev/null
}

if want size; then
	echo "bench: stripped binary sizes" >&2
	for p in mesosd agentd mesosctl; do
		strip -o "$TMP/$p.stripped" "$p" 2>/dev/null || cp "$p" "$TMP/$p.stripped"
		bytes=$(wc -c < "$TMP/$p.stripped" | tr -d ' ')
		echo "size_${p}_stripped $((bytes / 1024)) KiB"
	done
fi

# Every binary's stripped size, host and static armhf (bench/sizes.sh).
if want sizes; then
	. bench/sizes.sh
fi

if want footprint; then
	echo "bench: agentd idle footprint" >&2
	start_master
	mkdir -p "$TMP/agent"
	"$TOP/agentd" --master="127.0.0.1:$MASTER_PORT" --work_dir="$TMP/agent" \
	    --resources="cpus:2;mem:1024;disk:1000" > "$TMP/agent.log" 2>&1 &
	AGENT_PID=$!
	PIDS="$PIDS $AGENT_PID"
	wait_line "$TMP/agent.log" 'registered with master as' 10 || {
		echo "bench: agent did not register" >&2
		exit 1
	}
	# Let it settle through a few ping rounds before reading its size.
	sleep 2
	echo "agentd_idle_rss $(rss_kib "$AGENT_PID") KiB"
	echo "mesosd_idle_rss $(rss_kib "$MASTER_PID") KiB"
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	stop_master
fi

if want agents; then
	echo "bench: mesosd with $LOAD_AGENTS simulated agents pinged every second" >&2
	# Every simulated agent connects from 127.0.0.1: no per-address cap.
	start_master --agent_ping_timeout=1secs --max_connections_per_address=0
	"$TOP/bench/loadagents" "127.0.0.1:$MASTER_PORT" "$LOAD_AGENTS" $((LOAD_WINDOW_S + 5)) \
	    > "$TMP/load.out" 2> "$TMP/load.err" &
	LOAD_PID=$!
	PIDS="$PIDS $LOAD_PID"
	if wait_line "$TMP/load.err" 'all .* agents registered' 30; then
		t0=$(cpu_ticks "$MASTER_PID")
		sleep "$LOAD_WINDOW_S"
		t1=$(cpu_ticks "$MASTER_PID")
		echo "mesosd_rss_${LOAD_AGENTS}_agents $(rss_kib "$MASTER_PID") KiB"
		if [ -n "$t0" ] && [ -n "$t1" ]; then
			hz=$(getconf CLK_TCK)
			echo "mesosd_cpu_${LOAD_AGENTS}_agents $(awk -v d=$((t1 - t0)) -v hz="$hz" \
			    -v s="$LOAD_WINDOW_S" 'BEGIN { printf "%.2f", 100 * d / hz / s }') %"
		fi
	else
		echo "bench: not every simulated agent registered" >&2
		cat "$TMP/load.err" >&2
	fi
	wait "$LOAD_PID"
	cat "$TMP/load.out"
	stop_master
fi

if want alloc && need alloc bench/alloc_bench; then
	echo "bench: allocator" >&2
	./bench/alloc_bench ${BENCH_SMOKE:+--smoke} || fail_section alloc "a case failed (above): its figures not printed"
fi

# One framework (bench/plugin_bench_fw.so) run two ways: as a plugin in the
# master, then as an external process over TCP (mesos-plughost --master),
# against simulated agents that time offer -> launch at the agent and count
# launches. "paced": one agent with room for one task, which ends 5 ms
# after its launch: one offer at a time, the latency of an unloaded round
# trip. "flood": four big agents, tasks that end at once, and what a task
# leaves offered again at once: the most offers one framework handles.
PLUGIN_AGENTS=4
PLUGIN_WINDOW_S=${PLUGIN_WINDOW_S:-5}

# plugin_round HOW LOAD: one measurement; HOW is plugin or external, LOAD paced or flood.
plugin_round () {
	rm -rf "$TMP/master" "$TMP/benchplugins"
	mkdir -p "$TMP/benchplugins"
	if [ "$1" = plugin ]; then
		cp bench/plugin_bench_fw.so "$TMP/benchplugins/"
	fi
	start_master --plugins="$TMP/benchplugins"
	HOST_PID=
	if [ "$1" = external ]; then
		./mesos-plughost --master="127.0.0.1:$MASTER_PORT" --plugin=bench/plugin_bench_fw.so \
		    --log_level=warning > "$TMP/plughost.log" 2>&1 &
		HOST_PID=$!
		PIDS="$PIDS $HOST_PID"
	fi
	if [ "$2" = paced ]; then
		./bench/plugin_bench "127.0.0.1:$MASTER_PORT" 1 "$PLUGIN_WINDOW_S" "${1}_paced" paced
	else
		./bench/plugin_bench "127.0.0.1:$MASTER_PORT" "$PLUGIN_AGENTS" "$PLUGIN_WINDOW_S" \
		    "${1}_flood"
	fi
	if [ -n "$HOST_PID" ]; then
		kill -TERM "$HOST_PID" 2>/dev/null
		wait "$HOST_PID" 2>/dev/null
	fi
	stop_master
}

if want plugin && need plugin bench/plugin_bench bench/plugin_bench_fw.so; then
	echo "bench: one framework as a plugin, then as an external process over TCP" >&2
	for how in plugin external; do
		for load in paced flood; do
			plugin_round "$how" "$load"
		done
	done
fi

# ---- marathon ----------------------------------------------------------------
# plugins/marathon.so on 10 real agents (127.0.0.1): one app of 1,000
# instances from POST to all TASK_RUNNING; then 1,000 apps of one instance:
# the same, the plugin host's RSS, and GET /v2/apps latency (p50/p99 of
# MARATHON_GETS requests, curl's total time).
MARATHON_AGENTS=${MARATHON_AGENTS:-10}
MARATHON_INSTANCES=${MARATHON_INSTANCES:-1000}
MARATHON_APPS=${MARATHON_APPS:-1000}
MARATHON_GETS=${MARATHON_GETS:-100}
MARATHON_WAIT_S=120
# How long the killed app's tasks may take to end before the apps are timed.
MARATHON_QUIET_S=60

# Fewer samples than this and a p99 is only one of the worst few: not printed.
P99_MIN_SAMPLES=100

# print_percentiles NAME FILE: p50 (and p99 from enough samples) of FILE's
# sorted seconds, in ms, each name saying its sample count.
print_percentiles () {
	pp_n=$(wc -l < "$2" | tr -d ' ')
	awk -v n="$pp_n" -v name="$1" -v min99="$P99_MIN_SAMPLES" '
	    { v[NR] = $1 }
	    END {
	        if (n == 0) exit 1
	        i = int((n * 50 + 99) / 100); printf "%s_p50_n%d %.1f ms\n", name, n, v[i] * 1000
	        if (n >= min99) { i = int((n * 99 + 99) / 100); printf "%s_p99_n%d %.1f ms\n", name, n, v[i] * 1000 }
	    }' "$2"
}

# marathon_running: tasks running, as the plugin counts them.
marathon_running () {
	curl -s "$MAPI/v2/apps" | tr ',' '\n' | sed -n 's/^"tasksRunning":\([0-9]*\)$/\1/p' |
	    awk '{ n += $1 } END { print n + 0 }'
}

# marathon_wait_running N: seconds (with ms) until N tasks run, or empty.
marathon_wait_running () {
	mw_start=$(date +%s%N 2>/dev/null)
	mw_polls=$((MARATHON_WAIT_S * 20))
	while [ "$mw_polls" -gt 0 ]; do
		[ "$(marathon_running)" -ge "$1" ] && break
		sleep 0.05
		mw_polls=$((mw_polls - 1))
	done
	[ "$mw_polls" -gt 0 ] || return 1
	echo "$mw_start $(date +%s%N)" | awk '{ printf "%.2f\n", ($2 - $1) / 1e9 }'
}

# master_live_tasks: tasks the master holds not yet ended (staging, starting,
# running or killing), from its metrics.
master_live_tasks () {
	"$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" get /metrics/snapshot 2>/dev/null | tr ',{}' '\n\n\n' |
	    awk -F: '/"master\/tasks_(staging|starting|running|killing)"/ { n += $2; seen++ }
	        END { if (seen == 4) print n + 0; else print "unknown" }'
}

# wait_quiet SECTION SECONDS: until the master holds no live task, so what
# comes next is timed on a quiet cluster; past the deadline SECTION fails.
wait_quiet () {
	until_zero "$2" master_live_tasks && return 0
	fail_section "$1" "tasks still live after $2 s: $(master_live_tasks)"
	return 1
}

# marathon_apps: MARATHON_APPS apps of one instance, POSTed on a quiet cluster.
marathon_apps () {
	mw_start=$(date +%s%N)
	i=0
	while [ "$i" -lt "$MARATHON_APPS" ]; do
		curl -s -o /dev/null -X POST -H 'Content-Type: application/json' "$MAPI/v2/apps" \
		    -d "{\"id\":\"/bench/app$i\",\"cmd\":\"sleep 600\",\"cpus\":0.01,\"mem\":32,\"portDefinitions\":[]}"
		i=$((i + 1))
	done
	ma_posted=$(date +%s%N)
	echo "marathon_${MARATHON_APPS}apps_post $(echo "$mw_start $ma_posted" | awk '{ printf "%.2f", ($2 - $1) / 1e9 }') s"
	# From the first POST: the apps posted first start while the rest are posted.
	if t=$(marathon_wait_running "$MARATHON_APPS"); then
		echo "marathon_${MARATHON_APPS}apps_running_from_first_post $(echo "$mw_start $ma_posted $t" |
		    awk '{ printf "%.2f", ($2 - $1) / 1e9 + $3 }') s"
	else
		fail_section marathon "$MARATHON_APPS apps not running in $MARATHON_WAIT_S s after the POSTs"
	fi
	HPID=$("$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
	[ -n "$HPID" ] && echo "marathon_rss_${MARATHON_APPS}apps $(rss_kib "$HPID") KiB"
	i=0
	while [ "$i" -lt "$MARATHON_GETS" ]; do
		curl -s -o /dev/null -w '%{time_total}\n' "$MAPI/v2/apps?embed=apps.tasks"
		i=$((i + 1))
	done | sort -n > "$TMP/gets"
	print_percentiles "marathon_get_apps_${MARATHON_APPS}" "$TMP/gets"
}

if want marathon && need marathon plugins/marathon.so && has_curl marathon; then
	echo "bench: marathon, $MARATHON_INSTANCES instances on $MARATHON_AGENTS agents, then $MARATHON_APPS apps" >&2
	rm -rf "$TMP/master" "$TMP/mplugins"
	mkdir -p "$TMP/mplugins" "$TMP/mstate"
	cp plugins/marathon.so "$TMP/mplugins/"
	printf 'http_port=0\nhttp_ip=127.0.0.1\nstate_dir=%s\n' "$TMP/mstate" > "$TMP/mplugins/marathon.conf"
	start_master --plugins="$TMP/mplugins"
	wait_line "$TMP/master.log" 'REST API listening on 127.0.0.1:' 10
	MAPI=http://127.0.0.1:$(sed -n 's/.*REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/master.log" | tail -n 1)
	i=0
	MA_PIDS=
	while [ "$i" -lt "$MARATHON_AGENTS" ]; do
		mkdir -p "$TMP/ma$i"
		"$TOP/agentd" --master="127.0.0.1:$MASTER_PORT" --work_dir="$TMP/ma$i" --hostname="ma$i" \
		    --resources="cpus:1000;mem:1000000;disk:1000;ports:[31000-32000]" \
		    --log_level=warning > "$TMP/ma$i.log" 2>&1 &
		PIDS="$PIDS $!"
		MA_PIDS="$MA_PIDS $!"
		i=$((i + 1))
	done
	sleep 2
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' "$MAPI/v2/apps" \
	    -d "{\"id\":\"big\",\"cmd\":\"sleep 600\",\"cpus\":0.01,\"mem\":32,\"instances\":$MARATHON_INSTANCES,\"portDefinitions\":[]}"
	if t=$(marathon_wait_running "$MARATHON_INSTANCES"); then
		echo "marathon_1app_${MARATHON_INSTANCES}_running $t s"
	else
		fail_section marathon "$MARATHON_INSTANCES instances not running in $MARATHON_WAIT_S s"
	fi
	curl -s -o /dev/null -X DELETE "$MAPI/v2/apps/big"
	# The DELETE removes the app at once; its tasks end later, on the agents.
	# The apps below are timed only once the master has seen every one end.
	wait_quiet marathon "$MARATHON_QUIET_S" && marathon_apps
	# The agents stop their 1,000 tasks: none of it may weigh on the sections after.
	# shellcheck disable=SC2086
	stop_pids $MA_PIDS
	stop_master
fi

# GET /v2/apps?embed=apps.tasks with MARATHON_BIG_TASKS tasks: more than this
# machine could run, so the plugin runs under bench/marathon_fake, a stand-in
# master whose one huge agent "runs" every task it is given.
MARATHON_BIG_TASKS=${MARATHON_BIG_TASKS:-10000}
MARATHON_BIG_GETS=${MARATHON_BIG_GETS:-100}
if want marathon && need marathon bench/marathon_fake && has_curl marathon; then
	echo "bench: marathon, GET /v2/apps?embed=apps.tasks with $MARATHON_BIG_TASKS tasks" >&2
	./bench/marathon_fake 2> "$TMP/mfake.log" &
	MFAKE=$!
	PIDS="$PIDS $MFAKE"
	wait_line "$TMP/mfake.log" 'REST API listening on 127.0.0.1:' 10
	MAPI=http://127.0.0.1:$(sed -n 's/.*REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/mfake.log" | tail -n 1)
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' "$MAPI/v2/apps" \
	    -d "{\"id\":\"big\",\"cmd\":\"sleep 600\",\"cpus\":0.01,\"mem\":32,\"instances\":$MARATHON_BIG_TASKS,\"portDefinitions\":[]}"
	t=$(marathon_wait_running "$MARATHON_BIG_TASKS") &&
	    echo "marathon_fake_${MARATHON_BIG_TASKS}_tasks_running $t s"
	i=0
	while [ "$i" -lt "$MARATHON_BIG_GETS" ]; do
		curl -s -o /dev/null -w '%{time_total}\n' "$MAPI/v2/apps?embed=apps.tasks"
		i=$((i + 1))
	done | sort -n > "$TMP/biggets"
	print_percentiles "marathon_get_apps_embed_${MARATHON_BIG_TASKS}_tasks" "$TMP/biggets"
	echo "marathon_get_apps_embed_${MARATHON_BIG_TASKS}_tasks_bytes $(curl -s "$MAPI/v2/apps?embed=apps.tasks" | wc -c | tr -d ' ') B"
	echo "marathon_fake_rss_${MARATHON_BIG_TASKS}_tasks $(rss_kib "$MFAKE") KiB"
	kill -TERM "$MFAKE" 2>/dev/null
	wait "$MFAKE" 2>/dev/null
fi

# Marathon's groups: 1,000 apps in 100 groups posted as one tree, until all run.
if want marathon_groups && need marathon_groups plugins/marathon.so && has_curl marathon_groups; then
	# shellcheck disable=SC1091  # sourced for run.sh's helpers
	. bench/marathon_groups.sh
fi

# What keeping Marathon's state costs: 1,000 POSTs, a POST's latency at 100 and 1,000 apps.
if want persist && need persist plugins/marathon.so && has_curl persist; then
	# shellcheck disable=SC1091  # sourced for run.sh's helpers
	. bench/persist_bench.sh
fi

# The jobs plugin: a parallel run, schedule firing jitter, memory with many jobs.
if want jobs && need jobs plugins/jobs.so && has_curl jobs; then
	# shellcheck disable=SC1091  # sourced for run.sh's helpers
	. bench/jobs.sh
fi

# start_bench_agent NAME [FLAGS...]: an agent of the master, its pid in AGENT_PID.
start_bench_agent () {
	sba_name=$1
	sba_base=${AGENT_BASE:-$TMP}
	shift
	mkdir -p "$sba_base/$sba_name"
	chmod 755 "$sba_base"
	"$TOP/agentd" --master="127.0.0.1:$MASTER_PORT" \
	    --work_dir="$sba_base/$sba_name" --resources="$BENCH_AGENT_RESOURCES" "$@" \
	    > "$TMP/$sba_name.log" 2>&1 &
	AGENT_PID=$!
	PIDS="$PIDS $AGENT_PID"
	# It may run --quiet: ask the master instead of reading the log.
	n=200
	until "$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" get /master/state 2>/dev/null |
	    grep -q '"activated_slaves":[1-9]'; do
		n=$((n - 1))
		if [ "$n" -eq 0 ]; then
			echo "bench: agent did not register" >&2
			cat "$TMP/$sba_name.log" >&2
			exit 1
		fi
		sleep 0.05
	done
}

# launch_run FS BASE WINDOW: the launch figures with the agent's work dir under BASE,
# printed as launch_FS_wWINDOW_bBATCH_*; none when a task failed.
launch_run () {
	echo "bench: $LAUNCH_TASKS tasks of true on one agent, $3 in flight, $LAUNCH_BATCH per ACCEPT, as $BENCH_USER, work dir on $1" >&2
	lr_name=launch_$1_w$3_b$LAUNCH_BATCH
	start_master
	AGENT_BASE=$2 start_bench_agent "launch_$1_w$3" --quiet
	lr_spawner=$(ps -e -o pid= -o ppid= -o args= |
	    awk -v agent="$AGENT_PID" '$2 == agent && $3 ~ /mesos-executor$/ && $4 == "--spawner" { print $1 }')
	lr_daemons="$MASTER_PID $AGENT_PID $lr_spawner"
	# shellcheck disable=SC2086  # a list of pids
	lr_t0=$(daemon_ticks $lr_daemons)
	# The machine's own limit is measured in the same process, in rounds
	# between the launches' (launch_bench.c): the same moments, as many in flight.
	if ./bench/launch_bench "127.0.0.1:$MASTER_PORT" "$LAUNCH_TASKS" "$3" "$LAUNCH_BATCH" \
	    "$BENCH_USER" "$LAUNCH_ROUNDS" > "$TMP/launch.out"; then
		# shellcheck disable=SC2086
		lr_t1=$(daemon_ticks $lr_daemons)
		sed "s/^launch_/launch_$1_/" "$TMP/launch.out"
		if ! grep -q '^raw_spawn_' "$TMP/launch.out"; then
			fail_section "raw_spawn_w$3" "launch_bench printed no raw spawn rate"
		fi
		if [ -n "$lr_t0" ] && [ -n "$lr_t1" ] && [ -n "$lr_spawner" ]; then
			echo "$lr_t0 $lr_t1" | awk -v name="$lr_name" -v n="$LAUNCH_TASKS" -v hz="$(getconf CLK_TCK)" '{
			    split("mesosd agentd spawner", who, " ")
			    for (i = 1; i <= 3; i++) {
			        ms = ($(i + 3) - $i) * 1000 / hz / n
			        total += ms
			        printf "%s_cpu_per_task_%s %.2f ms\n", name, who[i], ms
			    }
			    printf "%s_daemon_cpu_per_task %.2f ms\n", name, total }'
		fi
	else
		fail_section "$lr_name" "launch_bench exited with status $?"
	fi
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	stop_master
}

# launch_fs NAME: NAME is among LAUNCH_FS.
launch_fs () {
	case " $LAUNCH_FS " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

if want launch && need launch bench/launch_bench; then
	# What this file system charges for a new file: a launch makes six (three
	# directories, the latest link, stdout, stderr). On ext4 without a journal
	# each new inode looks past every one deleted in the last minutes, so this
	# varies with what ran before.
	if launch_fs disk; then
		echo "launch_disk_create_cost $(./bench/launch_bench --create-cost "$TMP/create-probe") us"
		for w in $LAUNCH_WINDOWS; do
			launch_run disk "$TMP" "$w"
		done
	fi
	if launch_fs tmpfs && [ -r /proc/mounts ] && awk '$2 == "/dev/shm" && $3 == "tmpfs" { found = 1 } END { exit !found }' /proc/mounts &&
	    SHM=$(mktemp -d /dev/shm/mesos-bench.XXXXXX 2>/dev/null); then
		echo "launch_tmpfs_create_cost $(./bench/launch_bench --create-cost "$SHM/create-probe") us"
		for w in $LAUNCH_WINDOWS; do
			launch_run tmpfs "$SHM" "$w"
		done
		rm -rf "$SHM"
	fi
fi

# pss_kib PID: proportional set size in KiB (Linux), else empty.
pss_kib () {
	[ -r "/proc/$1/smaps_rollup" ] || return 0
	sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/smaps_rollup"
}

if want tasks; then
	echo "bench: memory of $RESIDENT_TASKS running tasks: the agent's bookkeeping and each supervisor" >&2
	for p in mesos-executor mesos-fetcher; do
		strip -o "$TMP/$p.stripped" "$p" 2>/dev/null || cp "$p" "$TMP/$p.stripped"
		echo "size_$(echo "$p" | tr - _)_stripped $(($(wc -c < "$TMP/$p.stripped" | tr -d ' ') / 1024)) KiB"
	done
	start_master
	start_bench_agent resident --quiet
	sleep 1
	before=$(rss_kib "$AGENT_PID")
	"$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" run --name=resident \
	    --instances="$RESIDENT_TASKS" --resources="cpus:0.01;mem:16" --command='exec sleep 600' \
	    > "$TMP/resident.out" 2>&1 &
	RUN_PID=$!
	PIDS="$PIDS $RUN_PID"
	n=0
	while [ "$(grep -c TASK_RUNNING "$TMP/resident.out")" -lt "$RESIDENT_TASKS" ] && [ "$n" -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 1
	after=$(rss_kib "$AGENT_PID")
	echo "agentd_rss_per_task $(awk -v a="$after" -v b="$before" -v n="$RESIDENT_TASKS" \
	    'BEGIN { printf "%.1f", (a - b) / n }') KiB"
	# The supervisors: what agentd's spawner forked, or agentd itself exec'd.
	sups=$(ps -e -o pid= -o ppid= -o args= | awk -v agent="$AGENT_PID" -v dir="$TMP/resident/" '
	    $3 ~ /mesos-executor$/ && $2 == agent && $4 == "--spawner" { spawner = $1; next }
	    $3 ~ /mesos-executor$/ { ppid[$1] = $2; direct[$1] = index($4, dir) == 1 }
	    END { for (p in ppid) if (ppid[p] == spawner || direct[p]) print p }')
	rss=0
	pss=0
	count=0
	for p in $sups; do
		r=$(rss_kib "$p")
		q=$(pss_kib "$p")
		[ -n "$r" ] || continue
		rss=$((rss + r))
		pss=$((pss + ${q:-0}))
		count=$((count + 1))
	done
	if [ "$count" -gt 0 ]; then
		echo "supervisor_rss $((rss / count)) KiB"
		[ "$pss" -gt 0 ] && echo "supervisor_pss $((pss / count)) KiB"
	fi
	kill -INT "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	stop_master
fi

# Authentication's cost: handshakes/s and the master's memory (bench/auth.sh).
if want auth && need auth bench/auth_bench bench/loadagents; then
	. "$TOP/bench/auth.sh"
fi

# mesos-lb against direct and HAProxy, on the same servers (bench/lb.sh).
if want lb && need lb bench/lbload mesos-lb; then
	. bench/lb.sh
fi

# The web page's JSON and render with 100 agents and 10,000 tasks (bench/web.sh).
if want web && need web bench/loadagents && has_curl web; then
	. bench/web.sh
fi

# The master killed and restarted under thousands of agents (bench/failover.sh).
if want failover && need failover bench/loadagents; then
	# shellcheck disable=SC1091  # sourced for run.sh's helpers
	. bench/failover.sh
fi

# What isolation holds and costs, in each mode (bench/isolation.sh).
if want isolation && need isolation bench/isohog; then
	. bench/isolation.sh
fi

if [ -n "$FAILED" ]; then
	echo "bench: FAILED sections, their figures not printed:$FAILED" >&2
	exit 1
fi

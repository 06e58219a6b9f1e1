#!/bin/sh
#
# bench/sharing.sh: `make bench-sharing`, the project's central claim
# measured. One workload trace (bench/sharing.trace) is replayed twice on
# a real local cluster - a master, SHARING agents' worth of agentd on
# 127.0.0.1 with made-up resources, Marathon (role services) and the jobs
# plugin loaded twice (roles etl and adhoc) - first with each role
# confined to its own agents by reservations (static partitions), then
# with no reservation at all (sharing: DRF with the trace's weights, and
# the services' quota). bench/sharing (sharing.h maps it) replays and
# samples; its report prints `name value unit` lines on stdout and writes
# bench/out/sharing.html. Progress and the daemons' troubles go to stderr.
#
#   sh bench/sharing.sh [static|sharing ...]   (default: both, then the report)
#   SHARING_TRACE=FILE sh bench/sharing.sh    another trace (`bench/sharing gen SEED`)
#
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
TRACE=${SHARING_TRACE:-$TOP/bench/sharing.trace}
OUT=$TOP/bench/out
# The replay waits at most this long after the trace for the batch runs still
# going (static partitions need about 125 s for the etl work they queue).
DRAIN_S=${SHARING_DRAIN_S:-300}
# Seconds the cluster gets to come up.
START_S=30
MESOS_ALLOW_ROOT_TASKS=true
export MESOS_ALLOW_ROOT_TASKS
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mesos-sharing.XXXXXX") || exit 1
# The agents' work dirs: on tmpfs where there is one, so thousands of
# sandboxes and status-update fsyncs cost no disk time (what is measured
# is the allocation, not the disk).
WORK=$TMP
if [ -r /proc/mounts ] && awk '$2 == "/dev/shm" && $3 == "tmpfs" { f = 1 } END { exit !f }' /proc/mounts; then
	WORK=$(mktemp -d /dev/shm/mesos-sharing.XXXXXX) || WORK=$TMP
fi
PIDS=

# stop_all: TERM every daemon started (an agent kills its tasks), then wait for each.
stop_all () {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=
}

cleanup () {
	stop_all
	rm -rf "$TMP"
	[ "$WORK" = "$TMP" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in mesosd agentd mesos-plughost mesos-executor plugins/marathon.so plugins/jobs.so bench/sharing; do
	if [ ! -e "$f" ]; then
		echo "bench-sharing: $f is not built; run make first" >&2
		exit 1
	fi
done

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_until () {
	wu_n=$(($1 * 10))
	shift
	until "$@"; do
		wu_n=$((wu_n - 1))
		[ "$wu_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

log_has () {
	grep -q -- "$1" "$TMP/master.log"
}

agents_active () {
	"$TOP/mesosctl" --master="$MASTER" get /metrics/snapshot 2>/dev/null |
	    grep -q "\"master/slaves_active\":$1[,}.]"
}

# api ROLE: the host:port its plugin's REST API listens on.
api () {
	sed -n "s/.*plugin $1: info: REST API listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p" "$TMP/master.log" |
	    tail -n 1
}

# run_mode MODE: start the cluster, replay the trace, stop the cluster.
run_mode () {
	mode=$1
	echo "bench-sharing: $mode: starting the cluster" >&2
	rm -rf "$TMP/plugins" "$TMP/master" "$WORK/agents"
	mkdir -p "$TMP/plugins" "$WORK/agents"
	roles=$(awk '$1 == "role" { print $2 ":" $3 }' "$TRACE")
	names=
	for rk in $roles; do
		role=${rk%%:*}
		cp "plugins/${rk#*:}.so" "$TMP/plugins/$role.so"
		printf 'http_port=0\nhttp_ip=127.0.0.1\nrole=%s\n' "$role" > "$TMP/plugins/$role.conf"
		names="$names $role"
	done
	# The replay reads ended tasks from the master's completed ones: each
	# second (a framework ends at most about 20 tasks a second here) and,
	# for the services' about 35 scale-down kills, once after the day.
	"$TOP/mesosd" --ip=127.0.0.1 --port=0 --work_dir="$TMP/master" --plugins="$TMP/plugins" \
	    --max_completed_tasks_per_framework=100 > "$TMP/master.log" 2>&1 &
	MASTER_PID=$!
	PIDS="$MASTER_PID"
	wait_until "$START_S" log_has 'listening on 127.0.0.1:' || {
		echo "bench-sharing: the master did not start" >&2
		cat "$TMP/master.log" >&2
		return 1
	}
	MASTER=127.0.0.1:$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$TMP/master.log" | head -n 1)
	n=0
	"$TOP/bench/sharing" agents "$TRACE" "$mode" > "$TMP/agents" || return 1
	while read -r name res attrs; do
		mkdir -p "$WORK/agents/$name"
		"$TOP/agentd" --master="$MASTER" --work_dir="$WORK/agents/$name" --hostname="$name" \
		    --resources="$res" --attributes="$attrs" --log_level=warning \
		    > "$TMP/$name.log" 2>&1 &
		PIDS="$PIDS $!"
		n=$((n + 1))
	done < "$TMP/agents"
	wait_until "$START_S" agents_active "$n" || {
		echo "bench-sharing: not all $n agents registered" >&2
		return 1
	}
	apis=
	for role in $names; do
		wait_until "$START_S" log_has "plugin $role: info: registered as framework" || {
			echo "bench-sharing: plugin $role did not register" >&2
			grep "plugin $role" "$TMP/master.log" >&2
			return 1
		}
		apis="$apis $(api "$role")"
	done
	echo "bench-sharing: $mode: $n agents, frameworks$names; replaying" >&2
	# shellcheck disable=SC2086  # one address a role
	"$TOP/bench/sharing" replay "$TRACE" "$mode" "$OUT" "$DRAIN_S" "$MASTER" $apis
	rc=$?
	cp "$TMP/master.log" "$OUT/$mode.master.log"
	stop_all
	return $rc
}

modes=${*:-static sharing}
mkdir -p "$OUT" || exit 1
echo "$(uname -sm), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') cpus, load average $(uptime | sed 's/.*load averages*: //') at the start" \
    > "$OUT/machine"
for m in $modes; do
	run_mode "$m" || {
		echo "bench-sharing: the $m replay failed; no figures" >&2
		exit 1
	}
done
if [ -f "$OUT/static.samples" ] && [ -f "$OUT/sharing.samples" ]; then
	"$TOP/bench/sharing" report "$TRACE" "$OUT" || exit 1
	echo "bench-sharing: the report is $OUT/sharing.html" >&2
fi

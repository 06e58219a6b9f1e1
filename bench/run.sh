#!/bin/sh
#
# bench/run.sh: the project's figures, run by `make bench`. Every figure is
# printed as one `name value unit` line on stdout; progress goes to stderr.
# Long measurements live here, never in `make check`.
#
#   sh bench/run.sh [SECTION...]   sections: size footprint agents alloc (default all)
#
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mesos-bench.XXXXXX") || exit 1
PIDS=

# Agents the master is loaded with, and for how long their pings are measured.
LOAD_AGENTS=1000
LOAD_WINDOW_S=10

cleanup () {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sections=${*:-size footprint agents alloc}
want () {
	case " $sections " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

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

start_master () {
	"$TOP/mesosd" --ip=127.0.0.1 --port=0 --work_dir="$TMP/master" "$@" \
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
	start_master --agent_ping_timeout=1secs
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

if want alloc && [ -x bench/alloc_bench ]; then
	echo "bench: allocator" >&2
	./bench/alloc_bench
fi

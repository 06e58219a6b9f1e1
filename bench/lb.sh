#
# bench/lb.sh: mesos-lb's figures, sourced by bench/run.sh (section lb). One
# app of LB_BACKENDS small HTTP servers (tests/httpd, answering /whoami)
# behind a stand-in Marathon (tests/httpd again, serving apps.json and an
# event stream), loaded by bench/lbload with LB_CONCURRENCY kept-alive
# connections for LB_SECONDS each, side by side in one run: direct (the
# connections spread over the servers), through mesos-lb's service port,
# and through HAProxy with the configuration mesos-lb writes for the same
# app, as installed (a thread per cpu, as mesos-lb's --workers) and with
# one thread (nbthread 1, beside mesos-lb --workers=1: one poll loop each),
# skipped with a message when haproxy is not installed. Then
# mesos-lb's memory idle and with LB_HOLD connections open through it, the
# share of its cpu time spent in the kernel under load, and the load average.
# Prints `name value unit` lines; a measurement that failed prints none.
#
# Sourced by bench/run.sh (its TMP, PIDS, wait_line and rss_kib).
LB_BACKENDS=3
LB_CONCURRENCY=${LB_CONCURRENCY:-32}
LB_SECONDS=${LB_SECONDS:-5}
LB_HOLD=1000

# httpd NAME: a server on a free port of 127.0.0.1; its port in PORT.
httpd () {
	"$TOP/tests/httpd" "$TMP" > "$TMP/$1.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_line "$TMP/$1.out" 'listening on' 10 || { echo "bench: httpd did not start" >&2; exit 1; }
	PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$1.out")
}

# free_port: a port nothing listens on now, in PORT.
free_port () {
	httpd probe
	kill -TERM "$(echo "$PIDS" | awk '{ print $NF }')"
}

# load NAME URLS: LB_SECONDS of kept-alive GETs; prints NAME's figures, or nothing on failure.
load () {
	"$TOP/bench/lbload" --keepalive "--concurrency=$LB_CONCURRENCY" "--duration=${LB_SECONDS}secs" \
	    "$2" > "$TMP/$1.load" 2>&1
	if ! grep -qx 'failed 0' "$TMP/$1.load" || grep -qx 'requests 0' "$TMP/$1.load"; then
		echo "bench: $1: requests failed, no figure:" >&2
		cat "$TMP/$1.load" >&2
		return 1
	fi
	awk -v n="$1" '$1 == "rps" { print "lb_" n "_rps " $2 " req/s" }
	    $1 == "p50_us" { print "lb_" n "_p50 " $2 " us" }
	    $1 == "p99_us" { print "lb_" n "_p99 " $2 " us" }' "$TMP/$1.load"
}

rps_of () {
	awk '$1 == "rps" { print $2 }' "$TMP/$1.load" 2>/dev/null
}

echo "bench: mesos-lb: $LB_BACKENDS servers, $LB_CONCURRENCY kept-alive connections, ${LB_SECONDS}s each" >&2
# The ratios below are what to compare: other work on the machine changes
# every figure of one run alike, but not evenly across runs.
lb_load_avg () {
	cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo unknown
}
LB_LOAD_START=$(lb_load_avg)

# lb_user_system_ticks PID: its user and system clock ticks so far ("U S"), from /proc.
lb_user_system_ticks () {
	awk '{ print $14, $15 }' "/proc/$1/stat" 2>/dev/null
}
DIRECT=
TASKS=
i=0
while [ "$i" -lt "$LB_BACKENDS" ]; do
	httpd "backend$i"
	DIRECT="$DIRECT${DIRECT:+,}http://127.0.0.1:$PORT/whoami"
	TASKS="$TASKS${TASKS:+,}{\"id\":\"bench.t$i\",\"host\":\"127.0.0.1\",\"ports\":[$PORT],\"state\":\"TASK_RUNNING\"}"
	i=$((i + 1))
done
free_port
SP=$PORT
printf '{"apps":[{"id":"/bench","labels":{},"healthChecks":[],"portDefinitions":[{"port":%s}],"tasks":[%s]}]}\n' \
    "$SP" "$TASKS" > "$TMP/apps.json"
httpd marathon
MARATHON=http://127.0.0.1:$PORT

load direct "$DIRECT"

"$TOP/mesos-lb" "--marathon=$MARATHON" --ip=127.0.0.1 --http_port=-1 --stats_port=0 \
    --log_level=warning > "$TMP/lb.log" 2>&1 &
LB_PID=$!
PIDS="$PIDS $LB_PID"
# lb_serving: 0 once the service port answers (within 10 s), else 1.
lb_serving () {
	n=200
	until "$TOP/bench/lbload" --requests=1 "http://127.0.0.1:$SP/whoami" > /dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -eq 0 ] && return 1
		sleep 0.05
	done
}
if ! lb_serving; then
	echo "bench: mesos-lb did not start serving" >&2
	cat "$TMP/lb.log" >&2
	exit 1
fi
sleep 1
echo "lb_mesos_lb_rss_idle $(rss_kib "$LB_PID") KiB"
T0=$(lb_user_system_ticks "$LB_PID")
load mesos_lb "http://127.0.0.1:$SP/whoami"
T1=$(lb_user_system_ticks "$LB_PID")
# Where mesos-lb's time goes under that load: its own code, or the kernel
# (the sockets' reads and writes, poll, loopback TCP).
[ -n "$T0" ] && [ -n "$T1" ] && echo "$T0 $T1" | awk '{ u = $3 - $1; s = $4 - $2
	if (u + s > 0) printf "lb_mesos_lb_kernel_share %.0f %%\n", 100 * s / (u + s) }'
"$TOP/bench/lbload" "--hold=$LB_HOLD" --duration=4secs "127.0.0.1:$SP" > "$TMP/hold.out" 2>&1 &
HOLD=$!
if wait_line "$TMP/hold.out" "^held $LB_HOLD\$" 10; then
	echo "lb_mesos_lb_rss_${LB_HOLD}_conns $(rss_kib "$LB_PID") KiB"
else
	echo "bench: not all $LB_HOLD connections were held, no figure" >&2
fi
wait "$HOLD"
kill -TERM "$LB_PID"
wait "$LB_PID" 2>/dev/null

# One worker: the main loop alone, like for like with HAProxy's nbthread 1.
"$TOP/mesos-lb" "--marathon=$MARATHON" --ip=127.0.0.1 --http_port=-1 --stats_port=-1 \
    --log_level=warning --workers=1 > "$TMP/lb1.log" 2>&1 &
LB1=$!
PIDS="$PIDS $LB1"
if lb_serving; then
	load mesos_lb_1worker "http://127.0.0.1:$SP/whoami"
else
	echo "bench: mesos-lb --workers=1 did not start serving, no figure" >&2
fi
kill -TERM "$LB1"
wait "$LB1" 2>/dev/null

# haproxy NAME CONFIG: HAProxy on CONFIG, loaded as the others; NAME's figures.
haproxy_load () {
	haproxy -db -f "$2" > "$TMP/$1.log" 2>&1 &
	HA=$!
	PIDS="$PIDS $HA"
	lb_serving
	load "$1" "http://127.0.0.1:$SP/whoami"
	kill -TERM "$HA"
	wait "$HA" 2>/dev/null
}

if command -v haproxy > /dev/null 2>&1; then
	"$TOP/mesos-lb" "--marathon=$MARATHON" --ip=127.0.0.1 --http_port=-1 --stats_port=-1 \
	    --log_level=warning "--haproxy_config=$TMP/haproxy.cfg" > "$TMP/lbh.log" 2>&1 &
	LBH=$!
	wait_line "$TMP/haproxy.cfg" "server bench" 10
	kill -TERM "$LBH"
	wait "$LBH" 2>/dev/null
	# HAProxy as installed runs a thread per cpu, as mesos-lb's --workers;
	# the same configuration with one thread is --workers=1's peer.
	haproxy_load haproxy "$TMP/haproxy.cfg"
	awk '{ print } /^global$/ { print "\tnbthread 1" }' "$TMP/haproxy.cfg" > "$TMP/haproxy1.cfg"
	haproxy_load haproxy_1thread "$TMP/haproxy1.cfg"
	echo "# lb: haproxy version $(haproxy -v | sed -n 's/^HAProxy version \([0-9.]*\).*/\1/p' | head -n 1)"
else
	echo "bench: haproxy is not installed (apt-get install haproxy): its figures are skipped" >&2
fi

D=$(rps_of direct)
L=$(rps_of mesos_lb)
H=$(rps_of haproxy)
[ -n "$D" ] && [ -n "$L" ] && awk -v d="$D" -v l="$L" 'BEGIN { if (d > 0) printf "lb_mesos_lb_vs_direct %.0f %%\n", 100 * l / d }'
# HAProxy against direct: what a second hop over loopback costs on this machine anyway.
[ -n "$D" ] && [ -n "$H" ] && awk -v d="$D" -v h="$H" 'BEGIN { if (d > 0) printf "lb_haproxy_vs_direct %.0f %%\n", 100 * h / d }'
[ -n "$H" ] && [ -n "$L" ] && awk -v h="$H" -v l="$L" 'BEGIN { if (h > 0) printf "lb_mesos_lb_vs_haproxy %.0f %%\n", 100 * l / h }'
H1=$(rps_of haproxy_1thread)
L1=$(rps_of mesos_lb_1worker)
[ -n "$H1" ] && [ -n "$L1" ] && awk -v h="$H1" -v l="$L1" 'BEGIN { if (h > 0) printf "lb_mesos_lb_1worker_vs_haproxy_1thread %.0f %%\n", 100 * l / h }'
echo "# lb: load average (1 min) $LB_LOAD_START at the start, $(lb_load_avg) at the end"

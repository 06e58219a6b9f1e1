# bench/persist_bench.sh: what keeping Marathon's state costs (issue 18),
# sourced by bench/run.sh (section persist) and using its helpers
# (start_master, stop_master, wait_line, fail_section, print_percentiles,
# TMP, TOP). The plugin keeps its state where it does by default (the
# master's work dir, on disk: pc_journal.c's journal), no agent runs:
#   persist_<N>_posts            N apps POSTed, 8 at a time (curl --parallel)
#   persist_post_at_<A>apps      one POST's latency with A apps already
#                                stored (p50 of PB_SAMPLES, one at a time)
#   persist_fsyncs_per_post      the journal's commits (each one fsync) per
#                                POST of the burst: below 1 with group commit
#   persist_cpu_per_post_<A>_<B>apps  the plugin host's cpu time (user and
#                                system) per POST while A to B apps were
#                                posted: what a POST costs, the load aside
# No figure when a POST was not answered 201.

PB_APPS=${PB_APPS:-1000}
PB_SAMPLES=${PB_SAMPLES:-30}
PB_PARALLEL=8

# pb_posts FROM TO FILE: a curl config POSTing apps pFROM..pTO-1.
pb_posts () {
	i=$1
	while [ "$i" -lt "$2" ]; do
		[ "$i" -gt "$1" ] && printf 'next\n'
		printf 'url = "%s/v2/apps"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' "$PBAPI"
		printf 'data = "{\\"id\\":\\"p%d\\",\\"cmd\\":\\"sleep 600\\",\\"instances\\":0}"\n' "$i"
		printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
		i=$((i + 1))
	done > "$3"
}

# pb_commits: the journal's commits so far (GET /metrics).
pb_commits () {
	curl -s "$PBAPI/metrics" |
	    sed -n 's/.*"marathon\.store\.commits\.counter":{"count":\([0-9]*\)}.*/\1/p'
}

# pb_cpu_ms: the plugin host's cpu time so far, in ms (/proc/PID/stat).
pb_cpu_ms () {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz }' \
	    "/proc/$PBHOST/stat" 2>/dev/null || echo 0
}

# pb_cpu_figure A B MS0 MS1: the cpu per POST from A to B apps.
pb_cpu_figure () {
	[ -n "$PBHOST" ] && echo "persist_cpu_per_post_$1_$2apps $(echo "$3 $4 $(($2 - $1))" |
	    awk '{ printf "%.2f", ($2 - $1) / $3 }') ms"
}

# pb_latency A: PB_SAMPLES POSTs one at a time (then deleted), at A apps.
pb_latency () {
	i=0
	while [ "$i" -lt "$PB_SAMPLES" ]; do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST \
		    -H 'Content-Type: application/json' \
		    --data "{\"id\":\"l$1x$i\",\"cmd\":\"sleep 600\",\"instances\":0}" "$PBAPI/v2/apps"
		curl -s -o /dev/null -X DELETE "$PBAPI/v2/apps/l$1x$i"
		i=$((i + 1))
	done > "$TMP/pb_lat"
	if grep -qv '^201 ' "$TMP/pb_lat"; then
		fail_section persist "a POST at $1 apps was not answered 201"
		return 1
	fi
	awk '{ print $2 }' "$TMP/pb_lat" | sort -n > "$TMP/pb_lat_sorted"
	print_percentiles "persist_post_at_$1apps" "$TMP/pb_lat_sorted"
}

echo "bench: persist, $PB_APPS apps POSTed to Marathon keeping its state on disk" >&2
rm -rf "$TMP/pbplugins"
mkdir -p "$TMP/pbplugins"
cp plugins/marathon.so "$TMP/pbplugins/"
printf 'http_port=0\nhttp_ip=127.0.0.1\n' > "$TMP/pbplugins/marathon.conf"
start_master --plugins="$TMP/pbplugins"
if wait_line "$TMP/master.log" 'plugin marathon: info: registered as framework' 10; then
	PBAPI=http://127.0.0.1:$(sed -n 's/.*REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/master.log" | tail -n 1)
	PB_FIRST=$((PB_APPS / 10))
	PBHOST=$("$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" frameworks | awk '$6 == "marathon" { print $7 }' | head -n 1)
	pb_posts 0 "$PB_FIRST" "$TMP/pb_first"
	u0=$(pb_cpu_ms)
	curl -s --no-progress-meter --parallel --parallel-max "$PB_PARALLEL" -K "$TMP/pb_first" > "$TMP/pb_first_codes"
	u1=$(pb_cpu_ms)
	pb_latency "$PB_FIRST"
	pb_posts "$PB_FIRST" "$PB_APPS" "$TMP/pb_rest"
	c0=$(pb_commits)
	u2=$(pb_cpu_ms)
	t0=$(date +%s.%N)
	curl -s --no-progress-meter --parallel --parallel-max "$PB_PARALLEL" -K "$TMP/pb_rest" > "$TMP/pb_rest_codes"
	t1=$(date +%s.%N)
	u3=$(pb_cpu_ms)
	c1=$(pb_commits)
	n=$(cat "$TMP/pb_first_codes" "$TMP/pb_rest_codes" | grep -c '^201$')
	if [ "$n" -eq "$PB_APPS" ]; then
		# The first tenth went before; the rest, timed, scaled to all N.
		echo "persist_${PB_APPS}_posts $(echo "$t0 $t1 $PB_APPS $PB_FIRST" |
		    awk '{ printf "%.2f", ($2 - $1) * $3 / ($3 - $4) }') s"
		echo "persist_fsyncs_per_post $(echo "${c0:-0} ${c1:-0} $((PB_APPS - PB_FIRST))" |
		    awk '{ printf "%.2f", ($2 - $1) / $3 }') fsyncs"
		pb_cpu_figure 0 "$PB_FIRST" "$u0" "$u1"
		pb_cpu_figure "$PB_FIRST" "$PB_APPS" "$u2" "$u3"
		pb_latency "$PB_APPS"
	else
		fail_section persist "$n of $PB_APPS POSTs answered 201"
	fi
else
	fail_section persist "the plugin did not register"
fi
stop_master

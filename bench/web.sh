#
# bench/web.sh: the web page's figures, sourced by bench/run.sh (section
# web). A master holding WEB_AGENTS simulated agents (bench/loadagents,
# re-registering with WEB_TASKS_PER_AGENT running tasks each, in 10
# frameworks and roles) answers the JSON the page reads, WEB_SAMPLES times
# each, timed by curl: `web_<endpoint>_p50` and `_p99` in ms (the aim is
# under 50 ms), with the sample count; /master/state too (the page never
# reads it: it is megabytes at this size), and its size. With
# node and chromium, the page's first render of the cluster view and then
# of the tasks view (tests/web_driver.js bench). A master that does not
# reach every task prints no figure.
#
# Sourced by bench/run.sh (its TMP, PIDS, start_master, stop_master,
# wait_line, fail_section).
WEB_AGENTS=${WEB_AGENTS:-100}
WEB_TASKS_PER_AGENT=100
WEB_SAMPLES=${WEB_SAMPLES:-100}
# Seconds the simulated agents stay (the whole section must fit), and to load them.
WEB_HOLD_S=120
WEB_LOAD_S=60

# web_time PATH: WEB_SAMPLES response times of GET PATH in ms, one a line, sorted.
web_time () {
	wt_n=0
	while [ "$wt_n" -lt "$WEB_SAMPLES" ]; do
		curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$MASTER_PORT$1" || return 1
		wt_n=$((wt_n + 1))
	done | awk '{ printf "%.3f\n", $1 * 1000 }' | sort -n
}

# web_pct FILE P: the P-th percentile of the sorted values in FILE (nearest rank).
web_pct () {
	awk -v p="$2" '{ v[NR] = $1 } END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; print v[r] }' "$1"
}

web_tasks_running () {
	curl -s "http://127.0.0.1:$MASTER_PORT/metrics/snapshot" |
	    sed -n 's/.*"master\/tasks_running":\([0-9]*\).*/\1/p'
}

if ! command -v curl > /dev/null 2>&1; then
	echo "bench: web: curl is needed; skipped" >&2
else
	web_want=$((WEB_AGENTS * WEB_TASKS_PER_AGENT))
	echo "bench: web: the page's JSON with $WEB_AGENTS agents and $web_want tasks" >&2
	start_master
	"$TOP/bench/loadagents" "127.0.0.1:$MASTER_PORT" "$WEB_AGENTS" "$WEB_HOLD_S" \
	    "$WEB_TASKS_PER_AGENT" > "$TMP/web-load.out" 2> "$TMP/web-load.err" &
	WEB_LOAD_PID=$!
	PIDS="$PIDS $WEB_LOAD_PID"
	web_n=0
	while [ "$(web_tasks_running)" != "$web_want" ] && [ "$web_n" -lt $((WEB_LOAD_S * 10)) ]; do
		sleep 0.1
		web_n=$((web_n + 1))
	done
	if [ "$(web_tasks_running)" != "$web_want" ]; then
		fail_section web "the master holds $(web_tasks_running) tasks, not $web_want"
		cat "$TMP/web-load.err" >&2
	else
		echo "web_state_bytes $(curl -s "http://127.0.0.1:$MASTER_PORT/master/state" | wc -c | tr -d ' ') bytes"
		# What the page reads (a page of 50 tasks, frameworks without their tasks),
		# then all of /master/state, which the page never asks for.
		for ep in master/slaves 'master/frameworks?tasks=false' 'master/tasks?limit=50' \
		    'master/tasks?limit=50&name=sim-task-00099' metrics/snapshot master/roles \
		    master/history master/state; do
			case "$ep" in
			*name=*) name=master_tasks_filtered ;;
			*) name=$(echo "${ep%%\?*}" | tr '/' '_') ;;
			esac
			if web_time "/$ep" > "$TMP/web-times"; then
				echo "web_${name}_p50 $(web_pct "$TMP/web-times" 50) ms"
				echo "web_${name}_p99 $(web_pct "$TMP/web-times" 99) ms"
			else
				fail_section web "GET /$ep failed"
			fi
		done
		echo "web_samples $WEB_SAMPLES requests"
		if command -v node > /dev/null 2>&1 && command -v chromium > /dev/null 2>&1; then
			if ! node "$TOP/tests/web_driver.js" bench "http://127.0.0.1:$MASTER_PORT" "$TMP" \
			    > "$TMP/web-render.out" 2>&1; then
				fail_section web "the page did not render: $(cat "$TMP/web-render.out")"
			else
				grep '^web_' "$TMP/web-render.out"
			fi
		else
			echo "bench: web: no node or chromium; the page's render time is not measured" >&2
		fi
	fi
	kill -TERM "$WEB_LOAD_PID" 2>/dev/null
	wait "$WEB_LOAD_PID" 2>/dev/null
	stop_master
fi

# bench/jobs.sh: the jobs plugin's figures, sourced by bench/run.sh (section
# jobs) and using its helpers (start_master, stop_master, wait_line,
# rss_kib, stop_pids, PIDS, TMP, TOP):
#   jobs_parallel_N_tasks_per_s   a run of N tasks of `true` (at once as the
#                                 agent allows) from POST to SUCCESS
#   jobs_fire_jitter_p50/max      how far from their minute JOBS_FIRE jobs'
#                                 `* * * * *` runs are created (the plugin's clock
#                                 is set near a minute's end: no minute's wait)
#   jobs_rss_0_jobs / _N_jobs     the plugin host's memory, empty and with N jobs
# A figure whose measurement did not happen is not printed.

JOBS_TASKS=${JOBS_TASKS:-1000}
JOBS_JOBS=${JOBS_JOBS:-1000}
JOBS_FIRE=${JOBS_FIRE:-100}
# Seconds the plugin's clock starts before a minute's end: the jobs to fire are made meanwhile.
JOBS_LEAD_S=20
JOBS_WAIT_S=120

# jobs_post PATH [JSON]: POST to the plugin; its status on stdout.
jobs_post () {
	curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
	    ${2:+--data "$2"} "$JAPI$1"
}

# jobs_succeeded: runs that succeeded so far, all jobs.
jobs_succeeded () {
	curl -s "$JAPI/v1/metrics" | sed -n 's/.*"metronome.runs.succeeded.counter":{"count":\([0-9]*\)}.*/\1/p'
}

# jobs_successes ID: the job's successCount.
jobs_successes () {
	curl -s "$JAPI/v1/jobs/$1?embed=historySummary" |
	    sed -n 's/.*"successCount":\([0-9]*\),.*/\1/p'
}

echo "bench: jobs, a run of $JOBS_TASKS tasks, $JOBS_FIRE jobs firing, $JOBS_JOBS jobs held" >&2
now=$(date +%s)
jobs_off=$((60 - JOBS_LEAD_S - now % 60))
rm -rf "$TMP/jplugins" "$TMP/jstate" "$TMP/ja"
mkdir -p "$TMP/jplugins" "$TMP/jstate" "$TMP/ja"
cp plugins/jobs.so "$TMP/jplugins/"
printf 'http_port=0\nhttp_ip=127.0.0.1\nstate_dir=%s\nclock_offset=%s\n' "$TMP/jstate" "$jobs_off" \
    > "$TMP/jplugins/jobs.conf"
start_master --plugins="$TMP/jplugins"
if wait_line "$TMP/master.log" 'plugin jobs: info: registered as framework' 10; then
	JAPI=http://127.0.0.1:$(sed -n 's/.*REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/master.log" | tail -n 1)
	JHOST=$("$TOP/mesosctl" --master="127.0.0.1:$MASTER_PORT" frameworks | awk '$6 == "jobs" { print $7 }' | head -n 1)
	[ -n "$JHOST" ] && echo "jobs_rss_0_jobs $(rss_kib "$JHOST") KiB"
	"$TOP/agentd" --master="127.0.0.1:$MASTER_PORT" --work_dir="$TMP/ja" --hostname=ja \
	    --resources="cpus:1000;mem:1000000;disk:1000000;ports:[31000-32000]" \
	    --log_level=warning > "$TMP/ja.log" 2>&1 &
	JA_PID=$!
	PIDS="$PIDS $JA_PID"

	# The plugin's clock reaches a minute's end JOBS_LEAD_S after it started: make the jobs.
	i=0
	while [ "$i" -lt "$JOBS_FIRE" ]; do
		jobs_post /v1/jobs "{\"id\":\"fire$i\",\"run\":{\"cmd\":\"true\",\"cpus\":0.01,\"mem\":32,\"disk\":0},\"schedules\":[{\"id\":\"every-minute\",\"cron\":\"* * * * *\"}]}" > /dev/null
		i=$((i + 1))
	done
	n=$((JOBS_WAIT_S * 10))
	while [ "$n" -gt 0 ] && [ "$(jobs_succeeded)" -lt "$JOBS_FIRE" ]; do
		sleep 0.1
		n=$((n - 1))
	done
	# Each run's creation after its minute (its history's createdAt, HH:MM:SS.mmm).
	i=0
	while [ "$i" -lt "$JOBS_FIRE" ]; do
		curl -s -w '\n' "$JAPI/v1/jobs/fire$i?embed=history" > "$TMP/fire.json"
		sed -n 's/.*"successfulFinishedRuns":\[{"id":"[^"]*","createdAt":"[^"]*T[0-9]*:[0-9]*:\([0-9.]*\)+0000".*/\1/p' \
		    "$TMP/fire.json" | grep . || sed 's/.*"history":/fire'"$i"': /' "$TMP/fire.json" >&2
		i=$((i + 1))
	done | awk '{ v = $1 >= 30 ? $1 - 60 : $1; print (v < 0 ? -v : v) * 1000 }' |
	    sort -n > "$TMP/jitter"
	if [ "$(wc -l < "$TMP/jitter" | tr -d ' ')" = "$JOBS_FIRE" ]; then
		echo "jobs_fire_jitter_p50 $(awk -v n="$JOBS_FIRE" 'NR == int((n + 1) / 2) { printf "%.0f", $1 }' "$TMP/jitter") ms"
		echo "jobs_fire_jitter_max $(tail -n 1 "$TMP/jitter" | awk '{ printf "%.0f", $1 }') ms"
	else
		echo "bench: jobs: only $(wc -l < "$TMP/jitter" | tr -d ' ') of $JOBS_FIRE jobs fired on time" >&2
	fi
	i=0
	while [ "$i" -lt "$JOBS_FIRE" ]; do
		curl -s -o /dev/null -X DELETE "$JAPI/v1/jobs/fire$i?stopCurrentJobRuns=true"
		i=$((i + 1))
	done

	# One run of JOBS_TASKS tasks.
	jobs_post /v1/jobs "{\"id\":\"bulk\",\"run\":{\"cmd\":\"true\",\"cpus\":0.01,\"mem\":32,\"disk\":0,\"completions\":$JOBS_TASKS}}" > /dev/null
	jb_start=$(date +%s%N)
	jobs_post /v1/jobs/bulk/runs > /dev/null
	n=$((JOBS_WAIT_S * 20))
	while [ "$n" -gt 0 ] && [ "$(jobs_successes bulk)" != 1 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	if [ "$n" -gt 0 ]; then
		echo "jobs_parallel_${JOBS_TASKS}_tasks_per_s $(echo "$jb_start $(date +%s%N)" | awk -v t="$JOBS_TASKS" '{ printf "%.0f", t / (($2 - $1) / 1e9) }') tasks/s"
	else
		echo "bench: jobs: the run of $JOBS_TASKS tasks did not succeed within $JOBS_WAIT_S s" >&2
	fi

	# Memory with JOBS_JOBS jobs, each with a schedule that does not fire now.
	i=0
	while [ "$i" -lt "$JOBS_JOBS" ]; do
		jobs_post /v1/jobs "{\"id\":\"held$i\",\"description\":\"a job of the bench\",\"labels\":{\"team\":\"bench\"},\"run\":{\"cmd\":\"echo job $i\",\"cpus\":0.1,\"mem\":32,\"disk\":0},\"schedules\":[{\"id\":\"nightly\",\"cron\":\"0 3 * * *\",\"timezone\":\"UTC\"}]}"
		i=$((i + 1))
	done | grep -c 201 > "$TMP/held"
	if [ "$(cat "$TMP/held")" = "$JOBS_JOBS" ] && [ -n "$JHOST" ]; then
		echo "jobs_rss_${JOBS_JOBS}_jobs $(rss_kib "$JHOST") KiB"
	fi
	stop_pids "$JA_PID"
fi
stop_master

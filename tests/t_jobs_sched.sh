# tests/t_jobs_sched.sh: the jobs plugin's schedules, on a clock set near a
# minute's end (jobs.conf clock_offset) so that `* * * * *` fires within
# seconds, and moved ahead across restarts of the plugin (kill -9 of its
# host) instead of waiting: a run on time to the second; ALLOW, FORBID (the
# time waits for the active run) and REPLACE on the next minute; a run
# missed while the plugin was down starting once, within its deadline, and
# never twice; missed times past their deadline counted as skipped; a
# scheduled run that cannot start in time failing.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch or come back.
T=15
# Seconds before a minute's end the plugin's clock starts, and comes back at.
LEAD=6
BACK=4

. "$(dirname "$0")/lib_jobs.sh"
plan 32
now=$(date +%s)
OFF=$((60 - LEAD - now % 60))
jobs_plugin_dir "clock_offset=$OFF"
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:4;mem:4096;disk:1000;ports:[31000-31100]" > /dev/null || exit 1
check "registers" wait_for $T log_has 'plugin jobs: info: registered as framework' || exit 1
api_url
# The plugin's first minute boundary (its clock's seconds).
B1=$((now + OFF + LEAD))

# set_clock PLUGIN_SECONDS: restart the plugin with its clock at PLUGIN_SECONDS now.
set_clock () {
	grep -v '^clock_offset=' "$TMP/plugins/jobs.conf" > "$TMP/conf.new"
	echo "clock_offset=$(($1 - $(date +%s)))" >> "$TMP/conf.new"
	mv "$TMP/conf.new" "$TMP/plugins/jobs.conf"
	kill_jobs_host
}
# runs_of JOB: how many active runs JOB has.
runs_of () {
	curl -s "$API/v1/jobs/$1/runs" | grep -o '"jobId"' | wc -l | tr -d ' '
}
runs_are () {
	test "$(runs_of "$1")" = "$2"
}
job () {
	req POST /v1/jobs "{\"id\":\"$1\",\"run\":{\"cmd\":\"$2\",\"cpus\":${4:-0.1},\"mem\":32,\"disk\":0},\"schedules\":[{\"id\":\"every-minute\",\"cron\":\"* * * * *\",\"startingDeadlineSeconds\":60,\"concurrencyPolicy\":\"$3\"}]}"
}

# ---- the first minute: each policy starts a run, on time ----
check "an ALLOW job" test "$(job allow 'sleep 300' ALLOW)" = 201
check "its next run is the boundary" body_has '"nextRunAt":"[0-9-]*T[0-9][0-9]:[0-9][0-9]:00.000+0000"'
check "a FORBID job" test "$(job forbid 'sleep 300' FORBID)" = 201
check "a REPLACE job" test "$(job replace 'sleep 300' REPLACE)" = 201
check "ALLOW fires" wait_for $T runs_are allow 1
check "FORBID fires" wait_for $T runs_are forbid 1
check "REPLACE fires" wait_for $T runs_are replace 1
check "on time to the second" sh -c "curl -s '$API/v1/jobs/allow/runs' | grep -q '\"createdAt\":\"[^\"]*:00\.[0-9]*+0000\".*\"scheduledAt\":\"[^\"]*:00\.000+0000\"'"
F1=$(curl -s "$API/v1/jobs/forbid/runs" | sed -n 's/^\[{"id":"\([^"]*\)".*/\1/p')
R1=$(curl -s "$API/v1/jobs/replace/runs" | sed -n 's/^\[{"id":"\([^"]*\)".*/\1/p')
check "they run" wait_for $T sh -c "curl -s '$API/v1/jobs/forbid/runs' | grep -q '\"status\":\"ACTIVE\"'"

# ---- the next minute, the plugin's clock moved on ----
check "the plugin comes back $BACK s before the next minute" set_clock $((B1 + 60 - BACK))
check "ALLOW starts a second run" wait_for $T runs_are allow 2
check "REPLACE fails the first run" wait_for $T job_has replace '"failureCount":1,' embed=historySummary
check "and starts a new one" wait_for $T sh -c "curl -s '$API/v1/jobs/replace/runs' | grep -q '\"id\":\"' && ! curl -s '$API/v1/jobs/replace/runs' | grep -q '$R1'"
check "FORBID waits for the active run" wait_for $T log_has 'job forbid: a scheduled run waits for 1 active run(s) (FORBID)'
check "with one run" runs_are forbid 1
check "stop it" test "$(req POST "/v1/jobs/forbid/runs/$F1/actions/stop")" = 200
check "the waiting time starts its run" wait_for $T sh -c "curl -s '$API/v1/jobs/forbid/runs' | grep -q '\"scheduledAt\"' && ! curl -s '$API/v1/jobs/forbid/runs' | grep -q '$F1'"
for j in allow forbid replace; do
	req DELETE "/v1/jobs/$j?stopCurrentJobRuns=true" > /dev/null
done

# ---- runs missed while the plugin was down ----
B3=$((B1 + 120))
check "a job that runs true" test "$(job missed true ALLOW)" = 201
check "a job too big to start" test "$(job stuck true FORBID 64)" = 201
check "the plugin comes back 10 s after a missed minute" set_clock $((B3 + 10))
check "the missed run starts" wait_for $T job_has missed '"successCount":1,' embed=historySummary
check "nothing skipped" job_has missed '"skippedCount":0,' embed=historySummary
check "the plugin comes back again, later in that minute" set_clock $((B3 + 15))
check "no second run" job_has missed '"successCount":1,' embed=historySummary
check "none active" runs_are missed 0
check "the plugin comes back 90 s after the next minute" set_clock $((B3 + 150))
check "the minute past its deadline is skipped" wait_for $T job_has missed '"skippedCount":1,' embed=historySummary
check "the one within it runs" wait_for $T job_has missed '"successCount":2,' embed=historySummary
check "the run that could not start in time failed" wait_for $T job_has stuck '"failureCount":1,' embed=historySummary
check "saying why" log_has 'job stuck: run [^ ]* FAILED: it did not start within startingDeadlineSeconds (60s) of its time'
check "the plugin still answers" sh -c "curl -s '$API/ping' | grep -q pong"

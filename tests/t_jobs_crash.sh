# tests/t_jobs_crash.sh: the jobs plugin's state across kill -9, mid-run: a
# parallel run whose 4 tasks wait on a gate file survives a kill -9 of the
# plugin's host and then of the master itself; the restarted plugin finds
# the run and its tasks again (reconciliation), the run ends SUCCESS, and
# no task was ever started twice. The state is a journal (pc_journal.c):
# a job file of the store before it is moved in on first start, and a
# schedule survives the kill -9 too.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch or come back.
T=15

. "$(dirname "$0")/lib_jobs.sh"
plan 25
jobs_plugin_dir
# A job as the one-file-a-job store before the journal left it.
mkdir -p "$TMP/jstate/jobs"
printf '{"job":{"id":"old","run":{"cmd":"true","cpus":0.1,"mem":32,"disk":0}}}\n' > "$TMP/jstate/jobs/old.json"
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:4;mem:4096;disk:1000;ports:[31000-31100]" > /dev/null || exit 1
check "registers" wait_for $T log_has 'plugin jobs: info: registered as framework' || exit 1
api_url
check "the old job file is moved into the journal" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' '$API/v1/jobs/old')\" = 200 &&
    test ! -e '$TMP/jstate/jobs' && test -e '$TMP/jstate/jobs.journal.1'"
check "a scheduled job" test "$(req POST /v1/jobs '{"id":"nightly","run":{"cmd":"true","cpus":0.1,"mem":32,"disk":0},"schedules":[{"id":"night","cron":"30 2 * * *"}]}')" = 201

cat > "$TMP/gated.sh" <<EOF
#!/bin/sh
echo "\$JOB_COMPLETION_INDEX" >> "$TMP/starts"
while [ ! -f "$TMP/go" ]; do sleep 0.1; done
EOF
chmod 755 "$TMP/gated.sh"
starts () {
	test "$(wc -l < "$TMP/starts" | tr -d ' ')" = "$1"
}
run_has () {
	curl -s "$API/v1/jobs/gated/runs/$1" | grep -q -- "$2"
}
check "a parallel job" test "$(req POST /v1/jobs "{\"id\":\"gated\",\"run\":{\"cmd\":\"$TMP/gated.sh\",\"cpus\":0.1,\"mem\":32,\"disk\":0,\"completions\":4}}")" = 201

# ---- kill -9 of the plugin's host ----
check "a run" test "$(req POST /v1/jobs/gated/runs)" = 201
RUN=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$TMP/body")
check "its 4 tasks run" wait_for $T run_has "$RUN" '"status":"ACTIVE",.*"active":4'
check "4 started" wait_for $T starts 4
check "the plugin is killed -9 and comes back" kill_jobs_host
check "with the run" run_has "$RUN" '"status":"ACTIVE"'
check "and its tasks, found again" wait_for $T run_has "$RUN" '"succeeded":0,"active":4'
check "it logs what it loaded" log_has 'plugin jobs: info: loaded 3 job(s), 1 active run(s) and 4 task(s)'
check "the schedule is kept" sh -c "curl -s '$API/v1/jobs/nightly/schedules' | grep -q '\"cron\":\"30 2 \* \* \*\"'"
check "the old job is kept" test "$(req GET /v1/jobs/old)" = 200
touch "$TMP/go"
check "the run succeeds" wait_for $T job_has gated '"successCount":1,' embed=historySummary
check "no task was started twice" starts 4

# ---- kill -9 of the master ----
rm -f "$TMP/go"
check "another run" test "$(req POST /v1/jobs/gated/runs)" = 201
RUN=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$TMP/body")
check "its 4 tasks run" wait_for $T run_has "$RUN" '"status":"ACTIVE",.*"active":4'
check "8 started in all" wait_for $T starts 8
kill -KILL "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
check "the master comes back on its port" restart_master
check "the plugin registers again" wait_for $T log_has 'plugin jobs: info: registered again as framework'
api_url
check "the agent re-registers" wait_for $T log_has 're-registered'
check "the run is still there" wait_for $T run_has "$RUN" '"status":"ACTIVE",.*"active":4'
touch "$TMP/go"
check "the run succeeds" wait_for $T job_has gated '"successCount":2,' embed=historySummary
check "no task was started twice" starts 8
check "no run failed" job_has gated '"failureCount":0,' embed=historySummary

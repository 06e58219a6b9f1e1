# tests/t_jobs.sh: the jobs plugin (plugins/jobs.so) under the master, its
# Metronome REST API end to end: a job from Metronome's documentation
# created and run to SUCCESS, every endpoint and its errors (400, 404, 405,
# 409, 422 with Metronome's paths), the history, restart policies NEVER and
# ON_FAILURE with activeDeadlineSeconds, maxLaunchDelay, a run stopped, a
# job updated and deleted, schedules' CRUD, parallel runs (N tasks, at most
# P at once, each seeing its index), what a task gets from `run` (args,
# env, artifacts, user, a placement constraint), a small run not held behind
# a large one (each offer shared among runs), and the event stream.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch or finish a run.
T=15

. "$(dirname "$0")/lib_jobs.sh"
plan 119
jobs_plugin_dir
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:4;mem:4096;disk:1000;ports:[31000-31100]" > /dev/null || exit 1
check "the REST API listens" wait_for $T log_has 'plugin jobs: info: REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin jobs: info: registered as framework' || exit 1

curl -s -N "$API/v1/events" > "$TMP/ev" 2>&1 &
EV=$!
check "the event stream is open" wait_for $T grep -q '^event: event_stream_attached' "$TMP/ev"

# ---- a job from Metronome's documentation, run once ----
check "POST /v1/jobs is 201" test "$(req POST /v1/jobs '{"id":"prod.email.summary","description":"Send summary every day","labels":{"owner":"zeus"},"run":{"cmd":"echo summary","cpus":0.1,"mem":32,"disk":0}}')" = 201
check "with Metronome's defaults" body_has '"run":{"cpus":0.1,"mem":32,"disk":0,"gpus":0,"cmd":"echo summary","env":{},"placement":{"constraints":\[\]},"artifacts":\[\],"maxLaunchDelay":3600,"volumes":\[\],"restart":{"policy":"NEVER"}'
check "the same id again is 409" test "$(req POST /v1/jobs '{"id":"prod.email.summary","run":{"cmd":"x","cpus":0.1,"mem":32,"disk":0}}')" = 409
check "saying so" body_has '"message":"Job with this id already exists"'
check "POST .../runs is 201" test "$(req POST /v1/jobs/prod.email.summary/runs)" = 201
check "an INITIAL or STARTING run" body_has '"jobId":"prod.email.summary","status":"\(INITIAL\|STARTING\)"'
RUN=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$TMP/body")
check "its id: a time and five letters" sh -c "echo '$RUN' | grep -q '^20[0-9]\{12\}[A-Za-z0-9]\{5\}$'"
check "it succeeds" wait_for $T job_has prod.email.summary '"successCount":1,' embed=historySummary
check "in the history" job_has prod.email.summary "\"successfulFinishedRuns\":\[{\"id\":\"$RUN\"" embed=history
check "a finished run is no longer listed" test "$(req GET "/v1/jobs/prod.email.summary/runs/$RUN")" = 404
check "404 as Metronome's" body_has "{\"jobSpec\":\"prod.email.summary\",\"id\":\"$RUN\",\"message\":\"Job Run not found\"}"
check "its output" sh -c "cat '$TMP'/a1/slaves/*/frameworks/*/executors/prod.email.summary_*/runs/latest/stdout | grep -q summary"
check "events: job_created" grep -q '^data: {"eventType":"job_created",.*"id":"prod.email.summary"' "$TMP/ev"
check "events: job_run_started" grep -q "^data: {\"eventType\":\"job_run_started\",.*\"id\":\"$RUN\"" "$TMP/ev"
check "events: the task's updates" grep -q '^data: {"eventType":"status_update_event",.*"taskStatus":"TASK_FINISHED"' "$TMP/ev"
check "events: job_run_finished" grep -q "^data: {\"eventType\":\"job_run_finished\",.*\"status\":\"SUCCESS\"" "$TMP/ev"

# ---- errors ----
bad () {
	req POST /v1/jobs "$1" > "$TMP/status"
	test "$(cat "$TMP/status")" = "$2" && body_has "$3"
}
check "bad JSON is 400" bad '{"id":' 400 '"message":"Invalid JSON"'
check "a wrong type is 400" bad '{"id":"a","run":{"cmd":"x","cpus":"many"}}' 400 '"path":"/run/cpus","errors":\["error.expected.jsnumber"\]'
check "no id" bad '{"run":{"cmd":"x"}}' 422 '{"message":"Object is not valid","details":\[{"path":"/id","errors":\["error.path.missing"\]}'
check "a bad id" bad '{"id":"Prod_x","run":{"cmd":"x"}}' 422 '"path":"/id","errors":\["must fully match regular expression'
check "no run" bad '{"id":"a"}' 422 '"path":"/run","errors":\["error.path.missing"\]'
check "nothing to run" bad '{"id":"a","run":{"cpus":1}}' 422 '"path":"/run","errors":\["Cmd, Docker or UCR image must be specified"\]'
check "cpus and mem too small" bad '{"id":"a","run":{"cmd":"x","cpus":0.001,"mem":8}}' 422 '"path":"/run/cpus".*"path":"/run/mem","errors":\["got 8, expected 32 or more"\]'
check "an unknown field" bad '{"id":"a","run":{"cmd":"x"},"foo":1}' 422 '"path":"/foo","errors":\["is not a known field"\]'
check "docker is not built" bad '{"id":"a","run":{"cmd":"x","docker":{"image":"busybox"}}}' 422 '"path":"/run/docker","errors":\["is not supported by this Metronome yet"\]'
check "a bad restart policy" bad '{"id":"a","run":{"cmd":"x","restart":{"policy":"ALWAYS"}}}' 422 'is not a valid restart policy'
check "a bad operator" bad '{"id":"a","run":{"cmd":"x","placement":{"constraints":[{"attribute":"rack","operator":"NEAR","value":"x"}]}}}' 422 '"path":"/run/placement/constraints(0)".*is not a valid operator'
check "a bad cron" bad '{"id":"a","run":{"cmd":"x"},"schedules":[{"id":"s1","cron":"61 * * * *"}]}' 422 '"path":"/schedules(0)/cron","errors":\["minute'
check "an unknown zone" bad '{"id":"a","run":{"cmd":"x"},"schedules":[{"id":"s1","cron":"* * * * *","timezone":"Mars/Olympus"}]}' 422 '"path":"/schedules(0)/timezone","errors":\["no time zone found with this id'
check "a short deadline" bad '{"id":"a","run":{"cmd":"x"},"schedules":[{"id":"s1","cron":"* * * * *","startingDeadlineSeconds":10}]}' 422 '"path":"/schedules(0)/startingDeadlineSeconds","errors":\["got 10, expected 60 or more"\]'
check "two schedules" bad '{"id":"a","run":{"cmd":"x"},"schedules":[{"id":"s1","cron":"* * * * *"},{"id":"s2","cron":"* * * * *"}]}' 422 'Only one schedule supported at the moment'
check "parallelism below 1" bad '{"id":"a","run":{"cmd":"x","completions":0,"parallelism":0}}' 422 '"path":"/run/completions".*"path":"/run/parallelism"'
check "an unknown job is 404" test "$(req GET /v1/jobs/nope)" = 404
check "as Metronome's" body_has '^{"id":"nope","message":"Job not found"}$'
check "an unknown embed is 400" test "$(req GET '/v1/jobs?embed=everything')" = 400
check "an unknown route is 404" test "$(req GET /v2/apps)" = 404
check "saying so" body_has '"message":"Unknown route.","requestPath":"/v2/apps"'
check "a wrong method is 405" test "$(req PATCH /v1/jobs/prod.email.summary)" = 405
check "no run of an unknown job" test "$(req POST /v1/jobs/nope/runs)" = 404
check "no stop of an unknown run" test "$(req POST /v1/jobs/prod.email.summary/runs/20200101000000AAAAA/actions/stop)" = 404
check "the plugin still answers" sh -c "curl -s '$API/ping' | grep -q pong"

# ---- the small endpoints ----
check "GET /v1/jobs lists it" sh -c "curl -s '$API/v1/jobs' | grep -q '^\[{\"id\":\"prod.email.summary\"'"
check "GET /info" sh -c "curl -s '$API/info' | grep -q '\"version\":\"0.6.0-c\".*\"role\":\"\*\"'"
check "GET /leader" sh -c "curl -s '$API/leader' | grep -q '\"leader\":\"[^\"]*:[0-9]*\"'"
check "GET /v1/metrics" sh -c "curl -s '$API/v1/metrics' | grep -q '\"metronome.runs.succeeded.counter\":{\"count\":1}'"

# ---- restart policies, deadlines, stop ----
check "a job that fails" test "$(req POST /v1/jobs '{"id":"fails","run":{"cmd":"exit 3","cpus":0.1,"mem":32,"disk":0}}')" = 201
check "its run" test "$(req POST /v1/jobs/fails/runs)" = 201
check "fails (NEVER)" wait_for $T job_has fails '"failureCount":1,' embed=historySummary
check "once" job_has fails '"failedFinishedRuns":\[{"id":"[^"]*","createdAt":"[^"]*","finishedAt":"[^"]*","tasks":\["[^"]*"\]}\]' embed=history
printf '#!/bin/sh\ntest -f "%s/once" && exit 0\ntouch "%s/once"\nexit 1\n' "$TMP" "$TMP" > "$TMP/once.sh"
chmod 755 "$TMP/once.sh"
check "a job that fails once (ON_FAILURE)" test "$(req POST /v1/jobs "{\"id\":\"flaky\",\"run\":{\"cmd\":\"$TMP/once.sh\",\"cpus\":0.1,\"mem\":32,\"disk\":0,\"restart\":{\"policy\":\"ON_FAILURE\",\"activeDeadlineSeconds\":120}}}")" = 201
check "its run" test "$(req POST /v1/jobs/flaky/runs)" = 201
check "succeeds on its second task" wait_for $T job_has flaky '"successfulFinishedRuns":\[{"id":"[^"]*","createdAt":"[^"]*","finishedAt":"[^"]*","tasks":\["[^"]*","[^"]*"\]}\]' embed=history
rm -f "$TMP/once"
check "past activeDeadlineSeconds it is not relaunched" test "$(req PUT /v1/jobs/flaky "{\"id\":\"flaky\",\"run\":{\"cmd\":\"$TMP/once.sh\",\"cpus\":0.1,\"mem\":32,\"disk\":0,\"restart\":{\"policy\":\"ON_FAILURE\",\"activeDeadlineSeconds\":0}}}")" = 200
check "its run" test "$(req POST /v1/jobs/flaky/runs)" = 201
check "fails" wait_for $T job_has flaky '"failureCount":1,' embed=historySummary
check "too big to launch" test "$(req POST /v1/jobs '{"id":"huge","run":{"cmd":"true","cpus":64,"mem":32,"disk":0,"maxLaunchDelay":1}}')" = 201
check "its run" test "$(req POST /v1/jobs/huge/runs)" = 201
check "says why it waits" sh -c "curl -s '$API/v1/jobs/huge/runs' | grep -q '\"waiting\":{\"tasks\":1,.*\"reason\":\"InsufficientCpus\",\"declined\":[1-9]'"
check "/v1/queue lists it" sh -c "curl -s '$API/v1/queue' | grep -q '\"jobId\":\"huge\",\"runs\":\[{\"runId\":\"'"
check "fails after maxLaunchDelay" wait_for $T job_has huge '"failureCount":1,' embed=historySummary
check "a long job" test "$(req POST /v1/jobs '{"id":"long","run":{"cmd":"sleep 300","cpus":0.1,"mem":32,"disk":0}}')" = 201
check "its run" test "$(req POST /v1/jobs/long/runs)" = 201
LONG=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$TMP/body")
check "becomes ACTIVE" wait_for $T sh -c "curl -s '$API/v1/jobs/long/runs/$LONG' | grep -q '\"status\":\"ACTIVE\"'"
check "listed with its task" sh -c "curl -s '$API/v1/jobs/long/runs' | grep -q '\"tasks\":\[{\"id\":\"long_$LONG.0-[0-9a-f]*\",\"startedAt\":\"[^\"]*\",\"completedAt\":null,\"status\":\"TASK_RUNNING\"}\]'"
check "a delete is refused while it runs" test "$(req DELETE /v1/jobs/long)" = 409
check "as Metronome's" body_has 'There are active job runs. Override with stopCurrentJobRuns=true'
check "POST .../actions/stop" test "$(req POST "/v1/jobs/long/runs/$LONG/actions/stop")" = 200
check "answers the run FAILED" body_has "\"id\":\"$LONG\",\"jobId\":\"long\",\"status\":\"FAILED\""
check "its task is killed" wait_for $T state_has '"state":"TASK_KILLED"'
check "another run" test "$(req POST /v1/jobs/long/runs)" = 201
check "a delete with stopCurrentJobRuns=true" test "$(req DELETE '/v1/jobs/long?stopCurrentJobRuns=true')" = 200
check "answers the job" body_has '^{"id":"long",'
check "it is gone" test "$(req GET /v1/jobs/long)" = 404
check "events: job_run_failed" grep -q '^data: {"eventType":"job_run_failed",.*"jobId":"long"' "$TMP/ev"
check "events: job_deleted" grep -q '^data: {"eventType":"job_deleted",.*"id":"long"' "$TMP/ev"

# ---- PUT and schedules ----
check "PUT replaces the definition" test "$(req PUT /v1/jobs/prod.email.summary '{"id":"other","run":{"cmd":"echo two","cpus":0.2,"mem":32,"disk":0},"schedules":[{"id":"ss","cron":"* * * * *"}]}')" = 200
check "with the path's id, no schedule from the body" body_has '^{"id":"prod.email.summary",.*"cmd":"echo two".*"schedules":\[\]}$'
check "its history stays" job_has prod.email.summary '"successCount":1,' embed=historySummary
check "PUT of an unknown job is 404" test "$(req PUT /v1/jobs/nope '{"id":"nope","run":{"cmd":"x"}}')" = 404
S='{"id":"nightly","cron":"20 0 * * *","timezone":"UTC","startingDeadlineSeconds":120,"concurrencyPolicy":"FORBID"}'
check "POST a schedule" test "$(req POST /v1/jobs/prod.email.summary/schedules "$S")" = 201
check "answers it with nextRunAt" body_has '^{"id":"nightly","cron":"20 0 \* \* \*","timezone":"UTC","startingDeadlineSeconds":120,"concurrencyPolicy":"FORBID","enabled":true,"nextRunAt":"[0-9-]*T00:20:00.000+0000"}$'
check "the same again is 409" test "$(req POST /v1/jobs/prod.email.summary/schedules "$S")" = 409
check "a second one is 409" test "$(req POST /v1/jobs/prod.email.summary/schedules '{"id":"other","cron":"* * * * *"}')" = 409
check "a bad one is 422" test "$(req POST /v1/jobs/prod.email.summary/schedules '{"id":"-x","cron":"* *"}')" = 422
check "with both paths" body_has '"path":"/id".*"path":"/cron"'
check "GET the schedules" sh -c "curl -s '$API/v1/jobs/prod.email.summary/schedules' | grep -q '^\[{\"id\":\"nightly\"'"
check "GET one" test "$(req GET /v1/jobs/prod.email.summary/schedules/nightly)" = 200
check "an unknown one is 404" test "$(req GET /v1/jobs/prod.email.summary/schedules/nope)" = 404
check "as Metronome's" body_has '^{"id":"nope","message":"Schedule not found"}$'
check "PUT it" test "$(req PUT /v1/jobs/prod.email.summary/schedules/nightly '{"id":"ignored","cron":"0 9 * * MON-FRI","timezone":"America/Chicago","enabled":false}')" = 200
check "changed, the path's id kept" body_has '^{"id":"nightly","cron":"0 9 \* \* MON-FRI","timezone":"America/Chicago",.*"enabled":false,"nextRunAt":null}$'
check "the job shows it" job_has prod.email.summary '"schedules":\[{"id":"nightly","cron":"0 9'
check "DELETE it" test "$(req DELETE /v1/jobs/prod.email.summary/schedules/nightly)" = 200
check "gone" test "$(req GET /v1/jobs/prod.email.summary/schedules/nightly)" = 404

# ---- a parallel run: 6 tasks, at most 2 at once, each with its index ----
mkdir -p "$TMP/live"
cat > "$TMP/par.sh" <<EOF
#!/bin/sh
touch "$TMP/live/\$JOB_COMPLETION_INDEX"
ls "$TMP/live" | wc -l >> "$TMP/counts"
echo "\$JOB_COMPLETION_INDEX \$JOB_COMPLETIONS \$METRONOME_JOB_ID" >> "$TMP/indexes"
sleep 0.3
rm -f "$TMP/live/\$JOB_COMPLETION_INDEX"
EOF
chmod 755 "$TMP/par.sh"
check "a parallel job" test "$(req POST /v1/jobs "{\"id\":\"par\",\"run\":{\"cmd\":\"$TMP/par.sh\",\"cpus\":0.1,\"mem\":32,\"disk\":0,\"completions\":6,\"parallelism\":2}}")" = 201
check "echoes completions and parallelism" body_has '"completions":6,"parallelism":2'
check "its run" test "$(req POST /v1/jobs/par/runs)" = 201
check "succeeds" wait_for $T job_has par '"successCount":1,' embed=historySummary
check "every index ran once" test "$(sort -n "$TMP/indexes" | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 3 4 5 "
check "each saw the run's size and job" test "$(awk '$2 == 6 && $3 == "par"' "$TMP/indexes" | wc -l | tr -d ' ')" = 6
check "never more than 2 at once" test "$(sort -n "$TMP/counts" | tail -n 1)" -le 2

# ---- what a task gets from run: args, env, artifacts, user, placement ----
start_agent a2 --attributes="rack:r2" --resources="cpus:1;mem:512;disk:100" > /dev/null || exit 1
printf 'fetched\n' > "$TMP/artifact.txt"
# As root a task runs as its user (agentd's --switch_user); elsewhere as ours.
if [ "$(id -u)" -eq 0 ]; then RUN_USER=nobody; else RUN_USER=$(id -un); fi
check "a job with args, env, artifacts, user and a constraint" test "$(req POST /v1/jobs "{\"id\":\"fields\",\"labels\":{\"team\":\"batch\"},\"run\":{\"args\":[\"sh\",\"-c\",\"id -un > who; echo \$GREETING > env; cat artifact.txt > got\"],\"env\":{\"GREETING\":\"hello jobs\"},\"artifacts\":[{\"uri\":\"$TMP/artifact.txt\"}],\"user\":\"$RUN_USER\",\"cpus\":0.1,\"mem\":32,\"disk\":0,\"placement\":{\"constraints\":[{\"attribute\":\"rack\",\"operator\":\"IS\",\"value\":\"r2\"}]}}}")" = 201
check "keeps its labels" body_has '"labels":{"team":"batch"}'
check "its run" test "$(req POST /v1/jobs/fields/runs)" = 201
check "succeeds" wait_for $T job_has fields '"successCount":1,' embed=historySummary
FIELDS_BOX=$(echo "$TMP"/a2/slaves/*/frameworks/*/executors/fields_*/runs/latest)
check "on the agent the constraint names" test -d "$FIELDS_BOX"
check "as its user" grep -qx "$RUN_USER" "$FIELDS_BOX/who"
check "with its env" grep -qx 'hello jobs' "$FIELDS_BOX/env"
check "with its artifact fetched into the sandbox" grep -qx fetched "$FIELDS_BOX/got"

# ---- a small run is not held behind a large one: each offer is shared ----
# The agents have 5 cpus; the large run wants 12 tasks of 1 cpu, 2 s each.
run_active () {
	curl -s "$API/v1/jobs/$1/runs" | grep -q "\"active\":$2,"
}
check "a large run" test "$(req POST /v1/jobs '{"id":"alarge","run":{"cmd":"sleep 2","cpus":1,"mem":32,"disk":0,"completions":12,"parallelism":12}}')" = 201
req POST /v1/jobs/alarge/runs > /dev/null
check "fills the agents" wait_for $T run_active alarge 5
check "a small run" test "$(req POST /v1/jobs '{"id":"zsmall","run":{"cmd":"true","cpus":1,"mem":32,"disk":0}}')" = 201
req POST /v1/jobs/zsmall/runs > /dev/null
check "succeeds at the first free cpu" wait_for $T job_has zsmall '"successCount":1,' embed=historySummary
check "while the large run still has tasks to launch" sh -c "curl -s '$API/v1/jobs/alarge/runs' | grep -q '\"waiting\":{\"tasks\":[1-9]'"
check "the large run ends" wait_for 30 job_has alarge '"successCount":1,' embed=historySummary

kill "$EV" 2>/dev/null
wait "$EV" 2>/dev/null
check "the plugin still answers" sh -c "curl -s '$API/ping' | grep -q pong"

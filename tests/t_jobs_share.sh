# tests/t_jobs_share.sh: batch beside services in one master. The jobs
# plugin (role batch, weight 2 from its conf) and Marathon run together: a
# parallel run takes the agent while it has work and declines the rest,
# and a Marathon app posted meanwhile gets the cluster back as the run's
# tasks end, before the run is over; a run that gets no offer at all says
# so, with its role's share (`mesosctl job show`); `mesosctl job` drives
# the API. A framework that is not a plugin cannot set a weight.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register, launch or finish a run.
T=15

. "$(dirname "$0")/lib_jobs.sh"
plan 22
jobs_plugin_dir "role=batch" "weight=2"
plugin_dir marathon
# shellcheck disable=SC2086
start_master $PLUGIN_FLAGS || exit 1
start_agent a1 --resources="cpus:2;mem:4096;disk:1000;ports:[31000-31100]" > /dev/null || exit 1
check "both plugins register" wait_for $T sh -c "grep -q 'plugin jobs: info: registered as' '$TMP/master.log' && grep -q 'plugin marathon: info: registered as' '$TMP/master.log'" || exit 1
JAPI=http://127.0.0.1:$(sed -n 's/.*plugin jobs: info: REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/master.log" | tail -n 1)
MAPI=http://127.0.0.1:$(sed -n 's/.*plugin marathon: info: REST API listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/master.log" | tail -n 1)
API=$JAPI
JOB="$TOP/mesosctl --master=$MASTER job --jobs=${JAPI#http://}"

check "the conf's role" log_has 'framework .* (jobs) subscribed from plugin jobs, role batch'
check "and weight" log_has 'weight of role batch set to 2 by plugin jobs.s conf'
check "the master shows it" sh -c "'$TOP/mesosctl' '--master=$MASTER' roles | grep -q '^batch *2'"
"$TOP/tests/peer" 127.0.0.1 "$MASTER_PORT" --send "HELLO version=1 kind=framework" \
    --send "SUBSCRIBE name=greedy user=x role=batch weight=100" --wait-close --timeout 3000 > "$TMP/peer.out" 2>&1
check "a framework's own weight is refused" grep -q "^ERROR reason=weight%20is%20the%20operator's" "$TMP/peer.out"

# ---- a parallel run gives the cluster back to services as its tasks end ----
cat > "$TMP/bulk.json" <<EOF
{"id":"bulk","run":{"cmd":"sleep 0.5","cpus":1,"mem":32,"disk":0,"completions":10}}
EOF
check "job add" sh -c "$JOB add '$TMP/bulk.json' | grep -q '^bulk: created$'"
check "job run" sh -c "$JOB run bulk > '$TMP/run.out'"
check "says the run" grep -q '^bulk: run [0-9A-Za-z]* started$' "$TMP/run.out"
RUN=$(sed -n 's/^bulk: run \([^ ]*\) started$/\1/p' "$TMP/run.out")
check "it takes the whole agent" wait_for $T sh -c "curl -s '$JAPI/v1/jobs/bulk/runs/$RUN' | grep -q '\"active\":2'"
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' "$MAPI/v2/apps" \
    -d '{"id":"/web","cmd":"sleep 300","cpus":1,"mem":2048,"instances":1}'
web_runs () {
	curl -s "$MAPI/v2/apps/web" | grep -q '"tasksRunning":1,'
}
check "the service gets an agent's cpu as a batch task ends" wait_for $T web_runs
check "before the batch run is over" sh -c "curl -s '$JAPI/v1/jobs/bulk/runs/$RUN' | grep -q '\"status\":\"ACTIVE\"'"
check "which goes on with what is left" wait_for $T job_has bulk '"successCount":1,' embed=historySummary
check "job list" sh -c "$JOB list | grep -q '^bulk  *-  *0  *1  *0  *0  *sleep 0.5$'"

# ---- a run that gets no offer says why: the service holds all the agent's cpus and mem ----
curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' "$MAPI/v2/apps/web" -d '{"instances":2}'
check "the service takes the agent" wait_for $T sh -c "curl -s '$MAPI/v2/apps/web' | grep -q '\"tasksRunning\":2,'"
check "job run" sh -c "$JOB run bulk > '$TMP/run.out'"
check "job show says it sees no offer" wait_for $T sh -c "$JOB show bulk | grep -q '^  offers:   none'"
check "with its role's share" sh -c "$JOB show bulk | grep -q '^            role batch (weight 2): 0% of the cluster'"
check "job runs" sh -c "$JOB runs bulk | grep -q 'INITIAL *[^ ]* *0/10 *0$'"
check "job rm refuses while it runs" sh -c "! $JOB rm bulk 2> '$TMP/rm.err'"
check "saying why" grep -q 'There are active job runs' "$TMP/rm.err"
check "job rm --force" sh -c "$JOB rm bulk --force | grep -q '^bulk: removed$'"
check "an unreachable plugin" sh -c "'$TOP/mesosctl' job list --jobs=127.0.0.1:1 2>&1 | grep -q '^mesosctl: cannot reach the jobs plugin at 127.0.0.1:1'"

# tests/t_marathon_place.sh: where the Marathon plugin puts tasks and why it
# waits: each constraint operator on three agents (hostnames h1 h2 h3,
# racks r1 r1 r2), constraint validation, unsatisfiable constraints and
# insufficient resources shown in /v2/queue, and the launch backoff of a
# task that keeps failing.
. "$(dirname "$0")/lib.sh"

# Seconds a plugin may take to start, register or launch.
T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 55
marathon_plugin_dir
start_master "--plugins=$TMP/plugins" || exit 1
R="cpus:8;mem:4096;disk:1000;ports:[31000-31100]"
start_agent a1 --hostname=h1 --attributes="rack:r1" "--resources=$R" > /dev/null || exit 1
start_agent a2 --hostname=h2 --attributes="rack:r1" "--resources=$R" > /dev/null || exit 1
start_agent a3 --hostname=h3 --attributes="rack:r2" "--resources=$R" > /dev/null || exit 1

check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework'

nrunning_is () {
	test "$(hosts "$1" | wc -w | tr -d ' ')" -eq "$2"
}
# app ID CONSTRAINTS INSTANCES: create a small app.
app () {
	req POST /v2/apps "{\"id\":\"$1\",\"cmd\":\"sleep 300\",\"cpus\":0.1,\"mem\":8,\"instances\":$3,\"constraints\":$2}"
}

# ---- validation ----
check "2 or 3 fields" test "$(app v '[["hostname"]]' 1)" = 422
check "its message" body_has '"path":"/constraints(0)","errors":\["Each constraint must have either 2 or 3 fields"\]'
check "an unknown operator" test "$(app v '[["hostname","FOO"]]' 1)" = 422
check "operators listed" body_has 'operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS'
check "UNIQUE with a value" test "$(app v '[["hostname","UNIQUE","x"]]' 1)" = 422
check "UNIQUE message" body_has 'UNIQUE does not accept a value'
check "GROUP_BY not a number" test "$(app v '[["rack","GROUP_BY","abc"]]' 1)" = 422
check "GROUP_BY message" body_has 'GROUP BY must define an integer value or else no value at all'
check "MAX_PER without a value" test "$(app v '[["rack","MAX_PER"]]' 1)" = 422
check "MAX_PER message" body_has 'MAX_PER requires an integer value'
check "LIKE without a value" test "$(app v '[["rack","LIKE"]]' 1)" = 422
check "LIKE message" body_has 'LIKE and UNLIKE require a non-empty, regular expression value'
check "a bad regex" test "$(app v '[["rack","LIKE","[a"]]' 1)" = 422
check "regex message" body_has 'is not a valid regular expression'
check "IS with a space" test "$(app v '[["rack","IS","a b"]]' 1)" = 422

# ---- operators ----
check "UNIQUE hostname" test "$(app uniq '[["hostname","UNIQUE"]]' 3)" = 201
check "UNIQUE: one per host" wait_for $T hosts_are uniq "h1 h2 h3 "
check "CLUSTER rack r2" test "$(app clus '[["rack","CLUSTER","r2"]]' 2)" = 201
check "CLUSTER: all on h3" wait_for $T hosts_are clus "h3 h3 "
check "CLUSTER hostname without a value" test "$(app clus2 '[["hostname","CLUSTER"]]' 3)" = 201
check "CLUSTER: all on the first one's host" wait_for $T sh -c "test \"\$(curl -s '$API/v2/apps/clus2/tasks' | tr '{' '\n' | grep TASK_RUNNING | sed 's/.*\"host\":\"\\([^\"]*\\)\".*/\\1/' | sort -u | wc -l)\" -eq 1 && test \"\$(curl -s '$API/v2/apps/clus2/tasks' | grep -o TASK_RUNNING | wc -l)\" -eq 3"
check "LIKE rack r1" test "$(app like '[["rack","LIKE","r[1]"],["hostname","UNIQUE"]]' 2)" = 201
check "LIKE: on h1 and h2" wait_for $T hosts_are like "h1 h2 "
check "UNLIKE hostname h1|h2" test "$(app unlike '[["hostname","UNLIKE","h1|h2"]]' 2)" = 201
check "UNLIKE: on h3 only" wait_for $T hosts_are unlike "h3 h3 "
check "IS hostname h2" test "$(app is '[["hostname","IS","h2"]]' 2)" = 201
check "IS: on h2" wait_for $T hosts_are is "h2 h2 "
check "GROUP_BY rack 2" test "$(app grp '[["rack","GROUP_BY","2"]]' 4)" = 201
rack_split () {
	h=$(hosts grp)
	r1=$(echo "$h" | tr ' ' '\n' | grep -c 'h[12]')
	r2=$(echo "$h" | tr ' ' '\n' | grep -c 'h3')
	test "$r1" -eq 2 && test "$r2" -eq 2
}
check "GROUP_BY: 2 per rack" wait_for $T rack_split
check "MAX_PER rack 1" test "$(app maxper '[["rack","MAX_PER","1"]]' 3)" = 201
check "MAX_PER: 2 run" wait_for $T nrunning_is maxper 2
sleep 1
check "MAX_PER: never a third" nrunning_is maxper 2

# ---- why apps wait ----
queue_says () {
	curl -s "$API/v2/queue" > "$TMP/queue"
	grep -q -- "$1" "$TMP/queue"
}
check "the MAX_PER app waits in the queue" queue_says '"id":"/maxper".*"count":1,'
check "for an unmatched constraint" wait_for $T queue_says '"reason":"UnfulfilledConstraint","declined":[1-9]'
check "a huge app" test "$(req POST /v2/apps '{"id":"huge","cmd":"sleep 300","cpus":100,"mem":8}')" = 201
check "waits for cpus" wait_for $T queue_says '"id":"/huge".*"reason":"InsufficientCpus","declined":[1-9]'
check "the running apps are not queued" sh -c "! grep -q '\"id\":\"/uniq\"' '$TMP/queue'"

# ---- backoff ----
check "a failing app" test "$(req POST /v2/apps '{"id":"failing","cmd":"exit 1","cpus":0.1,"mem":8,"backoffSeconds":3,"backoffFactor":2}')" = 201
check "it waits out a delay" wait_for $T queue_says '"id":"/failing".*"delay":{"timeLeftSeconds":[1-9][0-9]*,"overdue":false}'
launches () {
	grep -c 'launched task [^ ]*/failing\.instance-' "$TMP/a1.log" "$TMP/a2.log" "$TMP/a3.log" |
	    awk -F: '{ n += $2 } END { print n }'
}
sleep 4
# 3 s, then 6 s: after 4 s at most 2 launches, and at least 2.
check "relaunched after the delay, not before" test "$(launches)" -eq 2
check "DELETE /v2/queue/failing/delay" test "$(req DELETE /v2/queue/failing/delay)" = 204
check "an unknown app's delay is 404" test "$(req DELETE /v2/queue/nope/delay)" = 404

# ---- health check validation (tests/t_marathon_health.sh runs them) ----
check "HTTPS checks are refused" test "$(req POST /v2/apps '{"id":"hc","cmd":"sleep 300","healthChecks":[{"protocol":"HTTPS"}]}')" = 422
check "saying so" body_has '"path":"/healthChecks(0)/protocol","errors":\["is not supported by this Marathon: use HTTP, TCP'
check "an unknown protocol" test "$(req POST /v2/apps '{"id":"hc","cmd":"sleep 300","healthChecks":[{"protocol":"UDP"}]}')" = 422
check "its message" body_has 'must be one of HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP'
check "a port index out of range" test "$(req POST /v2/apps '{"id":"hc","cmd":"sleep 300","portDefinitions":[],"healthChecks":[{"protocol":"MESOS_TCP"}]}')" = 422
check "its message" body_has 'Health check port indices must address an element of the ports array or container port mappings.'
check "two checks" test "$(req POST /v2/apps '{"id":"hc","cmd":"sleep 300","healthChecks":[{"protocol":"MESOS_TCP"},{"protocol":"COMMAND","command":{"value":"true"}}]}')" = 422
check "at most one" body_has 'AppDefinition can contain at most one Mesos health check'
check "a MESOS_TCP check" test "$(req POST /v2/apps '{"id":"hc","cmd":"sleep 300","cpus":0.1,"mem":8,"healthChecks":[{"protocol":"MESOS_TCP","gracePeriodSeconds":5}]}')" = 201
check "defaults filled in" body_has '"healthChecks":\[{"protocol":"MESOS_TCP","portIndex":0,"gracePeriodSeconds":5,"intervalSeconds":60,"timeoutSeconds":20,"delaySeconds":15,"maxConsecutiveFailures":3}\]'
check "its task is launched with the check" wait_for $T nrunning_is hc 1

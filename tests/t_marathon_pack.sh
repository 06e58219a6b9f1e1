# tests/t_marathon_pack.sh: which app's instances an offer serves first when
# several apps wait and the offer cannot hold them all: the largest instances
# (memory, then cpus), so that what is left fits the smaller ones, as the
# services' headroom under sharing is sized for their sum, not their order.
. "$(dirname "$0")/lib.sh"

T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 7
marathon_plugin_dir
start_master "--plugins=$TMP/plugins" || exit 1
check "the REST API listens" wait_for $T log_has 'REST API listening on 127.0.0.1:' || exit 1
api_url
check "registers" wait_for $T log_has 'plugin marathon: info: registered as framework'

# Both wait before any agent: the first offer is the one contested. (With
# the apps in the map's order, as before, api came first and took it.)
check "POST the small app (api)" test "$(req POST /v2/apps '{"id":"api","cmd":"sleep 300","cpus":0.5,"mem":1024,"instances":2}')" = 201
check "POST the big app (cache)" test "$(req POST /v2/apps '{"id":"cache","cmd":"sleep 300","cpus":0.5,"mem":2048,"instances":1}')" = 201
start_agent a1 --resources="cpus:4;mem:2048;disk:1000;ports:[31000-31100]" > /dev/null || exit 1
check "the big instance runs" wait_for $T tasks_in_is cache TASK_RUNNING 1
check "no small one took its memory" tasks_in_is api TASK_RUNNING 0
check "the small ones wait" sh -c "curl -s '$API/v2/apps/api' | grep -q '\"tasksRunning\":0'"

# tests/t_marathon_groups.sh: Marathon's groups (issue 19): a group tree
# posted as one body (nested ids, relative app ids), deployed in dependency
# order (an app starts only once what it depends on runs), GET of the tree
# with embed, scaleBy, PUT replacing a group's apps, DELETE of a group with
# its tasks, 409 for a group posted twice, 404 for an unknown one; bulk
# PUT/PATCH /v2/apps.
. "$(dirname "$0")/lib.sh"

T=15

. "$(dirname "$0")/lib_marathon.sh"
plan 34
marathon_cluster


# The shape of the documentation's "product" example: the service waits for the database
# (its dependency, 2 s to start), the frontend for the service group.
GROUP='{"id":"/product","groups":[{"id":"/product/database","apps":[{"id":"/product/database/db","cmd":"sleep 2; touch started; sleep 300","cpus":0.1,"mem":16,"healthChecks":[{"protocol":"COMMAND","command":{"value":"test -f started"},"gracePeriodSeconds":30,"intervalSeconds":1,"timeoutSeconds":2,"delaySeconds":0}]}]},{"id":"/product/service","dependencies":["/product/database"],"apps":[{"id":"svc","cmd":"sleep 300","cpus":0.1,"mem":16,"instances":2,"dependencies":["../database"]}]},{"id":"/product/frontend","apps":[{"id":"/product/frontend/web","cmd":"sleep 300","cpus":0.1,"mem":16,"dependencies":["/product/service"]}]}]}'
check "POST /v2/groups is 201" test "$(req POST /v2/groups "$GROUP")" = 201
check "a deployment id comes back" body_has '"deploymentId":"[0-9a-f-]*","version":"'
check "the same group again is 409" test "$(req POST /v2/groups "$GROUP")" = 409
check "the database runs" wait_for $T app_running_is product_database_db 1
check "the service waits for it to be healthy" app_running_is product_service_svc 0
check "then the service runs" wait_for $T app_running_is product_service_svc 2
check "then the frontend runs" wait_for $T app_running_is product_frontend_web 1
order () {
	awk '/launched task .*product_database_db/ && !d { d = NR } /launched task .*product_service_svc/ && !s { s = NR }
	     /launched task .*product_frontend_web/ && !f { f = NR } END { exit !(d && s && f && d < s && s < f) }' "$TMP/a1.log"
}
check "launched in dependency order" order

check "GET /v2/groups/product" test "$(req GET /v2/groups/product)" = 200
check "its tree" body_has '^{"id":"/product","apps":\[\],"groups":\[{"id":"/product/database","apps":\[{"id":"/product/database/db"'
check "group dependencies kept" body_has '"id":"/product/service","apps":\[{"id":"/product/service/svc".*"dependencies":\["/product/database"\]'
check "GET /v2/groups (the root)" sh -c "curl -s '$API/v2/groups' | grep -q '^{\"id\":\"/\",\"apps\":\[\],\"groups\":\[{\"id\":\"/product\"'"
check "embed=group.apps.tasks" sh -c "curl -s '$API/v2/groups/product/service?embed=group.apps.tasks' | grep -q '\"tasks\":\[{\"id\":\"product_service_svc.instance-'"
check "an unknown group is 404" test "$(req GET /v2/groups/nope)" = 404
check "its message" body_has "Group '/nope' does not exist"

check "a negative scaleBy is 422" test "$(req PUT '/v2/groups/product/service?force=true' '{"scaleBy":-1}')" = 422
check "scaleBy 2 is 200" test "$(req PUT '/v2/groups/product/service?force=true' '{"scaleBy":2}')" = 200
check "the service runs 4" wait_for $T app_running_is product_service_svc 4

check "PUT a group with other apps is 200" test "$(req PUT '/v2/groups/product/frontend?force=true' '{"apps":[{"id":"web2","cmd":"sleep 300","cpus":0.1,"mem":16}]}')" = 200
check "the new app runs" wait_for $T app_running_is product_frontend_web2 1
check "the app it no longer names is gone" wait_for $T app_running_is product_frontend_web 0
check "and deleted" test "$(req GET /v2/apps/product/frontend/web)" = 404

# ---- bulk PUT/PATCH /v2/apps ----
check "bulk PUT /v2/apps is 200" test "$(req PUT '/v2/apps?force=true' '[{"id":"/product/frontend/web2","instances":2},{"id":"/solo","cmd":"sleep 300","cpus":0.1,"mem":16}]')" = 200
check "the scaled app runs 2" wait_for $T app_running_is product_frontend_web2 2
check "the created one runs" wait_for $T app_running_is solo 1
check "bulk PATCH of an unknown app is 404" test "$(req PATCH /v2/apps '[{"id":"/nope","instances":2}]')" = 404
check "a bad app in a bulk PUT is 422 naming the field" test "$(req PUT /v2/apps '[{"id":"/bad","cmd":"x","cpus":0}]')" = 422
check "its path" body_has '"path":"/cpus"'

check "DELETE /v2/groups/product is 200" test "$(req DELETE '/v2/groups/product?force=true')" = 200
check "its tasks end" wait_for $T sh -c "test \"\$('$TOP/mesosctl' --master=$MASTER tasks | awk '\$3 == \"TASK_RUNNING\" && index(\$1, \"product_\") == 1' | wc -l)\" -eq 0"
check "it is gone" test "$(req GET /v2/groups/product)" = 404
check "the app outside it stays" test "$(req GET /v2/apps/solo)" = 200

# tests/t_marathon_examples.sh: Marathon's documentation examples
# (tests/marathon-examples/, SOURCES names each page) posted unchanged:
# those that need no Docker and no Internet deploy and run (an app, a
# group tree with a group dependency, the group scaled by scaleBy); the
# Docker ones are refused with a 422 naming the field (app.json's readiness
# check itself passing validation).
. "$(dirname "$0")/lib.sh"

T=15
EX="$TOP/tests/marathon-examples"

. "$(dirname "$0")/lib_marathon.sh"
plan 20
marathon_cluster

# post METHOD PATH FILE: the HTTP status of the file sent as it is.
post () {
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
	    --data-binary "@$EX/$3" "$API$2"
}

check "basic-0.json is 201" test "$(post POST /v2/apps basic-0.json)" = 201
check "basic-0 runs" wait_for $T app_running_is basic-0 1
check "product.json (a group tree) is 201" test "$(post POST /v2/groups product.json)" = 201
for app in database_mongo database_mysql service_rails-app service_play-app; do
	check "product/$app runs" wait_for $T app_running_is "product_$app" 1
done
after () {
	awk -v a="launched task .*product_$1" -v b="launched task .*product_$2" '
	    $0 ~ a && !x { x = NR } $0 ~ b && !y { y = NR } END { exit !(x && y && x < y) }' "$TMP/a1.log"
}
check "the database group launched before the service group (its dependency)" after database_mysql service_rails-app
check "product-scale.json ({scaleBy: 2}) is 200" test "$(post PUT '/v2/groups/product?force=true' product-scale.json)" = 200
check "each product app runs 2" wait_for $T sh -c "test \"\$('$TOP/mesosctl' --master=$MASTER tasks | awk '\$3 == \"TASK_RUNNING\" && index(\$1, \"product_\") == 1' | wc -l)\" -eq 8"

for f in app.json basic-3.json; do
	check "$f (Docker) is 422" test "$(post POST /v2/apps "$f")" = 422
	check "$f: the field is named" body_has '"path":"/container/type"'
done
post POST /v2/apps app.json > /dev/null
check "app.json's readinessChecks pass validation (only its Docker container is refused)" \
    sh -c "! grep -q readinessChecks '$TMP/body'"
check "group.json (Docker) is 422" test "$(post POST /v2/groups group.json)" = 422
check "group.json: the field is named" body_has '"path":"/container/type"'
check "nothing of them was created" test "$(req GET /v2/groups/tools)" = 404

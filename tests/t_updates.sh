# tests/t_updates.sh: the status update manager. Updates lost on the wire
# (--test_drop_updates) are resent until acknowledged and reach the
# framework exactly once, in order; every update is in the agent's
# checkpoint before it is sent, acknowledgements too.
. "$(dirname "$0")/lib.sh"
plan 13

start_master || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:100" --test_drop_updates=3 \
    --status_update_retry_interval=200ms > /dev/null || exit 1

fw () {
	"$TOP/tests/fw" "--master=$MASTER" "$@"
}

# count FILE PATTERN: lines matching
count () {
	grep -c -- "$2" "$1"
}

fw --name=drop --instances=2 --command='sleep 0.3' --timeout=30 > "$TMP/drop.out" 2>&1
check "the tasks end although their first updates were lost" test "$(count "$TMP/drop.out" 'state=TASK_FINISHED')" -eq 2
check "the agent lost three updates on purpose" test "$(count "$TMP/a1.log" 'lost on purpose')" -eq 3
for t in drop-0 drop-1; do
	for s in TASK_STARTING TASK_RUNNING TASK_FINISHED; do
		check "$t: $s reached the framework exactly once" test "$(count "$TMP/drop.out" "task_id=$t .*state=$s ")" -eq 1
	done
	check "$t: in order" sh -c "grep 'task_id=$t ' '$TMP/drop.out' | grep -o 'state=TASK_[A-Z]*' | tr '\n' ' ' | grep -q 'TASK_STAGING state=TASK_STARTING state=TASK_RUNNING state=TASK_FINISHED'"
done
check "no uuid came twice" sh -c "[ -z \"\$(grep -o 'uuid=[0-9a-f]*' '$TMP/drop.out' | sort | uniq -d)\" ]"
check "every update sent was checkpointed first" \
    sh -c "for u in \$(grep -o 'uuid=[0-9a-f]*' '$TMP/drop.out'); do grep -q \"^STATUS_UPDATE .*\$u\" '$TMP'/a1/meta/slaves/latest/task.updates || exit 1; done"
check "acknowledgements are checkpointed too" grep -q '^ACK ' "$TMP"/a1/meta/slaves/latest/task.updates

[ "$LIB_FAILED" -eq 0 ]

# tests/t_health.sh: health checks run for the task by its supervisor:
# COMMAND, TCP and HTTP, each passing (the task is reported healthy) and
# failing (after consecutive_failures the task is killed with
# REASON_TASK_UNHEALTHY_CHECK_FAILED); failures in the grace period do not
# count.
. "$(dirname "$0")/lib.sh"
plan 18

start_master || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:100;ports:[31100-31110]" \
    --executor_shutdown_grace_period=500ms > /dev/null || exit 1

# No mem: an RLIMIT_AS would stop a sanitizer-built tests/httpd from starting at all.
PORTS="cpus:0.1;ports:[31100-31100]"
FAST="--field=health_delay_seconds=0 --field=health_interval_seconds=0.2 --field=health_timeout_seconds=1 --field=health_grace_period_seconds=0 --field=health_consecutive_failures=2 --field=grace_ms=200"

# hc NAME COMMAND [FIELDS...]: run one task under fw, output in $TMP/NAME.out.
# A task field given twice counts the first time: the test's own go before FAST.
hc () {
	hc_name=$1
	hc_command=$2
	shift 2
	# shellcheck disable=SC2086
	"$TOP/tests/fw" "--master=$MASTER" "--name=$hc_name" "--command=$hc_command" \
	    "--resources=$PORTS" "$@" $FAST --timeout=30 > "$TMP/$hc_name.out" 2>&1
}

healthy_logged () {
	grep -q "task .*/$1-0 is healthy" "$TMP/a1.log"
}

unhealthy_kill () {
	grep -q "task_id=$1-0 .*state=TASK_KILLED .*reason=REASON_TASK_UNHEALTHY_CHECK_FAILED" "$TMP/$1.out"
}

SERVE="exec '$TOP/tests/httpd' . \$PORT0"

hc cmdok 'sleep 1.5' --field=health_type=COMMAND --field=health_command=true
check "COMMAND: a passing check marks the task healthy" healthy_logged cmdok
check "COMMAND: the task ends on its own" grep -q 'state=TASK_FINISHED' "$TMP/cmdok.out"
check "the framework gets healthy=true in a status update" grep -q 'state=TASK_RUNNING .*healthy=true' "$TMP/cmdok.out"
check "the framework gets what the task used with its terminal update" \
    grep -q 'state=TASK_FINISHED .*cpus_user_time_secs=[0-9.]* cpus_system_time_secs=[0-9.]* mem_rss_bytes=[0-9]* disk_used_bytes=[0-9]*' "$TMP/cmdok.out"
check "the agent checkpointed it first" \
    grep -q '^STATUS_UPDATE .*task_id=cmdok-0 .*state=TASK_RUNNING .*healthy=true' "$TMP"/a1/meta/slaves/latest/task.updates
check "the master's state shows the task's health" sh -c "'$TOP/mesosctl' --master=$MASTER get /master/state | grep -q '\"healthy\":true'"
hc cmdbad 'sleep 30' --field=health_type=COMMAND --field=health_command='exit 1'
check "COMMAND: a failing check kills the task as unhealthy" unhealthy_kill cmdbad
check "COMMAND: the failures are reported" grep -q 'health%20check%20failed%202%20time' "$TMP/cmdbad.out"

hc tcpok "$SERVE" --field=health_type=TCP --kill-after=1500
check "TCP: a port that accepts is healthy" healthy_logged tcpok
check "TCP: the task lives until it is killed" grep -q 'state=TASK_KILLED' "$TMP/tcpok.out"
check "TCP: not as unhealthy" sh -c "! grep -q REASON_TASK_UNHEALTHY_CHECK_FAILED '$TMP/tcpok.out'"
hc tcpbad 'sleep 30' --field=health_type=TCP
check "TCP: a closed port kills the task as unhealthy" unhealthy_kill tcpbad

hc httpok "$SERVE" --field=health_type=HTTP --field=health_path=/status/204 --kill-after=1500
check "HTTP: a 2xx answer is healthy" healthy_logged httpok
check "HTTP: the task lives until it is killed" sh -c "grep -q 'state=TASK_KILLED' '$TMP/httpok.out' && ! grep -q REASON_TASK_UNHEALTHY '$TMP/httpok.out'"
hc httpbad "$SERVE" --field=health_type=HTTP --field=health_path=/status/500
check "HTTP: a 500 kills the task as unhealthy" unhealthy_kill httpbad
check "HTTP: the status is in the message" grep -q 'status%20500' "$TMP/httpbad.out"

# Grace period: a failing check does not count for its first 1.5 s.
hc grace 'sleep 30' --field=health_type=COMMAND --field=health_command=false \
    --field=health_grace_period_seconds=1.5 --field=health_consecutive_failures=1
stamp () {
	grep "state=$2" "$1" | head -n 1 | sed 's/.*timestamp=\([0-9.]*\).*/\1/'
}
seconds_between () {
	awk -v s="$(stamp "$1" "$2")" -v e="$(stamp "$1" "$3")" -v min="$4" 'BEGIN { exit !(e - s >= min) }'
}
check "failures inside the grace period are ignored" seconds_between "$TMP/grace.out" TASK_RUNNING TASK_KILLED 1.4
check "and count after it" unhealthy_kill grace

[ "$LIB_FAILED" -eq 0 ]

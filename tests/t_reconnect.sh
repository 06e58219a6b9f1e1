# tests/t_reconnect.sh: while the master is down an agent's reconnect
# backoff stops growing at 4 s (it reached 60 s before), so a restarted
# master sees its agents again within a few seconds. Each delay is jittered:
# uniform in its upper half, so the 4th is at most 4 s where it was 4-8 s.
. "$(dirname "$0")/lib.sh"
plan 3

start_master || exit 1
start_agent a1 "--resources=cpus:1;mem:64;disk:10" > /dev/null || exit 1
kill -KILL "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null
retries () {
	[ "$(grep -c 'retrying in' "$TMP/a1.log")" -ge "$1" ]
}
check "the agent retries while the master is down" wait_for 10 retries 4
check "its 4th delay is at most 4 s" \
    sh -c "[ \$(sed -n 's/.*retrying in \([0-9]*\) ms.*/\1/p' '$TMP/a1.log' | sed -n 4p) -le 4000 ]"
restart_master
check "it re-registers within 5 s of the master's restart" wait_for 5 grep -q "re-registered with master" "$TMP/a1.log"

# tests/t_alloc.sh: dynamic partitioning, the point of the whole system.
# Ten agents of one cpu each; two frameworks in two roles, each with more
# work than the cluster holds (short tasks, launched again as they end).
# With equal weights they hold equal shares; when one stops, the other takes
# the whole cluster within two allocation intervals; with weights 3:1 the
# shares settle near 3:1.
. "$(dirname "$0")/lib.sh"
plan 14

AGENTS=10
# Every task takes a whole agent, so a share is a count of agents.
TASK_RES="cpus:1;mem:32"

start_master --allocation_interval=1secs --weights=wa=3,wb=1 || exit 1
i=0
while [ "$i" -lt "$AGENTS" ]; do
	start_agent "n$i" --resources="cpus:1;mem:128;disk:64" --hostname="node$i" > /dev/null || exit 1
	i=$((i + 1))
done

# running NAME: how many tasks named NAME are running or about to.
running () {
	ctl tasks 2>/dev/null | awk -v n="$1" '$2 == n && ($3 == "TASK_RUNNING" || $3 == "TASK_STARTING" || $3 == "TASK_STAGING") { c++ } END { print c + 0 }'
}

# start_demand NAME ROLE: a framework that always wants more tasks than fit.
start_demand () {
	# mesosctl itself, not the ctl function: $! must be its pid, to stop it.
	"$TOP/mesosctl" --master="$MASTER" run --name="$1" --role="$2" --instances=10000 --resources="$TASK_RES" \
	    --command='sleep 1' > "$TMP/$1.out" 2>&1 &
	lib_track_pid $!
	eval "RUN_$1=\$!"
}

# Shares are sampled once a second over ten seconds: a measurement
# interval, not a synchronisation.
sample_pause () {
	wait_for 1 false
}

balanced () {
	a=$(running a)
	b=$(running b)
	[ $((a + b)) -ge $((AGENTS - 1)) ] && [ $((a - b)) -le 1 ] && [ $((b - a)) -le 1 ]
}

start_demand a ra
start_demand b rb
# Tasks end every second and their agents are offered again at once, to
# whichever framework has the smaller dominant share.
wait_for 20 balanced
held=0
n=0
while [ "$n" -lt 10 ]; do
	balanced && held=$((held + 1))
	n=$((n + 1))
	sample_pause
done
echo "# equal weights: a=$(running a) b=$(running b), balanced in $held of 10 samples" >&2
check "equal weights: equal shares within one task" [ "$held" -ge 8 ]

kill -TERM "$RUN_a"
wait "$RUN_a"
t0=$(date +%s)
whole () {
	[ "$(running b)" -eq "$AGENTS" ]
}
wait_for 10 whole
t1=$(date +%s)
check "when a stops, b grows to the whole cluster" whole
echo "# b took the whole cluster $((t1 - t0)) s after a stopped" >&2
check "within two allocation intervals" [ $((t1 - t0)) -le 2 ]
kill -TERM "$RUN_b"
wait "$RUN_b"

# Weights 3:1 (wa=3, wb=1): about 7.5 agents to 2.5.
wait_for 10 sh -c "[ \"\$('$TOP/mesosctl' --master=$MASTER tasks | grep -c -e TASK_RUNNING -e TASK_STAGING -e TASK_STARTING)\" -eq 0 ]"
start_demand wa wa
start_demand wb wb
near_3_to_1 () {
	a=$(running wa)
	b=$(running wb)
	[ $((a + b)) -ge $((AGENTS - 1)) ] && [ "$a" -ge 7 ] && [ "$a" -le 8 ] && [ "$b" -ge 2 ] && [ "$b" -le 3 ]
}
wait_for 20 near_3_to_1
held=0
n=0
while [ "$n" -lt 10 ]; do
	near_3_to_1 && held=$((held + 1))
	n=$((n + 1))
	sample_pause
done
echo "# weights 3:1: wa=$(running wa) wb=$(running wb), near 3:1 in $held of 10 samples" >&2
check "weights 3:1: shares settle near 3:1" [ "$held" -ge 8 ]
ctl get /master/roles > "$TMP/roles.json"
check "/master/roles shows the weight" grep -q '"name":"wa","weight":3\.0' "$TMP/roles.json"
ctl get /master/state > "$TMP/state.json"
check "/master/state shows each framework's role and share" grep -q '"role":"wa".*"dominant_share":0\.[0-9]' "$TMP/state.json"
kill -TERM "$RUN_wa" "$RUN_wb"
wait "$RUN_wa" "$RUN_wb"

# Quota and weights change at run time, through mesosctl and HTTP.
check "mesosctl quota sets a guarantee" ctl quota ops "cpus:2;mem:64"
check "mesosctl weights sets weights" ctl weights ops=2
ctl roles > "$TMP/roles.txt"
check "mesosctl roles shows the new quota and weight" grep -q '^ops  *2  .*cpus:2;mem:64' "$TMP/roles.txt"
check "mesosctl quota --remove clears it" ctl quota --remove ops
ctl roles > "$TMP/roles.txt"
check "the cleared quota is gone" grep -q '^ops  *2  .*  -$' "$TMP/roles.txt"
"$TOP/tests/peer" 127.0.0.1 "$MASTER_PORT" --send-raw 'POST /quota HTTP/1.1\x0d\nContent-Length: 7\x0d\n\x0d\n{"role"' \
    --timeout 3000 --lines 1 > "$TMP/bad.out" 2>&1
check "malformed JSON to /quota is a 400" grep -q '^HTTP/1.1 400' "$TMP/bad.out"
check "a weight of 0 is refused" sh -c "! '$TOP/mesosctl' --master=$MASTER weights ops=0"
check "the master keeps serving" ctl get /health

[ "$LIB_FAILED" -eq 0 ]

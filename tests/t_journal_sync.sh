# tests/t_journal_sync.sh: the agent's durability promise, seen from its
# system calls: no status update reaches the master before its journal
# record is on disk. Under strace, for every STATUS_UPDATE agentd sends
# (each one's uuid), the journal write that holds that uuid was followed by
# an fdatasync of the journal that began after the write and ended, with
# success, before the send. The journal fsyncs only what something waits
# for (agent_journal.c): this is what must never be skipped.
. "$(dirname "$0")/lib.sh"
plan 3

TASKS=40
if ! command -v strace > /dev/null 2>&1; then
	skip_rest "strace is not installed"
	exit 0
fi
if [ ! -x "$TOP/bench/launch_bench" ]; then
	skip_rest "bench/launch_bench is not built"
	exit 0
fi

start_master || exit 1
start_agent a1 "--resources=cpus:100;mem:100000;disk:1000" > /dev/null || exit 1

# -f: the syncer thread's fdatasync too; -s: whole lines, uuids included.
strace -f -qq -s 65536 -e trace=pwrite64,fdatasync,fsync,sendto,write,writev \
    -o "$TMP/trace" -p "$AGENT_PID_a1" 2> "$TMP/strace.err" &
STRACE=$!
lib_track_pid "$STRACE"
traced () {
	[ "$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$AGENT_PID_a1/status" 2> /dev/null)" != 0 ]
}
if ! wait_for 10 traced; then
	skip_rest "cannot trace agentd (ptrace not permitted here)"
	exit 0
fi

check "the tasks run to the end under strace" \
    "$TOP/bench/launch_bench" "$MASTER" "$TASKS" 4 2 "$(id -un)"
stop_pid "$STRACE"

# One pass over the trace in the order strace saw the calls. A call cut in
# two (<unfinished ...> / <... resumed>) ends at its resumed line.
awk -v want="$TASKS" '
function uuids(s, into,   n, m) {
	n = 0
	while (match(s, /uuid=[0-9a-f]+/)) {
		into[++n] = substr(s, RSTART + 5, RLENGTH - 5)
		s = substr(s, RSTART + RLENGTH)
	}
	return n
}
{
	pid = $1
	line = NR
	if ($2 ~ /^<\.\.\./) {
		call = open_call[pid]
		start = open_start[pid]
		rest = open_text[pid] $0
		delete open_call[pid]
	} else {
		call = $2
		sub(/\(.*/, "", call)
		start = line
		rest = $0
		if ($0 ~ /<unfinished \.\.\.>$/) {
			open_call[pid] = call
			open_start[pid] = line
			open_text[pid] = $0
			next
		}
	}
	ok = rest ~ /\) *= [0-9]+ *$/
	if (call == "pwrite64" && rest ~ /STATUS_UPDATE|uuid=/) {
		n = uuids(rest, got)
		for (i = 1; i <= n; i++)
			if (!(got[i] in written))
				written[got[i]] = line
	} else if (call == "fdatasync" || call == "fsync") {
		if (ok) {
			nsync++
			sync_start[nsync] = start
			sync_end[nsync] = line
		}
	} else if ((call == "sendto" || call == "write" || call == "writev") && rest ~ /STATUS_UPDATE/) {
		n = uuids(rest, got)
		for (i = 1; i <= n; i++) {
			u = got[i]
			sends++
			if (!(u in written)) {
				printf "update %s sent (trace line %d) before any journal write of it\n", u, start
				bad++
				continue
			}
			durable = 0
			for (k = 1; k <= nsync && !durable; k++)
				durable = sync_start[k] > written[u] && sync_end[k] < start
			if (!durable) {
				printf "update %s sent (trace line %d) with no fsync between its write (line %d) and the send\n", u, start, written[u]
				bad++
			}
		}
	}
}
END {
	printf "%d update(s) sent, %d fsync(s), %d early\n", sends, nsync, bad
	if (sends < 2 * want) {
		printf "expected at least %d updates (TASK_RUNNING and the end of each task)\n", 2 * want
		exit 1
	}
	exit bad > 0
}' "$TMP/trace" > "$TMP/verdict" 2>&1
echo "# $(tail -n 1 "$TMP/verdict")" >&2
check "the updates sent were all seen" sh -c "grep -q ' update(s) sent' '$TMP/verdict'"
check "no status update went out before its journal record was fsync'ed" \
    sh -c "! grep -q -e 'before any journal write' -e 'no fsync between' -e 'expected at least' '$TMP/verdict' || { head -n 5 '$TMP/verdict'; exit 1; }"

# tests/t_task_signals.sh: a task starts with none of the signals its
# supervisor handles or ignores (SIGPIPE, SIGCHLD, SIGTERM and the other
# six child_reset_signals knows) ignored. The supervisor's child now puts
# back only what it must: its loop's signals and those its process was
# started with other than SIG_DFL, looked at once a process (#22). The
# spawner ignores SIGPIPE and SIGCHLD; agentd itself is started here with
# SIGHUP and SIGUSR1 ignored (as under nohup). Two tasks in turn, so the
# second may come from a pooled supervisor, which answers from what it
# looked at for the first.
. "$(dirname "$0")/lib.sh"
plan 4

start_master || exit 1
trap '' HUP USR1
start_agent a1 --resources="cpus:1;mem:256;disk:100" > /dev/null || exit 1
trap - HUP USR1

# SigIgn is a hex mask, bit N-1 for signal N: HUP INT QUIT USR1 USR2 PIPE ALRM TERM CHLD.
RESET_MASK=$((0x17A07))
none_ignored () {
	mask=$(cat "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"-*/runs/latest/sigign 2>/dev/null)
	[ -n "$mask" ] && [ $((0x$mask & RESET_MASK)) -eq 0 ]
}
for name in sig1 sig2; do
	ctl run --name="$name" --resources="cpus:0.1;mem:32" \
	    --command='sed -n "s/^SigIgn:[[:space:]]*//p" /proc/self/status > sigign' > "$TMP/$name.out" 2>&1
	check "task $name finishes" grep -q 'TASK_FINISHED' "$TMP/$name.out"
	check "task $name ignores none of the signals its supervisor takes or ignores" none_ignored "$name"
done

# tests/t_isolation.sh: a task gets exactly its resources: a memory hog and
# a task whose processes together exceed their memory are killed with the
# memory reason, a disk filler (many files, or one big one) with the disk
# reason, a CPU hog with a hard CPU limit; a fork bomb is held by
# RLIMIT_NPROC and cleaned up by the kill; nothing a task started outlives
# it; the limits, nice value and user are the ones the task asked for.
. "$(dirname "$0")/lib.sh"

start_master || exit 1
start_agent a1 --resources="cpus:2;mem:2048;disk:2000;ports:[31000-31009]" \
    --container_memory_watch_interval=100ms --container_disk_watch_interval=100ms \
    --executor_shutdown_grace_period=500ms > /dev/null || exit 1

sandbox_of () {
	echo "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest
}

task_id_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}

fw () {
	"$TOP/tests/fw" "--master=$MASTER" "$@"
}

# Memory: one process over its RLIMIT_AS, and several under it that sum over mem.
ctl run --name=hog --resources="cpus:0.1;mem:64" \
    --command='awk "BEGIN { s = \"x\"; while (1) s = s s }"' > "$TMP/hog.out" 2>&1
check "a memory hog fails with the memory reason" \
    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY memory limit of 64.0 MB' "$TMP/hog.out"
ctl run --name=many --resources="cpus:0.1;mem:64" \
    --command='for i in 1 2 3 4 5 6; do awk "BEGIN { s = \"x\"; for (i = 0; i < 24; i++) s = s s; while (1) {} }" & done; wait' \
    > "$TMP/many.out" 2>&1
check "processes that together exceed mem are sampled and killed with the memory reason" \
    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY memory limit exceeded: .* resident in [0-9]* process' "$TMP/many.out"

# Disk: the sandbox measured against disk, and RLIMIT_FSIZE for one file.
ctl run --name=filler --resources="cpus:0.1;mem:64;disk:5" \
    --command='i=0; while :; do head -c 1000000 /dev/zero > f$i; i=$((i + 1)); done' > "$TMP/filler.out" 2>&1
check "a disk filler fails with the disk reason" \
    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_DISK disk limit exceeded: the sandbox uses' "$TMP/filler.out"
ctl run --name=bigfile --resources="cpus:0.1;mem:64;disk:5" \
    --command='head -c 20000000 /dev/zero > big' > "$TMP/bigfile.out" 2>&1
check "a file over the disk limit fails with the disk reason" \
    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_DISK file size limit of 5.0 MB' "$TMP/bigfile.out"

# CPU: a hard limit when the task asks for one.
fw --name=spin --command='while :; do :; done' --field=cpu_limit_seconds=1 --timeout=30 > "$TMP/spin.out" 2>&1
check "a task over its cpu_limit_seconds fails with a limitation reason" \
    grep -q 'state=TASK_FAILED .*reason=REASON_CONTAINER_LIMITATION .*CPU%20time%20limit%20of%201%20s' "$TMP/spin.out"

# The limits as the task sees them: no core files, its memory, its nice value for 0.1 of 2 cpus.
ctl run --name=limits --resources="cpus:0.1;mem:64" \
    --command='echo core=$(ulimit -c) vmem=$(ulimit -v) files=$(ulimit -n) nice=$(nice)' > "$TMP/limits.out" 2>&1
T=$(task_id_of "$TMP/limits.out")
check "the task has no core files and its memory as RLIMIT_AS" grep -q 'core=0 vmem=65536 ' "$(sandbox_of "$T")/stdout"
check "RLIMIT_NOFILE is set" grep -q 'files=[0-9][0-9]* ' "$(sandbox_of "$T")/stdout"
check "nice follows cpus (0.1 of 2 cpus: 13 steps of 1.25x)" grep -q 'nice=13$' "$(sandbox_of "$T")/stdout"
check "usage is reported with the terminal update (checkpointed)" \
    grep -q 'state=TASK_FINISHED .*cpus_user_time_secs=[0-9.]* cpus_system_time_secs=[0-9.]* mem_rss_bytes=[0-9]*' \
    "$TMP"/a1/meta/slaves/*/task.updates

# Nothing a task started outlives it, even a process that left its group.
ctl run --name=daemon --resources="cpus:0.1;mem:64" \
    --command='sleep 300 & echo $! > bg; (trap "" TERM HUP; exec sleep 301) & echo $! >> bg; exit 0' > "$TMP/daemon.out" 2>&1
T=$(task_id_of "$TMP/daemon.out")
check "a task that leaves processes behind finishes" grep -q 'TASK_FINISHED' "$TMP/daemon.out"
none_left () {
	while read -r nl_pid; do
		kill -0 "$nl_pid" 2>/dev/null && return 1
	done < "$1"
	return 0
}
check "what it left behind is killed with it" wait_for 5 none_left "$(sandbox_of "$T")/bg"

# A fork bomb: RLIMIT_NPROC above the user's count holds it, the kill sweeps it away.
if [ "$(id -u)" -eq 0 ]; then
	BOMB_USER=--field=user=nobody
else
	BOMB_USER=--field=user=$(id -un)
fi
fw --name=bomb --resources="cpus:0.1;mem:512" --command='echo $$ > leader; b() { b | b & }; b; sleep 60' \
    "$BOMB_USER" --field=max_processes=40 --field=grace_ms=300 --kill-after=1500 --timeout=30 > "$TMP/bomb.out" 2>&1
SB=$(sandbox_of bomb-0)
check "a fork bomb hits RLIMIT_NPROC" grep -q 'fork' "$SB/stderr"
check "the fork bomb is killed" grep -q 'state=TASK_KILLED' "$TMP/bomb.out"
session_gone () {
	sg_sid=$(cat "$SB/leader")
	! ps -e -o sid= | awk -v s="$sg_sid" '$1 == s { found = 1 } END { exit !found }'
}
check "no process of the fork bomb is left" wait_for 5 session_gone

# Users: tasks run as the framework's user when agentd is root.
if [ "$(id -u)" -eq 0 ]; then
	fw --name=who --command='id -un > whoami' --field=user=nobody --timeout=20 > "$TMP/who.out" 2>&1
	check "a task runs as its user" grep -qx nobody "$(sandbox_of who-0)/whoami"
	check "its sandbox belongs to that user" sh -c "ls -ld '$(sandbox_of who-0)/' | grep -q nobody"
	fw --name=nouser --command=true --field=user=no-such-user-x9 --timeout=20 > "$TMP/nouser.out" 2>&1
	check "a user that does not exist fails the task with a clear message" \
	    grep -q "state=TASK_FAILED .*reason=REASON_CONTAINER_LAUNCH_FAILED .*user%20'no-such-user-x9'%20does%20not%20exist" "$TMP/nouser.out"
	start_agent a2 --allow_root_tasks=false --resources="cpus:1;mem:256;only_a2:1" > /dev/null || exit 1
	ctl run --name=asroot --resources="cpus:0.1;mem:32;only_a2:1" --command=true > "$TMP/asroot.out" 2>&1
	check "root tasks need --allow_root_tasks" grep -q 'TASK_FAILED .*refusing to run a task as root' "$TMP/asroot.out"
else
	skip "switching users needs root"
fi

[ "$LIB_FAILED" -eq 0 ]

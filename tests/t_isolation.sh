# tests/t_isolation.sh: a task gets exactly its resources, in each isolation
# mode: posix/cpu,posix/mem everywhere, cgroups/cpu,cgroups/mem,cgroups/pids
# where agentd may make cgroups (skipped elsewhere). In both: a memory hog,
# processes that together exceed mem and one large allocation fail with the
# memory reason, while runtimes that reserve far more address space than
# they use (20 threads, a 1 GB mapping) run; a disk filler (many files, or
# one big one) fails with the disk reason, a fork bomb with the process
# limit's, a CPU hog with its hard CPU limit's; nothing a task started
# outlives it; the limits, nice value, OOM score, cgroups and user are the
# ones the task asked for. A bad --isolation is refused; without usable
# cgroups agentd falls back to posix, or refuses cgroups asked for. In
# cgroups mode, a restarted agentd finds a running task's cgroups and
# removes those no supervisor holds any more; --cgroups_enable_cfs caps.
. "$(dirname "$0")/lib.sh"
plan 61

CGROUPS=cgroups/cpu,cgroups/mem,cgroups/pids
MB=1048576

start_master || exit 1

sandbox_of () {
	echo "$TMP"/"$AGENT"/slaves/*/frameworks/*/executors/"$1"/runs/latest
}

task_id_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}

fw () {
	"$TOP/tests/fw" "--master=$MASTER" "$@"
}

has_python () {
	command -v python3 > /dev/null 2>&1
}

# start_mode NAME ISOLATION: the one agent of this part, sampling fast.
start_mode () {
	AGENT=$1
	start_agent "$AGENT" --isolation="$2" --resources="cpus:2;mem:2048;disk:2000;ports:[31000-31009]" \
	    --container_memory_watch_interval=100ms --container_disk_watch_interval=100ms \
	    --executor_shutdown_grace_period=500ms > /dev/null
}

# cgroup_base CTRL: where the agent puts its tasks' CTRL cgroups (from its log).
cgroup_base () {
	sed -n "s/.*tasks' $1 cgroups go under \([^ ]*\) .*/\1/p" "$TMP/$AGENT.log" | tail -n 1
}

# memory MODE: what a task may hold, and nothing of what it only reserves.
memory () {
	ctl run --name=hog --resources="cpus:0.1;mem:64" \
	    --command='awk "BEGIN { s = \"x\"; while (1) s = s s }"' > "$TMP/hog.out" 2>&1
	check "$1: a memory hog fails with the memory reason" \
	    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY memory limit' "$TMP/hog.out"
	ctl run --name=many --resources="cpus:0.1;mem:64" \
	    --command='for i in 1 2 3 4 5 6; do awk "BEGIN { s = \"x\"; for (i = 0; i < 24; i++) s = s s; while (1) {} }" & done; wait' \
	    > "$TMP/many.out" 2>&1
	check "$1: processes that together exceed mem fail with the memory reason" \
	    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY memory limit' "$TMP/many.out"
	# One allocation larger than mem is not refused: it is what it touches that counts.
	ctl run --name=big --resources="cpus:0.1;mem:32" \
	    --command='dd if=/dev/zero bs=1000000 count=100 2>/dev/null | tr "\\000" x | awk "{ print length(\$0) }"' > "$TMP/big.out" 2>&1
	check "$1: one allocation larger than mem fails with the memory reason, not as a plain failure" \
	    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY' "$TMP/big.out"
	if has_python; then
		ctl run --name=threads --resources="cpus:0.1;mem:64" --command='python3 -c "
import signal; signal.alarm(30)
import threading
e = threading.Event()
ts = [threading.Thread(target=e.wait) for i in range(20)]
[t.start() for t in ts]
e.set()
[t.join() for t in ts]
print(len(ts), \"threads\")"' > "$TMP/threads.out" 2>&1
		check "$1: a Python program starts 20 threads in mem:64" grep -q 'TASK_FINISHED' "$TMP/threads.out"
		ctl run --name=reserve --resources="cpus:0.1;mem:32" --command='python3 -c "
import signal; signal.alarm(30)
import mmap
m = mmap.mmap(-1, 1 << 30)
m[0:4096] = bytes(4096)
print(\"reserved\")"' > "$TMP/reserve.out" 2>&1
		check "$1: a task may reserve 1 GB of address space in mem:32" grep -q 'TASK_FINISHED' "$TMP/reserve.out"
	else
		skip -n 2 "$1: python3 is needed for the threads and reservation checks"
	fi
}

# disk_cpu MODE: the sandbox measured against disk, RLIMIT_FSIZE for one file, a hard CPU limit.
disk_cpu () {
	ctl run --name=filler --resources="cpus:0.1;mem:64;disk:5" \
	    --command='i=0; while :; do dd if=/dev/zero bs=1000000 count=1 2>/dev/null > f$i; i=$((i + 1)); done' > "$TMP/filler.out" 2>&1
	check "$1: a disk filler fails with the disk reason" \
	    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_DISK disk limit exceeded: the sandbox uses' "$TMP/filler.out"
	ctl run --name=bigfile --resources="cpus:0.1;mem:64;disk:5" \
	    --command='dd if=/dev/zero bs=1000000 count=20 2>/dev/null > big' > "$TMP/bigfile.out" 2>&1
	# RLIMIT_FSIZE stops the write; on a busy machine the sandbox's measure may come first.
	check "$1: a file over the disk limit fails with the disk reason" \
	    grep -Eq 'TASK_FAILED REASON_CONTAINER_LIMITATION_DISK (file size limit of 5.0 MB|disk limit exceeded)' \
	    "$TMP/bigfile.out"
	fw --name=spin --command='while :; do :; done' --field=cpu_limit_seconds=1 --timeout=30 > "$TMP/spin.out" 2>&1
	check "$1: a task over its cpu_limit_seconds fails with a limitation reason" \
	    grep -q 'state=TASK_FAILED .*reason=REASON_CONTAINER_LIMITATION .*CPU%20time%20limit%20of%201%20s' "$TMP/spin.out"
}

# processes MODE: a fork bomb is held (RLIMIT_NPROC above its user's count, or
# pids.max), fails with the process limit's reason, and is swept away.
processes () {
	if [ "$(id -u)" -eq 0 ]; then
		bomb_user=--field=user=nobody
	else
		bomb_user=--field=user=$(id -un)
	fi
	fw --name=bomb --resources="cpus:0.1;mem:512" --command='echo $$ > leader; b() { b | b & }; b; sleep 60' \
	    "$bomb_user" --field=max_processes=40 --field=grace_ms=300 --kill-after=10000 --timeout=30 > "$TMP/bomb.out" 2>&1
	SB=$(sandbox_of bomb-0)
	# Held: the kernel refuses its forks (pids.max, RLIMIT_NPROC a few above), or the count stops it first.
	check "$1: a fork bomb is held at its limit" \
	    sh -c "grep -q fork '$SB/stderr' || grep -q 'reason=REASON_CONTAINER_LIMITATION message=process%20limit' '$TMP/bomb.out'"
	check "$1: the fork bomb fails with the process limit's reason" \
	    grep -q 'state=TASK_FAILED .*reason=REASON_CONTAINER_LIMITATION message=process%20limit%20of%2040' "$TMP/bomb.out"
	check "$1: no process of the fork bomb is left" wait_for 5 session_gone
}

session_gone () {
	sg_sid=$(cat "$SB/leader")
	! ps -e -o sid= | awk -v s="$sg_sid" '$1 == s { found = 1 } END { exit !found }'
}

none_left () {
	while read -r nl_pid; do
		kill -0 "$nl_pid" 2>/dev/null && return 1
	done < "$1"
	return 0
}

# leftovers MODE: nothing a task started outlives it, even a process that left its group.
leftovers () {
	ctl run --name=daemon --resources="cpus:0.1;mem:64" \
	    --command='sleep 300 & echo $! > bg; (trap "" TERM HUP; exec sleep 301) & echo $! >> bg; exit 0' > "$TMP/daemon.out" 2>&1
	T=$(task_id_of "$TMP/daemon.out")
	check "$1: a task that leaves processes behind finishes" grep -q 'TASK_FINISHED' "$TMP/daemon.out"
	check "$1: what it left behind is killed with it" wait_for 5 none_left "$(sandbox_of "$T")/bg"
}

# limits MODE NICE: what the task sees of its limits.
limits () {
	ctl run --name=limits --resources="cpus:0.1;mem:64" \
	    --command='echo core=$(ulimit -c) vmem=$(ulimit -v) files=$(ulimit -n) nice=$(nice) oom=$(cat /proc/self/oom_score_adj 2>/dev/null || echo none); cat /proc/self/autogroup > autogroup 2>/dev/null; cat /proc/self/cgroup > cgroup 2>/dev/null; true' \
	    > "$TMP/limits.out" 2>&1
	T=$(task_id_of "$TMP/limits.out")
	LIM=$(sandbox_of "$T")
	check "$1: no core files, and no address-space limit (resident memory is what counts)" \
	    grep -q 'core=0 vmem=unlimited ' "$LIM/stdout"
	check "$1: RLIMIT_NOFILE is set" grep -q 'files=[0-9][0-9]* ' "$LIM/stdout"
	check "$1: nice is $2 for 0.1 of 2 cpus" grep -q "nice=$2 " "$LIM/stdout"
	check "$1: tasks are what the kernel's OOM killer takes first" grep -Eq 'oom=(1000|none)$' "$LIM/stdout"
	if [ -s "$LIM/autogroup" ]; then
		check "$1: its session's autogroup has its nice too" grep -q "nice $2\$" "$LIM/autogroup"
	else
		skip "$1: no autogroup for its session (the kernel has none)"
	fi
	check "$1: usage is reported with the terminal update (checkpointed)" \
	    grep -q 'state=TASK_FINISHED .*cpus_user_time_secs=[0-9.]* cpus_system_time_secs=[0-9.]* mem_rss_bytes=[0-9]*' \
	    "$TMP/$AGENT"/meta/slaves/*/task.updates
}

users () {
	if [ "$(id -u)" -ne 0 ]; then
		skip -n 5 "switching users needs root"
		return 0
	fi
	fw --name=who --command='id -un > whoami; id -G > groups' --field=user=nobody --timeout=20 > "$TMP/who.out" 2>&1
	check "a task runs as its user" grep -qx nobody "$(sandbox_of who-0)/whoami"
	check "... in that user's groups, none of agentd's" test "$(cat "$(sandbox_of who-0)/groups")" = "$(id -G nobody)"
	check "its sandbox belongs to that user" sh -c "ls -ld '$(sandbox_of who-0)/' | grep -q nobody"
	fw --name=nouser --command=true --field=user=no-such-user-x9 --timeout=20 > "$TMP/nouser.out" 2>&1
	check "a user that does not exist fails the task with a clear message" \
	    grep -q "state=TASK_FAILED .*reason=REASON_CONTAINER_LAUNCH_FAILED .*user%20'no-such-user-x9'%20does%20not%20exist" "$TMP/nouser.out"
	start_agent a2 --allow_root_tasks=false --resources="cpus:1;mem:256;only_a2:1" > /dev/null || return 1
	ctl run --name=asroot --resources="cpus:0.1;mem:32;only_a2:1" --command=true > "$TMP/asroot.out" 2>&1
	check "root tasks need --allow_root_tasks" grep -q 'TASK_FAILED .*refusing to run a task as root' "$TMP/asroot.out"
	stop_pid "$AGENT_PID_a2"
}

# ---- choosing the isolation ------------------------------------------------------
# agentd_says FLAGS... -- PATTERN: agentd with FLAGS ends (or prints its help) saying PATTERN.
agentd_says () {
	as_pat=$1
	shift
	"$TOP/agentd" "--master=$MASTER" "--work_dir=$TMP/choose" "$@" > "$TMP/choose.out" 2>&1
	grep -q -- "$as_pat" "$TMP/choose.out"
}
check "an unknown isolator is refused, by name" \
    agentd_says "bad --isolation: unknown isolator 'bogus/x'" --isolation=posix/cpu,bogus/x
check "a resource held both ways is refused" \
    agentd_says "'cgroups/mem' names memory a second time" --isolation=posix/mem,cgroups/mem
# A cgroups root that cannot be made stands in for a machine without usable cgroups.
check "without usable cgroups, --help says posix is what agentd would use, and why" \
    agentd_says "isolation on this machine: posix/cpu,posix/mem (cgroups: .*one name" --cgroups_root=a/b --help
check "cgroups asked for where they cannot be had: agentd refuses to start, saying why" \
    agentd_says "isolation=cgroups/mem: cgroups are not usable here: .*one name" --cgroups_root=a/b \
    --isolation=cgroups/mem

# ---- posix/cpu,posix/mem ------------------------------------------------------
start_mode px posix/cpu,posix/mem || exit 1
check "posix: the agent's /master/state entry says its isolation" \
    state_has '"isolation":"posix/cpu,posix/mem"'
memory posix
disk_cpu posix
processes posix
leftovers posix
limits posix 13
users
stop_pid "$AGENT_PID_px"

# ---- cgroups/cpu,cgroups/mem,cgroups/pids ----------------------------------------
if ! "$TOP/agentd" --help 2>/dev/null | grep -q "isolation on this machine: $CGROUPS"; then
	skip_rest "cgroups are not usable here: $("$TOP/agentd" --help 2>/dev/null | sed -n 's/^isolation on this machine: //p')"
	[ "$LIB_FAILED" -eq 0 ]
	exit
fi
start_mode cg "$CGROUPS" || exit 1
check "cgroups: the agent's /master/state entry says its isolation" \
    state_has "\"isolation\":\"$CGROUPS\""
memory cgroups
disk_cpu cgroups
processes cgroups
leftovers cgroups
limits cgroups 0

# The task's cgroups, their limits, and their end with it.
MEMCG=$(cgroup_base memory)
CPUCG=$(cgroup_base cpu)
PIDSCG=$(cgroup_base pids)
check "cgroups: the agent logs where tasks' cgroups go" test -d "$MEMCG" -a -d "$CPUCG" -a -d "$PIDSCG"
RUN=$(readlink "$(dirname "$LIM")/latest")
check "cgroups: the task ran in a cgroup of its own, named by its run" grep -q "/$RUN\$" "$LIM/cgroup"
check "cgroups: its cgroups are gone with it" test ! -e "$MEMCG/$RUN" -a ! -e "$CPUCG/$RUN" -a ! -e "$PIDSCG/$RUN"

# limit_of DIR FILE...: the first of the files there.
limit_of () {
	lo_dir=$1
	shift
	for lo_f in "$@"; do
		[ -r "$lo_dir/$lo_f" ] && { cat "$lo_dir/$lo_f"; return 0; }
	done
	return 1
}

runs_dir () {
	ls -d "$TMP"/cg/slaves/*/frameworks/*/executors/"$1"/runs 2>/dev/null
}

run_of () {
	readlink "$(runs_dir "$1")/latest"
}

has_file () {
	test -s "$(runs_dir "$1")/latest/$2"
}

# Two long tasks: one to be found again, one whose supervisor dies while agentd is away.
fw --name=keep --resources="cpus:0.5;mem:48" --command='echo $PPID > sup; sleep 300' \
    --timeout=60 > "$TMP/keep.out" 2>&1 &
KEEP_FW=$!
fw --name=lost --resources="cpus:0.1;mem:32" --command='echo $PPID > sup; sleep 300' \
    --timeout=60 > "$TMP/lost.out" 2>&1 &
LOST_FW=$!
wait_for 10 has_file keep-0 sup && wait_for 10 has_file lost-0 sup
KEEP_RUN=$(run_of keep-0)
LOST_RUN=$(run_of lost-0)
check "cgroups: memory is the task's mem, exactly" \
    test "$(limit_of "$MEMCG/$KEEP_RUN" memory.max memory.limit_in_bytes)" = $((48 * MB))
check "cgroups: cpu weighs the task's cpus" \
    grep -Eqx '512|50' "$(ls "$CPUCG/$KEEP_RUN"/cpu.shares "$CPUCG/$KEEP_RUN"/cpu.weight 2>/dev/null | head -n 1)"
check "cgroups: pids holds --task_max_processes" test "$(cat "$PIDSCG/$KEEP_RUN/pids.max")" = 1000

kill -KILL "$AGENT_PID_cg"
kill -KILL "$(cat "$(runs_dir lost-0)/latest/sup")"
# Restarted with a hard cpu cap besides the weight, for the tasks it starts from now on.
start_agent cg --isolation="$CGROUPS" --resources="cpus:2;mem:2048;disk:2000;ports:[31000-31009]" \
    --container_memory_watch_interval=100ms --cgroups_enable_cfs > /dev/null || exit 1
check "cgroups: a restarted agentd finds a running task's cgroups" \
    wait_for 10 lib_has_line "$TMP/cg.log" "task .*keep-0: found its memory cgroup .*/$KEEP_RUN"
check "cgroups: it removes the cgroups of a task whose supervisor is gone" \
    wait_for 10 test ! -e "$MEMCG/$LOST_RUN" -a ! -e "$PIDSCG/$LOST_RUN" -a ! -e "$CPUCG/$LOST_RUN"
check "cgroups: the task that lost its supervisor is reported" \
    wait_for 10 grep -q 'state=TASK_FAILED .*reason=REASON_EXECUTOR_TERMINATED' "$TMP/lost.out"
check "cgroups: the found task still runs in its cgroup" test -d "$MEMCG/$KEEP_RUN"
# Still held: its memory cgroup still has its limit, and its end removes it.
ctl kill keep-0 > /dev/null 2>&1
check "cgroups: the found task's cgroups go with its end" wait_for 10 test ! -e "$MEMCG/$KEEP_RUN"
wait "$KEEP_FW" "$LOST_FW" 2>/dev/null

# cfs_quota RUN: the cpu cap of the task's cgroup, in microseconds per 100 ms.
cfs_quota () {
	if [ -r "$CPUCG/$1/cpu.cfs_quota_us" ]; then
		cat "$CPUCG/$1/cpu.cfs_quota_us"
	else
		cut -d ' ' -f 1 "$CPUCG/$1/cpu.max"
	fi
}
fw --name=capped --resources="cpus:0.5;mem:32" --command='echo $PPID > sup; sleep 300' \
    --timeout=60 > "$TMP/capped.out" 2>&1 &
CAPPED_FW=$!
wait_for 10 has_file capped-0 sup
check "cgroups: --cgroups_enable_cfs caps a task at its cpus (0.5: 50 ms of each 100 ms)" \
    test "$(cfs_quota "$(run_of capped-0)")" = 50000
ctl kill capped-0 > /dev/null 2>&1
wait "$CAPPED_FW" 2>/dev/null

[ "$LIB_FAILED" -eq 0 ]

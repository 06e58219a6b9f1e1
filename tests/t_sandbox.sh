# tests/t_sandbox.sh: sandboxes through the master: mesosctl ls, cat and
# tail -f of a running and a finished task, paths outside the sandbox
# refused ("..", absolute, a symlink out), and garbage collection: a
# finished task's sandbox goes after --gc_delay, at once when the disk is
# past --gc_disk_headroom, and old ones found at start-up go too.
. "$(dirname "$0")/lib.sh"
plan 21

start_master || exit 1
# An old sandbox of a previous life of this agent, long finished.
OLD=$TMP/a1/slaves/S-old/frameworks/F-old/executors/E-old/runs/R-old
mkdir -p "$OLD"
echo old > "$OLD/stdout"
touch -t 200001010000 "$OLD"
start_agent a1 --resources="cpus:2;mem:512;disk:100" --gc_delay=5secs --disk_watch_interval=200ms \
    > /dev/null || exit 1

task_id_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}

gone () {
	[ ! -e "$1" ]
}

check "an old sandbox found at start-up is collected" wait_for 10 gone "$OLD"

ctl run --name=talk --resources="cpus:0.1;mem:32" \
    --command='mkdir -p sub/deeper; echo inner > sub/deeper/file; ln -s /etc out; i=0; while [ $i -lt 30 ]; do echo "line $i"; i=$((i + 1)); sleep 0.1; done' \
    > "$TMP/talk.out" 2>&1 &
RUN=$!
lib_track_pid "$RUN"
wait_for 10 grep -q TASK_RUNNING "$TMP/talk.out"
T=$(task_id_of "$TMP/talk.out")
ctl tail -f -n 2 "$T" > "$TMP/tail.out" 2>&1 &
TAIL=$!
lib_track_pid "$TAIL"
check "mesosctl ls lists the sandbox" wait_for 5 sh -c "'$TOP/mesosctl' --master=$MASTER ls $T | grep -q ' stdout\$'"
ctl ls "$T" > "$TMP/ls.out" 2>&1
check "directories are marked" grep -q '^d .* sub/$' "$TMP/ls.out"
check "ls shows sizes" grep -q '^f  *[0-9][0-9]* .* stderr$' "$TMP/ls.out"
check "mesosctl ls lists a subdirectory" sh -c "'$TOP/mesosctl' --master=$MASTER ls $T sub/deeper | grep -q ' file\$'"
ctl ls "$T" .. > "$TMP/lsup.out" 2>&1
check "ls of .. is refused" grep -q 'path outside the sandbox' "$TMP/lsup.out"
ctl ls "$T" out > "$TMP/lsout.out" 2>&1
check "ls through a symlink out is refused" grep -q 'path outside the sandbox' "$TMP/lsout.out"
wait "$TAIL"
rc=$?
check "tail -f ends when the task has ended" test "$rc" -eq 0
check "tail -f printed what came after it started" grep -q '^line 29$' "$TMP/tail.out"
check "tail -f printed every line once" sh -c "[ \$(grep -c '^line ' '$TMP/tail.out') -eq \$(sort -u '$TMP/tail.out' | grep -c '^line ') ]"
ctl tail -n 3 "$T" > "$TMP/tail3.out" 2>&1
check "tail prints the last lines of a finished task" sh -c "[ \"\$(tr '\n' ' ' < '$TMP/tail3.out')\" = 'line 27 line 28 line 29 ' ]"
ctl tail "$T" stderr > "$TMP/tailerr.out" 2>&1
check "tail of an empty file prints nothing" test ! -s "$TMP/tailerr.out"
wait "$RUN"
check "cat reads a file in a subdirectory" sh -c "'$TOP/mesosctl' --master=$MASTER cat $T sub/deeper/file | grep -qx inner"
ctl cat "$T" ../../../../../../etc/passwd > "$TMP/cat1.out" 2>&1
check "cat with .. is refused" grep -q 'path outside the sandbox' "$TMP/cat1.out"
ctl cat "$T" /etc/passwd > "$TMP/cat2.out" 2>&1
check "cat of an absolute path is refused" grep -q 'path outside the sandbox' "$TMP/cat2.out"
ctl cat "$T" out/passwd > "$TMP/cat3.out" 2>&1
check "cat through a symlink out is refused" grep -q 'path outside the sandbox' "$TMP/cat3.out"

# Garbage collection: --gc_delay after the task was done with.
SB=$(ls -d "$TMP"/a1/slaves/*/frameworks/*/executors/"$T"/runs/latest/)
SB=$(cd "$SB" && pwd -P)
check "the sandbox is kept a while" test -d "$SB"
check "the sandbox is removed after --gc_delay" wait_for 20 gone "$SB"
check "its latest link goes with it" gone "$(dirname "$SB")/latest"
ctl cat "$T" > "$TMP/cat4.out" 2>&1
check "reading a collected sandbox fails cleanly" grep -q 'mesosctl: ' "$TMP/cat4.out"

# A full disk: with the headroom at 1 nothing is kept.
start_agent a2 --resources="cpus:1;mem:256;only_a2:1" --gc_disk_headroom=1 --disk_watch_interval=200ms \
    > /dev/null || exit 1
ctl run --name=full --resources="cpus:0.1;mem:32;only_a2:1" --command=true > "$TMP/full.out" 2>&1
T2=$(task_id_of "$TMP/full.out")
no_sandbox () {
	! ls -d "$TMP"/a2/slaves/*/frameworks/*/executors/"$T2"/runs/*-* > /dev/null 2>&1
}
check "with no disk headroom the sandbox goes at once" wait_for 10 no_sandbox

[ "$LIB_FAILED" -eq 0 ]

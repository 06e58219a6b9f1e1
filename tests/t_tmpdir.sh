# tests/t_tmpdir.sh: each task has a TMPDIR of its own in its sandbox, made
# before it starts, mode 0700 and its user's (as root: a task of nobody);
# a TMPDIR the framework names wins, as any variable it sets.
. "$(dirname "$0")/lib.sh"
plan 5

start_master || exit 1
start_agent a1 --resources="cpus:1;mem:256" > /dev/null || exit 1
sandbox_of () {
	echo "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest
}
task_id_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}
# The task writes its TMPDIR, makes a file there and says who owns it how.
PROBE='echo "$TMPDIR" > tmpdir.txt && touch "$TMPDIR/x" && ls -ld "$TMPDIR" > ls.txt'
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
	USER_FLAG=--user=nobody
	OWNER=nobody
else
	USER_FLAG=
	OWNER=$(id -un)
fi
ctl run --name=tmp $USER_FLAG --resources="cpus:0.1;mem:32" --command="$PROBE" > "$TMP/tmp.out" 2>&1
T=$(task_id_of "$TMP/tmp.out")
SB=$(cd "$(sandbox_of "$T")" && pwd -P)
check "the task runs" grep -q TASK_FINISHED "$TMP/tmp.out"
check "its TMPDIR is in its sandbox" test "$(cat "$SB/tmpdir.txt")" = "$SB/tmp"
check "it can write there" test -f "$SB/tmp/x"
check "it is 0700 and its user's ($OWNER)" grep -q "^drwx------ .* $OWNER " "$SB/ls.txt"
ctl run --name=own --resources="cpus:0.1;mem:32" --env=TMPDIR=/var/tmp \
    --command='echo "$TMPDIR" > tmpdir.txt' > "$TMP/own.out" 2>&1
check "a TMPDIR the framework names wins" \
    test "$(cat "$(sandbox_of "$(task_id_of "$TMP/own.out")")/tmpdir.txt")" = /var/tmp

cleanup

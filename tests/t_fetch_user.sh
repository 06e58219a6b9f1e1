# tests/t_fetch_user.sh: the fetcher runs as the task's user (issue #17). A
# task of nobody asking for /etc/shadow fails to fetch it, with the reason
# in its update and its sandbox's stderr, and gets none of it; a file only
# nobody may read is fetched; a cached URI goes to nobody's own cache and is
# served from it again. Switching users needs root.
. "$(dirname "$0")/lib.sh"
plan 9

need_nobody "switching a task's user"
NOBODY_UID=$(id -u nobody)
WWW=$TMP/www
mkdir -p "$WWW"
printf 'cached for nobody\n' > "$WWW/c.txt"
start_httpd "$WWW"

start_master || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:1000" --fetcher_cache_dir="$TMP/cache" \
    > /dev/null || exit 1
sandbox_of () {
	echo "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest
}
task_id_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}

ctl run --name=shadow --user=nobody --resources="cpus:0.1;mem:32" --uri=/etc/shadow \
    --command='cat shadow' > "$TMP/shadow.out" 2>&1
T=$(task_id_of "$TMP/shadow.out")
SB=$(sandbox_of "$T")
check "/etc/shadow as nobody fails the fetch" \
    grep -q "TASK_FAILED REASON_FETCHER_FAILED .*cannot open '/etc/shadow': Permission denied" "$TMP/shadow.out"
check "the reason is in the sandbox's stderr" \
    grep -q "mesos-fetcher: fetching '/etc/shadow' failed: cannot open '/etc/shadow': Permission denied" "$SB/stderr"
check "none of it is in the sandbox" test ! -s "$SB/shadow"

printf 'only nobody reads this\n' > "$TMP/mine.txt"
chown nobody "$TMP/mine.txt"
chmod 600 "$TMP/mine.txt"
ctl run --name=mine --user=nobody --resources="cpus:0.1;mem:32" --uri="$TMP/mine.txt" \
    --command='cat mine.txt' > "$TMP/mine.out" 2>&1
T=$(task_id_of "$TMP/mine.out")
check "a file of the user's own is fetched" grep -qx 'only nobody reads this' "$(sandbox_of "$T")/stdout"
check "and belongs to the user" sh -c "ls -l '$(sandbox_of "$T")/mine.txt' | grep -q nobody"

ctl run --name=c1 --user=nobody --resources="cpus:0.1;mem:32" --uri="$WEB/files/c.txt;cache=1" \
    --command='cat c.txt' > "$TMP/c1.out" 2>&1
check "a cached URI is fetched as nobody" grep -q 'TASK_FINISHED' "$TMP/c1.out"
check "into nobody's own cache" sh -c "ls '$TMP/cache/$NOBODY_UID' | grep -q c.txt"
check "which is nobody's alone" sh -c "ls -ld '$TMP/cache/$NOBODY_UID' | grep -q '^drwx------ .* nobody '"
stop_pid "$HTTPD"
ctl run --name=c2 --user=nobody --resources="cpus:0.1;mem:32" --uri="$WEB/files/c.txt;cache=1" \
    --command='cat c.txt' > "$TMP/c2.out" 2>&1
check "the cache serves it again" grep -qx 'cached for nobody' "$(sandbox_of "$(task_id_of "$TMP/c2.out")")/stdout"

cleanup

# tests/t_fetch.sh: the fetcher. URIs land in the sandbox before the
# command runs: local paths, file://, http:// with a length, a chunked
# body and redirects; executable, extract (.tar.gz, .zip), output_file;
# the cache serves a URI again when its server is gone. A fetch that fails
# fails the task with REASON_FETCHER_FAILED and says why in its stderr,
# also when the server stalls or the archive tool is missing.
. "$(dirname "$0")/lib.sh"
plan 20

WWW=$TMP/www
mkdir -p "$WWW/app/bin"
printf 'hello from the fetcher\n' > "$WWW/hello.txt"
dd if=/dev/urandom bs=1000 count=300 2>/dev/null > "$WWW/blob"
printf '#!/bin/sh\necho script ran\n' > "$WWW/script.sh"
printf '#!/bin/sh\necho app ran\n' > "$WWW/app/bin/run"
chmod 755 "$WWW/app/bin/run"
(cd "$WWW" && tar -czf app.tgz app)
HAVE_ZIP=0
if command -v zip > /dev/null 2>&1 && command -v unzip > /dev/null 2>&1; then
	(cd "$WWW" && zip -q -r app.zip app) && HAVE_ZIP=1
fi

start_httpd "$WWW"

start_master || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:1000" --fetcher_stall_timeout=500ms \
    --fetcher_cache_dir="$TMP/cache" > /dev/null || exit 1

sandbox_of () {
	echo "$TMP"/a1/slaves/*/frameworks/*/executors/"$1"/runs/latest
}

task_id_of () {
	sed -n 's/^task \([^ ]*\) submitted.*/\1/p' "$1" | head -n 1
}

ctl run --name=local --resources="cpus:0.1;mem:32" --uri="$WWW/hello.txt" \
    --uri="file://$WWW/script.sh;executable=1;output_file=tools/go.sh" \
    --command='cat hello.txt && ./tools/go.sh' > "$TMP/local.out" 2>&1
T=$(task_id_of "$TMP/local.out")
check "a local path and a file:// URI are fetched before the command runs" \
    grep -q 'TASK_FINISHED' "$TMP/local.out"
check "the file is in the sandbox" grep -qx 'hello from the fetcher' "$(sandbox_of "$T")/stdout"
check "executable and output_file are honoured" grep -qx 'script ran' "$(sandbox_of "$T")/stdout"

ctl run --name=web --resources="cpus:0.1;mem:32" --uri="$WEB/files/blob" \
    --uri="$WEB/chunked/blob;output_file=blob.chunked" --uri="$WEB/redirect/2/blob;output_file=blob.moved" \
    --uri="$WEB/files/app.tgz" --command='./app/bin/run' > "$TMP/web.out" 2>&1
T=$(task_id_of "$TMP/web.out")
SB=$(sandbox_of "$T")
check "an http download with a length arrives whole" cmp -s "$WWW/blob" "$SB/blob"
check "a chunked body arrives whole" cmp -s "$WWW/blob" "$SB/blob.chunked"
check "redirects are followed" cmp -s "$WWW/blob" "$SB/blob.moved"
check "a .tgz is extracted" grep -qx 'app ran' "$SB/stdout"
if [ "$HAVE_ZIP" -eq 1 ]; then
	ctl run --name=zip --resources="cpus:0.1;mem:32" --uri="$WEB/files/app.zip" \
	    --command='./app/bin/run' > "$TMP/zip.out" 2>&1
	check "a .zip is extracted" grep -qx 'app ran' "$(sandbox_of "$(task_id_of "$TMP/zip.out")")/stdout"
else
	skip "zip and unzip are not installed"
fi
ctl run --name=keep --resources="cpus:0.1;mem:32" --uri="$WEB/files/app.tgz;extract=0" \
    --command='test -f app.tgz && test ! -d app' > "$TMP/keep.out" 2>&1
check "extract=0 keeps the archive as it is" grep -q 'TASK_FINISHED' "$TMP/keep.out"

# The cache: a second fetch of the same URI needs no server.
ctl run --name=cache1 --resources="cpus:0.1;mem:32" --uri="$WEB/files/hello.txt;cache=1" \
    --command='cat hello.txt' > "$TMP/cache1.out" 2>&1
check "a cached URI is fetched" grep -q 'TASK_FINISHED' "$TMP/cache1.out"
check "and kept in the cache" sh -c "ls '$TMP/cache' | grep -q 'hello.txt'"
stop_pid "$HTTPD"
ctl run --name=cache2 --resources="cpus:0.1;mem:32" --uri="$WEB/files/hello.txt;cache=1" \
    --command='cat hello.txt' > "$TMP/cache2.out" 2>&1
T=$(task_id_of "$TMP/cache2.out")
check "the cache serves it when the server is gone" grep -qx 'hello from the fetcher' "$(sandbox_of "$T")/stdout"
ctl run --name=nocache --resources="cpus:0.1;mem:32" --uri="$WEB/files/hello.txt" \
    --command='cat hello.txt' > "$TMP/nocache.out" 2>&1
check "without cache=1 a dead server fails the fetch" \
    grep -q 'TASK_FAILED REASON_FETCHER_FAILED' "$TMP/nocache.out"

# Failures: the reason in the update, the fetcher's words in the sandbox's stderr.
start_httpd "$WWW" httpd2
ctl run --name=missing --resources="cpus:0.1;mem:32" --uri="$WEB/files/nothing-here" \
    --command='echo should not run' > "$TMP/missing.out" 2>&1
T=$(task_id_of "$TMP/missing.out")
check "a 404 fails the task with the fetcher reason" \
    grep -q 'TASK_FAILED REASON_FETCHER_FAILED .*HTTP 404' "$TMP/missing.out"
check "the fetcher's message is in the sandbox's stderr" grep -q 'mesos-fetcher: .*HTTP 404' "$(sandbox_of "$T")/stderr"
check "the command did not run" sh -c "! grep -q 'should not run' '$(sandbox_of "$T")/stdout'"
ctl run --name=nofile --resources="cpus:0.1;mem:32" --uri="/no/such/file" --command=true > "$TMP/nofile.out" 2>&1
check "a missing local file fails the fetch" grep -q "TASK_FAILED REASON_FETCHER_FAILED .*cannot open '/no/such/file'" "$TMP/nofile.out"
ctl run --name=stall --resources="cpus:0.1;mem:32" --uri="$WEB/hang;output_file=x" --command=true > "$TMP/stall.out" 2>&1
check "a stalled download fails after --fetcher_stall_timeout" grep -q 'TASK_FAILED REASON_FETCHER_FAILED .*stall timeout' "$TMP/stall.out"
ctl run --name=https --resources="cpus:0.1;mem:32" --uri="https://example.com/x" --command=true > "$TMP/https.out" 2>&1
check "an unsupported scheme fails with a clear message" grep -q 'TASK_FAILED REASON_FETCHER_FAILED .*unsupported URI' "$TMP/https.out"

# No tar on the agent's PATH: a clear error, not a mystery.
mkdir -p "$TMP/emptybin" "$TMP/a2"
env PATH="$TMP/emptybin" "$TOP/agentd" "--master=$MASTER" --work_dir="$TMP/a2" \
    --resources="cpus:1;mem:256;only_a2:1" > "$TMP/a2.log" 2>&1 &
lib_track_pid $!
wait_for 10 grep -q 'registered with master as' "$TMP/a2.log"
ctl run --name=notar --resources="cpus:0.1;mem:32;only_a2:1" --uri="$WEB/files/app.tgz" --command=true \
    > "$TMP/notar.out" 2>&1
check "a missing archive tool is named" grep -q 'TASK_FAILED REASON_FETCHER_FAILED .*tar is not installed' "$TMP/notar.out"

[ "$LIB_FAILED" -eq 0 ]

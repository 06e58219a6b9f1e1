# tests/t_disk_limit.sh: a sandbox is measured sooner the nearer it is to its
# disk limit (#18): with the default 15 s between looks at a quiet sandbox, a
# disk:10 task writing as fast as it can is killed before it holds twice its
# limit (files of 1 MB: RLIMIT_FSIZE holds each file to the limit alone).
. "$(dirname "$0")/lib.sh"
plan 2

start_master || exit 1
start_agent a1 --resources="cpus:2;mem:512;disk:1000" > /dev/null || exit 1

ctl run --name=filler --resources="cpus:0.1;mem:64;disk:10" \
    --command='i=0; while :; do head -c 1000000 /dev/zero > f$i; i=$((i + 1)); done' \
    > "$TMP/filler.out" 2>&1
check "a fast disk filler fails with the disk reason" \
    grep -q 'TASK_FAILED REASON_CONTAINER_LIMITATION_DISK disk limit exceeded: the sandbox uses' \
    "$TMP/filler.out"
used=$(sed -n 's/.*the sandbox uses \([0-9]*\)\.[0-9] MB.*/\1/p' "$TMP/filler.out" | head -n 1)
check "it is killed before twice its limit (at ${used:-?} MB)" test "${used:-99}" -lt 20
